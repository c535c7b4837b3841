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
    """What moves a support series: a lever use or a measure in force."""

    LEVER = "lever"
    MEASURE = "measure"


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

    @property
    def length(self) -> int:
        """Negotiation periods at the base duration."""
        return round(self.duration.base)


@dataclass(frozen=True)
class Measure:
    """A cooperation measure with its alternative scopes."""

    id: str
    name: str
    scopes: tuple[Scope, ...]
    force: Force = Force.FREE
    source: str = ""
    origin: Origin | None = field(default=None, compare=False)

    def scope(self, scope_id: str) -> Scope:
        """Return the scope called ``scope_id``."""
        for scope in self.scopes:
            if scope.id == scope_id:
                return scope
        raise KeyError(f"measure {self.id!r} has no scope {scope_id!r}")


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

    @property
    def horizon(self) -> int:
        """Number of periods."""
        return len(self.periods)

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
