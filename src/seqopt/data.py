"""The domain: measures, scopes, resources, levers, support series and their links.

Plain frozen records. Periods are referred to by index (0 is the first
period of the horizon); labels live in :attr:`Problem.periods`. Every estimated
number is an :class:`Estimate` so that later analyses can vary it; the
optimiser and the evaluator read its ``base``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property

from seqopt.errors import Origin

LAPSE_MARGIN = 1e-3
"""Points below a maintain threshold at which a renewal review fails for certain.

Support at or above the threshold (less a rounding tolerance of 1e-6) passes a
review; support at least this far below it fails, and the measure lapses. A
level in between is too close to call at the model's resolution (an integer
program tells "below" from "at or above" only with such a margin): a plan
putting a review there breaks the rule ``renewal``.
"""


class Force(StrEnum):
    """Whether a measure must, may or must not be done."""

    FREE = "free"
    IN = "in"
    OUT = "out"


class ResourceKind(StrEnum):
    """Renewable resources have a capacity per period, nonrenewable ones a total."""

    RENEWABLE = "renewable"
    NONRENEWABLE = "nonrenewable"


class DependencyKind(StrEnum):
    """How two measures are linked."""

    REQUIRES = "requires"
    EXCLUDES = "excludes"
    TOGETHER = "together"


class Distribution(StrEnum):
    """How an estimate's range is read as a probability distribution (for simulations)."""

    TRIANGULAR = "triangular"
    """Mode at the base value, falling linearly to zero at low and high."""
    UNIFORM = "uniform"
    """Every value from low to high equally likely (the base value plays no part)."""
    PERT = "pert"
    """Beta-PERT: a smooth bell from low to high with its mode at the base value."""


class CauseKind(StrEnum):
    """What moves a support series: a lever use, a measure in force, or an outside event."""

    LEVER = "lever"
    MEASURE = "measure"
    EVENT = "event"


@dataclass(frozen=True)
class Estimate:
    """A number with the range an analyst gives it (``low <= base <= high``).

    ``distribution`` says how a simulation draws values from the range; the
    optimiser and the evaluator read only ``base``.
    """

    base: float
    low: float
    high: float
    distribution: Distribution = Distribution.TRIANGULAR

    @classmethod
    def exact(cls, value: float) -> Estimate:
        """Return an estimate with no spread."""
        return cls(value, value, value)

    @property
    def is_exact(self) -> bool:
        """Whether low, base and high coincide."""
        return self.low == self.base == self.high


@dataclass(frozen=True)
class Gate:
    """A support series that must be at or above ``threshold`` when a scope is signed."""

    series: str
    threshold: Estimate
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)
    reliability: float | None = None
    """Share of sampled scenarios in which a plan's signing must clear this gate (a chance
    constraint, ``docs/uncertainty.md``); ``None``: no requirement of its own."""


@dataclass(frozen=True)
class Scope:
    """One way of doing a measure.

    Negotiation occupies periods ``start .. start + length - 1``; the scope is
    signed in the last of them and is in force from ``start + length`` on.
    """

    id: str
    name: str
    benefit: Estimate
    duration: Estimate
    earliest_start: int
    latest_finish: int
    use: Mapping[str, Estimate] = field(default_factory=dict)
    gates: tuple[Gate, ...] = ()
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)

    @cached_property
    def length(self) -> int:
        """Negotiation periods at the base duration."""
        return round(self.duration.base)


@dataclass(frozen=True)
class Upgrade:
    """A staged scope: widening a measure in force at ``from_scope`` to ``to_scope``.

    A measure signed at ``from_scope`` and in force from period ``F`` may start
    the upgrade in a period ``U >= F + lag`` (and within ``earliest_start`` and
    ``latest_finish``, as a scope's window). The upgrade is negotiated in
    ``U .. U + length - 1`` with its own resource use, signed in the last of
    them where its own gates are checked, and in force from ``U + length``: from
    then on the measure yields the benefit of ``to_scope`` instead of that of
    ``from_scope``, and effects tied to ``to_scope`` begin. A plan widens a
    measure at most once.
    """

    from_scope: str
    to_scope: str
    duration: Estimate
    earliest_start: int
    latest_finish: int
    lag: int = 0
    use: Mapping[str, Estimate] = field(default_factory=dict)
    gates: tuple[Gate, ...] = ()
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)

    @property
    def length(self) -> int:
        """Negotiation periods of the upgrade at the base duration."""
        return round(self.duration.base)


@dataclass(frozen=True)
class Measure:
    """A cooperation measure with its alternative scopes.

    ``upgrades`` are the ways to widen it once in force (staged scope).
    ``renew_every`` and ``maintain`` make it an agreement that renews: it is in
    force ``renew_every`` periods at a time and reviewed in the last period of
    each term; when support in that period is below any ``maintain`` threshold,
    it lapses (it is out of force from the next period on, for good).
    """

    id: str
    name: str
    scopes: tuple[Scope, ...]
    force: Force = Force.FREE
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)
    upgrades: tuple[Upgrade, ...] = ()
    renew_every: int | None = None
    maintain: tuple[Gate, ...] = ()

    def scope(self, scope_id: str) -> Scope:
        """Return the scope called ``scope_id``."""
        for scope in self.scopes:
            if scope.id == scope_id:
                return scope
        raise KeyError(f"measure {self.id!r} has no scope {scope_id!r}")

    def upgrade(self, from_scope: str, to_scope: str) -> Upgrade | None:
        """Return the upgrade from ``from_scope`` to ``to_scope``, if there is one."""
        for upgrade in self.upgrades:
            if upgrade.from_scope == from_scope and upgrade.to_scope == to_scope:
                return upgrade
        return None

    @property
    def renews(self) -> bool:
        """Whether the measure renews and may lapse."""
        return self.renew_every is not None and bool(self.maintain)


@dataclass(frozen=True)
class Resource:
    """A limited means, such as political capital or negotiation bandwidth."""

    id: str
    name: str
    kind: ResourceKind
    capacity: Estimate
    price: Estimate = field(default_factory=lambda: Estimate.exact(0.0))
    overrides: Mapping[int, Estimate] = field(default_factory=dict)
    unit: str = ""
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)

    def capacity_in(self, period: int) -> float:
        """Return the base capacity in ``period`` (renewable resources)."""
        override = self.overrides.get(period)
        return (override if override is not None else self.capacity).base


@dataclass(frozen=True)
class Lever:
    """A framing or messaging action, usable at most once per period."""

    id: str
    name: str
    max_uses: int
    earliest: int
    latest: int
    use: Mapping[str, Estimate] = field(default_factory=dict)
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Series:
    """A support series, in percent, with its baseline for every period."""

    id: str
    name: str
    baseline: tuple[Estimate, ...]
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Effect:
    """How a cause moves a series.

    A lever used in period ``u`` adds ``amount * (1 - decay) ** k`` points in
    period ``u + delay + k`` for every ``k >= 0``. A measure whose scope enters
    into force in period ``f`` does the same from period ``f + delay``.
    """

    cause_kind: CauseKind
    cause: str
    series: str
    amount: Estimate
    delay: int = 0
    decay: Estimate = field(default_factory=lambda: Estimate.exact(0.0))
    cause_scope: str | None = None
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Event:
    """Something outside the plan that happens, shifting support (effects) or capacity.

    A scheduled event happens in each of ``periods``. A random event has a
    ``probability`` of happening in each period from ``earliest`` to ``latest``
    (independently, so it may happen several times); ``solve`` leaves random
    events out unless the objective asks for their expected value, and
    ``simulate`` draws them per scenario (a drawn scenario holds them as
    scheduled events). Its shifts of support are :class:`Effect` rows with
    cause kind ``event``; its shifts of capacity are :class:`CapacityShift` rows.
    """

    id: str
    name: str
    periods: tuple[int, ...] = ()
    probability: Estimate | None = None
    earliest: int = 0
    latest: int | None = None
    """Last period a random event may happen; ``None``: the last period."""
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)

    @property
    def random(self) -> bool:
        """Whether the event happens by chance (has a probability per period)."""
        return self.probability is not None

    def window(self, horizon: int) -> range:
        """The periods in which a random event may happen."""
        latest = horizon - 1 if self.latest is None else self.latest
        return range(self.earliest, latest + 1)


@dataclass(frozen=True)
class CapacityShift:
    """How an event moves the per-period capacity of a renewable resource.

    Happening in period ``u``, the event adds ``amount * (1 - decay) ** k``
    units of capacity in period ``u + delay + k`` for every ``k >= 0`` (a
    negative amount removes capacity; capacity never falls below zero).
    """

    event: str
    resource: str
    amount: Estimate
    delay: int = 0
    decay: Estimate = field(default_factory=lambda: Estimate.exact(0.0))
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Substitute:
    """Two measures that deliver partly the same thing (overlapping benefit).

    In every period in which both are in force (each at the named scope, or
    any), the combined benefit is ``overlap`` value units less than the sum of
    the two benefits. Unlike ``excludes``, both may be done; unlike
    ``requires``, neither needs the other.
    """

    measure: str
    other: str
    overlap: Estimate
    scope: str | None = None
    other_scope: str | None = None
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Backlash:
    """A reaction to signing a measure without a named lever used during its negotiation.

    When ``measure`` (at ``scope``, or any) is signed in period ``s`` and
    ``lever`` was used in none of its negotiation periods, ``series`` moves by
    ``amount * (1 - decay) ** k`` points in period ``s + 1 + delay + k`` for
    every ``k >= 0`` (from the first period after the signing; the amount is
    usually negative). The backlash lasts whether or not the measure stays in force.
    """

    measure: str
    lever: str
    series: str
    amount: Estimate
    delay: int = 0
    decay: Estimate = field(default_factory=lambda: Estimate.exact(0.0))
    scope: str | None = None
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Dependency:
    """A link between two measures, optionally limited to given scopes.

    ``requires``: when ``measure`` is done (at ``scope``), ``other`` must be done
    (at ``other_scope``) and in force at least ``lag`` periods before ``measure``
    starts. ``excludes``: not both. ``together``: both or neither.
    """

    kind: DependencyKind
    measure: str
    other: str
    scope: str | None = None
    other_scope: str | None = None
    lag: int = 0
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Problem:
    """Everything the optimiser and the evaluator need, and nothing about how to solve it."""

    periods: tuple[str, ...]
    measures: tuple[Measure, ...]
    resources: tuple[Resource, ...] = ()
    levers: tuple[Lever, ...] = ()
    series: tuple[Series, ...] = ()
    effects: tuple[Effect, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    name: str = "problem"
    events: tuple[Event, ...] = ()
    capacity_shifts: tuple[CapacityShift, ...] = ()
    substitutes: tuple[Substitute, ...] = ()
    backlashes: tuple[Backlash, ...] = ()

    @property
    def horizon(self) -> int:
        """Number of periods."""
        return len(self.periods)

    # -- which policy dynamics the problem uses (docs/model.md) -------------------------
    # Engines that handle only the core model (scopes, resources, dependencies,
    # gates) can refuse a problem for which ``uses_dynamics`` is true.

    @property
    def uses_upgrades(self) -> bool:
        """Whether some measure can be widened to another scope once in force."""
        return any(m.upgrades for m in self.measures)

    @property
    def uses_renewals(self) -> bool:
        """Whether some measure renews and may lapse."""
        return any(m.renews for m in self.measures)

    @property
    def uses_events(self) -> bool:
        """Whether outside events (scheduled or random) are declared."""
        return bool(self.events)

    @property
    def uses_substitutes(self) -> bool:
        """Whether some measures have overlapping benefit."""
        return bool(self.substitutes)

    @property
    def uses_backlash(self) -> bool:
        """Whether signing some measure without a lever triggers a backlash."""
        return bool(self.backlashes)

    @property
    def uses_dynamics(self) -> bool:
        """Whether any of the five policy dynamics is used.

        Staged scope (upgrades), renewal and lapse, outside events, substitutes
        and backlash. A problem without them is the core model.
        """
        return (
            self.uses_upgrades
            or self.uses_renewals
            or self.uses_events
            or self.uses_substitutes
            or self.uses_backlash
        )

    @cached_property
    def measure_by_id(self) -> Mapping[str, Measure]:
        """Measures by id."""
        return {m.id: m for m in self.measures}

    @cached_property
    def resource_by_id(self) -> Mapping[str, Resource]:
        """Resources by id."""
        return {r.id: r for r in self.resources}

    @cached_property
    def lever_by_id(self) -> Mapping[str, Lever]:
        """Levers by id."""
        return {lever.id: lever for lever in self.levers}

    @cached_property
    def series_by_id(self) -> Mapping[str, Series]:
        """Series by id."""
        return {s.id: s for s in self.series}

    @cached_property
    def event_by_id(self) -> Mapping[str, Event]:
        """Events by id."""
        return {e.id: e for e in self.events}

    def scope(self, measure_id: str, scope_id: str) -> Scope:
        """Return a scope by measure and scope id."""
        return self.measure_by_id[measure_id].scope(scope_id)

    def all_scopes(self) -> Iterator[tuple[Measure, Scope]]:
        """Yield every (measure, scope) pair in input order."""
        for measure in self.measures:
            for scope in measure.scopes:
                yield measure, scope

    def renamed(self, name: str) -> Problem:
        """Return the same problem under another name."""
        return replace(self, name=name)
