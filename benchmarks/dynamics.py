"""Benchmark the policy dynamics: the reference model with its dynamics, against it without them.

Prints, per model: status, value, variables and rows, and the median build and
solve seconds over ``--repeat`` solves; the two reference models are solved in
turn (interleaved), so that the machine's noise falls on both alike, and the
ratio of the medians is printed. Then seeded synthetic models with and without
``--dynamics`` (``seqopt generate --dynamics``), once per seed under a time limit.

    python benchmarks/dynamics.py                      # reference (9 each) and synthetic
    python benchmarks/dynamics.py --only reference --repeat 15
    python benchmarks/dynamics.py --only synthetic --sizes 20 --periods 24 --seeds 1 2 3

The reference model (``models/japan_rok.toml``) uses the dynamics itself (GSOMIA's
staged scope and yearly renewal, random events, the GSOMIA–TISA overlap, backlash for
signing in secret); "without" is the same problem with all five taken out (no
upgrades, no renewal, no events, no substitutes, no backlash).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from seqopt.data import (
    CauseKind,
    Estimate,
    Problem,
)
from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.io.scenario_files import load_problem
from seqopt.settings import ObjectiveSettings, SolverSettings, read_model_file
from seqopt.solve import SolveResult, solve

ROOT = Path(__file__).resolve().parent.parent


def e(value: float) -> Estimate:
    return Estimate.exact(value)


def without_dynamics(problem: Problem) -> Problem:
    """The problem with the five policy dynamics taken out (the core model only)."""
    measures = tuple(
        replace(m, upgrades=(), renew_every=None, maintain=()) for m in problem.measures
    )
    effects = tuple(e for e in problem.effects if e.cause_kind is not CauseKind.EVENT)
    return replace(
        problem,
        measures=measures,
        effects=effects,
        events=(),
        capacity_shifts=(),
        substitutes=(),
        backlashes=(),
        name=f"{problem.name}_without_dynamics",
    )


def _dynamics_used(result: SolveResult) -> str:
    """What the plan does with the dynamics, in a line."""
    evaluation = result.evaluation
    assert evaluation is not None
    parts = [f"widens {u.measure} to {u.scope} from t={u.start}" for u in evaluation.upgrades]
    parts += [f"{r.measure} lapses after t={r.period}" for r in evaluation.lapses]
    kept = [r for r in evaluation.reviews if r.passed]
    parts.append(f"{len(kept)} reviews passed")
    parts += [f"backlash against {b.measure}" for b in evaluation.backlashes]
    parts += [f"overlap {o.measure}/{o.other} {o.value:.2f}" for o in evaluation.overlaps]
    parts.append(f"{len(evaluation.happenings)} event happenings counted")
    return "plan: " + "; ".join(parts)


def _timed(problem: Problem, objective: ObjectiveSettings, solver: SolverSettings) -> SolveResult:
    return solve(problem, objective, solver)


def reference(repeat: int) -> None:
    model = read_model_file(ROOT / "models" / "japan_rok.toml")
    dynamic = load_problem(model)
    core = without_dynamics(dynamic)
    runs: dict[str, list[SolveResult]] = {"without": [], "dynamics": []}
    for _ in range(repeat):
        runs["without"].append(_timed(core, model.objective, model.solver))
        runs["dynamics"].append(_timed(dynamic, model.objective, model.solver))
    medians = {}
    for name, results in runs.items():
        last = results[-1]
        solves = [r.solve_seconds for r in results]
        builds = [r.build_seconds for r in results]
        medians[name] = statistics.median(solves) + statistics.median(builds)
        print(
            f"reference {name}: status {last.status.value}, value {last.objective:.4f}, "
            f"{last.variables} vars, {last.constraints} rows; median build "
            f"{statistics.median(builds):.3f} s, median solve {statistics.median(solves):.3f} s "
            f"(min {min(solves):.3f}, max {max(solves):.3f}, n={repeat})"
        )
        if last.evaluation is not None and name == "dynamics":
            print(f"  {_dynamics_used(last)}")
    print(
        f"reference: build + solve with the dynamics / without = "
        f"{medians['dynamics'] / medians['without']:.2f} (medians, interleaved runs)"
    )


def synthetic(sizes: list[int], periods: int, seeds: list[int], time_limit: float) -> None:
    settings = SolverSettings(time_limit=time_limit)
    for size in sizes:
        for seed in seeds:
            for dynamics in (False, True):
                problem = synthetic_problem(size, 3, periods, seed, dynamics=dynamics)
                started = time.perf_counter()
                result = solve(problem, SYNTHETIC_OBJECTIVE, settings)
                wall = time.perf_counter() - started
                gap = f"{100 * result.gap:.2f} %" if result.gap is not None else "n/a"
                value = f"{result.objective:.2f}" if result.objective is not None else "n/a"
                print(
                    f"synthetic {size}x3x{periods} seed {seed} "
                    f"{'with' if dynamics else 'without'} dynamics: {result.status.value}, "
                    f"value {value}, gap {gap}, {result.variables} vars, "
                    f"{result.constraints} rows, {wall:.2f} s"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("reference", "synthetic"))
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20])
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    if args.only in (None, "reference"):
        reference(args.repeat)
    if args.only in (None, "synthetic"):
        synthetic(args.sizes, args.periods, args.seeds, args.time_limit)


if __name__ == "__main__":
    main()
