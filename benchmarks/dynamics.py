"""Benchmark the policy dynamics: the reference model with all five in use, against today's.

Prints, per model: status, value, variables and rows, and the median build and
solve seconds over ``--repeat`` solves; the two reference models are solved in
turn (interleaved), so that the machine's noise falls on both alike, and the
ratio of the medians is printed. Then seeded synthetic models with and without
``--dynamics`` (``seqopt generate --dynamics``), once per seed under a time limit.

    python benchmarks/dynamics.py                      # reference (9 each) and synthetic
    python benchmarks/dynamics.py --only reference --repeat 15
    python benchmarks/dynamics.py --only synthetic --sizes 20 --periods 24 --seeds 1 2 3

The reference model with the dynamics is ``models/japan_rok.toml`` with, on top
(numbers illustrative, for the benchmark only; the reference model's own use of
the dynamics is another issue):

- GSOMIA can be widened from North Korea only to the full text (one quarter, a
  lag of one quarter, the full text's resources, Korean support on GSOMIA 65);
- GSOMIA renews every four quarters (GSOMIA Article 21) and must keep Korean
  support on GSOMIA at 55 and acceptance of cooperation at 42;
- a scheduled event (a court ruling, 2015Q3) lowers acceptance of cooperation by 3
  (decay 0.3) and takes a point of political capital for that quarter; a random
  North Korean provocation (probability 0.1 per quarter) raises support on GSOMIA by
  3 (decay 0.5), counted by its expected value;
- missile-defence sharing via the United States overlaps GSOMIA by 2 value units a
  quarter while both are in force;
- signing GSOMIA without negotiating publicly and transparently costs 4 points of
  Korean support on GSOMIA (decay 0.25).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Effect,
    Estimate,
    Event,
    Gate,
    Problem,
    Substitute,
    Upgrade,
)
from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.io.reader import read_problem
from seqopt.settings import ObjectiveSettings, RandomEvents, SolverSettings, read_model_file
from seqopt.solve import SolveResult, solve

ROOT = Path(__file__).resolve().parent.parent


def e(value: float) -> Estimate:
    return Estimate.exact(value)


def with_dynamics(problem: Problem) -> Problem:
    """The reference problem with all five dynamics in use (see the module docstring)."""
    labels = problem.periods
    gsomia = problem.measure_by_id["gsomia"]
    full = gsomia.scope("full")
    upgrade = Upgrade(
        "narrow",
        "full",
        e(1),
        0,
        problem.horizon - 1,
        lag=1,
        use=dict(full.use),
        gates=(*(g for g in full.gates if g.series != "kr_gsomia"), Gate("kr_gsomia", e(65))),
    )
    renewing = replace(
        gsomia,
        upgrades=(upgrade,),
        renew_every=4,
        maintain=(Gate("kr_gsomia", e(55)), Gate("kr_coop", e(42))),
    )
    measures = tuple(renewing if m.id == "gsomia" else m for m in problem.measures)
    ruling = Event("ruling", "Court ruling", periods=(labels.index("2015Q3"),))
    provocation = Event("provocation", "North Korean provocation", probability=e(0.1))
    effects = (
        *problem.effects,
        Effect(CauseKind.EVENT, "ruling", "kr_coop", e(-3), 0, e(0.3)),
        Effect(CauseKind.EVENT, "provocation", "kr_gsomia", e(3), 0, e(0.5)),
    )
    return replace(
        problem,
        measures=measures,
        effects=effects,
        events=(ruling, provocation),
        capacity_shifts=(CapacityShift("ruling", "capital", e(-1), 0, e(1.0)),),
        substitutes=(Substitute("gsomia", "missile_defense", e(2)),),
        backlashes=(Backlash("gsomia", "transparent_talks", "kr_gsomia", e(-4), 0, e(0.25)),),
        name="japan_rok_dynamics",
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
    today = read_problem(model.input)
    dynamic = with_dynamics(today)
    expected = replace(model.objective, random_events=RandomEvents.EXPECTED)
    runs: dict[str, list[SolveResult]] = {"today": [], "dynamics": []}
    for _ in range(repeat):
        runs["today"].append(_timed(today, model.objective, model.solver))
        runs["dynamics"].append(_timed(dynamic, expected, model.solver))
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
        f"{medians['dynamics'] / medians['today']:.2f} (medians, interleaved runs)"
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
