"""Benchmark the core solve: the reference model and seeded synthetic models.

Prints, per model: build seconds, solve seconds, status, value, proven bound and
gap. The reference model is solved several times and the median reported
(this machine is noisy); synthetic models once per seed under a time limit.

    python benchmarks/core.py                      # everything, 60 s per synthetic solve
    python benchmarks/core.py --sizes 20 50 --seeds 1 2 3 --time-limit 60
    python benchmarks/core.py --only reference --repeat 9
    python benchmarks/core.py --only synthetic --sizes 20 50 100 --repeated   # small-model settings

The LP column is the bound of the integer program's linear relaxation (as built,
before HiGHS's presolve and cuts): how much the formulation leaves to branching.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from seqopt.data import Problem
from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.io.scenario_files import load_problem
from seqopt.milp import build_into
from seqopt.settings import SolverSettings, read_model_file
from seqopt.solve import solve
from seqopt.solvers.highs import new_highs
from seqopt.solvers.highs_arrays import ArraySink

ROOT = Path(__file__).resolve().parent.parent


def reference(repeat: int) -> None:
    model = read_model_file(ROOT / "models" / "japan_rok.toml")
    problem = load_problem(model)
    builds, solves = [], []
    for _ in range(repeat):
        result = solve(problem, model.objective, model.solver)
        builds.append(result.build_seconds)
        solves.append(result.solve_seconds)
    print(
        f"reference japan_rok: status {result.status.value}, value {result.objective:.4f}, "
        f"{result.variables} vars, {result.constraints} rows; median build "
        f"{statistics.median(builds):.3f} s, median solve {statistics.median(solves):.3f} s "
        f"(min {min(solves):.3f}, max {max(solves):.3f}, n={repeat})"
    )
    walls = []
    for _ in range(max(3, repeat // 3)):
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "seqopt",
                "solve",
                str(ROOT / "models" / "japan_rok.toml"),
                "--quiet",
                "--out",
                str(ROOT / "reports" / "benchmark_japan_rok"),
            ],
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - started)
    median = statistics.median(walls)
    print(f"reference end-to-end 'seqopt solve' wall: median {median:.2f} s (n={len(walls)})")


def lp_bound(problem: Problem) -> float:
    """The optimum of the linear relaxation of the integer program as built."""
    sink = ArraySink()
    built = build_into(problem, SYNTHETIC_OBJECTIVE, sink)
    highs = new_highs(SolverSettings())
    highs.passModel(sink.highs_lp(built.primary, True))
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    return float(highs.getInfo().objective_function_value)


def synthetic(
    sizes: list[int],
    scopes: int,
    periods: int,
    seeds: list[int],
    limit: float,
    warm: bool,
    repeated: bool,
) -> None:
    print(
        f"synthetic N x {scopes} x {periods}, HiGHS 1 thread, {limit:g} s limit, warm start {warm}"
        f", {'repeated-solve' if repeated else 'default'} search settings"
    )
    print(
        f"{'size':>5} {'seed':>4} {'vars':>6} {'rows':>6} {'build s':>8} {'solve s':>8} "
        f"{'status':>10} {'value':>10} {'bound':>10} {'gap %':>7} {'LP':>10} {'greedy':>10}"
    )
    for size in sizes:
        for seed in seeds:
            problem = synthetic_problem(size, scopes, periods, seed)
            settings = SolverSettings(time_limit=limit, warm_start=warm)
            result = solve(problem, SYNTHETIC_OBJECTIVE, settings, repeated=repeated)
            gap = f"{100 * result.gap:.3f}" if result.gap is not None else "n/a"
            greedy = (
                f"{result.warm_start_value:.1f}" if result.warm_start_value is not None else "n/a"
            )
            print(
                f"{size:>5} {seed:>4} {result.variables:>6} {result.constraints:>6} "
                f"{result.build_seconds:>8.2f} {result.solve_seconds:>8.2f} "
                f"{result.status.value:>10} "
                f"{result.objective or 0:>10.1f} {result.bound or 0:>10.1f} {gap:>7} "
                f"{lp_bound(problem):>10.1f} {greedy:>10}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["reference", "synthetic"])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--scopes", type=int, default=3)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--no-warm-start", action="store_true")
    parser.add_argument(
        "--repeated", action="store_true", help="the search settings of repeated solves"
    )
    args = parser.parse_args()
    if args.only in (None, "reference"):
        reference(args.repeat)
    if args.only in (None, "synthetic"):
        synthetic(
            args.sizes,
            args.scopes,
            args.periods,
            args.seeds,
            args.time_limit,
            not args.no_warm_start,
            args.repeated,
        )


if __name__ == "__main__":
    main()
