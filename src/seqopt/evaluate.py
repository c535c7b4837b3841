"""The independent evaluator: score and check a plan without any solver.

Everything is recomputed from the schedule by simulating the horizon period
by period: support trajectories (baseline, outside events and decaying
effects), which measures are in force at which scope (upgrades, lapses at
failed reviews), resource use against capacities moved by events, precedence,
windows and the objective. The integer program computes the same quantities in
closed form; tests hold the two equal, which is what catches modelling
mistakes on either side. So this module keeps its own copy of every formula,
on purpose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from seqopt.data import (
    LAPSE_MARGIN,
    CauseKind,
    Dependency,
    DependencyKind,
    Effect,
    Force,
    Measure,
    Problem,
    ResourceKind,
    Scope,
    Upgrade,
)
from seqopt.plan import Assignment, Plan, UpgradeStart
from seqopt.settings import ObjectiveKind, ObjectiveSettings, RandomEvents

TOLERANCE = 1e-6
"""Slack allowed on support thresholds and capacities, against floating-point noise."""


@dataclass(frozen=True)
class Violation:
    """A rule a plan breaks, in words and with the numbers that show it."""

    rule: str
    """Short category: window, force, one scope, lever, requires, excludes, together,
    capacity, budget, support, upgrade, renewal, unknown."""
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
    """Discounted benefit of the measure while in force (at this scope, then at the
    scope it is widened to), terminal value included."""
    cost: float
    """Discounted price of the resources its negotiation uses."""
    lapse: int | None = None
    """First period out of force after a failed review, if it lapses."""


@dataclass(frozen=True)
class Widened:
    """An upgrade in the plan: a measure widened from one scope to another."""

    measure: str
    from_scope: str
    scope: str
    start: int
    signing: int
    in_force: int
    cost: float
    """Discounted price of the resources the upgrade's negotiation uses."""
    gain: float
    """Discounted benefit the wider scope adds while in force (can be negative)."""


@dataclass(frozen=True)
class Review:
    """One renewal review of a measure in force: support against its maintain thresholds."""

    measure: str
    period: int
    passed: bool
    levels: tuple[tuple[str, float, float], ...]
    """(series, support, threshold) for each maintain threshold."""


@dataclass(frozen=True)
class BacklashHit:
    """A measure signed without a lever that would have prevented a backlash."""

    measure: str
    lever: str
    signing: int
    series: tuple[str, ...]


@dataclass(frozen=True)
class Happening:
    """An outside event counted in the plan's world: where and with what weight."""

    event: str
    period: int
    weight: float
    """1 for an event that happens; its probability under the expected-value treatment."""


@dataclass(frozen=True)
class Overlap:
    """Benefit two substitute measures share while both are in force."""

    measure: str
    other: str
    value: float
    """Discounted value units subtracted from the objective, terminal value included."""
    periods: tuple[int, ...]
    """Periods of the horizon in which both are in force."""


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
    overlap: float = 0.0
    """Benefit counted twice by substitutes, subtracted: objective = benefit - overlap - cost."""
    upgrades: tuple[Widened, ...] = ()
    reviews: tuple[Review, ...] = ()
    backlashes: tuple[BacklashHit, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    happenings: tuple[Happening, ...] = ()
    capacity: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Capacity of each renewable resource in each period, after outside events."""
    sources: dict[str, dict[str, tuple[float, ...]]] = field(default_factory=dict)
    """Each series split by cause (``baseline``, a lever, an event, a measure in force,
    a backlash), in each period: the parts add up to :attr:`support`."""

    @property
    def feasible(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations

    @property
    def lapses(self) -> tuple[Review, ...]:
        """The reviews that failed (each makes its measure lapse)."""
        return tuple(r for r in self.reviews if not r.passed)


def evaluate(
    problem: Problem, plan: Plan, objective: ObjectiveSettings, *, sources: bool = True
) -> Evaluation:
    """Score ``plan`` and list every rule it breaks.

    ``sources=False`` leaves out the split of support by cause
    (:attr:`Evaluation.sources`, empty then): searches that score many plans
    (greedy, tie-breaking) need only the value and the rules broken.
    """
    violations = list(_unknown_ids(problem, plan))
    known = Plan(
        tuple(
            a
            for a in plan.assignments
            if a.measure in problem.measure_by_id
            and any(s.id == a.scope for s in problem.measure_by_id[a.measure].scopes)
        ),
        tuple(u for u in plan.lever_uses if u.lever in problem.lever_by_id),
        tuple(
            u
            for u in plan.upgrades
            if u.measure in problem.measure_by_id
            and any(s.id == u.scope for s in problem.measure_by_id[u.measure].scopes)
        ),
    )
    violations += _one_scope_and_force(problem, known)
    violations += _windows(problem, known)
    violations += _levers(problem, known)
    violations += _dependencies(problem, known)
    courses, upgrade_issues = _courses(problem, known)
    violations += upgrade_issues
    history = _History(problem, known, objective, courses, sources)
    violations += history.violations
    violations += _gates(problem, courses, history.support)
    capacity = _capacities_after_events(problem, history.happenings)
    use = _resource_use(problem, known, courses)
    violations += _capacities(problem, use, capacity)
    weights = [objective.discount(t) for t in range(problem.horizon + 1)]

    def weight(period: int) -> float:
        # Periods outside the horizon occur in plans that break a window.
        return weights[period] if 0 <= period <= problem.horizon else objective.discount(period)

    terminal = objective.terminal_weight(problem.horizon)
    scheduled = tuple(_scheduled(problem, c, weight, terminal) for c in courses)
    widened = tuple(_widened(problem, c, weight, terminal) for c in courses if c.upgrade)
    overlaps = tuple(_overlaps(problem, courses, weight, terminal))
    lever_cost = _lever_cost(problem, known, objective)
    benefit = sum(s.benefit for s in scheduled)
    overlap = sum(o.value for o in overlaps)
    cost = sum(s.cost for s in scheduled) + sum(w.cost for w in widened) + lever_cost
    makespan = max(
        [c.in_force for c in courses] + [w.in_force for w in widened],
        default=0,
    )
    value = benefit - overlap - cost if objective.kind is ObjectiveKind.VALUE else float(makespan)
    return Evaluation(
        plan=plan,
        objective=value,
        benefit=benefit,
        cost=cost,
        makespan=makespan,
        scheduled=scheduled,
        lever_cost=lever_cost,
        support={k: tuple(v) for k, v in history.support.items()},
        resource_use={k: tuple(v) for k, v in use.items()},
        violations=tuple(violations),
        overlap=overlap,
        upgrades=widened,
        reviews=tuple(history.reviews),
        backlashes=tuple(history.backlashes),
        overlaps=overlaps,
        happenings=tuple(history.happenings),
        capacity={k: tuple(v) for k, v in capacity.items()},
        sources={
            k: {label: tuple(values) for label, values in parts.items()}
            for k, parts in history.sources.items()
        },
    )


def _label(problem: Problem, period: int) -> str:
    return problem.periods[period] if 0 <= period < problem.horizon else f"period {period}"


def _unknown_ids(problem: Problem, plan: Plan) -> Iterator[Violation]:
    steps: list[Assignment | UpgradeStart] = [*plan.assignments, *plan.upgrades]
    for a in steps:
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


# -- the course of each measure done: signing, upgrade, lapse ---------------------------


@dataclass
class _Course:
    """One measure of the plan: where it is signed, whether it is widened, when it lapses."""

    measure: Measure
    scope: Scope
    start: int
    upgrade: Upgrade | None = None
    upgrade_start: int = 0
    lapse: int | None = None
    """First period out of force after a failed review (set while simulating)."""
    in_force: int = field(init=False)
    """First period in force (after the signing)."""
    widened: int | None = field(init=False, default=None)
    """First period in force at the wider scope, when the plan widens the measure."""

    def __post_init__(self) -> None:
        self.in_force = self.start + self.scope.length

    @property
    def signing(self) -> int:
        return self.in_force - 1

    def widen(self, upgrade: Upgrade, start: int) -> None:
        """Widen the measure along ``upgrade``, negotiated from ``start``."""
        self.upgrade, self.upgrade_start = upgrade, start
        self.widened = start + upgrade.length

    @property
    def upgrade_signing(self) -> int:
        assert self.widened is not None
        return self.widened - 1

    def in_force_at(self, period: int) -> bool:
        """Whether the measure is in force (at any scope) in ``period``."""
        return self.in_force <= period and (self.lapse is None or period < self.lapse)

    def scope_at(self, period: int) -> str:
        """The scope the measure has in ``period`` (that of its signing before a widening)."""
        if self.upgrade is not None and self.widened is not None and period >= self.widened:
            return self.upgrade.to_scope
        return self.scope.id

    def benefit_at(self, problem: Problem, period: int) -> float:
        """Benefit per period in force in ``period`` (0 when not in force)."""
        if not self.in_force_at(period):
            return 0.0
        if self.upgrade is not None and self.widened is not None and period >= self.widened:
            return problem.scope(self.measure.id, self.upgrade.to_scope).benefit.base
        return self.scope.benefit.base


def _courses(problem: Problem, plan: Plan) -> tuple[list[_Course], list[Violation]]:
    """Every measure done, with its upgrade when the plan has a valid one; upgrade rule breaks."""
    courses: dict[str, _Course] = {}
    for a in plan.assignments:
        if a.measure not in courses:
            measure, scope = _scope_of(problem, a)
            courses[a.measure] = _Course(measure, scope, a.start)
    violations: list[Violation] = []
    seen: set[str] = set()
    for up in plan.upgrades:
        measure = problem.measure_by_id[up.measure]
        wide = measure.scope(up.scope).name
        if up.measure in seen:
            rule = f"{measure.name} is widened more than once; at most once"
            violations.append(Violation("upgrade", up.measure, rule, up.start))
            continue
        seen.add(up.measure)
        course = courses.get(up.measure)
        if course is None:
            rule = f"{measure.name} is widened to {wide} but is not signed first"
            violations.append(Violation("upgrade", up.measure, rule, up.start))
            continue
        upgrade = measure.upgrade(course.scope.id, up.scope)
        if upgrade is None:
            rule = f"{measure.name} cannot be widened from {course.scope.name} to {wide}"
            violations.append(Violation("upgrade", up.measure, rule, up.start))
            continue
        course.widen(upgrade, up.start)
        violations += _upgrade_timing(problem, course, upgrade, up)
    return list(courses.values()), violations


def _upgrade_timing(
    problem: Problem, course: _Course, upgrade: Upgrade, up: UpgradeStart
) -> Iterator[Violation]:
    name = f"Widening {course.measure.name} to {course.measure.scope(up.scope).name}"
    ready = course.in_force + upgrade.lag
    if up.start < ready:
        lag = f" plus {upgrade.lag} period{'s' if upgrade.lag != 1 else ''}" if upgrade.lag else ""
        yield Violation(
            "upgrade",
            course.measure.id,
            f"{name} starts in {_label(problem, up.start)}, before the measure is in force{lag} "
            f"({_label(problem, ready)})",
            up.start,
            float(ready - up.start),
        )
    if up.start < upgrade.earliest_start:
        yield Violation(
            "upgrade",
            course.measure.id,
            f"{name} starts in {_label(problem, up.start)}, before its earliest start "
            f"{_label(problem, upgrade.earliest_start)}",
            up.start,
            float(upgrade.earliest_start - up.start),
        )
    signing = up.start + upgrade.length - 1
    if signing > upgrade.latest_finish:
        yield Violation(
            "upgrade",
            course.measure.id,
            f"{name} would be signed in {_label(problem, signing)}, after its latest finish "
            f"{_label(problem, upgrade.latest_finish)}",
            up.start,
            float(signing - upgrade.latest_finish),
        )


# -- support, in force, reviews: the horizon simulated period by period ----------------


def _decaying(amount: float, decay: float, begins: int, period: int) -> float:
    return amount * (1.0 - decay) ** (period - begins) if period >= begins else 0.0


class _History:
    """Support of every series, and the reviews of renewing measures, period by period.

    Support in a period is the baseline, plus outside events, lever uses and
    backlashes (none of which depend on what is in force), plus the effects of
    measures in force in that period. A review in period ``t`` compares support
    in ``t`` with the maintain thresholds; a failed one takes the measure out of
    force from ``t + 1``, so in force in ``t`` depends only on reviews before ``t``.
    """

    def __init__(
        self,
        problem: Problem,
        plan: Plan,
        objective: ObjectiveSettings,
        courses: Sequence[_Course],
        sources: bool = True,
    ) -> None:
        self.problem = problem
        self.horizon = problem.horizon
        self.support = {s.id: [v.base for v in s.baseline] for s in problem.series}
        self.sources: dict[str, dict[str, list[float]]] = {
            s.id: {"baseline": [v.base for v in s.baseline]} for s in problem.series
        }
        self.keep_sources = sources
        self.violations: list[Violation] = []
        self.reviews: list[Review] = []
        self.backlashes: list[BacklashHit] = []
        self.happenings = list(_happenings(problem, objective))
        self._events(problem)
        self._levers(problem, plan)
        self._backlash(problem, plan, courses)
        self._in_force(problem, courses)
        if not sources:
            self.sources = {}

    def _add(self, series: str, label: str, period: int, amount: float) -> None:
        if series not in self.support or amount == 0.0:
            return
        self.support[series][period] += amount
        if not self.keep_sources:
            return
        parts = self.sources[series]
        if label not in parts:
            parts[label] = [0.0] * self.horizon
        parts[label][period] += amount

    def _effect(self, effect: Effect, label: str, begins: int, weight: float = 1.0) -> None:
        strength = weight * effect.amount.base
        retained = 1.0 - effect.decay.base
        for period in range(max(begins + effect.delay, 0), self.horizon):
            self._add(effect.series, label, period, strength)
            strength *= retained

    def _events(self, problem: Problem) -> None:
        for happening in self.happenings:
            event = problem.event_by_id[happening.event]
            for effect in problem.effects:
                if effect.cause_kind is CauseKind.EVENT and effect.cause == event.id:
                    self._effect(effect, event.name, happening.period, happening.weight)

    def _levers(self, problem: Problem, plan: Plan) -> None:
        for use in plan.lever_uses:
            lever = problem.lever_by_id[use.lever]
            for effect in problem.effects:
                if effect.cause_kind is CauseKind.LEVER and effect.cause == use.lever:
                    self._effect(effect, lever.name, use.period)

    def _backlash(self, problem: Problem, plan: Plan, courses: Sequence[_Course]) -> None:
        used = {(u.lever, u.period) for u in plan.lever_uses}
        for course in courses:
            hit: dict[str, list[str]] = {}
            for backlash in problem.backlashes:
                if backlash.measure != course.measure.id:
                    continue
                if backlash.scope is not None and backlash.scope != course.scope.id:
                    continue
                negotiation = range(course.start, course.signing + 1)
                if any((backlash.lever, t) in used for t in negotiation):
                    continue
                hit.setdefault(backlash.lever, []).append(backlash.series)
                label = f"backlash against {course.measure.name}"
                strength = backlash.amount.base
                for period in range(course.signing + 1 + backlash.delay, self.horizon):
                    self._add(backlash.series, label, period, strength)
                    strength *= 1.0 - backlash.decay.base
            for lever, series in hit.items():
                hit_by = BacklashHit(course.measure.id, lever, course.signing, tuple(series))
                self.backlashes.append(hit_by)

    def _in_force(self, problem: Problem, courses: Sequence[_Course]) -> None:
        effects: dict[str, list[Effect]] = defaultdict(list)
        for effect in problem.effects:
            if effect.cause_kind is CauseKind.MEASURE:
                effects[effect.cause].append(effect)
        labels = {course.measure.id: f"{course.measure.name} in force" for course in courses}
        for period in range(self.horizon):
            for course in courses:
                if not course.in_force_at(period):
                    continue
                label = labels[course.measure.id]
                for effect in effects[course.measure.id]:
                    begins = _begins(course, effect)
                    if begins is not None and period >= begins + effect.delay:
                        amount = _decaying(
                            effect.amount.base, effect.decay.base, begins + effect.delay, period
                        )
                        self._add(effect.series, label, period, amount)
            for course in courses:
                self._review(problem, course, period)

    def _review(self, problem: Problem, course: _Course, period: int) -> None:
        measure = course.measure
        every = measure.renew_every
        if not measure.renews or every is None or not course.in_force_at(period):
            return
        if (period - course.in_force + 1) % every != 0:
            return
        levels = []
        failed = False
        for gate in measure.maintain:
            level = self.support[gate.series][period]
            threshold = gate.threshold.base
            levels.append((gate.series, level, threshold))
            if level >= threshold - TOLERANCE:
                continue
            if level <= threshold - LAPSE_MARGIN + 1e-9:
                failed = True
                continue
            series = problem.series_by_id[gate.series].name
            self.violations.append(
                Violation(
                    "renewal",
                    measure.id,
                    f"{measure.name} is reviewed in {_label(problem, period)} when {series} is "
                    f"{level:.4f}, within {LAPSE_MARGIN:g} points below its maintain threshold "
                    f"{threshold:g}: too close to call",
                    period,
                    threshold - level,
                    (gate.series,),
                )
            )
        self.reviews.append(Review(measure.id, period, not failed, tuple(levels)))
        if failed:
            course.lapse = period + 1


def _begins(course: _Course, effect: Effect) -> int | None:
    """When an in-force effect of the course's measure begins (``None``: it does not).

    An effect of any scope, or of the scope signed, begins at entry into force;
    an effect of the scope widened to begins when the upgrade is in force.
    """
    if effect.cause_scope is None or effect.cause_scope == course.scope.id:
        return course.in_force
    if course.upgrade is not None and effect.cause_scope == course.upgrade.to_scope:
        return course.widened
    return None


def _happenings(problem: Problem, objective: ObjectiveSettings) -> Iterator[Happening]:
    """The events counted: scheduled ones, and random ones by their expected value if asked."""
    expected = objective.random_events is RandomEvents.EXPECTED
    for event in problem.events:
        if event.probability is None:
            for period in event.periods:
                if 0 <= period < problem.horizon:
                    yield Happening(event.id, period, 1.0)
        elif expected:
            for period in event.window(problem.horizon):
                yield Happening(event.id, period, event.probability.base)


def _gates(
    problem: Problem, courses: Sequence[_Course], support: dict[str, list[float]]
) -> Iterator[Violation]:
    for course in courses:
        measure, scope = course.measure, course.scope
        signing = course.signing
        if 0 <= signing < problem.horizon:  # else reported as a window violation
            for gate in scope.gates:
                level = support[gate.series][signing]
                if level < gate.threshold.base - TOLERANCE:
                    series = problem.series_by_id[gate.series].name
                    yield Violation(
                        "support",
                        measure.id,
                        f"{measure.name} ({scope.name}) is signed in {_label(problem, signing)} "
                        f"when {series} is {level:.1f}, below its threshold "
                        f"{gate.threshold.base:g}",
                        signing,
                        gate.threshold.base - level,
                        (gate.series,),
                    )
        upgrade = course.upgrade
        if upgrade is None or not 0 <= course.upgrade_signing < problem.horizon:
            continue
        wide = measure.scope(upgrade.to_scope).name
        for gate in upgrade.gates:
            level = support[gate.series][course.upgrade_signing]
            if level < gate.threshold.base - TOLERANCE:
                series = problem.series_by_id[gate.series].name
                yield Violation(
                    "upgrade",
                    measure.id,
                    f"Widening {measure.name} to {wide} is signed in "
                    f"{_label(problem, course.upgrade_signing)} when {series} is {level:.1f}, "
                    f"below its threshold {gate.threshold.base:g}",
                    course.upgrade_signing,
                    gate.threshold.base - level,
                    (gate.series,),
                )


# -- resources -------------------------------------------------------------------------


def _capacities_after_events(
    problem: Problem, happenings: Sequence[Happening]
) -> dict[str, list[float]]:
    """Capacity of each renewable resource per period: overrides, then events, at least 0."""
    capacity = {
        r.id: [r.capacity_in(t) for t in range(problem.horizon)]
        for r in problem.resources
        if r.kind is ResourceKind.RENEWABLE
    }
    for happening in happenings:
        for shift in problem.capacity_shifts:
            if shift.event != happening.event or shift.resource not in capacity:
                continue
            strength = happening.weight * shift.amount.base
            for period in range(happening.period + shift.delay, problem.horizon):
                capacity[shift.resource][period] += strength
                strength *= 1.0 - shift.decay.base
    return {k: [max(0.0, v) for v in values] for k, values in capacity.items()}


def _resource_use(
    problem: Problem, plan: Plan, courses: Sequence[_Course]
) -> dict[str, list[float]]:
    use = {r.id: [0.0] * problem.horizon for r in problem.resources}
    negotiations = [(c.start, c.scope.length, c.scope.use) for c in courses]
    negotiations += [
        (c.upgrade_start, c.upgrade.length, c.upgrade.use) for c in courses if c.upgrade
    ]
    for start, length, amounts in negotiations:
        for resource_id, amount in amounts.items():
            resource = problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                periods = [start]  # consumed once, booked when negotiation starts
            else:
                periods = list(range(start, start + length))
            for period in periods:
                if 0 <= period < problem.horizon:
                    use[resource_id][period] += amount.base
    for u in plan.lever_uses:
        for resource_id, amount in problem.lever_by_id[u.lever].use.items():
            if 0 <= u.period < problem.horizon:
                use[resource_id][u.period] += amount.base
    return use


def _capacities(
    problem: Problem, use: dict[str, list[float]], capacity: dict[str, list[float]]
) -> Iterator[Violation]:
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
            available = capacity[resource.id][period]
            if amount > available + TOLERANCE:
                yield Violation(
                    "capacity",
                    resource.id,
                    f"{resource.name}: {amount:g} used in {_label(problem, period)}, "
                    f"capacity {available:g}",
                    period,
                    amount - available,
                )


# -- value -----------------------------------------------------------------------------


Discount = Callable[[int], float]


def _negotiation_cost(
    problem: Problem, start: int, length: int, amounts: dict[str, float], discount: Discount
) -> float:
    cost = 0.0
    for resource_id, amount in amounts.items():
        resource = problem.resource_by_id[resource_id]
        if resource.kind is ResourceKind.NONRENEWABLE:
            cost += resource.price.base * amount * discount(start)
        else:
            for period in range(start, start + length):
                cost += resource.price.base * amount * discount(period)
    return cost


def _scheduled(problem: Problem, course: _Course, weight: Discount, terminal: float) -> Scheduled:
    benefit = sum(
        course.benefit_at(problem, period) * weight(period)
        for period in range(course.in_force, problem.horizon)
    )
    # Beyond the horizon: the scope in force after the last period, unless it has lapsed.
    benefit += course.benefit_at(problem, problem.horizon) * terminal
    amounts = {r: a.base for r, a in course.scope.use.items()}
    cost = _negotiation_cost(problem, course.start, course.scope.length, amounts, weight)
    return Scheduled(
        course.measure.id,
        course.scope.id,
        course.start,
        course.signing,
        course.in_force,
        benefit,
        cost,
        course.lapse,
    )


def _widened(problem: Problem, course: _Course, weight: Discount, terminal: float) -> Widened:
    assert course.upgrade is not None
    upgrade = course.upgrade
    widened = course.upgrade_start + upgrade.length
    extra = (
        problem.scope(course.measure.id, upgrade.to_scope).benefit.base - course.scope.benefit.base
    )
    gain = sum(
        extra * weight(period)
        for period in range(max(widened, 0), problem.horizon)
        if course.in_force_at(period)
    )
    if widened <= problem.horizon and course.in_force_at(problem.horizon):
        gain += extra * terminal
    amounts = {r: a.base for r, a in upgrade.use.items()}
    cost = _negotiation_cost(problem, course.upgrade_start, upgrade.length, amounts, weight)
    return Widened(
        course.measure.id,
        upgrade.from_scope,
        upgrade.to_scope,
        course.upgrade_start,
        widened - 1,
        widened,
        cost,
        gain,
    )


def _overlaps(
    problem: Problem, courses: Sequence[_Course], weight: Discount, terminal: float
) -> Iterator[Overlap]:
    by_measure = {c.measure.id: c for c in courses}

    def at(course: _Course, scope: str | None, period: int) -> bool:
        return course.in_force_at(period) and scope in (None, course.scope_at(period))

    for pair in problem.substitutes:
        first, second = by_measure.get(pair.measure), by_measure.get(pair.other)
        if first is None or second is None:
            continue
        both = [
            t
            for t in range(problem.horizon + 1)
            if at(first, pair.scope, t) and at(second, pair.other_scope, t)
        ]
        if not both:
            continue
        value = sum(
            pair.overlap.base * (weight(t) if t < problem.horizon else terminal) for t in both
        )
        shown = tuple(t for t in both if t < problem.horizon)
        yield Overlap(pair.measure, pair.other, value, shown)


def _lever_cost(problem: Problem, plan: Plan, objective: ObjectiveSettings) -> float:
    cost = 0.0
    for u in plan.lever_uses:
        for resource_id, amount in problem.lever_by_id[u.lever].use.items():
            price = problem.resource_by_id[resource_id].price.base
            cost += price * amount.base * objective.discount(u.period)
    return cost
