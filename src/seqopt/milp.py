"""Build the time-indexed integer program for a problem (PuLP).

The maths is in ``docs/model.md``; each ``_add_*`` method carries its piece.
Binary ``start[m,s,t]`` says scope ``s`` of measure ``m`` starts negotiating in
period ``t``; binary ``use[l,t]`` says lever ``l`` is used in period ``t``.
Only starts that can possibly be feasible get a variable: inside the window,
and signing in a period where the series it needs can reach its threshold.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from typing import Protocol

import pulp

from seqopt.data import (
    LAPSE_MARGIN,
    Backlash,
    CauseKind,
    DependencyKind,
    Effect,
    Estimate,
    Force,
    Lever,
    Measure,
    Problem,
    ResourceKind,
    Scope,
    Upgrade,
)
from seqopt.plan import upgrade_step
from seqopt.presolve import scope_windows, start_windows
from seqopt.settings import ObjectiveKind, ObjectiveSettings, RandomEvents

EPS = 1e-9

StartKey = tuple[str, str, int]
UseKey = tuple[str, int]
UpgradeKey = tuple[str, str, str, int]
"""An upgrade start: (measure, from scope, to scope, period its negotiation starts)."""
Term = tuple[pulp.LpVariable, float]


@dataclass(frozen=True)
class Candidate:
    """A start that gets a variable: scope ``scope`` of ``measure`` starting in ``start``."""

    measure: Measure
    scope: Scope
    start: int

    @property
    def in_force(self) -> int:
        """First period in force."""
        return self.start + self.scope.length

    @property
    def signing(self) -> int:
        """Period of signing (the last negotiation period)."""
        return self.start + self.scope.length - 1


@dataclass(frozen=True)
class UpgradeCandidate:
    """An upgrade start that gets a variable: ``upgrade`` of ``measure`` starting in ``start``."""

    measure: Measure
    upgrade: Upgrade
    start: int

    @property
    def signing(self) -> int:
        """Period the upgrade is signed in."""
        return self.start + self.upgrade.length - 1

    @property
    def in_force(self) -> int:
        """First period in force at the wider scope."""
        return self.start + self.upgrade.length


@dataclass(frozen=True)
class Relax:
    """How a row may give way in the elastic model, and what a unit of give means.

    ``family`` is one of: forced, lever, requires, excludes, together,
    capacity, budget, support. ``subject`` names what the row is about.
    """

    family: str
    subject: tuple[str, ...]
    period: int | None
    weight: float
    """Penalty per unit of slack (units are points, resource units, uses, or 0-1)."""
    upper: float
    """Most the row can give."""


@dataclass(frozen=True)
class Slack:
    """A slack variable of the elastic model and the row it relaxes."""

    relax: Relax
    variable: pulp.LpVariable
    sign: float
    """+1 when the slack adds to the row's left side, -1 when it subtracts."""


@dataclass(frozen=True)
class Elastic:
    """The elastic model's handles: what each slack relaxes, and starts outside windows."""

    built: Built
    """Its start and lever variables and its objective: the price of giving way."""
    slacks: list[Slack]
    """Every slack variable."""
    outside: dict[StartKey, int]
    """Periods by which each start lies outside its window."""


class Sink(Protocol):
    """Where a builder puts what it builds: PuLP by default, or plain arrays for HiGHS."""

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> pulp.LpVariable:
        """Add a variable (``None`` bounds are infinite; a binary has bounds 0 and 1).

        ``integer`` makes a general integer variable within the bounds.
        """
        ...

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        """Add the row ``sum(coefficient * variable) <sense> rhs`` (``<=``, ``>=``, ``==``)."""
        ...


class PulpSink:
    """Variables and rows of a :class:`pulp.LpProblem`."""

    def __init__(self, lp: pulp.LpProblem) -> None:
        self.lp = lp

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> pulp.LpVariable:
        """Add a PuLP variable."""
        if binary:
            return self.lp.add_variable(name, cat=pulp.LpBinary)
        category = pulp.LpInteger if integer else pulp.LpContinuous
        return self.lp.add_variable(name, low, high, category)

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        """Add a PuLP constraint."""
        expression = pulp.LpAffineExpression(terms)
        if sense == "<=":
            self.lp.addConstraint(expression <= rhs, name)
        elif sense == ">=":
            self.lp.addConstraint(expression >= rhs, name)
        else:
            self.lp.addConstraint(expression == rhs, name)


class _Prefixed:
    """A sink that puts ``prefix`` before every name it is given."""

    def __init__(self, sink: Sink, prefix: str) -> None:
        self.sink = sink
        self.prefix = prefix

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> pulp.LpVariable:
        return self.sink.variable(self.prefix + name, low, high, binary=binary, integer=integer)

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        self.sink.row(terms, sense, rhs, self.prefix + name)


@dataclass(frozen=True)
class Block:
    """One scenario's part of a model whose schedule several scenarios share.

    The start and lever variables are the shared ones; the rows (capacities,
    budgets, gates, precedence in force) and the objective are the scenario's own.
    """

    starts: Mapping[StartKey, pulp.LpVariable]
    """Shared start variables: only starts possible in every scenario."""
    uses: Mapping[UseKey, pulp.LpVariable]
    prefix: str
    """Put before the names of the scenario's own variables and rows."""
    first: bool
    """Whether this block adds the rows that do not depend on the scenario (one scope
    per measure, lever limits)."""
    upgrades: Mapping[UpgradeKey, pulp.LpVariable] = field(default_factory=dict)
    """Shared upgrade start variables (staged scope), like ``starts``."""


@dataclass(frozen=True)
class Built:
    """A model built into a sink other than PuLP: its handles and objective.

    ``starts`` holds the upgrade starts too, under their step ids (see
    :data:`seqopt.plan.UPGRADE_STEP`), so that a plan read from it has its upgrades.
    """

    starts: dict[StartKey, pulp.LpVariable]
    uses: dict[UseKey, pulp.LpVariable]
    primary: list[Term]
    """Objective terms (maximised for value, minimised for makespan)."""
    notes: list[str]


# Penalties of the elastic model: per unit of give, and per relaxation (so fewer win).
ELASTIC_WEIGHTS = {
    "support": 1.0,  # per point of support
    "capacity": 100.0,  # per whole capacity of the period (so 1 per per cent)
    "budget": 100.0,  # per whole budget
    "window": 5.0,  # per period outside a window
    "lever": 10.0,  # per extra use
    "requires": 100.0,
    "excludes": 100.0,
    "together": 100.0,
    "forced": 200.0,
}
PER_RELAXATION = 20.0


def build_into(
    problem: Problem, objective: ObjectiveSettings, sink: Sink, makespan_bound: int | None = None
) -> Built:
    """Write the integer program for ``problem`` under ``objective`` into ``sink``.

    ``makespan_bound`` is the makespan of a known feasible plan; with the
    makespan objective it lets the model drop every start that would finish later.
    """
    if objective.kind is not ObjectiveKind.MAKESPAN:
        makespan_bound = None
    builder = _Builder(problem, objective, makespan_bound, sink=sink)
    builder.add_rows()
    return Built(builder.plan_starts(), builder.uses, builder.primary_terms(), builder.notes)


def build_with_cost_into(
    problem: Problem, objective: ObjectiveSettings, sink: Sink
) -> tuple[Built, list[Term], list[Term]]:
    """:func:`build_into` for the value objective, and the terms of the plan's political cost.

    Returns the built model, whose ``primary`` terms are the net value, and the
    cost terms discounted (value plus these is the benefit) and undiscounted (the
    capital spent). For the benefit–cost frontier (:mod:`seqopt.tradeoffs.cost_frontier`).
    """
    builder = _Builder(problem, objective, None, sink=sink)
    builder.add_rows()
    built = Built(builder.plan_starts(), builder.uses, builder.primary_terms(), builder.notes)
    return built, builder.cost_terms(), builder.cost_terms(discounted=False)


def build_scenario_rows(
    problem: Problem,
    objective: ObjectiveSettings,
    sink: Sink,
    block: Block,
    *,
    objective_terms: bool = False,
) -> list[Term]:
    """Add one scenario's rows over shared variables, with every start in its scope's window.

    The starts and bounds are those of the scopes' own windows
    (:func:`seqopt.presolve.scope_windows`), with nothing presolved away, so that the
    block may hold any start of :func:`scope_starts` that fits the scenario:
    a chance-constrained model lets a schedule break some scenarios' rules, and a start
    the presolve of one scenario would drop (a dominated scope) may be right in another.
    Returns the scenario's objective terms when ``objective_terms`` is set, else none.
    """
    builder = _Builder(problem, objective, None, sink=_Prefixed(sink, block.prefix), block=block)
    builder.windows = scope_windows(problem)
    builder.add_rows()
    return builder.primary_terms() if objective_terms else []


def scope_starts(problem: Problem) -> set[StartKey]:
    """Every start inside its scope's window whose gates can be reached; nothing presolved."""
    builder = _Builder(problem, ObjectiveSettings(), None, sink=_NoSink())
    builder.windows = scope_windows(problem)
    builder.low, builder.high = builder._support_bounds()
    return {
        (measure.id, scope.id, t)
        for measure in problem.measures
        if measure.force is not Force.OUT
        for scope in measure.scopes
        for t in builder._window_starts(measure, scope)
        if builder._reachable(Candidate(measure, scope, t))
    }


def scope_upgrades(problem: Problem) -> set[UpgradeKey]:
    """Every upgrade start of :func:`scope_starts`' model whose gates can be reached."""
    builder = _Builder(problem, ObjectiveSettings(), None, sink=_NoSink())
    builder.windows = scope_windows(problem)
    builder.low, builder.high = builder._support_bounds()
    return {
        (measure.id, upgrade.from_scope, upgrade.to_scope, t)
        for measure in problem.measures
        if measure.force is not Force.OUT
        for upgrade in measure.upgrades
        for t in builder._upgrade_starts(measure, upgrade)
        if builder._upgrade_reachable(UpgradeCandidate(measure, upgrade, t))
    }


def lever_keys(problem: Problem) -> list[UseKey]:
    """Every lever use the integer program of ``problem`` has a variable for."""
    builder = _Builder(problem, ObjectiveSettings(), None, sink=_NoSink())
    return [(lever.id, t) for lever, t in builder._lever_periods()]


class _NoSink:
    """For builders that only compute bounds and windows."""

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> pulp.LpVariable:
        raise NotImplementedError

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        raise NotImplementedError


def build_elastic_into(problem: Problem, objective: ObjectiveSettings, sink: Sink) -> Elastic:
    """Write the elastic model into ``sink``: every rule may give way at a price.

    Every start in the horizon gets a variable (a start outside its window pays
    per period outside), every relaxable row gets a slack, and a binary per slack
    pays a fixed price when the slack is used, so that the smallest and the
    fewest relaxations win. Its objective (to minimise) is that price. Used to
    explain an infeasible model.
    """
    builder = _Builder(problem, objective, None, elastic=True, sink=sink)
    builder.add_rows()
    price = builder.elastic_terms()
    built = Built(builder.plan_starts(), builder.uses, price, builder.notes)
    return Elastic(built, builder.slacks, builder.outside)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)[:24]


def effect_at(effect: Effect, begins: int, period: int) -> float:
    """Points ``effect`` adds in ``period`` when it begins in ``begins``."""
    if period < begins:
        return 0.0
    return effect.amount.base * (1.0 - effect.decay.base) ** (period - begins)


class _Builder:
    def __init__(
        self,
        problem: Problem,
        objective: ObjectiveSettings,
        makespan_bound: int | None,
        *,
        elastic: bool = False,
        sink: Sink | None = None,
        block: Block | None = None,
    ) -> None:
        self.problem = problem
        self.block = block
        self.objective = objective
        self.horizon = problem.horizon
        self.makespan_bound = makespan_bound
        self.elastic = elastic
        self.slacks: list[Slack] = []
        self.outside: dict[StartKey, int] = {}
        self.windows = start_windows(problem, makespan_bound) if not elastic else None
        # Nothing happens after the last period a plan can use.
        self.span = min(self.horizon, makespan_bound) if makespan_bound else self.horizon
        self.sink: Sink = sink if sink is not None else _NoSink()
        self.starts: dict[StartKey, pulp.LpVariable] = {}
        self.candidates: dict[StartKey, Candidate] = {}
        self.uses: dict[UseKey, pulp.LpVariable] = {}
        self.by_measure: dict[str, list[StartKey]] = defaultdict(list)
        self.owner: dict[str, str] = {}
        """Measure id of each start variable, by variable name."""
        self.notes: list[str] = []
        self.effects_by_cause: dict[tuple[CauseKind, str], list[Effect]] = defaultdict(list)
        for effect in problem.effects:
            self.effects_by_cause[(effect.cause_kind, effect.cause)].append(effect)
        self._cumulative: dict[tuple[str, str, frozenset[str] | None], list[pulp.LpVariable]] = {}
        self._profiles: dict[tuple[CauseKind, str, str | None, str], list[float]] = {}
        self.support_vars: dict[tuple[str, int], pulp.LpVariable] = {}
        self.base_support, self.capacity = self._outside_events()
        self.upgrade_vars: dict[UpgradeKey, pulp.LpVariable] = {}
        self.upgrade_candidates: dict[UpgradeKey, UpgradeCandidate] = {}
        self.upgrades_by_measure: dict[str, list[UpgradeKey]] = {}
        self.backlash_vars: dict[tuple[StartKey, str], pulp.LpVariable] = {}
        """``b[c, l]``: start ``c`` is chosen and lever ``l`` is not used while it is negotiated."""
        self.lapse_vars: dict[tuple[StartKey, int], pulp.LpVariable] = {}
        """``mu[c, R]``: start ``c`` is chosen and lapses at its review in period ``R``."""
        self.joint_vars: dict[tuple[UpgradeKey, int], pulp.LpVariable] = {}
        """``nu[u, L]``: upgrade ``u`` is chosen and the measure is out of force from ``L``."""
        self.lapses_by_start: dict[StartKey, list[tuple[int, pulp.LpVariable]]] = {}
        self.joints_by_upgrade: dict[UpgradeKey, list[tuple[int, pulp.LpVariable]]] = {}
        self.overlap_terms: list[Term] = []
        self._dynamic_index: dict[tuple[str, int], dict[pulp.LpVariable, float]] | None = None

    def add_rows(self) -> None:
        """Every variable and row; the objective is left to the caller."""
        self.low, self.high = self._support_bounds()
        self._add_start_variables()
        self._add_upgrade_variables()
        self._add_lever_variables()
        if self.block is None or self.block.first:
            self._add_one_scope_per_measure()
            self._add_one_upgrade_per_measure()
            self._add_lever_limits()
        self._add_dependencies()
        self._add_upgrade_precedence()
        self._add_capacities()
        if not self.elastic and self.objective.kind is ObjectiveKind.MAKESPAN:
            # Implied rows (the elastic model may relax what implies them). They help
            # PSPLIB's makespan instances and did not help value models (docs/model.md).
            self._add_conflict_cliques()
        self._add_budgets()
        # Variables that support depends on come before the first support variable.
        self._add_backlash()
        self._add_lapse_variables()
        self._add_upgrade_lapses()
        self._add_support_gates()
        self._add_upgrade_gates()
        self._add_renewals()
        self._add_substitutes()

    def primary_terms(self) -> list[Term]:
        """The objective without tie-breaking: net value terms, or the makespan variable."""
        if self.objective.kind is ObjectiveKind.VALUE:
            return self._value_terms()
        return [(self._makespan_variable(), 1.0)]

    # -- reachable support ---------------------------------------------------------

    def _lever_coefficient(self, lever_id: str, used: int, series: str, period: int) -> float:
        lag = period - used
        return self._profile(CauseKind.LEVER, lever_id, None, series)[lag] if lag >= 0 else 0.0

    def _measure_coefficient(self, c: Candidate, series: str, period: int) -> float:
        lag = period - c.in_force
        if lag < 0:
            return 0.0
        return self._profile(CauseKind.MEASURE, c.measure.id, c.scope.id, series)[lag]

    def _profile(self, kind: CauseKind, cause: str, scope: str | None, series: str) -> list[float]:
        """Points a cause adds to ``series``, by periods since it began (lever used, in force).

        Every effect of a cause depends only on that lag, so the builder asks for the
        same sums many thousand times: they are computed once per cause and series.
        """
        key = (kind, cause, scope, series)
        found = self._profiles.get(key)
        if found is None:
            effects = [
                e
                for e in self.effects_by_cause[(kind, cause)]
                if e.series == series and (scope is None or e.cause_scope in (None, scope))
            ]
            lags = range(self.horizon)
            found = [sum(effect_at(e, e.delay, lag) for e in effects) for lag in lags]
            self._profiles[key] = found
        return found

    def _window_starts(self, measure: Measure, scope: Scope) -> range:
        if self.windows is None:  # elastic: any start in the horizon, at a price outside
            return range(0, self.horizon - scope.length + 1)
        return self.windows.starts[(measure.id, scope.id)]

    def _support_bounds(self) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """Lowest and highest support each series can reach in each period, over all plans.

        A lever adds its ``max_uses`` largest (or most negative) contributions; a
        measure, done at most once, adds its largest (or most negative) one.
        """
        low: dict[str, list[float]] = {}
        high: dict[str, list[float]] = {}
        for series in self.problem.series:
            low[series.id] = list(self.base_support[series.id])
            high[series.id] = list(self.base_support[series.id])
        for lever in self.problem.levers:
            affected = {e.series for e in self.effects_by_cause[(CauseKind.LEVER, lever.id)]}
            for series_id in affected:
                for period in range(self.horizon):
                    values = sorted(
                        self._lever_coefficient(lever.id, used, series_id, period)
                        for used in range(lever.earliest, lever.latest + 1)
                    )
                    k = lever.max_uses
                    low[series_id][period] += sum(v for v in values[:k] if v < 0)
                    high[series_id][period] += sum(v for v in values[::-1][:k] if v > 0)
        for measure in self.problem.measures:
            if measure.force is Force.OUT:
                continue
            affected = {e.series for e in self.effects_by_cause[(CauseKind.MEASURE, measure.id)]}
            for series_id in affected:
                for period in range(self.horizon):
                    values = [
                        self._measure_coefficient(Candidate(measure, scope, t), series_id, period)
                        for scope in measure.scopes
                        for t in self._window_starts(measure, scope)
                    ]
                    low[series_id][period] += min([0.0, *values])
                    high[series_id][period] += max([0.0, *values])
        self._dynamic_bounds(low, high)
        return low, high

    # -- variables -----------------------------------------------------------------

    def _add_start_variables(self) -> None:
        if self.block is not None:
            self._share_start_variables(self.block)
            return
        for mi, measure in enumerate(self.problem.measures):
            if measure.force is Force.OUT:
                continue
            for si, scope in enumerate(measure.scopes):
                for t in self._window_starts(measure, scope):
                    c = Candidate(measure, scope, t)
                    if not self.elastic and not self._reachable(c):
                        continue
                    key = (measure.id, scope.id, t)
                    if self.elastic:
                        late = t + scope.length - 1 - scope.latest_finish
                        self.outside[key] = max(0, scope.earliest_start - t, late)
                    name = f"start_{mi}_{si}_{t}_{_safe(measure.id)}_{_safe(scope.id)}"
                    self._register(key, c, self.sink.variable(name, binary=True))
            if measure.force is Force.IN and not self._of(measure.id):
                self.notes.append(
                    f"{measure.name} must be done, but no start in its window lets it be "
                    "signed with enough support"
                )

    def _register(self, key: StartKey, c: Candidate, var: pulp.LpVariable) -> None:
        self.starts[key] = var
        self.candidates[key] = c
        self.by_measure[c.measure.id].append(key)
        self.owner[var.name] = c.measure.id

    def _share_start_variables(self, block: Block) -> None:
        """Use the shared start variables, with this scenario's scopes (durations, numbers)."""
        for (measure_id, scope_id, t), var in block.starts.items():
            measure = self.problem.measure_by_id[measure_id]
            self._register(
                (measure_id, scope_id, t), Candidate(measure, measure.scope(scope_id), t), var
            )

    def _reachable(self, c: Candidate) -> bool:
        return all(self.high[g.series][c.signing] >= g.threshold.base - EPS for g in c.scope.gates)

    def _add_lever_variables(self) -> None:
        if self.block is not None:
            self.uses = dict(self.block.uses)
            return
        index = {lever.id: li for li, lever in enumerate(self.problem.levers)}
        for lever, t in self._lever_periods():
            name = f"use_{index[lever.id]}_{t}_{_safe(lever.id)}"
            self.uses[(lever.id, t)] = self.sink.variable(name, binary=True)

    def _lever_periods(self) -> Iterable[tuple[Lever, int]]:
        gating = self._watched_series()
        averting = {b.lever for b in self.problem.backlashes}
        for lever in self.problem.levers:
            effects = self.effects_by_cause[(CauseKind.LEVER, lever.id)]
            # A lever that moves no series that gates a signing (or a review) and averts no
            # backlash can only cost: never use it.
            moves = any(e.series in gating for e in effects) or lever.id in averting
            if lever.max_uses == 0 or not moves:
                continue
            for t in range(lever.earliest, lever.latest + 1):
                yield lever, t

    def _of(self, measure_id: str, scopes: frozenset[str] | None = None) -> list[StartKey]:
        keys = self.by_measure.get(measure_id, [])
        return [k for k in keys if scopes is None or k[1] in scopes]

    def _most(self, terms: Sequence[Term]) -> float:
        """An upper bound on a row's left-hand side, to drop rows that can never bind.

        A measure contributes at most its largest coefficient (it starts at most
        once); lever uses add up.
        """
        per_measure: dict[str, float] = defaultdict(float)
        total = 0.0
        for var, coefficient in terms:
            measure_id = self.owner.get(var.name)
            if measure_id is None:
                total += max(coefficient, 0.0)
            else:
                per_measure[measure_id] = max(per_measure[measure_id], coefficient)
        return total + sum(per_measure.values())

    def _add(
        self,
        terms: Iterable[Term],
        sense: str,
        rhs: float,
        name: str,
        relax: Relax | None = None,
    ) -> None:
        terms = list(terms)
        if self.elastic and relax is not None:
            terms += self._slack_terms(sense, name, relax)
        self.sink.row(terms, sense, rhs, name)

    def _slack_terms(self, sense: str, name: str, relax: Relax) -> list[Term]:
        """Slack that lets a row give way in the direction it binds."""
        signs = {"<=": [-1.0], ">=": [1.0], "==": [1.0, -1.0]}[sense]
        terms: list[Term] = []
        for k, sign in enumerate(signs):
            variable = self.sink.variable(f"slack_{name}_{k}", 0, relax.upper)
            self.slacks.append(Slack(relax, variable, sign))
            terms.append((variable, sign))
        return terms

    # -- constraints ---------------------------------------------------------------

    def _add_one_scope_per_measure(self) -> None:
        r"""At most one start per measure; exactly one when it is forced in.

        .. math:: \sum_{s,t} x_{mst} \le 1 \quad (= 1 \text{ if forced in})
        """
        for mi, measure in enumerate(self.problem.measures):
            keys = self._of(measure.id)
            forced = measure.force is Force.IN
            if not keys and not forced:
                continue
            terms = [(self.starts[k], 1.0) for k in keys]
            if forced:
                # With no start left the row reads 0 = 1: the solver reports infeasible.
                relax = Relax("forced", (measure.id,), None, ELASTIC_WEIGHTS["forced"], 1.0)
                self._add(terms, ">=", 1, f"forced_in_{mi}_{_safe(measure.id)}", relax)
                if len(keys) > 1:
                    self._add(terms, "<=", 1, f"one_scope_{mi}_{_safe(measure.id)}")
            elif len(keys) > 1:
                self._add(terms, "<=", 1, f"one_scope_{mi}_{_safe(measure.id)}")

    def _add_lever_limits(self) -> None:
        r"""A lever is used in at most ``max_uses`` periods: :math:`\sum_t y_{lt} \le U_l`."""
        for li, lever in enumerate(self.problem.levers):
            keys = [k for k in self.uses if k[0] == lever.id]
            if len(keys) > lever.max_uses:
                terms = [(self.uses[k], 1.0) for k in keys]
                relax = Relax("lever", (lever.id,), None, ELASTIC_WEIGHTS["lever"], len(keys))
                name = f"lever_uses_{li}_{_safe(lever.id)}"
                self._add(terms, "<=", lever.max_uses, name, relax)

    def _cumulative_vars(
        self, measure_id: str, scopes: frozenset[str] | None, kind: str
    ) -> list[pulp.LpVariable]:
        r"""Variables :math:`S_{m,t}` (started by ``t``) or :math:`F_{m,t}` (in force by ``t``).

        Defined by :math:`V_t = V_{t-1} + \sum x` over the starts that begin
        (``started``) or enter into force (``in_force``) in period ``t``. They make
        precedence constraints short: each links two variables instead of two sums.
        """
        key = (kind, measure_id, scopes)
        if key in self._cumulative:
            return self._cumulative[key]
        index = len(self._cumulative)
        entering: dict[int, list[StartKey]] = defaultdict(list)
        for k in self._of(measure_id, scopes):
            c = self.candidates[k]
            entering[c.start if kind == "started" else c.in_force].append(k)
        variables: list[pulp.LpVariable] = []
        for t in range(self.span):
            var = self.sink.variable(f"{kind}_{index}_{t}_{_safe(measure_id)}", 0, 1)
            terms: list[Term] = [(var, 1.0)]
            if t > 0:
                terms.append((variables[-1], -1.0))
            terms += [(self.starts[k], -1.0) for k in entering.get(t, [])]
            self._add(terms, "==", 0, f"def_{kind}_{index}_{t}")
            variables.append(var)
        self._cumulative[key] = variables
        return variables

    def _chosen(self, measure_id: str, scope: str | None) -> list[Term]:
        scopes = frozenset([scope]) if scope is not None else None
        return [(self.starts[k], 1.0) for k in self._of(measure_id, scopes)]

    def _add_dependencies(self) -> None:
        r"""``requires``, ``excludes`` and ``together`` links.

        ``A requires B`` with lag :math:`L` (disaggregated, one row per period):
        :math:`S_{A,t} \le F_{B,t-L}` for every ``t``: A may have started by ``t``
        only if B is in force by ``t - L``. ``excludes``:
        :math:`\sum x_A + \sum x_B \le 1`. ``together``: :math:`\sum x_A = \sum x_B`.
        """
        for di, dep in enumerate(self.problem.dependencies):
            name = f"{dep.kind.value}_{di}_{_safe(dep.measure)}_{_safe(dep.other)}"
            first = self._chosen(dep.measure, dep.scope)
            second = self._chosen(dep.other, dep.other_scope)
            subject = (dep.measure, dep.other, str(di))
            relax = Relax(dep.kind.value, subject, None, ELASTIC_WEIGHTS[dep.kind.value], 1.0)
            if dep.kind is DependencyKind.EXCLUDES:
                if first and second:
                    self._add(first + second, "<=", 1, name, relax)
            elif dep.kind is DependencyKind.TOGETHER:
                if first or second:
                    self._add(first + [(v, -c) for v, c in second], "==", 0, name, relax)
            elif first:
                self._add_requires(
                    dep.measure, dep.scope, dep.other, dep.other_scope, dep.lag, name, relax
                )

    def _add_requires(
        self,
        measure: str,
        scope: str | None,
        other: str,
        other_scope: str | None,
        lag: int,
        name: str,
        relax: Relax,
    ) -> None:
        scopes = frozenset([scope]) if scope is not None else None
        other_scopes = frozenset([other_scope]) if other_scope is not None else None
        first_starts = [self.candidates[k].start for k in self._of(measure, scopes)]
        # In the elastic model one slack drops the whole link, in every period at once.
        give = self._slack_terms("<=", name, relax) if self.elastic else []
        if not self._of(other, other_scopes):
            # B can never be done, so A (at these scopes) cannot be either.
            self._add(self._chosen(measure, scope) + give, "<=", 0, name)
            return
        started = self._cumulative_vars(measure, scopes, "started")
        in_force = self._cumulative_vars(other, other_scopes, "in_force")
        # Beyond A's last possible start the row at that start dominates.
        for t in range(min(first_starts), max(first_starts) + 1):
            terms: list[Term] = [(started[t], 1.0)]
            if t - lag >= 0:
                terms.append((in_force[t - lag], -1.0))
            self._add(terms + give, "<=", 0, f"{name}_{t}")

    def _add_capacities(self) -> None:
        r"""Renewable capacity in every period.

        .. math:: \sum_{m,s} u_{msr} \sum_{\tau=t-d_{ms}+1}^{t} x_{ms\tau}
                  + \sum_l w_{lr} y_{lt} \le C_{rt}
        """
        for ri, resource in enumerate(self.problem.resources):
            if resource.kind is not ResourceKind.RENEWABLE:
                continue
            load: dict[int, list[Term]] = defaultdict(list)
            for key, c in self.candidates.items():
                amount = c.scope.use.get(resource.id)
                if amount is not None and amount.base > 0:
                    for t in range(c.start, c.in_force):
                        load[t].append((self.starts[key], amount.base))
            for (lever_id, t), var in self.uses.items():
                amount = self.problem.lever_by_id[lever_id].use.get(resource.id)
                if amount is not None and amount.base > 0:
                    load[t].append((var, amount.base))
            for t, terms in self._upgrade_load(resource.id).items():
                load[t] += terms
            for t, terms in sorted(load.items()):
                capacity = self.capacity[resource.id][t]
                if self._most(terms) > capacity + EPS:
                    weight = ELASTIC_WEIGHTS["capacity"] / max(capacity, 1.0)
                    relax = Relax("capacity", (resource.id,), t, weight, self._most(terms))
                    name = f"capacity_{ri}_{t}_{_safe(resource.id)}"
                    self._add(terms, "<=", capacity, name, relax)

    def _add_conflict_cliques(self) -> None:
        r"""No two of a clique of mutually exclusive scopes run in the same period.

        Two scopes conflict when they cannot be negotiated in the same period:
        they belong to the same measure, or one measure requires the other
        (directly or not), or together they need more of some renewable resource
        than any period offers. For each clique ``K`` of the conflict graph
        (found greedily, largest first) and each period ``t``,

        .. math:: \sum_{(m,s) \in K} \sum_{\tau=t-d_{ms}+1}^{t} x_{ms\tau} \le 1.

        One row replaces many pairwise ones, and in the relaxation it forbids
        the fractional overlap that capacity rows allow.
        """
        nodes = sorted({(k[0], k[1]) for k in self.starts})
        if len(nodes) < 2:
            return
        before = self._precedence_closure()
        lengths = {(m, s): self.problem.scope(m, s).length for m, s in nodes}
        conflicts: dict[tuple[str, str], set[tuple[str, str]]] = {n: set() for n in nodes}
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                if (
                    a[0] == b[0]
                    or b[0] in before[a[0]]
                    or a[0] in before[b[0]]
                    or self._overload(a, b)
                ):
                    conflicts[a].add(b)
                    conflicts[b].add(a)
        active: dict[tuple[str, str], dict[int, list[pulp.LpVariable]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for (measure_id, scope_id, t), var in self.starts.items():
            for period in range(t, t + lengths[(measure_id, scope_id)]):
                active[(measure_id, scope_id)][period].append(var)
        for ci, clique in enumerate(_clique_cover(conflicts)):
            if len({m for m, _ in clique}) < 2:
                continue  # scopes of one measure: already at most one
            for t in range(self.span):
                terms = [(v, 1.0) for node in clique for v in active[node].get(t, [])]
                owners = {self.owner[v.name] for v, _ in terms}
                if len(owners) > 1:
                    self._add(terms, "<=", 1, f"clique_{ci}_{t}")

    def _precedence_closure(self) -> dict[str, set[str]]:
        """For each measure, every measure it requires (any scope), directly or not."""
        direct: dict[str, set[str]] = defaultdict(set)
        for dep in self.problem.dependencies:
            if dep.kind is DependencyKind.REQUIRES and dep.scope is None:
                direct[dep.measure].add(dep.other)
        closure: dict[str, set[str]] = {}
        for measure in self.problem.measures:
            seen: set[str] = set()
            stack = list(direct[measure.id])
            while stack:
                other = stack.pop()
                if other not in seen:
                    seen.add(other)
                    stack.extend(direct[other])
            closure[measure.id] = seen
        return closure

    def _overload(self, a: tuple[str, str], b: tuple[str, str]) -> bool:
        """Whether two scopes together need more of a renewable resource than any period has."""
        first, second = self.problem.scope(*a), self.problem.scope(*b)
        for resource_id, use in first.use.items():
            other = second.use.get(resource_id)
            resource = self.problem.resource_by_id[resource_id]
            if other is None or resource.kind is not ResourceKind.RENEWABLE:
                continue
            most = max(self.capacity[resource_id])
            if use.base + other.base > most + EPS:
                return True
        return False

    def _add_budgets(self) -> None:
        r"""Nonrenewable totals: :math:`\sum u_{msr} x_{mst} + \sum w_{lr} y_{lt} \le B_r`."""
        for ri, resource in enumerate(self.problem.resources):
            if resource.kind is not ResourceKind.NONRENEWABLE:
                continue
            terms: list[Term] = []
            for key, c in self.candidates.items():
                amount = c.scope.use.get(resource.id)
                if amount is not None and amount.base > 0:
                    terms.append((self.starts[key], amount.base))
            for (lever_id, _), var in self.uses.items():
                amount = self.problem.lever_by_id[lever_id].use.get(resource.id)
                if amount is not None and amount.base > 0:
                    terms.append((var, amount.base))
            for load in self._upgrade_load(resource.id).values():
                terms += load
            if terms and self._most(terms) > resource.capacity.base + EPS:
                total = resource.capacity.base
                weight = ELASTIC_WEIGHTS["budget"] / max(total, 1.0)
                relax = Relax("budget", (resource.id,), None, weight, self._most(terms))
                self._add(terms, "<=", total, f"budget_{ri}_{_safe(resource.id)}", relax)

    def _add_support_gates(self) -> None:
        r"""Support at signing, one row per measure, series and signing period.

        Support is a variable :math:`P_{kt} = b_{kt} + \sum a\,y + \sum e\,x`
        (baseline plus lever and in-force effects, with decay folded into the
        coefficients). With :math:`\underline P_{kt}` the least reachable support,

        .. math:: P_{kt} - \underline P_{kt} \ge
                  \sum_s (\theta_{msk} - \underline P_{kt})\, x_{m,s,t-d_{ms}+1}

        which is the big-M form with the smallest valid M, aggregated over the
        scopes of a measure (at most one of them is chosen).
        """
        rows: dict[tuple[str, str, int], list[tuple[StartKey, float]]] = defaultdict(list)
        for key, c in self.candidates.items():
            for gate in c.scope.gates:
                floor = self.low[gate.series][c.signing]
                if gate.threshold.base > floor + EPS:
                    rows[(c.measure.id, gate.series, c.signing)].append(
                        (key, gate.threshold.base - floor)
                    )
        support: dict[tuple[str, int], pulp.LpVariable] = {}
        series_index = {s.id: i for i, s in enumerate(self.problem.series)}
        for (measure_id, series_id, t), entries in rows.items():
            if (series_id, t) not in support:
                support[(series_id, t)] = self._support_variable(
                    series_id, series_index[series_id], t
                )
            level = support[(series_id, t)]
            terms = [(self.starts[k], deficit) for k, deficit in entries]
            terms.append((level, -1.0))
            si = series_index[series_id]
            deficit = max(gap for _, gap in entries)
            relax = Relax(
                "support", (measure_id, series_id), t, ELASTIC_WEIGHTS["support"], deficit
            )
            name = f"gate_{si}_{t}_{_safe(measure_id)}"
            self._add(terms, "<=", -self.low[series_id][t], name, relax)

    def _support_variable(self, series_id: str, si: int, t: int) -> pulp.LpVariable:
        if (series_id, t) in self.support_vars:  # one variable per series and period
            return self.support_vars[(series_id, t)]
        level = self.sink.variable(
            f"support_{si}_{t}_{_safe(series_id)}", self.low[series_id][t], self.high[series_id][t]
        )
        terms: list[Term] = [(level, 1.0)]
        moving = {(e.cause_kind, e.cause) for e in self.problem.effects if e.series == series_id}
        for (lever_id, used), var in self.uses.items():
            if (CauseKind.LEVER, lever_id) in moving:
                coefficient = self._lever_coefficient(lever_id, used, series_id, t)
                if coefficient != 0:
                    terms.append((var, -coefficient))
        for key, c in self.candidates.items():
            if (CauseKind.MEASURE, c.measure.id) in moving and c.in_force <= t:
                coefficient = self._measure_coefficient(c, series_id, t)
                if coefficient != 0:
                    terms.append((self.starts[key], -coefficient))
        terms += [(var, -coefficient) for var, coefficient in self._dynamic_support(series_id, t)]
        baseline = self.base_support[series_id][t]  # baseline plus outside events
        self._add(terms, "==", baseline, f"def_support_{si}_{t}")
        self.support_vars[(series_id, t)] = level
        return level

    # -- policy dynamics: upgrades, renewals, events, substitutes, backlash -------------
    # docs/model.md gives the semantics; each family below carries its rows.

    def plan_starts(self) -> dict[StartKey, pulp.LpVariable]:
        """Start variables as a plan reads them: scope starts, then upgrade starts by step id."""
        starts = dict(self.starts)
        for (measure_id, source, target, t), var in self.upgrade_vars.items():
            starts[(measure_id, upgrade_step(source, target), t)] = var
        return starts

    def _discounts(self) -> tuple[list[float], list[float], list[float], float]:
        """Per-period weights, their suffix and prefix sums, and the terminal weight."""
        weights = [self.objective.discount(t) for t in range(self.horizon)]
        suffix = [*list(accumulate(reversed(weights)))[::-1], 0.0]
        prefix = [0.0, *accumulate(weights)]
        return weights, suffix, prefix, self.objective.terminal_weight(self.horizon)

    def _outside_events(self) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        r"""Support without any action, and renewable capacity, after outside events.

        An event happening in ``u`` with weight ``w`` (1, or its probability per period
        under the expected-value treatment) adds :math:`w\,a(1-\rho)^{t-u-\delta}` to a
        series (or a capacity) in every period :math:`t \ge u + \delta`. Capacity
        never falls below zero. Both are constants of the model.
        """
        horizon = self.horizon
        happenings: list[tuple[str, int, float]] = []
        for event in self.problem.events:
            if event.probability is None:
                happenings += [(event.id, u, 1.0) for u in event.periods if 0 <= u < horizon]
            elif self.objective.random_events is RandomEvents.EXPECTED:
                weight = event.probability.base
                happenings += [(event.id, u, weight) for u in event.window(horizon)]
        support = {s.id: [v.base for v in s.baseline] for s in self.problem.series}
        capacity = {
            r.id: [r.capacity_in(t) for t in range(horizon)]
            for r in self.problem.resources
            if r.kind is ResourceKind.RENEWABLE
        }
        for event_id, u, weight in happenings:
            for effect in self.effects_by_cause[(CauseKind.EVENT, event_id)]:
                if effect.series in support:
                    for t in range(max(u + effect.delay, 0), horizon):
                        support[effect.series][t] += weight * effect_at(effect, u + effect.delay, t)
            for shift in self.problem.capacity_shifts:
                if shift.event == event_id and shift.resource in capacity:
                    retained = 1.0 - shift.decay.base
                    for t in range(max(u + shift.delay, 0), horizon):
                        amount = shift.amount.base * retained ** (t - u - shift.delay)
                        capacity[shift.resource][t] += weight * amount
        return support, {r: [max(0.0, c) for c in values] for r, values in capacity.items()}

    def _watched_series(self) -> set[str]:
        """Series some signing or review looks at: gates of scopes and upgrades, maintain."""
        watched = {g.series for _, scope in self.problem.all_scopes() for g in scope.gates}
        for measure in self.problem.measures:
            watched |= {g.series for u in measure.upgrades for g in u.gates}
            if measure.renews:
                watched |= {g.series for g in measure.maintain}
        return watched

    def _upgrade_starts(self, measure: Measure, upgrade: Upgrade) -> range:
        """Periods an upgrade may start: after its narrower scope can be in force, in its window."""
        source = measure.scope(upgrade.from_scope)
        signings = self._window_starts(measure, source)
        if not signings:
            return range(0)
        earliest = max(upgrade.earliest_start, signings.start + source.length + upgrade.lag)
        latest = min(upgrade.latest_finish, self.span - 1) - upgrade.length + 1
        return range(earliest, latest + 1)

    def _upgrade_reachable(self, u: UpgradeCandidate) -> bool:
        return all(
            self.high[g.series][u.signing] >= g.threshold.base - EPS for g in u.upgrade.gates
        )

    def _upgrade_coefficient(self, u: UpgradeCandidate, series: str, period: int) -> float:
        """Points the wider scope's own effects add in ``period`` once the upgrade is in force."""
        return sum(
            effect_at(e, u.in_force + e.delay, period)
            for e in self.effects_by_cause[(CauseKind.MEASURE, u.measure.id)]
            if e.series == series and e.cause_scope == u.upgrade.to_scope
        )

    def _backlash_rows(self, c: Candidate) -> dict[str, list[Backlash]]:
        """Backlash rows that apply to a start, by the lever that averts them."""
        rows: dict[str, list[Backlash]] = defaultdict(list)
        for b in self.problem.backlashes:
            if b.measure == c.measure.id and b.scope in (None, c.scope.id):
                rows[b.lever].append(b)
        return rows

    def _backlash_coefficient(
        self, rows: Sequence[Backlash], c: Candidate, series: str, t: int
    ) -> float:
        """Points a backlash adds in ``t`` when ``c`` is signed (it begins the period after)."""
        total = 0.0
        for b in rows:
            begins = c.in_force + b.delay
            if b.series == series and t >= begins:
                total += b.amount.base * (1.0 - b.decay.base) ** (t - begins)
        return total

    def _dynamic_bounds(self, low: dict[str, list[float]], high: dict[str, list[float]]) -> None:
        """Widen the reachable support by what upgrades and backlashes can add or take away.

        Lapses only remove in-force effects, which the bounds already allow to be absent.
        """
        for measure in self.problem.measures:
            if measure.force is Force.OUT:
                continue
            upgrades = [
                UpgradeCandidate(measure, upgrade, t)
                for upgrade in measure.upgrades
                for t in self._upgrade_starts(measure, upgrade)
            ]
            starts = [
                Candidate(measure, scope, t)
                for scope in measure.scopes
                for t in self._window_starts(measure, scope)
            ]
            levers = {b.lever for b in self.problem.backlashes if b.measure == measure.id}
            for series_id in low:
                for period in range(self.horizon):
                    values = [self._upgrade_coefficient(u, series_id, period) for u in upgrades]
                    low[series_id][period] += min([0.0, *values])
                    high[series_id][period] += max([0.0, *values])
                    for lever_id in levers:
                        hits = [
                            self._backlash_coefficient(
                                self._backlash_rows(c).get(lever_id, []), c, series_id, period
                            )
                            for c in starts
                        ]
                        low[series_id][period] += min([0.0, *hits])
                        high[series_id][period] += max([0.0, *hits])

    def _add_upgrade_variables(self) -> None:
        """Binary ``z[m, p, U]``: measure ``m`` starts widening along path ``p`` in period ``U``."""
        if self.block is not None:
            for key, var in self.block.upgrades.items():
                measure = self.problem.measure_by_id[key[0]]
                upgrade = measure.upgrade(key[1], key[2])
                assert upgrade is not None
                self.upgrade_vars[key] = var
                self.upgrade_candidates[key] = UpgradeCandidate(measure, upgrade, key[3])
                self.upgrades_by_measure.setdefault(measure.id, []).append(key)
            return
        for mi, measure in enumerate(self.problem.measures):
            if measure.force is Force.OUT:
                continue
            for pi, upgrade in enumerate(measure.upgrades):
                if not self._of(measure.id, frozenset([upgrade.from_scope])):
                    continue  # the narrower scope can never be signed
                for t in self._upgrade_starts(measure, upgrade):
                    u = UpgradeCandidate(measure, upgrade, t)
                    if not self._upgrade_reachable(u):
                        continue
                    key = (measure.id, upgrade.from_scope, upgrade.to_scope, t)
                    name = f"upgrade_{mi}_{pi}_{t}_{_safe(measure.id)}"
                    self.upgrade_vars[key] = self.sink.variable(name, binary=True)
                    self.upgrade_candidates[key] = u
                    self.upgrades_by_measure.setdefault(measure.id, []).append(key)

    def _upgrades_of(self, measure_id: str) -> list[UpgradeKey]:
        return self.upgrades_by_measure.get(measure_id, [])

    def _add_one_upgrade_per_measure(self) -> None:
        r"""A measure is widened at most once: :math:`\sum_{p,U} z_{mpU} \le 1`.

        Needed only when a measure has several upgrade paths (the precedence rows
        bound each path's upgrades by its one signing).
        """
        for mi, measure in enumerate(self.problem.measures):
            keys = self._upgrades_of(measure.id)
            if len({(k[1], k[2]) for k in keys}) > 1:
                terms = [(self.upgrade_vars[k], 1.0) for k in keys]
                self._add(terms, "<=", 1, f"one_upgrade_{mi}_{_safe(measure.id)}")

    def _add_upgrade_precedence(self) -> None:
        r"""An upgrade starts only once its narrower scope is in force, plus the lag.

        For path ``p`` from scope ``s`` with lag :math:`L_p`, for every period ``t``
        in its start range: :math:`\sum_{U \le t} z_{mpU} \le \sum_{c:\ F_c \le t - L_p}
        x_c` over the starts ``c`` of ``m`` at ``s`` (in force by ``t - L_p``).
        """
        paths: dict[tuple[str, str, str], list[UpgradeKey]] = defaultdict(list)
        for key in self.upgrade_vars:
            paths[(key[0], key[1], key[2])].append(key)
        for pi, ((measure_id, source, _), keys) in enumerate(paths.items()):
            lag = self.upgrade_candidates[keys[0]].upgrade.lag
            signed = self._of(measure_id, frozenset([source]))
            ordered = sorted(keys, key=lambda k: k[3])
            for i, key in enumerate(ordered):
                t = key[3]
                terms: list[Term] = [(self.upgrade_vars[k], 1.0) for k in ordered[: i + 1]]
                terms += [
                    (self.starts[k], -1.0) for k in signed if self.candidates[k].in_force <= t - lag
                ]
                self._add(terms, "<=", 0, f"upgrade_after_{pi}_{t}_{_safe(measure_id)}")

    def _upgrade_load(self, resource_id: str) -> dict[int, list[Term]]:
        """Use of a resource by upgrade negotiations: per period (renewable) or at the start."""
        resource = self.problem.resource_by_id[resource_id]
        load: dict[int, list[Term]] = defaultdict(list)
        for key, u in self.upgrade_candidates.items():
            amount = u.upgrade.use.get(resource_id)
            if amount is None or amount.base <= 0:
                continue
            periods = (
                [u.start]
                if resource.kind is ResourceKind.NONRENEWABLE
                else list(range(u.start, u.in_force))
            )
            for t in periods:
                load[t].append((self.upgrade_vars[key], amount.base))
        return load

    def _add_upgrade_gates(self) -> None:
        r"""Support at an upgrade's signing, one row per measure, series and signing period.

        As the gates of a signing: :math:`P_{kt} - \underline P_{kt} \ge
        \sum_{p,U} (\theta_{pk} - \underline P_{kt})\, z_{m,p,U}` over the
        upgrades signed in ``t`` (at most one is chosen).
        """
        rows: dict[tuple[str, str, int], list[tuple[UpgradeKey, float]]] = defaultdict(list)
        for key, u in self.upgrade_candidates.items():
            for gate in u.upgrade.gates:
                floor = self.low[gate.series][u.signing]
                if gate.threshold.base > floor + EPS:
                    rows[(key[0], gate.series, u.signing)].append(
                        (key, gate.threshold.base - floor)
                    )
        series_index = {s.id: i for i, s in enumerate(self.problem.series)}
        for (measure_id, series_id, t), entries in rows.items():
            si = series_index[series_id]
            level = self._support_variable(series_id, si, t)
            terms = [(self.upgrade_vars[k], deficit) for k, deficit in entries]
            terms.append((level, -1.0))
            name = f"upgrade_gate_{si}_{t}_{_safe(measure_id)}"
            self._add(terms, "<=", -self.low[series_id][t], name)

    def _add_upgrade_makespan(self, makespan: pulp.LpVariable) -> None:
        r"""An upgrade counts in the makespan: :math:`C \ge \sum_{p,U} (U + e_p)\, z_{mpU}`."""
        for mi, measure in enumerate(self.problem.measures):
            keys = self._upgrades_of(measure.id)
            if keys:
                terms: list[Term] = [(makespan, 1.0)]
                terms += [
                    (self.upgrade_vars[k], -float(self.upgrade_candidates[k].in_force))
                    for k in keys
                ]
                self._add(terms, ">=", 0, f"makespan_upgrade_{mi}_{_safe(measure.id)}")

    def _add_backlash(self) -> None:
        r"""Whether each start is signed without the lever that averts its backlash.

        For start ``c`` (negotiated in periods :math:`N_c`) and averting lever ``l``,
        a variable :math:`\beta_{cl} \in [0,1]` with

        .. math:: \beta_{cl} \ge x_c - \sum_{u \in N_c} y_{lu}, \quad
                  \beta_{cl} \le x_c, \quad \beta_{cl} + y_{lu} \le 1 \ (u \in N_c)

        equals :math:`x_c \wedge \neg\bigvee_u y_{lu}` at every integer point, in both
        directions (lower support can pay when it makes a measure with harmful
        effects lapse). The backlash enters support with its effect coefficients,
        from the period after the signing.
        """
        watched = self._watched_series()
        for key, c in self.candidates.items():
            for lever_id, rows in self._backlash_rows(c).items():
                if not any(b.series in watched for b in rows):
                    continue  # moves nothing a signing or review looks at
                name = f"backlash_{len(self.backlash_vars)}_{key[2]}_{_safe(key[0])}"
                beta = self.sink.variable(name, 0, 1)
                self.backlash_vars[(key, lever_id)] = beta
                x = self.starts[key]
                averting = [
                    self.uses[(lever_id, u)]
                    for u in range(c.start, c.signing + 1)
                    if (lever_id, u) in self.uses
                ]
                self._add([(beta, 1.0), (x, -1.0)] + [(y, 1.0) for y in averting], ">=", 0, name)
                self._add([(beta, 1.0), (x, -1.0)], "<=", 0, f"{name}_signed")
                for i, y in enumerate(averting):
                    self._add([(beta, 1.0), (y, 1.0)], "<=", 1, f"{name}_averted_{i}")

    def _reviews(self, c: Candidate) -> range:
        """Review periods of a start of a renewing measure: the last period of each term."""
        every = c.measure.renew_every
        assert every is not None
        return range(c.in_force + every - 1, self.span, every)

    def _can_fail(self, measure: Measure, period: int) -> bool:
        """Whether support can be low enough in ``period`` for a review to fail."""
        return any(
            g.threshold.base - LAPSE_MARGIN >= self.low[g.series][period] - EPS
            for g in measure.maintain
        )

    def _add_lapse_variables(self) -> None:
        r"""Binary :math:`\mu_{cR}`: start ``c`` is chosen and lapses at its review in ``R``.

        A start of a measure renewing every ``n`` periods, in force from ``F``, is
        reviewed in :math:`R = F + kn - 1` (``k = 1, 2, ...``); lapsing there takes
        it out of force from :math:`R + 1`. It lapses at most once:
        :math:`\sum_R \mu_{cR} \le x_c`. Only reviews that can fail get a variable.
        The rows that make a lapse happen exactly when support is too low are
        in :meth:`_add_renewals`.
        """
        for key, c in self.candidates.items():
            if not c.measure.renews:
                continue
            mus: list[pulp.LpVariable] = []
            for period in self._reviews(c):
                if self._can_fail(c.measure, period):
                    name = f"lapse_{len(self.lapse_vars)}_{period}_{_safe(key[0])}"
                    var = self.sink.variable(name, binary=True)
                    self.lapse_vars[(key, period)] = var
                    self.lapses_by_start.setdefault(key, []).append((period, var))
                    mus.append(var)
            if len(mus) > 1:
                terms = [(v, 1.0) for v in mus] + [(self.starts[key], -1.0)]
                self._add(terms, "<=", 0, f"lapse_once_{len(self.lapse_vars)}_{_safe(key[0])}")
            elif mus:
                self._add([(mus[0], 1.0), (self.starts[key], -1.0)], "<=", 0, f"{mus[0].name}_x")

    def _lapses_of(self, key: StartKey) -> list[tuple[int, pulp.LpVariable]]:
        """The lapse variables of a start, by review period (in period order)."""
        return self.lapses_by_start.get(key, [])

    def _add_upgrade_lapses(self) -> None:
        r"""Variables :math:`\nu_{uL} = z_u \wedge \ell_L` for widened measures that lapse.

        :math:`\ell_L = \sum \mu_{cR}` over starts ``c`` at the upgrade's narrower
        scope (compatible with its start) lapsing from :math:`L = R + 1`. Rows
        :math:`\nu \le z_u`, :math:`\nu \le \ell_L`, :math:`\nu \ge z_u + \ell_L - 1`
        make it exact in both directions. It takes back the wider scope's extra
        benefit and its effects from the lapse on, and says at which scope the
        measure is (not) in force for substitutes.
        """
        scoped = {(p.measure, p.scope) for p in self.problem.substitutes} | {
            (p.other, p.other_scope) for p in self.problem.substitutes
        }
        for ukey, u in self.upgrade_candidates.items():
            measure, upgrade = u.measure, u.upgrade
            if not measure.renews:
                continue
            extra = (
                measure.scope(upgrade.to_scope).benefit.base
                - measure.scope(upgrade.from_scope).benefit.base
            )
            effects = any(
                e.cause_scope == upgrade.to_scope
                for e in self.effects_by_cause[(CauseKind.MEASURE, measure.id)]
            )
            named = any(m == measure.id and s is not None for m, s in scoped)
            if abs(extra) <= EPS and not effects and not named:
                continue
            by_period: dict[int, list[pulp.LpVariable]] = defaultdict(list)
            for key in self._of(measure.id, frozenset([upgrade.from_scope])):
                if self.candidates[key].in_force + upgrade.lag <= u.start:
                    for period, var in self._lapses_of(key):
                        by_period[period + 1].append(var)
            z = self.upgrade_vars[ukey]
            for lapse, mus in sorted(by_period.items()):
                name = f"joint_{len(self.joint_vars)}_{lapse}_{_safe(measure.id)}"
                nu = self.sink.variable(name, 0, 1)
                self.joint_vars[(ukey, lapse)] = nu
                self.joints_by_upgrade.setdefault(ukey, []).append((lapse, nu))
                lapsing = [(v, -1.0) for v in mus]
                self._add([(nu, 1.0), (z, -1.0)], "<=", 0, f"{name}_z")
                self._add([(nu, 1.0), *lapsing], "<=", 0, f"{name}_lapse")
                self._add([(nu, 1.0), (z, -1.0), *lapsing], ">=", -1, f"{name}_both")

    def _add_renewals(self) -> None:
        r"""Reviews: a measure lapses exactly when support is below a maintain threshold.

        For a renewing measure and review period ``R``, with
        :math:`a_{cR} = x_c - \sum_{R' \le R} \mu_{cR'}` (start ``c`` chosen and
        still in force after its review in ``R``), summed over the starts
        reviewed in ``R`` (at most one is chosen):

        - *renewed only if support holds*, per maintain threshold :math:`\theta_k`:
          :math:`P_{kR} - \underline P_{kR} \ge (\theta_k - \underline P_{kR}) \sum_c a_{cR}`;
        - *lapses only if support is short*: with :math:`\mu_R = \sum_c \mu_{cR}`,
          :math:`P_{kR} - \overline P_{kR} \le (\theta_k - \epsilon - \overline P_{kR})\,\mu_R`
          for a single threshold that can fail, or binaries :math:`\phi_{kR}` with
          :math:`\sum_k \phi_{kR} \ge \mu_R` and the same row with :math:`\phi_{kR}`
          per threshold (:math:`\epsilon` = ``LAPSE_MARGIN``).

        Both directions are needed: a lapse can pay (it ends effects that lower
        support elsewhere), so the solver must not be free to choose one.
        """
        series_index = {s.id: i for i, s in enumerate(self.problem.series)}
        reviewed: dict[tuple[str, int], list[StartKey]] = defaultdict(list)
        for key, c in self.candidates.items():
            if c.measure.renews:
                for period in self._reviews(c):
                    reviewed[(key[0], period)].append(key)
        for (measure_id, period), keys in reviewed.items():
            measure = self.problem.measure_by_id[measure_id]
            alive: list[Term] = []
            for key in keys:
                alive.append((self.starts[key], 1.0))
                alive += [(v, -1.0) for p, v in self._lapses_of(key) if p <= period]
            tag = f"{period}_{_safe(measure_id)}"
            for gate in measure.maintain:
                si = series_index[gate.series]
                floor = self.low[gate.series][period]
                gap = gate.threshold.base - floor
                if gap <= EPS:
                    continue
                level = self._support_variable(gate.series, si, period)
                terms = [(v, gap * a) for v, a in alive] + [(level, -1.0)]
                self._add(terms, "<=", -floor, f"renewed_{si}_{tag}")
            lapsing = [self.lapse_vars[(k, period)] for k in keys if (k, period) in self.lapse_vars]
            if lapsing:
                self._add_lapse_cause(measure, period, lapsing, series_index)

    def _add_lapse_cause(
        self,
        measure: Measure,
        period: int,
        lapsing: list[pulp.LpVariable],
        series_index: Mapping[str, int],
    ) -> None:
        """A lapse in ``period`` needs some maintain series below its threshold."""
        tag = f"{period}_{_safe(measure.id)}"
        causes = []
        for gate in measure.maintain:
            ceiling = self.high[gate.series][period]
            below = gate.threshold.base - LAPSE_MARGIN
            if below >= ceiling - EPS:
                return  # this series is always short enough: any lapse has a cause
            if below >= self.low[gate.series][period] - EPS:
                causes.append((gate, below, ceiling))
        if len(causes) == 1:
            gate, below, ceiling = causes[0]
            level = self._support_variable(gate.series, series_index[gate.series], period)
            terms = [(level, 1.0)] + [(v, ceiling - below) for v in lapsing]
            self._add(terms, "<=", ceiling, f"lapsed_{series_index[gate.series]}_{tag}")
            return
        picks = []
        for gate, below, ceiling in causes:
            si = series_index[gate.series]
            phi = self.sink.variable(f"short_{si}_{tag}", binary=True)
            picks.append((phi, 1.0))
            level = self._support_variable(gate.series, si, period)
            self._add([(level, 1.0), (phi, ceiling - below)], "<=", ceiling, f"lapsed_{si}_{tag}")
        self._add(picks + [(v, -1.0) for v in lapsing], ">=", 0, f"lapse_cause_{tag}")

    def _in_force_terms(self, measure_id: str, scope: str | None, t: int) -> list[Term]:
        """Linear "``measure`` is in force (at ``scope``, or any) in period ``t``".

        Signed by ``t``, less lapsed by ``t``; at a named scope also less widened away
        from it and plus widened into it (the joint variables put back what a lapse
        after a widening took twice). ``t`` may be the horizon (after the last period).
        """
        terms: list[Term] = []
        for key in self._of(measure_id, frozenset([scope]) if scope is not None else None):
            if self.candidates[key].in_force <= t:
                terms.append((self.starts[key], 1.0))
            terms += [(v, -1.0) for p, v in self._lapses_of(key) if p + 1 <= t]
        if scope is None:
            return terms
        for ukey in self._upgrades_of(measure_id):
            u = self.upgrade_candidates[ukey]
            if u.in_force > t:
                continue
            sign = (u.upgrade.to_scope == scope) - (u.upgrade.from_scope == scope)
            if sign:
                terms.append((self.upgrade_vars[ukey], float(sign)))
                terms += [
                    (nu, -float(sign))
                    for lapse, nu in self.joints_by_upgrade.get(ukey, [])
                    if lapse <= t
                ]
        return terms

    def _add_substitutes(self) -> None:
        r"""Overlapping benefit of two measures while both are in force.

        For each pair with overlap ``o`` and each period ``t`` (and the terminal
        slot after the horizon), :math:`q_t \in [0,1]` with
        :math:`q_t \ge H^A_t + H^B_t - 1`, where :math:`H_t` is the linear
        in-force expression of :meth:`_in_force_terms`; the objective loses
        :math:`o\,\gamma^t q_t` (:math:`o\,W q_T` after the horizon). The loss pushes
        ``q`` down to the product, so the one row is exact.
        """
        if self.objective.kind is not ObjectiveKind.VALUE:
            return  # overlap changes value only
        weights, _, _, terminal = self._discounts()
        slots = [(t, weights[t]) for t in range(self.span)]
        if terminal > 0:
            slots.append((self.horizon, terminal))
        for pi, pair in enumerate(self.problem.substitutes):
            if pair.overlap.base <= 0:
                continue
            for t, weight in slots:
                first = self._in_force_terms(pair.measure, pair.scope, t)
                second = self._in_force_terms(pair.other, pair.other_scope, t)
                if not any(c > 0 for _, c in first) or not any(c > 0 for _, c in second):
                    continue  # they cannot both be in force
                name = f"overlap_{pi}_{t}_{_safe(pair.measure)}_{_safe(pair.other)}"
                both = self.sink.variable(name, 0, 1)
                terms = [(both, 1.0)] + [(v, -c) for v, c in first + second]
                self._add(terms, ">=", -1, name)
                self.overlap_terms.append((both, -pair.overlap.base * weight))

    def _dynamic_support(self, series_id: str, t: int) -> list[Term]:
        """Terms the dynamics add to support in ``t``: upgrades, backlash, what lapses take away."""
        if self._dynamic_index is None:
            self._dynamic_index = self._index_dynamic_support()
        return list(self._dynamic_index.get((series_id, t), {}).items())

    def _index_dynamic_support(self) -> dict[tuple[str, int], dict[pulp.LpVariable, float]]:
        """Every dynamic variable's coefficient in every series and period it moves.

        Built once, after every such variable exists, so that each support row
        looks its terms up instead of scanning every variable.
        """
        index: dict[tuple[str, int], dict[pulp.LpVariable, float]] = defaultdict(
            lambda: defaultdict(float)
        )

        def add(var: pulp.LpVariable, effect: Effect | Backlash, begins: int, since: int) -> None:
            for t in range(max(begins, since, 0), self.horizon):
                amount = effect.amount.base * (1.0 - effect.decay.base) ** (t - begins)
                if amount != 0:
                    index[(effect.series, t)][var] += amount

        def sub(var: pulp.LpVariable, effect: Effect, begins: int, since: int) -> None:
            for t in range(max(begins, since, 0), self.horizon):
                amount = effect.amount.base * (1.0 - effect.decay.base) ** (t - begins)
                if amount != 0:
                    index[(effect.series, t)][var] -= amount

        for ukey, u in self.upgrade_candidates.items():
            for e in self.effects_by_cause[(CauseKind.MEASURE, u.measure.id)]:
                if e.cause_scope == u.upgrade.to_scope:
                    add(self.upgrade_vars[ukey], e, u.in_force + e.delay, 0)
        for (key, lever_id), beta in self.backlash_vars.items():
            c = self.candidates[key]
            for b in self._backlash_rows(c)[lever_id]:
                add(beta, b, c.in_force + b.delay, 0)
        for (key, period), mu in self.lapse_vars.items():
            c = self.candidates[key]
            for e in self.effects_by_cause[(CauseKind.MEASURE, c.measure.id)]:
                if e.cause_scope in (None, c.scope.id):
                    sub(mu, e, c.in_force + e.delay, period + 1)
        for (ukey, lapse), nu in self.joint_vars.items():
            u = self.upgrade_candidates[ukey]
            for e in self.effects_by_cause[(CauseKind.MEASURE, u.measure.id)]:
                if e.cause_scope == u.upgrade.to_scope:
                    sub(nu, e, u.in_force + e.delay, lapse)
        return index

    def _dynamic_value_terms(self) -> list[Term]:
        r"""Objective terms of the dynamics.

        An upgrade :math:`z` in force from ``G``: :math:`(b_{to} - b_{from})(\sum_{t \ge G}
        \gamma^t + W)` less the price of its negotiation; a lapse :math:`\mu` from ``L``:
        :math:`-b_s(\sum_{t \ge L}\gamma^t + W)`; a lapse after a widening :math:`\nu`:
        :math:`-(b_{to} - b_{from})(\sum_{t \ge \max(G, L)}\gamma^t + W)`; overlaps.
        """
        _, suffix, _, terminal = self._discounts()
        terms: list[Term] = []
        for ukey, u in self.upgrade_candidates.items():
            extra = self._extra_benefit(u)
            value = extra * (suffix[u.in_force] + terminal)
            value -= self._spend(u.start, u.in_force, u.upgrade.use)
            terms.append((self.upgrade_vars[ukey], value))
        for (key, period), mu in self.lapse_vars.items():
            benefit = self.candidates[key].scope.benefit.base
            terms.append((mu, -benefit * (suffix[period + 1] + terminal)))
        for (ukey, lapse), nu in self.joint_vars.items():
            u = self.upgrade_candidates[ukey]
            lost = self._extra_benefit(u) * (suffix[max(u.in_force, lapse)] + terminal)
            terms.append((nu, -lost))
        return terms + self.overlap_terms

    def _extra_benefit(self, u: UpgradeCandidate) -> float:
        """Benefit per period the wider scope adds over the narrower one."""
        wide = u.measure.scope(u.upgrade.to_scope).benefit.base
        return wide - u.measure.scope(u.upgrade.from_scope).benefit.base

    # -- objective -----------------------------------------------------------------

    def elastic_terms(self) -> list[Term]:
        """The elastic model's price of giving way: per unit of slack, plus per slack used."""
        terms: list[Term] = []
        for i, slack in enumerate(self.slacks):
            terms.append((slack.variable, slack.relax.weight))
            used = self.sink.variable(f"relaxed_{i}", binary=True)
            self._add([(slack.variable, 1.0), (used, -slack.relax.upper)], "<=", 0, f"relaxed_{i}")
            terms.append((used, PER_RELAXATION))
        for key, periods in self.outside.items():
            if periods:
                terms.append(
                    (self.starts[key], ELASTIC_WEIGHTS["window"] * periods + PER_RELAXATION)
                )
        return terms

    def _value_terms(self) -> list[Term]:
        r"""Net discounted value of each start and lever use.

        A start in ``t`` earns :math:`b\,(\sum_{\tau=t+d}^{T-1}\gamma^\tau + W)` and
        costs the discounted price of the resources its negotiation uses.
        """
        _, suffix, _, terminal = self._discounts()
        terms: list[Term] = []
        for key, c in self.candidates.items():
            value = c.scope.benefit.base * (suffix[c.in_force] + terminal)
            value -= self._spend(c.start, c.in_force, c.scope.use)
            terms.append((self.starts[key], value))
        for (lever_id, t), var in self.uses.items():
            terms.append((var, -self._lever_spend(lever_id, t)))
        return terms + self._dynamic_value_terms()

    def _spend(
        self, start: int, in_force: int, use: Mapping[str, Estimate], discounted: bool = True
    ) -> float:
        """Price of a negotiation from ``start`` to ``in_force`` using ``use`` (discounted).

        A nonrenewable resource is paid when the negotiation starts; a renewable one
        in every period it is negotiated.
        """
        weights, prefix = self._spend_weights
        spent = 0.0
        for resource_id, amount in use.items():
            resource = self.problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                spread = weights[start] if discounted else 1.0
            else:
                spread = prefix[in_force] - prefix[start] if discounted else in_force - start
            spent += resource.price.base * amount.base * spread
        return spent

    @cached_property
    def _spend_weights(self) -> tuple[list[float], list[float]]:
        weights, _, prefix, _ = self._discounts()
        return weights, prefix

    def _lever_spend(self, lever_id: str, period: int, discounted: bool = True) -> float:
        """Price of using lever ``lever_id`` in ``period`` (discounted)."""
        lever = self.problem.lever_by_id[lever_id]
        resources = self.problem.resource_by_id
        price = sum(resources[r].price.base * a.base for r, a in lever.use.items())
        return price * (self.objective.discount(period) if discounted else 1.0)

    def cost_terms(self, discounted: bool = True) -> list[Term]:
        """Political cost: the price of what a plan spends (each term positive).

        Discounted, these are the prices :meth:`_value_terms` subtracts, variable
        by variable (a start's and a widening's negotiation, a lever use), so that
        the value terms plus these are the benefit terms (net of what substitutes
        count twice, less what lapses lose). Undiscounted, they are the capital
        spent, priced but counted the same in every period.
        """
        terms: list[Term] = [
            (self.starts[key], self._spend(c.start, c.in_force, c.scope.use, discounted))
            for key, c in self.candidates.items()
        ]
        terms += [
            (self.upgrade_vars[ukey], self._spend(u.start, u.in_force, u.upgrade.use, discounted))
            for ukey, u in self.upgrade_candidates.items()
        ]
        terms += [
            (var, self._lever_spend(lever_id, t, discounted))
            for (lever_id, t), var in self.uses.items()
        ]
        return [(var, cost) for var, cost in terms if cost != 0.0]

    def _makespan_variable(self) -> pulp.LpVariable:
        r"""Makespan :math:`C`, counted period by period for forced measures.

        For each period ``t`` a variable :math:`r_t \ge 1 - F_{m,t}` for every
        forced measure ``m`` says "something is still unfinished in ``t``", and
        :math:`C \ge \sum_t r_t`. In the relaxation this takes, period by period,
        the most unfinished measure, which is stronger than the maximum of
        finish times :math:`C \ge \sum_{s,t} (t + d_{ms}) x_{mst}`; that row
        is kept for measures that are not forced.
        """
        # Integral at every plan; saying so lets the solver stop as soon as its bound
        # passes the next whole period below the best plan (j3021_9: proven in 44 s,
        # against a bound stuck at 68.0000000002 under 69 after 60 s when continuous).
        makespan = self.sink.variable("makespan", 0, self.span, integer=True)
        forced = [m.id for m in self.problem.measures if m.force is Force.IN and self._of(m.id)]
        running_terms: list[Term] = [(makespan, 1.0)]
        if forced:
            finished = {m: self._cumulative_vars(m, None, "in_force") for m in forced}
            for t in range(self.span):
                running = self.sink.variable(f"running_{t}", 0, 1)
                running_terms.append((running, -1.0))
                for mi, measure_id in enumerate(forced):
                    self._add(
                        [(running, 1.0), (finished[measure_id][t], 1.0)],
                        ">=",
                        1,
                        f"running_{t}_{mi}",
                    )
            self._add(running_terms, ">=", 0, "makespan_counts_running")
        by_measure: dict[str, list[Term]] = defaultdict(list)
        for key, c in self.candidates.items():
            if key[0] not in forced:
                by_measure[key[0]].append((self.starts[key], float(c.in_force)))
        self._add_upgrade_makespan(makespan)
        for mi, (measure_id, terms) in enumerate(by_measure.items()):
            self._add(
                [(makespan, 1.0)] + [(v, -c) for v, c in terms],
                ">=",
                0,
                f"makespan_{mi}_{_safe(measure_id)}",
            )
        return makespan


def _clique_cover(
    graph: dict[tuple[str, str], set[tuple[str, str]]],
) -> list[list[tuple[str, str]]]:
    """Greedy maximal cliques until every conflict (edge) is in one.

    Start from the node with most uncovered edges, grow by the neighbour with
    the most neighbours inside the clique's common neighbourhood. Deterministic.
    """
    uncovered = {a: set(b) for a, b in graph.items()}
    cliques: list[list[tuple[str, str]]] = []
    while True:
        seed = max(sorted(uncovered), key=lambda n: len(uncovered[n]))
        if not uncovered[seed]:
            return cliques
        clique = [seed]
        candidates = set(graph[seed])
        # Prefer neighbours whose edge to the seed is not covered yet.
        while candidates:
            best = max(
                sorted(candidates),
                key=lambda n: (n in uncovered[seed], len(graph[n] & candidates)),
            )
            clique.append(best)
            candidates &= graph[best]
        for a in clique:
            for b in clique:
                uncovered[a].discard(b)
        cliques.append(clique)
