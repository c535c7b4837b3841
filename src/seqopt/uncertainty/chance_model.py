"""The chance-constrained integer program: a base problem and sampled scenarios sharing one plan.

The start, lever and upgrade binaries ``x`` are shared by the base problem and
the scenarios (:func:`seqopt.milp.build_scenario_rows` adds each one's rows):

- the base problem's rows hold outright (the plan breaks no rule at the
  estimates' base values) and its value (or makespan) is the objective;
- each scenario ``k`` adds its own rows (its durations, numbers and drawn
  events) and a binary ``z_k``; every *rule* row of the scenario (capacity,
  budget, gate, precedence, window, renewal) gives way by ``M z_k``, with the
  smallest ``M`` the variables' bounds allow, so ``z_k = 0`` means the plan goes
  through unchanged in scenario ``k``; ``sum_k z_k <= E`` (the scenarios the plan
  may fail in). With ``E = 0`` the rows simply hold (a robust plan);
- a gate with a requirement of its own gets a binary ``g_k`` per scenario that
  relaxes only that measure's gate rows on that series:
  ``sum_k g_k + sum_s (K - E_s) X_s <= K`` with ``X_s`` "the measure is done at
  scope ``s``" and ``E_s`` the failures allowed at that scope (``K`` at scopes the
  gate does not apply to). A gate counts as cleared only where the plan runs to
  its schedule (binary ``d_k``, with ``g_k >= d_k``; see
  :mod:`seqopt.uncertainty.reliability`), and ``z_k >= g_k, d_k``.

Rows that only define variables (support, cumulative starts, backlash, lapses)
always hold. A start that does not fit a scenario's window (a longer
negotiation) is left out of its rows, with ``x <= d_k``; with ``E`` below the
number of scenarios, a start that cannot fit or meet its gates in more than
``E`` of them gets no variable at all.

Names of rows tell rules from definitions (:data:`RULES`, :data:`SCHEDULE`,
:data:`DEFINITIONS`); a row of a family in none of them is an error, so that a
new family cannot slip in unrelaxed or relaxed by mistake.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seqopt.data import Problem
from seqopt.milp import (
    Block,
    Built,
    Sink,
    StartKey,
    Term,
    UpgradeKey,
    build_scenario_rows,
    lever_keys,
    scope_starts,
    scope_upgrades,
)
from seqopt.plan import upgrade_step
from seqopt.settings import ObjectiveSettings
from seqopt.uncertainty.reliability import GateKey

RULES = (
    "requires_",
    "excludes_",
    "together_",
    "capacity_",
    "budget_",
    "clique_",
    "upgrade_gate_",
    "gate_",
)
"""Row families that are rules a scenario may break (relaxed by its ``z_k``)."""

SCHEDULE = ("upgrade_after_", "renewed_", "lapsed_", "lapse_cause_")
"""Rule rows that also decide the course of support (relaxed by ``d_k``)."""

DEFINITIONS = ("def_", "backlash_", "lapse_", "joint_", "overlap_")
"""Row families that define variables: they always hold."""


@dataclass(frozen=True)
class Targets:
    """What a plan must reach on a sample of scenarios."""

    level: float
    """Share of the scenarios in which the plan must go through unchanged (0: no requirement)."""
    gates: Mapping[GateKey, float]
    """Share of the scenarios in which the signing must clear each of these gates."""

    @property
    def any(self) -> bool:
        """Whether anything is asked of the scenarios."""
        return self.level > 0 or any(level > 0 for level in self.gates.values())


def allowed_failures(level: float, count: int) -> int:
    """Scenarios out of ``count`` a plan may fail in and still reach ``level``."""
    return math.floor((1.0 - level) * count + 1e-9)


def chance_model(
    sink: Sink,
    base: Problem,
    scenarios: Sequence[Problem],
    objective: ObjectiveSettings,
    goal: Targets,
    possible: Sequence[tuple[set[StartKey], set[UpgradeKey]]] | None = None,
) -> Built:
    """Build the program into ``sink``: the base problem's rows and every scenario's.

    ``possible`` gives each scenario's :func:`scope_starts` and :func:`scope_upgrades`
    when the caller has them (they are computed otherwise).
    """
    return _Model(sink, base, scenarios, objective, goal).built(possible)


def possibilities(problem: Problem) -> tuple[set[StartKey], set[UpgradeKey]]:
    """The starts and upgrade starts of ``problem`` that fit and can meet their gates."""
    return scope_starts(problem), scope_upgrades(problem)


class _Tracked:
    """A sink that remembers every variable's bounds, to size each relaxation's big-M."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.bounds: dict[Any, tuple[float, float]] = {}
        self.owner: dict[Any, str] = {}
        """Binaries of which at most one is 1 share an owner (a measure's starts)."""

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> Any:
        var = self.sink.variable(name, low, high, binary=binary, integer=integer)
        lo = 0.0 if binary else (-math.inf if low is None else float(low))
        hi = 1.0 if binary else (math.inf if high is None else float(high))
        self.bounds[var] = (lo, hi)
        return var

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        self.sink.row(terms, sense, rhs, name)

    def extreme(self, terms: Iterable[Term], *, most: bool) -> float:
        """The largest (``most``) or smallest value ``terms`` can take within the bounds."""
        merged: dict[Any, float] = defaultdict(float)
        for var, coefficient in terms:
            merged[var] += coefficient
        total = 0.0
        grouped: dict[str, list[float]] = defaultdict(list)
        for var, coefficient in merged.items():
            owner = self.owner.get(var)
            if owner is not None:
                grouped[owner].append(coefficient)
                continue
            lo, hi = self.bounds[var]
            ends = (coefficient * lo, coefficient * hi) if coefficient else (0.0, 0.0)
            total += max(ends) if most else min(ends)
        for coefficients in grouped.values():
            total += max(0.0, *coefficients) if most else min(0.0, *coefficients)
        if not math.isfinite(total):
            raise ValueError("a relaxed row has a variable without finite bounds")
        return total

    def relaxed(self, terms: list[Term], sense: str, rhs: float, name: str, binary: Any) -> None:
        """The row, holding when ``binary`` is 0 and giving way by as much as it can when 1."""
        if sense == "==":
            self.relaxed(terms, "<=", rhs, f"{name}_le", binary)
            self.relaxed(terms, ">=", rhs, f"{name}_ge", binary)
            return
        if sense == "<=":
            give = self.extreme(terms, most=True) - rhs
            self.sink.row([*terms, (binary, -give)] if give > 0 else terms, sense, rhs, name)
        else:
            give = rhs - self.extreme(terms, most=False)
            self.sink.row([*terms, (binary, give)] if give > 0 else terms, sense, rhs, name)


def _stripped(name: str, prefix: str) -> str:
    """A scenario row's name without its prefix (which a row named after a variable repeats)."""
    while name.startswith(prefix):
        name = name[len(prefix) :]
    return name


def _family(name: str) -> str:
    for family in (*SCHEDULE, *RULES, *DEFINITIONS):
        if name.startswith(family):
            return family
    raise ValueError(f"row {name!r} belongs to no known family: is it a rule or a definition?")


HARD = object()
"""Stands for a scenario binary fixed at 0: the rows it would relax simply hold."""


class _Model:
    """The chance-constrained program, built into a sink."""

    def __init__(
        self,
        sink: Sink,
        base: Problem,
        scenarios: Sequence[Problem],
        objective: ObjectiveSettings,
        goal: Targets,
    ) -> None:
        self.sink = _Tracked(sink)
        self.base = base
        self.scenarios = scenarios
        self.objective = objective
        self.goal = goal
        self.count = len(scenarios)
        self.joint = goal.level > 0
        self.allowed = allowed_failures(goal.level, self.count) if self.joint else self.count
        self.constrained = sorted({(m, s) for (m, _, s) in goal.gates})
        """(measure, series) pairs with a gate that has a requirement of its own."""

    def built(self, known: Sequence[tuple[set[StartKey], set[UpgradeKey]]] | None) -> Built:
        pruning = self.joint and self.allowed < self.count
        if pruning and known is None:
            known = [possibilities(p) for p in self.scenarios]
        possible = [starts for starts, _ in known] if pruning and known is not None else []
        widenable = [ups for _, ups in known] if pruning and known is not None else []
        starts = self._starts(possible)
        upgrades = self._upgrades(widenable)
        uses = {
            key: self.sink.variable(f"use_{key[0]}_{key[1]}", binary=True)
            for key in lever_keys(self.base)
        }
        block = Block(starts, uses, prefix="b_", first=True, upgrades=upgrades)
        primary = build_scenario_rows(
            self.base, self.objective, self.sink, block, objective_terms=True
        )
        failing: list[Any] = []
        gate_failing: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for k, problem in enumerate(self.scenarios):
            scenario = _Scenario(self, k, starts, upgrades)
            scenario.add(problem, uses, possible[k] if pruning else None)
            if scenario.z is not None and scenario.z is not HARD:
                failing.append(scenario.z)
            for pair, var in scenario.g.items():
                gate_failing[pair].append(var)
        if failing:
            self.sink.row([(z, 1.0) for z in failing], "<=", self.allowed, "reliability")
        self._gate_budgets(starts, gate_failing)
        steps = {(m, upgrade_step(f, t), u): var for (m, f, t, u), var in upgrades.items()}
        return Built({**starts, **steps}, uses, primary, [])

    def _starts(self, possible: Sequence[set[StartKey]]) -> dict[StartKey, Any]:
        order = {
            (m.id, s.id): (mi, si)
            for mi, m in enumerate(self.base.measures)
            for si, s in enumerate(m.scopes)
        }
        starts = {}
        for key in sorted(scope_starts(self.base), key=lambda k: (order[(k[0], k[1])], k[2])):
            if sum(key not in p for p in possible) > self.allowed:
                continue  # it fails in more scenarios than the plan may
            mi, si = order[(key[0], key[1])]
            var = self.sink.variable(f"start_{mi}_{si}_{key[2]}", binary=True)
            self.sink.owner[var] = key[0]
            starts[key] = var
        return starts

    def _upgrades(self, widenable: Sequence[set[UpgradeKey]]) -> dict[UpgradeKey, Any]:
        upgrades = {}
        for key in sorted(scope_upgrades(self.base)):
            if sum(key not in p for p in widenable) > self.allowed:
                continue
            var = self.sink.variable(f"upgrade_{'_'.join(str(k) for k in key)}", binary=True)
            self.sink.owner[var] = f"{key[0]}\u2192"  # widened at most once
            upgrades[key] = var
        return upgrades

    def _gate_budgets(
        self, starts: Mapping[StartKey, Any], failing: Mapping[tuple[str, str], list[Any]]
    ) -> None:
        """Per gate: ``sum_k g_k + sum_s (K - E_s) X_s <= K``."""
        for index, ((measure_id, series), binaries) in enumerate(failing.items()):
            terms: list[Term] = [(g, 1.0) for g in binaries]
            for (m, scope_id, _), var in starts.items():
                level = self.goal.gates.get((measure_id, scope_id, series))
                if m == measure_id and level is not None:
                    terms.append((var, float(self.count - allowed_failures(level, self.count))))
            self.sink.row(terms, "<=", float(self.count), f"gate_reliability_{index}")


class _Scenario:
    """One scenario's rows, relaxed by its binaries: ``z`` (rules), ``d`` (schedule), ``g``."""

    def __init__(
        self,
        model: _Model,
        k: int,
        starts: Mapping[StartKey, Any],
        upgrades: Mapping[UpgradeKey, Any],
    ) -> None:
        self.model = model
        self.prefix = f"s{k}_"
        self.starts = starts
        self.upgrades = upgrades
        sink = model.sink
        self.z: Any = None
        """The binary "the plan fails here" (``HARD`` when it may fail nowhere; ``None``
        when only gates are asked for)."""
        if model.joint:
            self.z = (
                HARD if model.allowed == 0 else sink.variable(f"{self.prefix}fails", binary=True)
            )
        self.g = {
            pair: sink.variable(f"{self.prefix}gate_fails_{i}", binary=True)
            for i, pair in enumerate(model.constrained)
        }
        self._d: Any = None
        self._links = 0
        for g in self.g.values():
            self.link(g, self.z)

    @property
    def d(self) -> Any:
        """The binary "the plan does not run to its schedule here" (made when first needed)."""
        if self._d is None:
            if not self.g:
                self._d = self.z  # nothing else needs the schedule: it is one of the rules
            else:
                self._d = self.model.sink.variable(f"{self.prefix}off_schedule", binary=True)
                self.link(self._d, self.z)
                for g in self.g.values():
                    self.link(self._d, g)
        return self._d

    def link(self, first: Any, second: Any) -> None:
        """``first <= second`` for binaries (``second`` HARD: ``first`` is 0; ``None``: free)."""
        if second is None:
            return
        self._links += 1
        name = f"{self.prefix}implies_{self._links}"
        if second is HARD:
            self.model.sink.row([(first, 1.0)], "<=", 0.0, name)
        else:
            self.model.sink.row([(first, 1.0), (second, -1.0)], "<=", 0.0, name)

    def add(
        self, problem: Problem, uses: Mapping[Any, Any], possible: set[StartKey] | None
    ) -> None:
        if self.z is None and not self.g:
            return
        fits = {k: v for k, v in self.starts.items() if _fits(problem, k)}
        widens = {k: v for k, v in self.upgrades.items() if _widening_fits(problem, k)}
        for key, var in self.starts.items():
            if key not in fits:
                self.link(var, self.d)  # signed after its window closes
            elif possible is not None and key not in possible:
                self.link(var, self.z)  # it can never meet its gates here
        for widening, var in self.upgrades.items():
            if widening not in widens:
                self.link(var, self.d)
        block = Block(fits, uses, prefix=self.prefix, first=False, upgrades=widens)
        build_scenario_rows(problem, self.model.objective, _Relaxing(self), block)


class _Relaxing:
    """The sink a scenario's rows go through: rules relaxed, definitions kept."""

    def __init__(self, scenario: _Scenario) -> None:
        self.scenario = scenario
        self.sink = scenario.model.sink

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> Any:
        return self.sink.variable(name, low, high, binary=binary, integer=integer)

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        scenario = self.scenario
        stripped = _stripped(name, scenario.prefix)
        family = _family(stripped)
        if family in DEFINITIONS:
            self.sink.row(terms, sense, rhs, name)
            return
        if family in SCHEDULE:
            binary = scenario.d
        elif family == "gate_":
            binary = scenario.g.get(self._gate(terms, stripped), scenario.z)
        else:
            binary = scenario.z
        if binary is HARD:
            self.sink.row(terms, sense, rhs, name)
        elif binary is not None:  # else nothing is asked of this rule in the scenarios
            self.sink.relaxed(terms, sense, rhs, name, binary)

    def _gate(self, terms: list[Term], name: str) -> tuple[str, str]:
        """(measure, series) of a gate row: its starts' measure and the series in its name."""
        (measure_id,) = {self.sink.owner[var] for var, _ in terms if var in self.sink.owner}
        series = self.scenario.model.base.series[int(name.split("_")[1])].id
        return measure_id, series


def _fits(problem: Problem, key: StartKey) -> bool:
    """Whether a start lies in its scope's window with the scenario's duration."""
    measure_id, scope_id, start = key
    scope = problem.scope(measure_id, scope_id)
    return scope.earliest_start <= start and start + scope.length - 1 <= scope.latest_finish


def _widening_fits(problem: Problem, key: UpgradeKey) -> bool:
    """Whether an upgrade start lies in the range the scenario's model gives it.

    From its own earliest start, and no sooner than the narrower scope can be in
    force (plus the lag) when signed at its earliest; signed by its latest finish.
    """
    measure_id, source, target, start = key
    measure = problem.measure_by_id[measure_id]
    upgrade = measure.upgrade(source, target)
    assert upgrade is not None
    narrow = measure.scope(source)
    if narrow.earliest_start + narrow.length - 1 > narrow.latest_finish:
        return False  # the narrower scope cannot be signed in this scenario
    earliest = max(upgrade.earliest_start, narrow.earliest_start + narrow.length + upgrade.lag)
    latest = min(upgrade.latest_finish, problem.horizon - 1) - upgrade.length + 1
    return earliest <= start <= latest
