"""Solve PSPLIB instances through the ordinary seqopt path and compare with the known optima.

For each instance: import it (seqopt.io.psplib), solve it with seqopt.solve.solve
(the same code `seqopt solve` runs; the engine is `auto`, that is CP-SAT, unless
--solver says otherwise) under a per-instance time limit, one thread, and compare
the makespan with j30opt.sm / j1Xopt.mm. A proven optimum that differs from the
file is a bug and is reported as a MISMATCH. With --cpsat the textbook CP-SAT
model of benchmarks/cpsat_rcpsp.py solves the same instance in the same run, one
worker, same limit, for a like-for-like ratio. --seeds runs every instance once
per random seed of the solvers (to look for answers called optimal that are not).

    python benchmarks/psplib.py --set j30 --time-limit 60 --cpsat
    python benchmarks/psplib.py --set j10 j12 j14 --time-limit 60 --cpsat
    python benchmarks/psplib.py --set j10 --seeds 0 1 2 3 4 5 --cpsat
    python benchmarks/psplib.py --set j30 --every 4 --solver highs
    python benchmarks/psplib.py --instances j3013_2 j3029_5 --time-limit 60

Writes benchmarks/results/psplib_<sets>_<time>.csv and prints a summary.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from seqopt.io.psplib import read_instance, read_optima, to_problem
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "psplib"
SETS = {
    "j30": ("j30", ".sm", "j30opt.sm"),
    "j10": ("mrcpsp_j10", ".mm", "j10opt.mm"),
    "j12": ("mrcpsp_j12", ".mm", "j12opt.mm"),
    "j14": ("mrcpsp_j14", ".mm", "j14opt.mm"),
}


@dataclass
class Row:
    instance: str
    seed: int
    engine: str
    status: str
    makespan: float | None
    optimum: int
    match: str
    greedy: float | None
    variables: int
    build_seconds: float
    solve_seconds: float
    cpsat_status: str = ""
    cpsat_makespan: float | None = None
    cpsat_seconds: float | None = None


def _key(name: str) -> tuple[int, int]:
    parameter, instance = name.split("_")
    return int(parameter[3:]), int(instance)


def instances(sets: list[str], every: int, names: list[str]) -> list[tuple[str, Path, int]]:
    chosen = []
    for set_name in sets:
        folder, suffix, optima_file = SETS[set_name]
        optima = read_optima(DATA / optima_file)
        files = sorted((DATA / folder).glob(f"*{suffix}"), key=lambda p: _key(p.stem))
        for index, path in enumerate(files):
            if (names and path.stem in names) or (not names and index % every == 0):
                chosen.append((path.stem, path, optima[path.stem]))
    return chosen


def run_one(task: tuple[str, Path, int, float, str, bool, int]) -> Row:
    name, path, optimum, limit, solver, cpsat, seed = task
    problem = to_problem(read_instance(path))
    objective = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
    settings = SolverSettings(
        name=SolverName(solver), time_limit=limit, gap=0.0, threads=1, random_seed=seed
    )
    result = solve(problem, objective, settings)
    makespan = result.objective
    if result.status is Status.OPTIMAL:
        match = "yes" if round(makespan or -1) == optimum else "MISMATCH"
    elif makespan is not None:
        match = "unproven, equal" if round(makespan) == optimum else "unproven"
    else:
        match = "no plan"
    row = Row(
        name,
        seed,
        result.solver,
        result.status.value,
        makespan,
        optimum,
        match,
        result.warm_start_value,
        result.variables,
        round(result.build_seconds, 3),
        round(result.solve_seconds, 3),
    )
    if cpsat:
        from cpsat_rcpsp import solve_cpsat

        row.cpsat_status, row.cpsat_makespan, row.cpsat_seconds = solve_cpsat(path, limit, seed)
    return row


def summarise(rows: list[Row], cpsat: bool) -> None:
    proven = [r for r in rows if r.status == Status.OPTIMAL.value]
    matching = [r for r in proven if r.match == "yes"]
    mismatches = [r for r in rows if r.match == "MISMATCH"]
    times = sorted(r.build_seconds + r.solve_seconds for r in rows)
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    print(f"instances: {len(rows)}")
    print(f"proven optimal: {len(proven)}; matching the known optimum: {len(matching)}")
    print(f"MISMATCHES (bugs): {len(mismatches)} {[r.instance for r in mismatches]}")
    unproven = [r for r in rows if r.status != Status.OPTIMAL.value]
    print(
        "not proven: "
        + ", ".join(
            f"{r.instance} ({r.status}, {r.makespan} vs {r.optimum})" for r in unproven[:20]
        )
        + (" ..." if len(unproven) > 20 else "")
    )
    print(
        f"seqopt time per instance (build + solve): median {statistics.median(times):.2f} s, "
        f"p90 {p90:.2f} s, max {times[-1]:.2f} s, total {sum(times):.1f} s"
    )
    hardest = sorted(rows, key=lambda r: -(r.build_seconds + r.solve_seconds))[:3]
    print(
        "hardest: "
        + ", ".join(f"{r.instance} {r.build_seconds + r.solve_seconds:.1f} s" for r in hardest)
    )
    if cpsat:
        ctimes = sorted(r.cpsat_seconds or 0.0 for r in rows)
        cproven = sum(1 for r in rows if r.cpsat_status == "OPTIMAL")
        wrong = [
            f"{r.instance} seed {r.seed}: {r.cpsat_makespan}"
            for r in rows
            if r.cpsat_status == "OPTIMAL" and round(r.cpsat_makespan or -1) != r.optimum
        ]
        print(f"textbook CP-SAT model: answers called optimal that are not: {len(wrong)} {wrong}")
        print(
            f"CP-SAT: proven {cproven}; median {statistics.median(ctimes):.3f} s, "
            f"total {sum(ctimes):.1f} s; seqopt/CP-SAT total time ratio "
            f"{sum(times) / max(sum(ctimes), 1e-9):.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", dest="sets", nargs="+", default=["j30"], choices=sorted(SETS))
    parser.add_argument("--every", type=int, default=1, help="take every N-th instance")
    parser.add_argument(
        "--instances", nargs="*", default=[], help="instance names instead of a sample"
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--solver", default="auto", choices=[s.value for s in SolverName])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="solver random seeds")
    parser.add_argument(
        "--jobs", type=int, default=1, help="instances solved at once (1 for clean timings)"
    )
    parser.add_argument(
        "--cpsat", action="store_true", help="also run the textbook CP-SAT model (reference)"
    )
    args = parser.parse_args()
    sets = args.sets
    if args.instances:
        sets = sorted(
            {next(k for k, v in SETS.items() if n.startswith(k[:3])) for n in args.instances}
        )
    chosen = instances(sets, args.every, args.instances)
    tasks = [
        (n, p, o, args.time_limit, args.solver, args.cpsat, seed)
        for seed in args.seeds
        for n, p, o in chosen
    ]
    results_dir = ROOT / "benchmarks" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"psplib_{'_'.join(sets)}_{time.strftime('%Y%m%d_%H%M%S')}.csv"
    rows: list[Row] = []
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(asdict(Row("", 0, "", "", None, 0, "", None, 0, 0, 0)))
        )
        writer.writeheader()
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for row in pool.map(run_one, tasks):
                rows.append(row)
                writer.writerow(asdict(row))
                handle.flush()
                print(
                    f"{row.instance:>10} s{row.seed} {row.engine:>6} {row.status:>9} "
                    f"{row.makespan!s:>6} opt {row.optimum:>4} "
                    f"{row.match:>16} {row.build_seconds + row.solve_seconds:7.2f} s"
                    + (
                        f"  cp-sat {row.cpsat_status} {row.cpsat_makespan} "
                        f"{row.cpsat_seconds:.2f} s"
                        if args.cpsat
                        else ""
                    ),
                    flush=True,
                )
    print(f"wrote {out}")
    summarise(rows, args.cpsat)


if __name__ == "__main__":
    main()
