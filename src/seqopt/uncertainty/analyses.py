"""The three analyses the command line runs: simulate, sensitivity and the robust plan.

Each takes a model and its problem, solves the base model first (its plan is
what the analyses judge), and returns JSON-ready documents; writing them is
left to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqopt import __version__
from seqopt.data import Problem
from seqopt.outputs import fingerprint
from seqopt.plan import Plan
from seqopt.settings import ModelFile, ObjectiveKind
from seqopt.solve import SolveResult, solve
from seqopt.uncertainty.estimates import Site, sites, with_values
from seqopt.uncertainty.results import distribution, simulation_document
from seqopt.uncertainty.robust import RiskMeasure, Robust, Score, risk, robust_plan, score
from seqopt.uncertainty.sampling import Samples, draw, with_events
from seqopt.uncertainty.scenarios import Job, Outcome, run_scenarios
from seqopt.uncertainty.sensitivity import break_evens, sensitivity_document, swings, tornado

Progress = Callable[[int], None]

ROBUST_SCHEMA = "seqopt.robust/1"


@dataclass(frozen=True)
class Simulation:
    """A simulation run: the base solve, the samples, every scenario and the summary."""

    base: SolveResult
    sites: tuple[Site, ...]
    samples: Samples
    outcomes: tuple[Outcome, ...]
    document: dict[str, Any]


def simulate(
    problem: Problem,
    model: ModelFile,
    count: int,
    seed: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    base: SolveResult | None = None,
    done: Progress | None = None,
) -> Simulation:
    """Draw ``count`` scenarios from ``seed`` and solve each; summarise against the base plan.

    Each scenario draws every estimate from its range and, for every random
    event, whether it happens in each period of its window.
    """
    base = base if base is not None else solve(problem, model.objective, model.solver)
    found = sites(problem)
    samples = with_events(draw(found, count, seed), problem)
    job = Job(problem, model.objective, model.solver, base.plan, samples.paths)
    outcomes = run_scenarios(
        job, samples.values.tolist(), workers=workers, scheduler=scheduler, done=done
    )
    document = simulation_document(
        problem, model, found, samples, outcomes, base.objective, fingerprint(model.input)
    )
    return Simulation(base, found, samples, tuple(outcomes), document)


def sensitivity(
    problem: Problem,
    model: ModelFile,
    *,
    break_even: int = 5,
    workers: int = 1,
    scheduler: str | None = None,
    base: SolveResult | None = None,
    done: Progress | None = None,
) -> dict[str, Any]:
    """Tornado of one-at-a-time swings and break-even values, as ``sensitivity.json`` holds them.

    Raises
    ------
    ValueError
        When the base model has no plan to compare against.
    """
    base = base if base is not None else solve(problem, model.objective, model.solver)
    if base.plan is None or base.objective is None:
        raise ValueError(f"the base model has no plan ({base.status.value})")
    found = sites(problem)
    job = Job(problem, model.objective, model.solver, base.plan, tuple(s.path for s in found))
    ordered = tornado(
        swings(job, found, base.plan, workers=workers, scheduler=scheduler, done=done),
        base.objective,
    )
    thresholds = break_evens(job, ordered, break_even, workers=workers, scheduler=scheduler)
    return sensitivity_document(
        problem, model, base.objective, ordered, thresholds, fingerprint(model.input)
    )


@dataclass(frozen=True)
class RobustRun:
    """A robust plan, the base plan, and both scored in and out of sample."""

    base: SolveResult
    robust: Robust
    in_sample: dict[str, Score]
    out_of_sample: dict[str, Score]
    document: dict[str, Any]


def robust(
    problem: Problem,
    model: ModelFile,
    count: int,
    measure: RiskMeasure,
    level: float,
    seed: int,
    check: int,
    base: SolveResult | None = None,
) -> RobustRun:
    """The robust plan over ``count`` scenarios, compared with the base plan on ``check`` others.

    The fresh sample is drawn from another stream (``seed + 1``), independent of
    the one the plan was chosen on.
    """
    base = base if base is not None else solve(problem, model.objective, model.solver)
    found = sites(problem)
    saa = with_events(draw(found, count, seed), problem)
    fresh = with_events(draw(found, check, seed + 1), problem)
    chosen_on = [with_values(problem, saa.scenario(k)) for k in range(count)]
    checked_on = [with_values(problem, fresh.scenario(k)) for k in range(check)]
    result = robust_plan(chosen_on, model.objective, model.solver, measure, level, base.plan)
    plans = {"robust": result.plan, "base": base.plan}
    in_sample = {n: score(p, chosen_on, model.objective) for n, p in plans.items() if p}
    out_of_sample = {n: score(p, checked_on, model.objective) for n, p in plans.items() if p}
    maximise = model.objective.kind is ObjectiveKind.VALUE
    document = {
        "schema": ROBUST_SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": fingerprint(model.input)},
        "objective": {"kind": model.objective.kind.value},
        "risk_measure": measure.value,
        "cvar_level": level if measure is RiskMeasure.CVAR else None,
        "seed": seed,
        "scenarios": count,
        "check_scenarios": check,
        "check_seed": seed + 1,
        "status": result.status.value,
        "value": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "notes": list(result.notes),
        "plan": plan_summary(problem, result.plan),
        "base_plan": plan_summary(problem, base.plan),
        "base_value": base.objective,
        "in_sample": {n: _scored(s, measure, level, maximise) for n, s in in_sample.items()},
        "out_of_sample": {
            n: _scored(s, measure, level, maximise) for n, s in out_of_sample.items()
        },
    }
    return RobustRun(base, result, in_sample, out_of_sample, document)


def plan_summary(problem: Problem, plan: Plan | None) -> dict[str, Any] | None:
    """A plan as JSON: its schedule, lever uses and widenings, with names and period labels."""
    if plan is None:
        return None
    labels = problem.periods
    return {
        "schedule": [
            {
                "measure": a.measure,
                "measure_name": problem.measure_by_id[a.measure].name,
                "scope": a.scope,
                "scope_name": problem.scope(a.measure, a.scope).name,
                "start": labels[a.start],
            }
            for a in sorted(plan.assignments, key=lambda a: (a.start, a.measure))
        ],
        "lever_uses": [
            {
                "lever": u.lever,
                "lever_name": problem.lever_by_id[u.lever].name,
                "period": labels[u.period],
            }
            for u in plan.lever_uses
        ],
        "upgrades": [
            {
                "measure": u.measure,
                "measure_name": problem.measure_by_id[u.measure].name,
                "scope": u.scope,
                "scope_name": problem.scope(u.measure, u.scope).name,
                "start": labels[u.start],
            }
            for u in plan.upgrades
        ],
    }


def _scored(found: Score, measure: RiskMeasure, level: float, maximise: bool) -> dict[str, Any]:
    values = [v for v in found.values if v is not None]
    count = len(found.values)
    return {
        "scenarios": count,
        "feasible": found.feasible,
        "broken_share": (count - found.feasible) / count if count else 0.0,
        "value_where_feasible": distribution(values),
        "risk_where_feasible": risk(values, measure, level, maximise) if values else None,
        "rules": [
            {"rule": rule, "scenarios": n}
            for rule, n in sorted(found.rules().items(), key=lambda item: (-item[1], item[0]))
        ],
    }
