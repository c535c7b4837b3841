r"""Repeated value solves of the reference model: where HiGHS's time goes, under each setting.

Runs the analyses that solve one model many times with small changes, records
every solve they ask of the back end (the variant, its starting plan), then
replays each recorded solve on HiGHS (arrays) under several search settings,
interleaved, one thread:

- ``defaults``: HiGHS's own settings, with the analysis's starting plan;
- ``repeated``: :data:`seqopt.solvers.highs.REPEATED_OPTIONS` with the start
  (what seqopt did before ``WITH_START_OPTIONS``);
- ``seqopt``: what seqopt does now (:func:`seqopt.solvers.highs.search_options`);
- ``cold``: the ``seqopt`` settings without any start;
- ``optimal start``: the ``seqopt`` settings from the variant's optimal plan (the
  most any primal search could give).

For each it prints the median and mean seconds of HiGHS, the median time until
HiGHS holds a plan of the optimal value ("first optimal incumbent"; 0 when the
start already is one), and the median nodes. The machine may be shared: read
the ratios within one run.

    python benchmarks/repeated.py                        # simulate 30, sensitivity, explain
    python benchmarks/repeated.py --analyses simulate --samples 60
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from seqopt.explain.counterfactual import price_of_forcing, what_it_takes
from seqopt.io.scenario_files import load_problem
from seqopt.milp import build_into
from seqopt.settings import read_model_file
from seqopt.solve import solve
from seqopt.solvers import engines
from seqopt.solvers.backend import Request, start_values
from seqopt.solvers.highs import REPEATED_OPTIONS, new_highs, search_options
from seqopt.solvers.highs_arrays import ArraySink
from seqopt.uncertainty.estimates import sites
from seqopt.uncertainty.sampling import draw
from seqopt.uncertainty.scenarios import Job, run_scenarios
from seqopt.uncertainty.sensitivity import swings

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Replay:
    seconds: float
    first_optimal: float
    nodes: int


def record(action: Callable[[], object]) -> list[Request]:
    """Every request the action sends to a back end (it runs normally meanwhile)."""
    seen: list[Request] = []
    original = engines.run

    def spy(engine: Any, request: Request) -> Any:
        seen.append(request)
        return original(engine, request)

    engines.run = spy  # type: ignore[assignment]
    try:
        action()
    finally:
        engines.run = original  # type: ignore[assignment]
    return seen


def replay(request: Request, options: dict[str, Any], start: Any, optimum: float) -> Replay:
    sink = ArraySink()
    built = build_into(request.problem, request.objective, sink)
    highs = new_highs(request.settings, options)
    highs.passModel(sink.highs_lp(built.primary, request.maximise))
    if start is not None:
        pairs = start_values(built, start)
        if pairs:
            index = np.array([v.index for v, _ in pairs], dtype=np.int32)
            highs.setSolution(len(pairs), index, np.array([x for _, x in pairs]))
    found: list[float] = []
    began = time.perf_counter()

    def improving(event: Any) -> None:
        value = float(event.data_out.objective_function_value)
        if not found and abs(value - optimum) <= 1e-6 * max(1.0, abs(optimum)):
            found.append(time.perf_counter() - began)

    highs.cbMipImprovingSolution += improving
    highs.run()
    seconds = time.perf_counter() - began
    value = float(highs.getInfo().objective_function_value)
    if start is not None and not found and abs(value - optimum) <= 1e-6 * max(1.0, abs(optimum)):
        found.append(0.0)  # the start was already optimal: no improving solution to report
    return Replay(seconds, found[0] if found else seconds, int(highs.getInfo().mip_node_count))


def compare(name: str, requests: list[Request]) -> None:
    settings_of = {
        "defaults": lambda r, s: {},
        "repeated": lambda r, s: dict(REPEATED_OPTIONS),
        "seqopt": lambda r, s: dict(search_options(True, s is not None)),
        "cold": lambda r, s: dict(search_options(True, False)),
        "optimal start": lambda r, s: dict(search_options(True, True)),
    }
    results: dict[str, list[Replay]] = {k: [] for k in settings_of}
    for request in requests:
        exact = solve(request.problem, request.objective, replace(request.settings, gap=0.0))
        if exact.objective is None or exact.plan is None:
            continue
        for label, options in settings_of.items():
            start = {"cold": None, "optimal start": exact.plan}.get(label, request.start)
            results[label].append(replay(request, options(request, start), start, exact.objective))
    count = len(results["seqopt"])
    print(f"\n{name}: {count} solves ({len(requests)} recorded)")
    for label, rows in results.items():
        seconds = [r.seconds for r in rows]
        print(
            f"  {label:>14}: median {statistics.median(seconds):.3f} s, mean "
            f"{statistics.mean(seconds):.3f} s; first optimal incumbent median "
            f"{statistics.median(r.first_optimal for r in rows):.3f} s; nodes median "
            f"{statistics.median(r.nodes for r in rows):.0f}"
        )
    base = [r.seconds for r in results["repeated"]]
    for label in ("defaults", "seqopt", "optimal start"):
        ratios = [r.seconds / b for r, b in zip(results[label], base, strict=True)]
        print(f"  median ratio {label} / repeated: {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", nargs="+", default=["simulate", "sensitivity", "explain"])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = read_model_file(ROOT / "models" / "japan_rok.toml")
    problem = load_problem(model)
    base = solve(problem, model.objective, model.solver)
    assert base.evaluation is not None and base.plan is not None
    if "simulate" in args.analyses:
        found = sites(problem)
        samples = draw(found, args.samples, args.seed)
        job = Job(problem, model.objective, model.solver, base.plan, samples.paths)
        rows = samples.values.tolist()
        compare("simulate", record(lambda: run_scenarios(job, rows)))
    if "sensitivity" in args.analyses:
        found = sites(problem)
        job = Job(problem, model.objective, model.solver, base.plan, tuple(s.path for s in found))
        compare("sensitivity swings", record(lambda: swings(job, found, base.plan)))
    if "explain" in args.analyses:
        evaluation = base.evaluation

        def explain() -> None:
            for measure in problem.measures:
                price_of_forcing(problem, model.objective, model.solver, evaluation, measure.id)
                if base.plan is not None and base.plan.assignment(measure.id) is None:
                    what_it_takes(problem, model.objective, model.solver, measure.id)

        compare("explain counterfactuals", record(explain))


if __name__ == "__main__":
    main()
