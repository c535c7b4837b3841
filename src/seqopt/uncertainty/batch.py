"""Score one plan in many scenarios at once: the evaluator's formulas on arrays.

Each scenario is the base problem with drawn values (:class:`Samples`, as
:func:`seqopt.uncertainty.estimates.with_values` reads them). Instead of
building and evaluating a problem per scenario, every estimated number becomes
a column of values, one per scenario (:func:`seqopt.uncertainty.estimates.indexed`
tells which column fills which place), and the horizon is simulated period by
period for all scenarios together with numpy: durations (so signings and
entries into force move), support with events, lever uses, backlashes, in-force
effects and renewal reviews, capacities moved by events, budgets, windows,
precedence and the objective.

The formulas are those of :mod:`seqopt.evaluate`, rewritten for arrays; tests
hold the two equal scenario by scenario (rules broken, value, support at every
signing) on many random problems with every policy dynamic. This module does not
replace the evaluator: every plan a solver returns is still checked by it.

Only plans that are valid in form are scored here (known ids, each measure at
most once, an upgrade from the scope signed): :func:`score_batch` raises
``ValueError`` otherwise. Rules that do not depend on the drawn values (lever
limits, forcing, excludes, together) are checked once for all scenarios.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from seqopt.data import (
    LAPSE_MARGIN,
    CauseKind,
    DependencyKind,
    Estimate,
    Force,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
    Upgrade,
)
from seqopt.evaluate import TOLERANCE
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, RandomEvents
from seqopt.uncertainty.estimates import happens_path, indexed
from seqopt.uncertainty.sampling import Samples

Numbers = NDArray[np.float64]
Whole = NDArray[np.int64]
Flags = NDArray[np.bool_]

NEVER = 10**6
"""A lapse period that never comes."""


@dataclass(frozen=True)
class GateScore:
    """One gate of one signing (or widening) of the plan, in every scenario."""

    measure: str
    scope: str
    """The scope signed (for a widening: the scope widened to)."""
    series: str
    widening: bool
    threshold: Numbers
    support: Numbers
    """Support at the signing; ``nan`` where the signing falls after the horizon."""
    cleared: Flags
    """Signed on schedule (see :attr:`BatchScore.on_schedule`) with support at or above
    the threshold (less the evaluator's tolerance)."""

    @property
    def margin(self) -> Numbers:
        """Points of support to spare at the signing (negative: short)."""
        return self.support - self.threshold


@dataclass(frozen=True)
class BatchScore:
    """A plan scored in every scenario of a sample."""

    count: int
    broken: dict[str, Flags]
    """Each rule the plan breaks in some scenario, by the name
    :func:`seqopt.uncertainty.scenarios.broken_rule` gives it, with where it breaks."""
    values: Numbers
    """The objective in each scenario (value, or makespan in periods), rules broken or not."""
    gates: tuple[GateScore, ...]
    on_schedule: Flags
    """Every signing and widening in its window and after what it needs, and no renewal
    review too close to call: support follows the plan's course."""

    @property
    def holds(self) -> Flags:
        """Scenarios in which the plan breaks no rule."""
        held = np.ones(self.count, dtype=bool)
        for where in self.broken.values():
            held &= ~where
        return held

    @property
    def reliability(self) -> float:
        """Share of scenarios in which the plan breaks no rule."""
        return float(self.holds.mean()) if self.count else 1.0


def score_batch(
    problem: Problem, plan: Plan, objective: ObjectiveSettings, samples: Samples
) -> BatchScore:
    """``plan`` scored in every scenario of ``samples`` (values by site path, 0/1 event draws)."""
    return Scorer(problem, objective, samples).score(plan)


class Scorer:
    """Scores plans in the scenarios of one sample (the values are laid out once)."""

    def __init__(self, problem: Problem, objective: ObjectiveSettings, samples: Samples) -> None:
        self.problem = problem
        self.objective = objective
        self.values = _Values(problem, samples)

    def score(self, plan: Plan) -> BatchScore:
        """``plan`` scored in every scenario."""
        return _Batch(self.problem, plan, self.objective, self.values).score()


# -- values of every site, per scenario ---------------------------------------------------


class _Values:
    """Every estimate of the problem as a column of per-scenario values."""

    def __init__(self, problem: Problem, samples: Samples) -> None:
        self.shape, found = indexed(problem)
        self.count = len(samples)
        column = {path: k for k, path in enumerate(samples.paths)}
        self.matrix = np.empty((len(found), self.count))
        for j, site in enumerate(found):
            k = column.get(site.path)
            self.matrix[j] = samples.values[:, k] if k is not None else site.estimate.base
        self.samples = samples
        self.column = column

    def of(self, estimate: Estimate) -> Numbers:
        """The values of the site behind ``estimate`` (an estimate of :attr:`shape`)."""
        row: Numbers = self.matrix[int(estimate.base)]
        return row

    def whole(self, estimate: Estimate) -> Whole:
        """Whole-number values (durations): as :attr:`seqopt.data.Scope.length` rounds them."""
        return np.rint(self.of(estimate)).astype(np.int64)

    def drawn(self, path: str) -> Numbers | None:
        """A column of the samples by path (event draws), or ``None``."""
        k = self.column.get(path)
        return self.samples.values[:, k] if k is not None else None


# -- the plan, one course per measure -------------------------------------------------------


@dataclass
class _Course:
    measure: Measure
    scope: Scope
    start: int
    length: Whole
    upgrade: Upgrade | None = None
    upgrade_start: int = 0
    upgrade_length: Whole | None = None

    @property
    def signing(self) -> Whole:
        return self.start + self.length - 1

    @property
    def in_force(self) -> Whole:
        return self.start + self.length

    @property
    def widened(self) -> Whole | None:
        if self.upgrade is None or self.upgrade_length is None:
            return None
        return self.upgrade_start + self.upgrade_length


class _Batch:
    def __init__(
        self, problem: Problem, plan: Plan, objective: ObjectiveSettings, values: _Values
    ) -> None:
        self.problem = problem
        self.plan = plan
        self.objective = objective
        self.values = values
        self.shape = self.values.shape
        self.count = self.values.count
        self.horizon = problem.horizon
        self.broken: dict[str, Flags] = {}
        self.names = {
            **{m.id: m.name for m in problem.measures},
            **{r.id: r.name for r in problem.resources},
            **{lever.id: lever.name for lever in problem.levers},
        }
        self.off_schedule = np.zeros(self.count, dtype=bool)
        self.courses = self._courses()
        self.lapse = {
            c.measure.id: np.full(self.count, NEVER, dtype=np.int64) for c in self.courses
        }
        self.support = {
            s.id: np.stack([self.values.of(v) for v in s.baseline], axis=1)
            for s in self.shape.series
        }
        self.happenings = self._happenings()

    # -- names of broken rules, as seqopt.uncertainty.scenarios.broken_rule gives them --

    def _break(self, rule: str, subject: str, where: Flags | bool, series: str = "") -> None:
        text = f"{rule}: {self.names.get(subject, subject)}"
        if series:
            text += f" ({self.problem.series_by_id[series].name})"
        flags = np.broadcast_to(np.asarray(where, dtype=bool), (self.count,))
        if not flags.any():
            return
        self.broken[text] = self.broken.get(text, np.zeros(self.count, dtype=bool)) | flags

    def score(self) -> BatchScore:
        self._fixed_rules()
        self._windows_and_precedence()
        self._events_on_support()
        self._levers_on_support()
        self._backlash()
        self._in_force_and_reviews()
        gates = self._gates()
        self._capacities()
        values = self._objective()
        return BatchScore(
            self.count,
            {k: v.copy() for k, v in self.broken.items()},
            values,
            tuple(gates),
            ~self.off_schedule,
        )

    def _courses(self) -> list[_Course]:
        problem, plan = self.problem, self.plan
        seen: set[str] = set()
        courses: dict[str, _Course] = {}
        for a in plan.assignments:
            measure = problem.measure_by_id.get(a.measure)
            if (
                measure is None
                or a.measure in seen
                or a.scope not in {s.id for s in measure.scopes}
            ):
                raise ValueError(f"not a valid plan step: {a}")
            seen.add(a.measure)
            shape = self.shape.measure_by_id[a.measure].scope(a.scope)
            courses[a.measure] = _Course(
                measure, measure.scope(a.scope), a.start, self.values.whole(shape.duration)
            )
        widened: set[str] = set()
        for up in plan.upgrades:
            course = courses.get(up.measure)
            upgrade = course.measure.upgrade(course.scope.id, up.scope) if course else None
            if course is None or upgrade is None or up.measure in widened:
                raise ValueError(f"not a valid widening: {up}")
            widened.add(up.measure)
            widening = self.shape.measure_by_id[up.measure].upgrade(course.scope.id, up.scope)
            assert widening is not None
            course.upgrade, course.upgrade_start = upgrade, up.start
            course.upgrade_length = self.values.whole(widening.duration)
        for use in plan.lever_uses:
            if use.lever not in problem.lever_by_id:
                raise ValueError(f"unknown lever {use.lever!r}")
        return list(courses.values())

    # -- rules that depend on the draws only through durations ---------------------------

    def _fixed_rules(self) -> None:
        """Forcing, lever limits, excludes and together: the same in every scenario."""
        problem = self.problem
        done = {c.measure.id: c for c in self.courses}
        for measure in problem.measures:
            if measure.force is Force.IN and measure.id not in done:
                self._break("force", measure.id, True)
            if measure.force is Force.OUT and measure.id in done:
                self._break("force", measure.id, True)
        periods: dict[str, list[int]] = defaultdict(list)
        for use in self.plan.lever_uses:
            periods[use.lever].append(use.period)
        for lever_id, used in periods.items():
            lever = problem.lever_by_id[lever_id]
            bad = len(used) > lever.max_uses or len(set(used)) < len(used)
            bad |= any(not lever.earliest <= t <= lever.latest for t in used)
            self._break("lever", lever_id, bad)
        for dep in problem.dependencies:
            first = self._matching(dep.measure, dep.scope)
            second = self._matching(dep.other, dep.other_scope)
            if dep.kind is DependencyKind.EXCLUDES:
                self._break("excludes", dep.measure, first is not None and second is not None)
            elif dep.kind is DependencyKind.TOGETHER:
                self._break("together", dep.measure, (first is None) != (second is None))

    def _matching(self, measure: str, scope: str | None) -> _Course | None:
        course = next((c for c in self.courses if c.measure.id == measure), None)
        if course is None or (scope is not None and course.scope.id != scope):
            return None
        return course

    def _windows_and_precedence(self) -> None:
        for c in self.courses:
            late = c.signing > c.scope.latest_finish
            early = c.start < c.scope.earliest_start
            self._break("window", c.measure.id, late | early)
            self.off_schedule |= late | early
            if c.upgrade is None or c.upgrade_length is None:
                continue
            up = c.upgrade
            wrong = (c.upgrade_start < c.in_force + up.lag) | (c.upgrade_start < up.earliest_start)
            wrong |= c.upgrade_start + c.upgrade_length - 1 > up.latest_finish
            self._break("upgrade", c.measure.id, wrong)
            self.off_schedule |= wrong
        for dep in self.problem.dependencies:
            if dep.kind is not DependencyKind.REQUIRES:
                continue
            first = self._matching(dep.measure, dep.scope)
            if first is None:
                continue
            second = self._matching(dep.other, dep.other_scope)
            if second is None:
                self._break("requires", dep.measure, True)
            else:
                self._break("requires", dep.measure, first.start < second.in_force + dep.lag)

    # -- support, period by period ----------------------------------------------------------

    def _add_decaying(
        self, series: str, begins: Whole | int, amount: Numbers, retained: Numbers
    ) -> None:
        """Add ``amount * retained ** (t - begins)`` to ``series`` from period ``begins`` on."""
        if series not in self.support:
            return
        target = self.support[series]
        first = np.maximum(np.asarray(begins), 0)
        for t in range(self.horizon):
            active = t >= first
            if np.any(active):
                target[:, t] += np.where(active, amount * retained ** (t - first), 0.0)

    def _happenings(self) -> list[tuple[str, int, Numbers]]:
        """Outside events counted in each scenario: (event, period, weight per scenario)."""
        found: list[tuple[str, int, Numbers]] = []
        for event, shape in zip(self.problem.events, self.shape.events, strict=True):
            if event.probability is None:
                found += [
                    (event.id, t, np.ones(self.count))
                    for t in event.periods
                    if 0 <= t < self.horizon
                ]
                continue
            window = event.window(self.horizon)
            drawn = {t: self.values.drawn(happens_path(self.problem, event, t)) for t in window}
            if any(v is not None for v in drawn.values()):
                for t, column in drawn.items():
                    happened = np.zeros(self.count) if column is None else (column == 1.0) * 1.0
                    found.append((event.id, t, happened))
            elif self.objective.random_events is RandomEvents.EXPECTED:
                assert shape.probability is not None
                chance = self.values.of(shape.probability)
                found += [(event.id, t, chance) for t in window]
        return found

    def _effects(self, kind: CauseKind, cause: str) -> list[tuple[str, int, Numbers, Numbers]]:
        """(series, delay, amount, retained share) of every effect of a cause."""
        return [
            (e.series, e.delay, self.values.of(e.amount), 1.0 - self.values.of(e.decay))
            for e in self.shape.effects
            if e.cause_kind is kind and e.cause == cause
        ]

    def _events_on_support(self) -> None:
        for event, period, weight in self.happenings:
            for series, delay, amount, retained in self._effects(CauseKind.EVENT, event):
                self._add_decaying(series, period + delay, weight * amount, retained)

    def _levers_on_support(self) -> None:
        for use in self.plan.lever_uses:
            for series, delay, amount, retained in self._effects(CauseKind.LEVER, use.lever):
                self._add_decaying(series, use.period + delay, amount, retained)

    def _backlash(self) -> None:
        used: dict[str, list[int]] = defaultdict(list)
        for use in self.plan.lever_uses:
            used[use.lever].append(use.period)
        for c in self.courses:
            for b, shape in zip(self.problem.backlashes, self.shape.backlashes, strict=True):
                if b.measure != c.measure.id or b.scope not in (None, c.scope.id):
                    continue
                averted = np.zeros(self.count, dtype=bool)
                for t in used.get(b.lever, []):
                    averted |= (c.start <= t) & (t <= c.signing)
                amount = np.where(averted, 0.0, self.values.of(shape.amount))
                retained = 1.0 - self.values.of(shape.decay)
                self._add_decaying(b.series, c.signing + 1 + b.delay, amount, retained)

    def _in_force_at(self, c: _Course, t: int) -> Flags:
        return (c.in_force <= t) & (t < self.lapse[c.measure.id])

    def _in_force_and_reviews(self) -> None:
        effects = {c.measure.id: self._measure_effects(c) for c in self.courses}
        for t in range(self.horizon):
            for c in self.courses:
                on = self._in_force_at(c, t)
                for series, begins, amount, retained in effects[c.measure.id]:
                    if series not in self.support:
                        continue
                    active = on & (t >= begins)
                    if np.any(active):
                        step = np.where(active, amount * retained ** (t - begins), 0.0)
                        self.support[series][:, t] += step
            for c in self.courses:
                self._review(c, t)

    def _measure_effects(self, c: _Course) -> list[tuple[str, Whole, Numbers, Numbers]]:
        """In-force effects of a course: (series, first period, amount, retained share)."""
        found = []
        for e in self.shape.effects:
            if e.cause_kind is not CauseKind.MEASURE or e.cause != c.measure.id:
                continue
            if e.cause_scope is None or e.cause_scope == c.scope.id:
                begins = c.in_force
            elif c.upgrade is not None and e.cause_scope == c.upgrade.to_scope:
                widened = c.widened
                assert widened is not None
                begins = widened
            else:
                continue
            amount, retained = self.values.of(e.amount), 1.0 - self.values.of(e.decay)
            found.append((e.series, begins + e.delay, amount, retained))
        return found

    def _review(self, c: _Course, t: int) -> None:
        measure = c.measure
        every = measure.renew_every
        if not measure.renews or every is None:
            return
        reviewed = self._in_force_at(c, t) & ((t - c.in_force + 1) % every == 0)
        if not reviewed.any():
            return
        failed = np.zeros(self.count, dtype=bool)
        shape = self.shape.measure_by_id[measure.id]
        for gate, gate_shape in zip(measure.maintain, shape.maintain, strict=True):
            level = self.support[gate.series][:, t]
            threshold = self.values.of(gate_shape.threshold)
            passed = level >= threshold - TOLERANCE
            short = ~passed & (level <= threshold - LAPSE_MARGIN + 1e-9)
            close = reviewed & ~passed & ~short
            self._break("renewal", measure.id, close)
            self.off_schedule |= close
            failed |= short
        lapsing = reviewed & failed
        self.lapse[measure.id] = np.where(lapsing, t + 1, self.lapse[measure.id])

    # -- gates, capacities, budgets ---------------------------------------------------------

    def _gates(self) -> list[GateScore]:
        found = []
        for c in self.courses:
            shape = self.shape.measure_by_id[c.measure.id]
            scope_gates = zip(c.scope.gates, shape.scope(c.scope.id).gates, strict=True)
            for gate, gate_shape in scope_gates:
                found.append(self._gate(c, c.scope.id, gate.series, gate_shape.threshold, False))
            if c.upgrade is not None:
                up_shape = shape.upgrade(c.upgrade.from_scope, c.upgrade.to_scope)
                assert up_shape is not None
                for gate, gate_shape in zip(c.upgrade.gates, up_shape.gates, strict=True):
                    found.append(
                        self._gate(c, c.upgrade.to_scope, gate.series, gate_shape.threshold, True)
                    )
        return found

    def _gate(
        self, c: _Course, scope: str, series: str, threshold: Estimate, widening: bool
    ) -> GateScore:
        widened = c.widened
        signing = widened - 1 if widening and widened is not None else c.signing
        inside = (signing >= 0) & (signing < self.horizon)
        where = np.clip(signing, 0, self.horizon - 1)
        support = self.support[series][np.arange(self.count), where]
        support = np.where(inside, support, np.nan)
        bar = self.values.of(threshold)
        short = inside & (support < bar - TOLERANCE)
        if widening:
            self._break("upgrade", c.measure.id, short)
        else:
            self._break("support", c.measure.id, short, series)
        cleared = inside & ~short & ~self.off_schedule
        return GateScore(c.measure.id, scope, series, widening, bar, support, cleared)

    def _negotiations(self) -> list[tuple[int, Whole, dict[str, Estimate]]]:
        """(start, length, use) of every negotiation of the plan: signings, then widenings."""
        shape = self.shape
        found = []
        for c in self.courses:
            uses = shape.measure_by_id[c.measure.id].scope(c.scope.id).use
            found.append((c.start, c.length, dict(uses)))
        for c in self.courses:
            if c.upgrade is not None and c.upgrade_length is not None:
                up = shape.measure_by_id[c.measure.id].upgrade(c.scope.id, c.upgrade.to_scope)
                assert up is not None
                found.append((c.upgrade_start, c.upgrade_length, dict(up.use)))
        return found

    def _capacities(self) -> None:
        periods = np.arange(self.horizon)
        for resource, shape in zip(self.problem.resources, self.shape.resources, strict=True):
            use = np.zeros((self.count, self.horizon))
            for start, length, amounts in self._negotiations():
                amount = amounts.get(resource.id)
                if amount is None:
                    continue
                drawn = self.values.of(amount)[:, None]
                if resource.kind is ResourceKind.NONRENEWABLE:
                    if 0 <= start < self.horizon:
                        use[:, start] += drawn[:, 0]
                    continue
                active = (periods[None, :] >= start) & (periods[None, :] < start + length[:, None])
                use += np.where(active, drawn, 0.0)
            for u in self.plan.lever_uses:
                lever = self.shape.lever_by_id[u.lever]
                amount = lever.use.get(resource.id)
                if amount is not None and 0 <= u.period < self.horizon:
                    use[:, u.period] += self.values.of(amount)
            if resource.kind is ResourceKind.NONRENEWABLE:
                total = use.sum(axis=1)
                self._break(
                    "budget", resource.id, total > self.values.of(shape.capacity) + TOLERANCE
                )
                continue
            capacity = self._capacity(resource.id, shape)
            over: Flags = np.any(use > capacity + TOLERANCE, axis=1)
            self._break("capacity", resource.id, over)

    def _capacity(self, resource_id: str, shape: Resource) -> Numbers:
        capacity = np.empty((self.count, self.horizon))
        for t in range(self.horizon):
            override = shape.overrides.get(t)
            capacity[:, t] = self.values.of(override if override is not None else shape.capacity)
        for event, period, weight in self.happenings:
            for shift in self.shape.capacity_shifts:
                if shift.event != event or shift.resource != resource_id:
                    continue
                strength = weight * self.values.of(shift.amount)
                retained = 1.0 - self.values.of(shift.decay)
                for t in range(period + shift.delay, self.horizon):
                    capacity[:, t] += strength
                    strength = strength * retained
        return np.maximum(capacity, 0.0)

    # -- the objective -------------------------------------------------------------------------

    def _objective(self) -> Numbers:
        if self.objective.kind is ObjectiveKind.MAKESPAN:
            finish = np.zeros(self.count, dtype=np.int64)
            for c in self.courses:
                finish = np.maximum(finish, c.in_force)
                widened = c.widened
                if widened is not None:
                    finish = np.maximum(finish, widened)
            return finish.astype(np.float64)
        longest = max(
            [int(length.max()) for _, length, _ in self._negotiations()] + [0],
        )
        reach = self.horizon + longest + max((u.period for u in self.plan.lever_uses), default=0)
        weight = np.array([self.objective.discount(t) for t in range(reach + 1)])
        terminal = self.objective.terminal_weight(self.horizon)
        benefit = np.zeros(self.count)
        for c in self.courses:
            benefit += self._benefit(c, weight, terminal)
        cost = np.zeros(self.count)
        for start, length, amounts in self._negotiations():
            cost += self._negotiation_cost(start, length, amounts, weight)
        for u in self.plan.lever_uses:
            lever = self.shape.lever_by_id[u.lever]
            for resource_id, amount in lever.use.items():
                price = self.shape.resource_by_id[resource_id].price
                cost += self.values.of(price) * self.values.of(amount) * weight[u.period]
        return benefit - self._overlap(weight, terminal) - cost

    def _benefit_at(self, c: _Course, t: int) -> Numbers:
        shape = self.shape.measure_by_id[c.measure.id]
        value = self.values.of(shape.scope(c.scope.id).benefit)
        widened = c.widened
        if c.upgrade is not None and widened is not None:
            wide = self.values.of(shape.scope(c.upgrade.to_scope).benefit)
            value = np.where(t >= widened, wide, value)
        return np.where(self._in_force_at(c, t), value, 0.0)

    def _benefit(self, c: _Course, weight: Numbers, terminal: float) -> Numbers:
        total = np.zeros(self.count)
        for t in range(self.horizon):
            total += self._benefit_at(c, t) * weight[t]
        return total + self._benefit_at(c, self.horizon) * terminal

    def _negotiation_cost(
        self, start: int, length: Whole, amounts: dict[str, Estimate], weight: Numbers
    ) -> Numbers:
        cost = np.zeros(self.count)
        spread = np.cumsum(weight)
        # Sum of weights over start .. start + length - 1, per scenario.
        over = spread[start + length - 1] - (spread[start - 1] if start > 0 else 0.0)
        for resource_id, amount in amounts.items():
            resource = self.shape.resource_by_id[resource_id]
            price = self.values.of(resource.price) * self.values.of(amount)
            if resource.kind is ResourceKind.NONRENEWABLE:
                cost += price * weight[start]
            else:
                cost += price * over
        return cost

    def _overlap(self, weight: Numbers, terminal: float) -> Numbers:
        total = np.zeros(self.count)
        by_measure = {c.measure.id: c for c in self.courses}
        for pair, shape in zip(self.problem.substitutes, self.shape.substitutes, strict=True):
            first, second = by_measure.get(pair.measure), by_measure.get(pair.other)
            if first is None or second is None:
                continue
            overlap = self.values.of(shape.overlap)
            for t in range(self.horizon + 1):
                both = self._at(first, pair.scope, t) & self._at(second, pair.other_scope, t)
                slot = weight[t] if t < self.horizon else terminal
                total += np.where(both, overlap * slot, 0.0)
        return total

    def _at(self, c: _Course, scope: str | None, t: int) -> Flags:
        """In force in ``t`` at ``scope`` (any scope when ``None``)."""
        on = self._in_force_at(c, t)
        if scope is None:
            return on
        widened = c.widened
        if c.upgrade is not None and widened is not None:
            wide: Flags = on & (t >= widened)
            return (
                wide
                if c.upgrade.to_scope == scope
                else (on & ~wide if c.scope.id == scope else on & False)
            )
        return on if c.scope.id == scope else on & False
