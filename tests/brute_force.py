"""Exhaustive search over every schedule of a tiny problem, scored by the evaluator."""

from __future__ import annotations

from itertools import combinations, product

from seqopt.data import Force, Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings


def measure_options(problem: Problem) -> list[list[Assignment | None]]:
    """Every way to do each measure: not at all, or any scope starting in any period."""
    options = []
    for measure in problem.measures:
        choices: list[Assignment | None] = [None]
        for scope in measure.scopes:
            for start in range(problem.horizon - scope.length + 1):
                choices.append(Assignment(measure.id, scope.id, start))
        options.append(choices)
    return options


def lever_options(problem: Problem) -> list[list[tuple[LeverUse, ...]]]:
    """Every set of periods in which each lever could be used, up to its limit."""
    options = []
    for lever in problem.levers:
        sets: list[tuple[LeverUse, ...]] = []
        for k in range(lever.max_uses + 1):
            for periods in combinations(range(problem.horizon), k):
                sets.append(tuple(LeverUse(lever.id, t) for t in periods))
        options.append(sets)
    return options


def best_plan(problem: Problem, objective: ObjectiveSettings) -> Evaluation | None:
    """The best feasible plan by exhaustive enumeration, or ``None`` when none is feasible."""
    maximise = objective.kind is ObjectiveKind.VALUE
    best: Evaluation | None = None
    lever_sets = list(product(*lever_options(problem)))
    for measures in product(*measure_options(problem)):
        assignments = [a for a in measures if a is not None]
        if any(
            m.force is Force.IN and all(a.measure != m.id for a in assignments)
            for m in problem.measures
        ):
            continue  # cannot be feasible, whatever the levers do; skip for speed
        for levers in lever_sets:
            plan = Plan.of(assignments, [u for group in levers for u in group])
            result = evaluate(problem, plan, objective)
            if not result.feasible:
                continue
            if best is None or (
                result.objective > best.objective if maximise else result.objective < best.objective
            ):
                best = result
    return best
