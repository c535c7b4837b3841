r"""Benchmark simulations of the reference model: scenarios per second, locally and on Dask.

Prints, for the same scenarios (same seed):

- naive rebuild-and-solve: ``seqopt.solve.solve()`` on each scenario's problem, in one
  process (on the first ``--naive-samples`` scenarios);
- the simulation engine with 1 and 2 local worker processes;
- the same on a Dask LocalCluster with 1 and 2 workers;

and checks that every run gives identical outcomes. The machine may be shared
with other work: read the ratios, and run again when in doubt.

    python benchmarks/uncertainty.py                  # 1,000 scenarios
    python benchmarks/uncertainty.py --samples 100    # a quick run
    python benchmarks/uncertainty.py --skip-dask --skip-naive
    python benchmarks/uncertainty.py --samples 100 --effort-samples 100 \
        --skip-local --skip-dask --skip-naive   # how much search a scenario needs
    python benchmarks/uncertainty.py --samples 200 --skip-local --skip-naive   # Dask only
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from seqopt.data import Problem
from seqopt.io.scenario_files import load_problem
from seqopt.milp import build_into
from seqopt.plan import Plan
from seqopt.settings import ModelFile, ObjectiveKind, read_model_file
from seqopt.solve import solve
from seqopt.solvers.highs import REPEATED_OPTIONS, new_highs
from seqopt.solvers.highs_arrays import ArraySink
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.sampling import Samples, draw
from seqopt.uncertainty.scenarios import Job, Outcome, run_scenarios

ROOT = Path(__file__).resolve().parent.parent


def timed_run(job: Job, rows: list[list[float]], **where: object) -> tuple[float, list[Outcome]]:
    started = time.perf_counter()
    outcomes = run_scenarios(job, rows, **where)  # type: ignore[arg-type]
    return time.perf_counter() - started, outcomes


def phases(
    problem: Problem, model: ModelFile, samples: Samples, plan: Plan | None, count: int
) -> None:
    """Where a scenario's time goes: building the arrays against the whole fast solve."""
    builds, solves = [], []
    for k in range(count):
        scenario = with_values(problem, samples.scenario(k))
        started = time.perf_counter()
        build_into(scenario, model.objective, ArraySink())
        builds.append(time.perf_counter() - started)
        started = time.perf_counter()
        solve(
            scenario,
            model.objective,
            model.solver,
            [plan] if plan else [],
            repeated=True,
        )
        solves.append(time.perf_counter() - started)
    print(
        f"per scenario on {count} scenarios: building the model's arrays median "
        f"{1000 * statistics.median(builds):.1f} ms; the whole fast solve (build, HiGHS, checks) "
        f"median {statistics.median(solves):.3f} s, mean {statistics.mean(solves):.3f} s"
    )


def search_effort(problem: Problem, model: ModelFile, samples: Samples, count: int) -> None:
    """How much branch and bound a scenario needs, against the floor of one HiGHS MIP run.

    Runs HiGHS (the engine's options, no start) on each scenario's arrays and, on
    the same arrays without integrality, the LP relaxation. Scenarios HiGHS solves
    at the root node show the least a MIP run costs on this model.
    """
    mips, lps, nodes, root = [], [], [], []
    for k in range(count):
        scenario = with_values(problem, samples.scenario(k))
        sink = ArraySink()
        built = build_into(scenario, model.objective, sink)
        maximise = model.objective.kind is ObjectiveKind.VALUE
        highs = new_highs(model.solver, REPEATED_OPTIONS)
        highs.passModel(sink.highs_lp(built.primary, maximise))
        started = time.perf_counter()
        highs.run()
        mips.append(time.perf_counter() - started)
        nodes.append(int(highs.getInfo().mip_node_count))
        if nodes[-1] <= 1:
            root.append(mips[-1])
        relaxation = sink.highs_lp(built.primary, maximise)
        relaxation.integrality_ = []
        highs = new_highs(model.solver, REPEATED_OPTIONS)
        highs.passModel(relaxation)
        started = time.perf_counter()
        highs.run()
        lps.append(time.perf_counter() - started)
    ordered = sorted(mips)
    print(
        f"HiGHS alone on {count} scenarios: MIP median {statistics.median(mips):.3f} s, "
        f"mean {statistics.mean(mips):.3f} s, p90 {ordered[int(0.9 * (count - 1))]:.3f} s; "
        f"nodes median {statistics.median(nodes):.0f}, max {max(nodes)}; LP relaxation "
        f"median {1000 * statistics.median(lps):.1f} ms"
    )
    if root:
        print(
            f"  solved at the root node: {len(root)} of {count}, their MIP run median "
            f"{statistics.median(root):.3f} s (min {min(root):.3f} s): at that floor, "
            f"1,000 scenarios on 2 workers would take {1000 * statistics.median(root) / 2:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--naive-samples", type=int, default=100)
    parser.add_argument("--phase-samples", type=int, default=30)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-phases", action="store_true")
    parser.add_argument(
        "--effort-samples", type=int, default=0, help="also measure HiGHS's search on this many"
    )
    args = parser.parse_args()

    model = read_model_file(ROOT / "models" / "japan_rok.toml")
    problem = load_problem(model)
    base = solve(problem, model.objective, model.solver)
    found = sites(problem)
    samples = draw(found, args.samples, args.seed)
    rows = samples.values.tolist()
    job = Job(problem, model.objective, model.solver, base.plan, samples.paths)
    print(
        f"reference model, {len(found)} uncertain estimates, {args.samples} scenarios "
        f"(seed {args.seed})"
    )
    rates: dict[str, float] = {}

    if not args.skip_naive:
        count = min(args.naive_samples, args.samples)
        times = []
        started = time.perf_counter()
        for k in range(count):
            t = time.perf_counter()
            solve(with_values(problem, samples.scenario(k)), model.objective, model.solver)
            times.append(time.perf_counter() - t)
        rates["naive solve(), 1 process"] = count / (time.perf_counter() - started)
        median, mean = statistics.median(times), statistics.mean(times)
        print(
            f"naive rebuild-and-solve on {count} scenarios: median {median:.3f} s, "
            f"mean {mean:.3f} s per scenario"
        )

    if not args.skip_phases:
        phases(problem, model, samples, base.plan, min(args.phase_samples, args.samples))

    if args.effort_samples:
        search_effort(problem, model, samples, min(args.effort_samples, args.samples))

    reference: list[Outcome] | None = None
    runs: list[tuple[str, dict[str, object]]] = []
    if not args.skip_local:
        runs += [
            ("engine, 1 local worker", {"workers": 1}),
            ("engine, 2 local workers", {"workers": 2}),
        ]
    if not args.skip_dask:
        runs += [
            ("Dask LocalCluster, 1 worker", {"workers": 1, "scheduler": "local"}),
            ("Dask LocalCluster, 2 workers", {"workers": 2, "scheduler": "local"}),
        ]
    for name, where in runs:
        seconds, outcomes = timed_run(job, rows, **where)
        rates[name] = args.samples / seconds
        same = (
            "" if reference is None else (" identical" if outcomes == reference else " DIFFERENT")
        )
        reference = reference if reference is not None else outcomes
        print(f"{name}: {seconds:.1f} s, {rates[name]:.2f} scenarios/s{same}", flush=True)

    print("\nscenarios per second")
    for name, rate in rates.items():
        print(f"  {name:32s} {rate:8.2f}")
    naive = rates.get("naive solve(), 1 process")
    one = rates.get("engine, 1 local worker")
    two = rates.get("engine, 2 local workers")
    if naive and one:
        print(f"engine (1 worker) over naive rebuild-and-solve: {one / naive:.2f}x")
    if naive and two:
        print(f"engine (2 workers) over naive rebuild-and-solve: {two / naive:.2f}x")
    if one and two:
        print(f"2 local workers over 1: {two / one:.2f}x")
    dask_one = rates.get("Dask LocalCluster, 1 worker")
    dask_two = rates.get("Dask LocalCluster, 2 workers")
    if dask_one and dask_two:
        print(f"Dask LocalCluster 2 workers over 1: {dask_two / dask_one:.2f}x")
    if two:
        print(f"1,000 scenarios at 2 local workers: {1000 / two:.0f} s")


if __name__ == "__main__":
    main()
