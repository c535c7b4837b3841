"""The independent evaluator: score and check a plan without any solver.

Everything is recomputed from the schedule by simulating the horizon period
by period: support trajectories (baseline plus decaying effects), resource
use, precedence, windows and the objective. The integer program computes the
same quantities in closed form; tests hold the two equal, which is what
catches modelling mistakes on either side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from seqopt.data import (
    CauseKind,
    Dependency,
    DependencyKind,
    Force,
    Measure,
    Problem,
    ResourceKind,
    Scope,
)
from seqopt.plan import Assignment, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings

TOLERANCE = 1e-6
"""Slack allowed on support thresholds and capacities, against floating-point noise."""


@dataclass(frozen=True)
class Violation:
    """A rule a plan breaks, in words and with the numbers that show it."""

    rule: str
    """Short category: window, force, one scope, lever, requires, excludes, together,
    capacity, budget, support, unknown."""
    subject: str
    """The measure, lever or resource concerned."""
    message: str
    period: int | None = None
    amount: float = 1.0
    """By how much the rule is broken, in its unit: points of support short, units
    of capacity or budget over, periods outside a window, uses over a limit (1
    for a rule that is simply broken)."""
    detail: tuple[str, ...] = ()
    """What else identifies the rule: the series of a gate, the scope of a window,
    the index of a dependency."""


@dataclass(frozen=True)
class Scheduled:
    """One scheduled scope with its key dates and value."""

    measure: str
    scope: str
    start: int
    signing: int
    in_force: int
    benefit: float
    """Discounted benefit, terminal value included."""
    cost: float
    """Discounted price of the resources its negotiation uses."""


@dataclass(frozen=True)
class Evaluation:
    """A plan with everything recomputed from it."""

    plan: Plan
    objective: float
    """Net value (``value`` objective) or makespan in periods (``makespan`` objective)."""
    benefit: float
    cost: float
    makespan: int
    scheduled: tuple[Scheduled, ...]
    lever_cost: float
    support: dict[str, tuple[float, ...]]
    """Support of each series in each period."""
    resource_use: dict[str, tuple[float, ...]]
    """Use of each resource in each period (nonrenewable: consumption booked in that period)."""
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations


def evaluate(problem: Problem, plan: Plan, objective: ObjectiveSettings) -> Evaluation:
    """Score ``plan`` and list every rule it breaks."""
    violations = list(_unknown_ids(problem, plan))
    known = Plan(
        tuple(
            a
            for a in plan.assignments
            if a.measure in problem.measure_by_id
            and any(s.id == a.scope for s in problem.measure_by_id[a.measure].scopes)
        ),
        tuple(u for u in plan.lever_uses if u.lever in problem.lever_by_id),
    )
    violations += _one_scope_and_force(problem, known)
    violations += _windows(problem, known)
    violations += _levers(problem, known)
    violations += _dependencies(problem, known)
    support = _support(problem, known)
    violations += _gates(problem, known, support)
    use = _resource_use(problem, known)
    violations += _capacities(problem, use)
    scheduled = tuple(_scheduled(problem, known, objective))
    lever_cost = _lever_cost(problem, known, objective)
    benefit = sum(s.benefit for s in scheduled)
    cost = sum(s.cost for s in scheduled) + lever_cost
    makespan = max((s.in_force for s in scheduled), default=0)
    value = benefit - cost if objective.kind is ObjectiveKind.VALUE else float(makespan)
    return Evaluation(
        plan=plan,
        objective=value,
        benefit=benefit,
        cost=cost,
        makespan=makespan,
        scheduled=scheduled,
        lever_cost=lever_cost,
        support={k: tuple(v) for k, v in support.items()},
        resource_use={k: tuple(v) for k, v in use.items()},
        violations=tuple(violations),
    )


def _label(problem: Problem, period: int) -> str:
    return problem.periods[period] if 0 <= period < problem.horizon else f"period {period}"


def _unknown_ids(problem: Problem, plan: Plan) -> Iterator[Violation]:
    for a in plan.assignments:
        measure = problem.measure_by_id.get(a.measure)
        if measure is None:
            yield Violation("unknown", a.measure, f"unknown measure {a.measure!r}")
        elif not any(s.id == a.scope for s in measure.scopes):
            yield Violation("unknown", a.measure, f"measure {a.measure!r} has no scope {a.scope!r}")
    for u in plan.lever_uses:
        if u.lever not in problem.lever_by_id:
            yield Violation("unknown", u.lever, f"unknown lever {u.lever!r}")


def _one_scope_and_force(problem: Problem, plan: Plan) -> Iterator[Violation]:
    count: dict[str, int] = defaultdict(int)
    for a in plan.assignments:
        count[a.measure] += 1
    for measure in problem.measures:
        n = count[measure.id]
        if n > 1:
            yield Violation(
                "one scope", measure.id, f"{measure.name} is scheduled {n} times; at most once"
            )
        if measure.force is Force.IN and n == 0:
            yield Violation("force", measure.id, f"{measure.name} must be done (force = in)")
        if measure.force is Force.OUT and n > 0:
            yield Violation("force", measure.id, f"{measure.name} must not be done (force = out)")


def _scope_of(problem: Problem, a: Assignment) -> tuple[Measure, Scope]:
    measure = problem.measure_by_id[a.measure]
    return measure, measure.scope(a.scope)


def _windows(problem: Problem, plan: Plan) -> Iterator[Violation]:
    for a in plan.assignments:
        measure, scope = _scope_of(problem, a)
        signing = a.start + scope.length - 1
        name = f"{measure.name} ({scope.name})"
        if a.start < scope.earliest_start:
            yield Violation(
                "window",
                measure.id,
                f"{name} starts in {_label(problem, a.start)}, before its earliest start "
                f"{_label(problem, scope.earliest_start)}",
                a.start,
                float(scope.earliest_start - a.start),
                (scope.id,),
            )
        if signing > scope.latest_finish:
            yield Violation(
                "window",
                measure.id,
                f"{name} would be signed in {_label(problem, signing)}, after its latest finish "
                f"{_label(problem, scope.latest_finish)}",
                a.start,
                float(signing - scope.latest_finish),
                (scope.id,),
            )


def _levers(problem: Problem, plan: Plan) -> Iterator[Violation]:
    periods: dict[str, list[int]] = defaultdict(list)
    for use in plan.lever_uses:
        periods[use.lever].append(use.period)
    for lever_id, used in periods.items():
        lever = problem.lever_by_id[lever_id]
        for period in sorted(set(used)):
            if used.count(period) > 1:
                yield Violation(
                    "lever",
                    lever_id,
                    f"{lever.name} is used {used.count(period)} times in "
                    f"{_label(problem, period)}; at most once per period",
                    period,
                )
            if not lever.earliest <= period <= lever.latest:
                yield Violation(
                    "lever",
                    lever_id,
                    f"{lever.name} is used in {_label(problem, period)}, outside its window "
                    f"{_label(problem, lever.earliest)} to {_label(problem, lever.latest)}",
                    period,
                )
        if len(used) > lever.max_uses:
            yield Violation(
                "lever",
                lever_id,
                f"{lever.name} is used {len(used)} times; at most {lever.max_uses}",
                amount=float(len(used) - lever.max_uses),
            )


def _matches(plan: Plan, measure: str, scope: str | None) -> Assignment | None:
    a = plan.assignment(measure)
    if a is None or (scope is not None and a.scope != scope):
        return None
    return a


def _describe(problem: Problem, measure: str, scope: str | None) -> str:
    name = problem.measure_by_id[measure].name
    if scope is None:
        return name
    # A counterfactual may pin a measure to one scope while a link still names another.
    names = {s.id: s.name for s in problem.measure_by_id[measure].scopes}
    return f"{name} ({names.get(scope, scope)})"


def _dependencies(problem: Problem, plan: Plan) -> Iterator[Violation]:
    for index, dep in enumerate(problem.dependencies):
        for violation in _dependency(problem, plan, dep):
            yield replace(violation, detail=(dep.other, str(index)))


def _dependency(problem: Problem, plan: Plan, dep: Dependency) -> Iterator[Violation]:
    first = _matches(plan, dep.measure, dep.scope)
    second = _matches(plan, dep.other, dep.other_scope)
    this = _describe(problem, dep.measure, dep.scope)
    that = _describe(problem, dep.other, dep.other_scope)
    if dep.kind is DependencyKind.EXCLUDES and first and second:
        yield Violation("excludes", dep.measure, f"{this} and {that} exclude each other")
    elif dep.kind is DependencyKind.TOGETHER and (first is None) != (second is None):
        yield Violation("together", dep.measure, f"{this} and {that} must be done together")
    elif dep.kind is DependencyKind.REQUIRES and first is not None:
        if second is None:
            yield Violation("requires", dep.measure, f"{this} requires {that}, which is not done")
            return
        in_force = second.start + problem.scope(second.measure, second.scope).length
        if first.start < in_force + dep.lag:
            lag = f" plus {dep.lag} period{'s' if dep.lag != 1 else ''}" if dep.lag else ""
            yield Violation(
                "requires",
                dep.measure,
                f"{this} starts in {_label(problem, first.start)} but requires {that} in force"
                f"{lag} first: it is in force from {_label(problem, in_force)}",
                first.start,
            )


def _support(problem: Problem, plan: Plan) -> dict[str, list[float]]:
    """Simulate every series: baseline plus each effect, decaying period by period."""
    support = {s.id: [v.base for v in s.baseline] for s in problem.series}
    starts: list[tuple[CauseKind, str, str | None, int]] = [
        (CauseKind.LEVER, u.lever, None, u.period) for u in plan.lever_uses
    ]
    for a in plan.assignments:
        in_force = a.start + problem.scope(a.measure, a.scope).length
        starts.append((CauseKind.MEASURE, a.measure, a.scope, in_force))
    for kind, cause, scope, when in starts:
        for effect in problem.effects:
            if effect.cause_kind is not kind or effect.cause != cause:
                continue
            if effect.cause_scope is not None and effect.cause_scope != scope:
                continue
            strength = effect.amount.base
            retained = 1.0 - effect.decay.base
            trajectory = support[effect.series]
            for period in range(max(when + effect.delay, 0), problem.horizon):
                trajectory[period] += strength
                strength *= retained
    return support


def _gates(problem: Problem, plan: Plan, support: dict[str, list[float]]) -> Iterator[Violation]:
    for a in plan.assignments:
        measure, scope = _scope_of(problem, a)
        signing = a.start + scope.length - 1
        if not 0 <= signing < problem.horizon:
            continue  # reported as a window violation
        for gate in scope.gates:
            level = support[gate.series][signing]
            if level < gate.threshold.base - TOLERANCE:
                series = problem.series_by_id[gate.series].name
                yield Violation(
                    "support",
                    measure.id,
                    f"{measure.name} ({scope.name}) is signed in {_label(problem, signing)} "
                    f"when {series} is {level:.1f}, below its threshold {gate.threshold.base:g}",
                    signing,
                    gate.threshold.base - level,
                    (gate.series,),
                )


def _resource_use(problem: Problem, plan: Plan) -> dict[str, list[float]]:
    use = {r.id: [0.0] * problem.horizon for r in problem.resources}
    for a in plan.assignments:
        scope = problem.scope(a.measure, a.scope)
        for resource_id, amount in scope.use.items():
            resource = problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                periods = [a.start]  # consumed once, booked when negotiation starts
            else:
                periods = list(range(a.start, a.start + scope.length))
            for period in periods:
                if 0 <= period < problem.horizon:
                    use[resource_id][period] += amount.base
    for u in plan.lever_uses:
        for resource_id, amount in problem.lever_by_id[u.lever].use.items():
            if 0 <= u.period < problem.horizon:
                use[resource_id][u.period] += amount.base
    return use


def _capacities(problem: Problem, use: dict[str, list[float]]) -> Iterator[Violation]:
    for resource in problem.resources:
        used = use[resource.id]
        if resource.kind is ResourceKind.NONRENEWABLE:
            total = sum(used)
            if total > resource.capacity.base + TOLERANCE:
                yield Violation(
                    "budget",
                    resource.id,
                    f"{resource.name}: {total:g} used in total, budget {resource.capacity.base:g}",
                    amount=total - resource.capacity.base,
                )
            continue
        for period, amount in enumerate(used):
            capacity = resource.capacity_in(period)
            if amount > capacity + TOLERANCE:
                yield Violation(
                    "capacity",
                    resource.id,
                    f"{resource.name}: {amount:g} used in {_label(problem, period)}, "
                    f"capacity {capacity:g}",
                    period,
                    amount - capacity,
                )


def _scheduled(problem: Problem, plan: Plan, objective: ObjectiveSettings) -> Iterator[Scheduled]:
    weight = objective.discount
    for a in plan.assignments:
        _, scope = _scope_of(problem, a)
        in_force = a.start + scope.length
        benefit = 0.0
        for period in range(in_force, problem.horizon):
            benefit += scope.benefit.base * weight(period)
        benefit += scope.benefit.base * objective.terminal_weight(problem.horizon)
        cost = 0.0
        for resource_id, amount in scope.use.items():
            resource = problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                cost += resource.price.base * amount.base * weight(a.start)
            else:
                for period in range(a.start, in_force):
                    cost += resource.price.base * amount.base * weight(period)
        yield Scheduled(a.measure, a.scope, a.start, in_force - 1, in_force, benefit, cost)


def _lever_cost(problem: Problem, plan: Plan, objective: ObjectiveSettings) -> float:
    cost = 0.0
    for u in plan.lever_uses:
        for resource_id, amount in problem.lever_by_id[u.lever].use.items():
            price = problem.resource_by_id[resource_id].price.base
            cost += price * amount.base * objective.discount(u.period)
    return cost
