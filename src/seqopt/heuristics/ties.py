"""Break ties between equally good plans by a fixed rule, without the solver.

Solvers return one of several optimal plans, and which one depends on the
solver. Starting from the solver's plan, small moves that keep the plan
feasible and its value unchanged (or better) are applied while they make the
plan come earlier in this order: fewer actions, then earlier periods, then
earlier input order (of measures, scopes and levers). Every move is checked by
the evaluator. The moves: drop a lever use; use a lever one period earlier;
use an earlier-listed lever in the same period; start a measure one period
earlier; take an earlier-listed scope at the same start; drop an upgrade;
start an upgrade one period earlier.
"""

from __future__ import annotations

from collections.abc import Iterator

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.plan import Assignment, LeverUse, Plan, UpgradeStart
from seqopt.settings import ObjectiveKind, ObjectiveSettings

SAME_VALUE = 1e-9
"""Relative difference in value below which two plans count as equally good."""

MAX_PASSES = 50


def tie_key(problem: Problem, plan: Plan) -> tuple[int, int, int]:
    """The order among equally good plans: (actions, sum of periods, sum of input ranks)."""
    scope_rank = {(m.id, s.id): i for i, (m, s) in enumerate(problem.all_scopes())}
    lever_rank = {lever.id: i for i, lever in enumerate(problem.levers)}
    actions = len(plan.assignments) + len(plan.lever_uses) + len(plan.upgrades)
    periods = (
        sum(a.start for a in plan.assignments)
        + sum(u.period for u in plan.lever_uses)
        + sum(u.start for u in plan.upgrades)
    )
    ranks = (
        sum(scope_rank[(a.measure, a.scope)] for a in plan.assignments)
        + sum(lever_rank[u.lever] for u in plan.lever_uses)
        + sum(scope_rank[(u.measure, u.scope)] for u in plan.upgrades)
    )
    return actions, periods, ranks


def break_ties(problem: Problem, objective: ObjectiveSettings, plan: Plan) -> Plan:
    """Return the plan reached from ``plan`` by tie-breaking moves (``plan`` if none applies)."""
    current = evaluate(problem, plan, objective, sources=False)
    if not current.feasible:
        return plan
    for _ in range(MAX_PASSES):
        improved = False
        for candidate in _moves(problem, current.plan):
            trial = evaluate(problem, candidate, objective, sources=False)
            if _better(problem, objective, trial, current):
                current, improved = trial, True
                break
        if not improved:
            break
    return current.plan


def _better(
    problem: Problem, objective: ObjectiveSettings, trial: Evaluation, current: Evaluation
) -> bool:
    if not trial.feasible:
        return False
    scale = max(1.0, abs(current.objective))
    gain = trial.objective - current.objective
    if objective.kind is ObjectiveKind.MAKESPAN:
        gain = -gain
    if gain < -SAME_VALUE * scale:
        return False
    if gain > SAME_VALUE * scale:
        return True
    return tie_key(problem, trial.plan) < tie_key(problem, current.plan)


def _moves(problem: Problem, plan: Plan) -> Iterator[Plan]:
    uses = list(plan.lever_uses)
    widened = plan.upgrades
    for i, use in enumerate(uses):
        others = uses[:i] + uses[i + 1 :]
        yield plan.with_levers(others)
        if use.period > 0:
            yield plan.with_levers([*others, LeverUse(use.lever, use.period - 1)])
        for lever in problem.levers:
            if lever.id == use.lever:
                break
            yield plan.with_levers([*others, LeverUse(lever.id, use.period)])
    assignments = list(plan.assignments)
    for i, a in enumerate(assignments):
        rest = assignments[:i] + assignments[i + 1 :]
        if a.start > 0:
            moved = Assignment(a.measure, a.scope, a.start - 1)
            yield Plan.of([*rest, moved], plan.lever_uses, widened)
        for scope in problem.measure_by_id[a.measure].scopes:
            if scope.id == a.scope:
                break
            yield Plan.of(
                [*rest, Assignment(a.measure, scope.id, a.start)], plan.lever_uses, widened
            )
    for i, up in enumerate(widened):
        rest_up = [*widened[:i], *widened[i + 1 :]]
        yield Plan.of(plan.assignments, plan.lever_uses, rest_up)
        if up.start > 0:
            earlier = UpgradeStart(up.measure, up.scope, up.start - 1)
            yield Plan.of(plan.assignments, plan.lever_uses, [*rest_up, earlier])
