"""Exhaustive search over every schedule of a tiny problem, scored by the evaluator."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations, product

from seqopt.data import Force, Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.plan import Assignment, LeverUse, Plan, UpgradeStart
from seqopt.settings import ObjectiveKind, ObjectiveSettings

Option = tuple[Assignment, UpgradeStart | None] | None
"""How one measure is done: not at all, or a scope from a start, perhaps widened later."""


def measure_options(problem: Problem) -> list[list[Option]]:
    """Every way to do each measure: not at all, or any scope starting in any period.

    A measure with upgrades is also tried widened along each path from its
    scope, from every period the upgrade fits in the horizon.
    """
    options = []
    for measure in problem.measures:
        choices: list[Option] = [None]
        for scope in measure.scopes:
            for start in range(problem.horizon - scope.length + 1):
                signed = Assignment(measure.id, scope.id, start)
                choices.append((signed, None))
                for upgrade in measure.upgrades:
                    if upgrade.from_scope != scope.id:
                        continue
                    for later in range(start + scope.length, problem.horizon - upgrade.length + 1):
                        choices.append((signed, UpgradeStart(measure.id, upgrade.to_scope, later)))
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


def feasible_plans(problem: Problem, objective: ObjectiveSettings) -> Iterator[Evaluation]:
    """Every plan that breaks no rule, scored by the evaluator."""
    lever_sets = list(product(*lever_options(problem)))
    for measures in product(*measure_options(problem)):
        done = [option for option in measures if option is not None]
        assignments = [signed for signed, _ in done]
        upgrades = [widened for _, widened in done if widened is not None]
        if any(
            m.force is Force.IN and all(a.measure != m.id for a in assignments)
            for m in problem.measures
        ):
            continue  # cannot be feasible, whatever the levers do; skip for speed
        for levers in lever_sets:
            plan = Plan.of(assignments, [u for group in levers for u in group], upgrades)
            result = evaluate(problem, plan, objective)
            if result.feasible:
                yield result


def best_plan(problem: Problem, objective: ObjectiveSettings) -> Evaluation | None:
    """The best feasible plan by exhaustive enumeration, or ``None`` when none is feasible."""
    maximise = objective.kind is ObjectiveKind.VALUE
    best: Evaluation | None = None
    lever_sets = list(product(*lever_options(problem)))
    for measures in product(*measure_options(problem)):
        done = [option for option in measures if option is not None]
        assignments = [signed for signed, _ in done]
        upgrades = [widened for _, widened in done if widened is not None]
        if any(
            m.force is Force.IN and all(a.measure != m.id for a in assignments)
            for m in problem.measures
        ):
            continue  # cannot be feasible, whatever the levers do; skip for speed
        for levers in lever_sets:
            plan = Plan.of(assignments, [u for group in levers for u in group], upgrades)
            result = evaluate(problem, plan, objective)
            if not result.feasible:
                continue
            if best is None or (
                result.objective > best.objective if maximise else result.objective < best.objective
            ):
                best = result
    return best
