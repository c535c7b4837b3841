"""Why a model is infeasible: the smallest relaxation that makes it feasible.

An elastic copy of the model lets every rule give way at a price (see
:func:`seqopt.milp.build_elastic`): support thresholds by points, capacities
and budgets by units, windows by periods, lever limits by uses, and
dependencies or forcing altogether. Minimising that price finds the smallest
and fewest relaxations. Each is reported in words, with its numbers, and can be
applied to the problem (:func:`apply`) to obtain one that is feasible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from seqopt.data import Estimate, Force, Problem
from seqopt.evaluate import Violation
from seqopt.milp import Built, Elastic, Sink, build_elastic_into
from seqopt.settings import ObjectiveSettings, SolverSettings
from seqopt.solvers.backend import Request, Values, solve_model
from seqopt.solvers.engines import milp_backend

GIVE = 1e-6
"""Slack below this is rounding, not a relaxation."""


@dataclass(frozen=True)
class Relaxation:
    """One rule that has to give way, by how much, in words.

    ``kind`` is support, capacity, budget, window, lever, requires, excludes,
    together or forced; ``subject`` names the measure, resource, lever or
    dependency; ``amount`` is in the rule's unit (points, resource units,
    periods, uses; 1 for a rule dropped altogether).
    """

    kind: str
    subject: tuple[str, ...]
    period: int | None
    amount: float
    message: str


@dataclass(frozen=True)
class Diagnosis:
    """The relaxations that together restore feasibility (empty if the solve failed)."""

    relaxations: tuple[Relaxation, ...]
    solved: bool


def diagnose(problem: Problem, objective: ObjectiveSettings, solver: SolverSettings) -> Diagnosis:
    """Solve the elastic model and describe what had to give way.

    The model's solver setting is honoured (an integer program: CP-SAT, if named,
    gives way to HiGHS). Any solution found counts, proven cheapest or not.
    """
    elastic: list[Elastic] = []

    def build(sink: Sink) -> Built:
        elastic.append(build_elastic_into(problem, objective, sink))
        return elastic[0].built

    solved = solve_model(
        milp_backend(solver.name), Request(problem, objective, solver), build, maximise=False
    )
    values = solved.answer.values
    if not solved.answer.has_solution or values is None:
        return Diagnosis((), False)
    return Diagnosis(tuple(_relaxations(problem, elastic[0], values)), True)


def plan_relaxations(problem: Problem, violations: tuple[Violation, ...]) -> list[Relaxation]:
    """What would have to give way for a hand-made plan to break no rule.

    Each violation the evaluator found becomes a relaxation of the rule it
    breaks, by the amount it is broken (a threshold lowered by the points
    missing, a capacity raised by the excess, a window widened, a dependency or
    a forcing dropped). Violations of the plan's own form (a measure scheduled
    twice, a lever used twice in one period, an unknown id) have none: the
    plan itself must change.
    """
    found: dict[tuple[str, tuple[str, ...], int | None], float] = {}
    for v in violations:
        key: tuple[str, tuple[str, ...], int | None] | None = None
        if v.rule == "support":
            key = ("support", (v.subject, *v.detail), v.period)
        elif v.rule == "capacity":
            key = ("capacity", (v.subject,), v.period)
        elif v.rule == "budget":
            key = ("budget", (v.subject,), None)
        elif v.rule == "window":
            key = ("window", (v.subject, *v.detail), v.period)
        elif v.rule == "force":
            key = ("forced", (v.subject,), None)
        elif v.rule in ("requires", "excludes", "together"):
            key = (v.rule, (v.subject, *v.detail), None)
        elif v.rule == "lever" and v.period is None:
            key = ("lever", (v.subject,), None)
        if key is not None:
            found[key] = max(found.get(key, 0.0), v.amount)
    return [
        Relaxation(kind, subject, period, amount, _describe(problem, kind, subject, period, amount))
        for (kind, subject, period), amount in found.items()
    ]


def _label(problem: Problem, period: int | None) -> str:
    if period is None:
        return ""
    return problem.periods[period] if 0 <= period < problem.horizon else f"period {period}"


def _relaxations(problem: Problem, elastic: Elastic, values: Values) -> list[Relaxation]:
    chosen = {key: var for key, var in elastic.built.starts.items() if values(var) > 0.5}
    found: list[Relaxation] = []
    grouped: dict[tuple[str, tuple[str, ...], int | None], float] = defaultdict(float)
    for slack in elastic.slacks:
        value = values(slack.variable)
        if value <= GIVE:
            continue
        relax = slack.relax
        period = relax.period
        if relax.family in ("requires", "excludes", "together", "forced", "lever", "budget"):
            period = None
        key = (relax.family, relax.subject, period)
        grouped[key] = max(grouped[key], value)
    for (kind, subject, period), amount in sorted(grouped.items(), key=lambda i: str(i[0])):
        found.append(
            Relaxation(
                kind, subject, period, amount, _describe(problem, kind, subject, period, amount)
            )
        )
    for start_key in chosen:
        periods = elastic.outside.get(start_key, 0)
        if periods:
            measure_id, scope_id, start = start_key
            scope_key = (measure_id, scope_id)
            message = _describe(problem, "window", scope_key, start, periods)
            found.append(Relaxation("window", scope_key, start, float(periods), message))
    return found


def _describe(
    problem: Problem, kind: str, subject: tuple[str, ...], period: int | None, amount: float
) -> str:
    when = _label(problem, period)
    if kind == "support":
        measure = problem.measure_by_id[subject[0]]
        series = problem.series_by_id[subject[1]]
        return (
            f"{measure.name} can be signed in {when} only if {series.name} is "
            f"{amount:.1f} points higher than it can get by then "
            "(or its threshold that much lower)"
        )
    if kind == "capacity":
        resource = problem.resource_by_id[subject[0]]
        capacity = resource.capacity_in(period or 0)
        return (
            f"{resource.name} in {when} must rise by {amount:g} "
            f"(from {capacity:g} to {capacity + amount:g})"
        )
    if kind == "budget":
        resource = problem.resource_by_id[subject[0]]
        total = resource.capacity.base
        return f"{resource.name} must rise by {amount:g} (from {total:g} to {total + amount:g})"
    if kind == "window":
        measure = problem.measure_by_id[subject[0]]
        scope = measure.scope(subject[1])
        return (
            f"{measure.name} ({scope.name}) must start in {when}, {amount:g} period"
            f"{'s' if amount != 1 else ''} outside its window "
            f"({_label(problem, scope.earliest_start)} to {_label(problem, scope.latest_finish)})"
        )
    if kind == "lever":
        lever = problem.lever_by_id[subject[0]]
        return f"{lever.name} would need {amount:g} more use(s) than its {lever.max_uses}"
    if kind == "forced":
        measure = problem.measure_by_id[subject[0]]
        return (
            f"{measure.name} cannot meet its forcing (force = {measure.force.value}) with the rest"
        )
    if kind in ("requires", "excludes", "together"):
        first = problem.measure_by_id[subject[0]].name
        second = problem.measure_by_id[subject[1]].name
        verb = {"requires": "requires", "excludes": "excludes", "together": "goes together with"}
        return f"the rule '{first} {verb[kind]} {second}' cannot hold with the rest"
    return f"{kind} {subject} must give way by {amount:g}"


def apply(problem: Problem, relaxations: tuple[Relaxation, ...]) -> Problem:
    """The problem with every relaxation applied (the result is feasible when the diagnosis is)."""
    measures = {m.id: m for m in problem.measures}
    resources = {r.id: r for r in problem.resources}
    levers = {lever.id: lever for lever in problem.levers}
    dropped: set[int] = set()
    for relaxation in relaxations:
        kind, subject, amount = relaxation.kind, relaxation.subject, relaxation.amount
        if kind == "support":
            measure = measures[subject[0]]
            scopes = []
            for scope in measure.scopes:
                gates = tuple(
                    replace(g, threshold=_less(g.threshold, amount))
                    if g.series == subject[1]
                    else g
                    for g in scope.gates
                )
                scopes.append(replace(scope, gates=gates))
            measures[subject[0]] = replace(measure, scopes=tuple(scopes))
        elif kind == "capacity":
            resource = resources[subject[0]]
            period = relaxation.period or 0
            overrides = dict(resource.overrides)
            overrides[period] = Estimate.exact(resource.capacity_in(period) + amount)
            resources[subject[0]] = replace(resource, overrides=overrides)
        elif kind == "budget":
            resource = resources[subject[0]]
            resources[subject[0]] = replace(resource, capacity=_more(resource.capacity, amount))
        elif kind == "window":
            measure = measures[subject[0]]
            start = relaxation.period or 0
            scopes = []
            for scope in measure.scopes:
                if scope.id == subject[1]:
                    scope = replace(
                        scope,
                        earliest_start=min(scope.earliest_start, start),
                        latest_finish=max(scope.latest_finish, start + scope.length - 1),
                    )
                scopes.append(scope)
            measures[subject[0]] = replace(measure, scopes=tuple(scopes))
        elif kind == "lever":
            lever = levers[subject[0]]
            levers[subject[0]] = replace(lever, max_uses=lever.max_uses + round(amount))
        elif kind == "forced":
            measures[subject[0]] = replace(measures[subject[0]], force=Force.FREE)
        elif kind in ("requires", "excludes", "together"):
            dropped.add(int(subject[2]))
    return replace(
        problem,
        measures=tuple(measures[m.id] for m in problem.measures),
        resources=tuple(resources[r.id] for r in problem.resources),
        levers=tuple(levers[lever.id] for lever in problem.levers),
        dependencies=tuple(d for i, d in enumerate(problem.dependencies) if i not in dropped),
    )


def _less(value: Estimate, amount: float) -> Estimate:
    base = max(0.0, value.base - amount)
    return Estimate(
        base, min(value.low, base), min(value.high, base) if value.high > base else value.high
    )


def _more(value: Estimate, amount: float) -> Estimate:
    base = value.base + amount
    return Estimate(base, value.low, max(value.high, base))
