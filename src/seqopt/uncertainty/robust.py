"""A robust plan: one schedule that does best over many sampled scenarios (SAA).

Sample-average approximation with a common schedule: the start and lever
variables are shared by ``K`` sampled scenarios; each scenario adds its own
rows (capacities, budgets, support gates, precedence with its own durations)
over them, so the schedule must break no rule in any of the ``K`` scenarios,
and each scenario has its own value ``v_k`` of it. The objective is a risk
measure of those values (for the value objective; for the makespan, the same
with the sense reversed):

- ``mean``: maximise ``(1/K) sum_k v_k``;
- ``worst``: maximise ``z`` with ``z <= v_k`` for every ``k``;
- ``cvar`` at level ``a``: maximise ``eta - 1/(a K) sum_k u_k`` with
  ``u_k >= eta - v_k``, ``u_k >= 0`` (Rockafellar and Uryasev): the mean of
  the worst ``a`` share of the scenarios.

The plan is then re-scored by the evaluator in every scenario, and compared
with the base plan on a fresh, independent sample (values and breakage), with
the evaluator only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from seqopt.data import Problem
from seqopt.evaluate import evaluate
from seqopt.milp import (
    Block,
    Built,
    Sink,
    Term,
    build_scenario_rows,
    lever_keys,
    scope_starts,
    scope_upgrades,
)
from seqopt.plan import Plan, upgrade_step
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers.backend import Request, run_milp
from seqopt.solvers.engines import milp_backend
from seqopt.solvers.result import AGREEMENT, PlanRejected, Status, relative_gap
from seqopt.uncertainty.batch import Scorer
from seqopt.uncertainty.sampling import Samples
from seqopt.uncertainty.scenarios import broken_rule


class RiskMeasure(StrEnum):
    """How the values of one plan across scenarios are summed up into one number."""

    MEAN = "mean"
    WORST = "worst"
    CVAR = "cvar"


@dataclass(frozen=True)
class Robust:
    """The robust plan and what it is worth in each of the scenarios it was chosen for."""

    status: Status
    plan: Plan | None
    objective: float | None
    """The risk measure of the plan's values (the evaluator's)."""
    bound: float | None
    gap: float | None
    values: tuple[float, ...]
    """The plan's value in each SAA scenario."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Score:
    """A plan scored on a set of scenarios by the evaluator."""

    values: tuple[float | None, ...]
    """Value in each scenario, ``None`` where the plan breaks a rule."""
    broken: tuple[tuple[str, ...], ...]
    """Rules broken in each scenario."""

    @property
    def feasible(self) -> int:
        """Scenarios in which the plan breaks no rule."""
        return sum(v is not None for v in self.values)

    def rules(self) -> Counter[str]:
        """How many scenarios break each rule."""
        return Counter(rule for rules in self.broken for rule in rules)


def risk(values: Sequence[float], measure: RiskMeasure, level: float, maximise: bool) -> float:
    """The risk measure of ``values`` as the SAA model computes it.

    For ``cvar`` this is ``max_eta eta - 1/(level K) sum (eta - v)^+`` (value)
    or ``min_eta eta + 1/(level K) sum (v - eta)^+`` (makespan), attained at a value.
    """
    if not values:
        return math.nan
    if measure is RiskMeasure.MEAN:
        return sum(values) / len(values)
    if measure is RiskMeasure.WORST:
        return min(values) if maximise else max(values)
    weight = 1.0 / (level * len(values))
    if maximise:
        return max(eta - weight * sum(max(eta - v, 0.0) for v in values) for eta in values)
    return min(eta + weight * sum(max(v - eta, 0.0) for v in values) for eta in values)


def robust_plan(
    problems: Sequence[Problem],
    objective: ObjectiveSettings,
    settings: SolverSettings,
    measure: RiskMeasure = RiskMeasure.MEAN,
    level: float = 0.2,
    start: Plan | None = None,
) -> Robust:
    """The plan that is best by ``measure`` over ``problems`` and breaks no rule in any of them.

    ``start`` (for example the base plan) is handed to the solver when it breaks
    no rule in any scenario, so the result is never worse than it.

    Raises
    ------
    PlanRejected
        When the solver's plan breaks a rule in a scenario, or its value differs
        from the evaluator's.
    """
    maximise = objective.kind is ObjectiveKind.VALUE
    if start is not None and not all(evaluate(p, start, objective).feasible for p in problems):
        start = None
    request = Request(problems[0], objective, settings, start)

    def build(sink: Sink) -> Built:
        return _saa_model(sink, problems, objective, measure, level)

    # An integer program over many scenarios: CP-SAT, if the setting names it, cannot take it.
    run = run_milp(milp_backend(settings.name), request, build)
    notes = list(run.notes)
    if not run.status.has_plan or run.plan is None:
        if run.status is Status.INFEASIBLE:
            notes.append(
                "No single schedule breaks no rule in every sampled scenario (for example, a "
                "measure that must be done cannot be signed in some of them)."
            )
        return Robust(run.status, None, None, run.bound, None, (), tuple(notes))
    values = []
    for k, problem in enumerate(problems):
        scored = evaluate(problem, run.plan, objective)
        if not scored.feasible:
            broken = "; ".join(v.message for v in scored.violations)
            raise PlanRejected(f"the robust plan breaks rules in scenario {k}: {broken}")
        values.append(scored.objective)
    value = risk(values, measure, level, maximise)
    if run.value is not None and abs(value - run.value) > AGREEMENT * max(1.0, abs(value)):
        raise PlanRejected(
            f"the solver values the robust plan at {run.value:.9g} but the evaluator at {value:.9g}"
        )
    gap = relative_gap(value, run.bound) if run.bound is not None else None
    return Robust(run.status, run.plan, value, run.bound, gap, tuple(values), tuple(notes))


def score(plan: Plan, problems: Sequence[Problem], objective: ObjectiveSettings) -> Score:
    """``plan`` scored by the evaluator in every scenario (no solving)."""
    values: list[float | None] = []
    broken: list[tuple[str, ...]] = []
    for problem in problems:
        scored = evaluate(problem, plan, objective)
        values.append(scored.objective if scored.feasible else None)
        broken.append(tuple(dict.fromkeys(broken_rule(problem, v) for v in scored.violations)))
    return Score(tuple(values), tuple(broken))


def score_sample(
    plan: Plan, problem: Problem, objective: ObjectiveSettings, samples: Samples
) -> Score:
    """``plan`` scored in every scenario of ``samples`` at once (the vectorised evaluator)."""
    scored = Scorer(problem, objective, samples).score(plan)
    holds = scored.holds
    values = tuple(float(v) if held else None for v, held in zip(scored.values, holds, strict=True))
    broken = tuple(
        tuple(rule for rule, where in scored.broken.items() if where[k]) for k in range(len(holds))
    )
    return Score(values, broken)


def _saa_model(
    sink: Sink,
    problems: Sequence[Problem],
    objective: ObjectiveSettings,
    measure: RiskMeasure,
    level: float,
) -> Built:
    """Shared start and lever variables, each scenario's rows over them, and the risk objective."""
    first = problems[0]
    order = {
        (m.id, s.id): (mi, si)
        for mi, m in enumerate(first.measures)
        for si, s in enumerate(m.scopes)
    }
    # Every start inside its window and able to meet its gates in every scenario: no presolve,
    # which could drop a scope dominated in one scenario that is the best in another.
    possible = set.intersection(*(scope_starts(p) for p in problems))
    starts = {}
    for key in sorted(possible, key=lambda k: (order[(k[0], k[1])], k[2])):
        mi, si = order[(key[0], key[1])]
        starts[key] = sink.variable(f"start_{mi}_{si}_{key[2]}", binary=True)
    uses = {key: sink.variable(f"use_{key[0]}_{key[1]}", binary=True) for key in lever_keys(first)}
    widen = set.intersection(*(scope_upgrades(p) for p in problems))
    upgrades = {
        key: sink.variable(f"upgrade_{'_'.join(str(k) for k in key)}", binary=True)
        for key in sorted(widen)
    }
    values: list[list[Term]] = []
    for k, problem in enumerate(problems):
        block = Block(starts, uses, prefix=f"s{k}_", first=k == 0, upgrades=upgrades)
        values.append(build_scenario_rows(problem, objective, sink, block, objective_terms=True))
    maximise = objective.kind is ObjectiveKind.VALUE
    # Upgrades are read back like starts, under their step ids.
    steps = {(m, upgrade_step(f, t), u): var for (m, f, t, u), var in upgrades.items()}
    objective_terms = _risk_objective(sink, values, measure, level, maximise)
    return Built({**starts, **steps}, uses, objective_terms, [])


def _risk_objective(
    sink: Sink,
    values: list[list[Term]],
    measure: RiskMeasure,
    level: float,
    maximise: bool,
) -> list[Term]:
    count = len(values)
    if measure is RiskMeasure.MEAN:
        return [(var, c / count) for terms in values for var, c in terms]
    sign = 1.0 if maximise else -1.0  # work with "more is better" rows
    if measure is RiskMeasure.WORST:
        worst = sink.variable("risk_worst")
        for k, terms in enumerate(values):
            # value: z <= v_k; makespan: z >= v_k
            sink.row([(worst, sign), *((v, -sign * c) for v, c in terms)], "<=", 0.0, f"worst_{k}")
        return [(worst, 1.0)]
    eta = sink.variable("risk_eta")
    weight = 1.0 / (level * count)
    objective: list[Term] = [(eta, 1.0)]
    for k, terms in enumerate(values):
        short = sink.variable(f"risk_short_{k}", 0.0)
        # value: u_k >= eta - v_k; makespan: u_k >= v_k - eta
        sink.row(
            [(short, 1.0), (eta, -sign), *((v, sign * c) for v, c in terms)], ">=", 0.0, f"cvar_{k}"
        )
        objective.append((short, -sign * weight))
    return objective
