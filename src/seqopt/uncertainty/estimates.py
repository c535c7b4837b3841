"""Every estimated number of a problem, by a stable path, and a problem with new values.

A *site* is one uncertain number as the planner entered it: one cell (with its
``_low`` and ``_high`` companions) of one row. A measure-wide gate row applies
to every scope of the measure, and a baseline value carries forward to the
periods after it: each is still one number, one site, and a value drawn for it
applies everywhere the row applies.

Paths read ``sheet:key/key:column`` (for example ``scopes:gsomia/narrow:benefit``
or ``baseline:kr_gsomia/2015Q3:value``); they are stable for a given input, so a
sample, a CSV row or a tornado bar can be traced back to its cell.

A simulation also draws whether each random event happens in each period of its
window (:func:`event_draws`): those values, 0 or 1, have paths
``events:<event>/<period>:happens`` and :func:`with_values` turns them into a
scheduled event in that scenario.

Two estimates belong to the model file, not the input: the discount rate and the
terminal of ``[objective]`` (:func:`objective_sites`, paths
``objective:discount_rate`` and ``objective:terminal``), drawn and swung like the
others and put in place by :func:`objective_with_values`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Effect,
    Estimate,
    Event,
    Gate,
    Lever,
    Measure,
    Problem,
    Resource,
    Scope,
    Series,
    Substitute,
)
from seqopt.settings import ObjectiveSettings

Visit = Callable[[str, str, Estimate, bool], Estimate]
"""Called with (path, subject, estimate, integer); returns the estimate to put in its place."""


@dataclass(frozen=True)
class Site:
    """One estimated number of a problem."""

    path: str
    """Stable name: sheet, key and column."""
    subject: str
    """What it is, in words (names from the input), for reports."""
    estimate: Estimate
    integer: bool
    """Whether values are whole numbers (durations): drawn values are rounded."""

    @property
    def uncertain(self) -> bool:
        """Whether the range has any width."""
        return self.estimate.low < self.estimate.high


def sites(problem: Problem, *, uncertain_only: bool = True) -> tuple[Site, ...]:
    """Every estimate of ``problem`` in input order (only those with a range, by default)."""
    found: list[Site] = []

    def record(path: str, subject: str, estimate: Estimate, integer: bool) -> Estimate:
        found.append(Site(path, subject, estimate, integer))
        return estimate

    _walk(problem, record)
    return tuple(s for s in found if s.uncertain or not uncertain_only)


def indexed(problem: Problem) -> tuple[Problem, tuple[Site, ...]]:
    """``problem`` with every estimate's base replaced by the index of its site, and the sites.

    Every site is listed (ranged or not), in the order of :func:`sites`. Reading
    ``int(estimate.base)`` anywhere in the returned problem names the site that
    fills that place, however many places a site fills (a measure-wide gate, a
    carried-forward baseline value): a vectorised evaluation reads its values
    from one column per site.
    """
    found: list[Site] = []

    def number(path: str, subject: str, estimate: Estimate, integer: bool) -> Estimate:
        found.append(Site(path, subject, estimate, integer))
        return replace(estimate, base=float(len(found) - 1))

    return _walk(problem, number), tuple(found)


def with_values(problem: Problem, values: Mapping[str, float]) -> Problem:
    """``problem`` with the base value of each site named in ``values`` replaced.

    Low and high are kept; a site not named keeps its base value. A value for a
    whole-number site must be whole. Values for ``events:<event>/<period>:happens``
    paths make a random event happen in the periods where they are 1: it is then
    a scheduled event of that scenario.
    """

    def substitute(path: str, subject: str, estimate: Estimate, integer: bool) -> Estimate:
        value = values.get(path)
        if value is None or value == estimate.base:
            return estimate
        if integer and not float(value).is_integer():
            raise ValueError(f"{path} takes whole numbers, got {value}")
        return replace(estimate, base=float(value))

    return _happened(_walk(problem, substitute), values)


RATE_PATH = "objective:discount_rate"
TERMINAL_PATH = "objective:terminal"


def objective_sites(
    objective: ObjectiveSettings, *, uncertain_only: bool = True
) -> tuple[Site, ...]:
    """The discount rate and the terminal as sites (only those with a range, by default).

    A terminal of ``"perpetuity"`` is not a number of periods and is never a site.
    """
    found = []
    rate = objective.discount_rate
    low, high = objective.discount_rate_range or (rate, rate)
    estimate = Estimate(rate, low, high, objective.distribution)
    found.append(Site(RATE_PATH, "Discount rate per period", estimate, False))
    if isinstance(objective.terminal, int):
        periods = objective.terminal
        first, last = objective.terminal_range or (periods, periods)
        estimate = Estimate(float(periods), float(first), float(last), objective.distribution)
        subject = "Periods of benefit counted beyond the horizon (terminal)"
        found.append(Site(TERMINAL_PATH, subject, estimate, True))
    return tuple(s for s in found if s.uncertain or not uncertain_only)


def all_sites(
    problem: Problem, objective: ObjectiveSettings, *, uncertain_only: bool = True
) -> tuple[Site, ...]:
    """The input's sites (:func:`sites`) followed by the objective's (:func:`objective_sites`)."""
    return sites(problem, uncertain_only=uncertain_only) + objective_sites(
        objective, uncertain_only=uncertain_only
    )


def objective_with_values(
    objective: ObjectiveSettings, values: Mapping[str, float]
) -> ObjectiveSettings:
    """``objective`` with the discount rate and terminal named in ``values`` put in place."""
    result = objective
    rate = values.get(RATE_PATH)
    if rate is not None and rate != objective.discount_rate:
        result = replace(result, discount_rate=float(rate))
    terminal = values.get(TERMINAL_PATH)
    if terminal is not None and terminal != objective.terminal:
        if not float(terminal).is_integer():
            raise ValueError(f"{TERMINAL_PATH} takes whole numbers, got {terminal}")
        result = replace(result, terminal=int(terminal))
    return result


def happens_path(problem: Problem, event: Event, period: int) -> str:
    """The path of "random ``event`` happens in ``period``" in a simulation's samples."""
    return f"events:{event.id}/{problem.periods[period]}:happens"


def _happened(problem: Problem, values: Mapping[str, float]) -> Problem:
    """Random events drawn for a scenario become scheduled events in the drawn periods."""
    events = []
    for event in problem.events:
        drawn = {
            t: values.get(happens_path(problem, event, t)) for t in event.window(problem.horizon)
        }
        if event.probability is None or all(v is None for v in drawn.values()):
            events.append(event)
            continue
        periods = tuple(t for t, v in drawn.items() if v == 1.0)
        events.append(replace(event, periods=periods, probability=None))
    return replace(problem, events=tuple(events))


def event_draws(
    problem: Problem, probabilities: Mapping[str, list[float]], count: int, seed: int
) -> tuple[tuple[str, ...], list[list[float]]]:
    """Whether each random event happens in each period of its window, in each scenario.

    Independently in every period, with the scenario's probability (from
    ``probabilities``, by the probability's site path, when it is drawn; else
    its base value). Uniform numbers come from their own stream of ``seed``, all
    drawn here, so the same seed gives the same events whatever runs the scenarios.
    Returns the paths and one row of 0/1 values per scenario.
    """
    paths: list[str] = []
    chances: list[list[float]] = []
    for event in problem.events:
        if event.probability is None:
            continue
        site = f"events:{event.id}:probability"
        drawn = probabilities.get(site, [event.probability.base] * count)
        for t in event.window(problem.horizon):
            paths.append(happens_path(problem, event, t))
            chances.append(list(drawn))
    if not paths:
        return (), [[] for _ in range(count)]
    rng = np.random.default_rng([seed, EVENT_STREAM])
    uniforms = rng.random((count, len(paths)))
    rows = [
        [1.0 if uniforms[k, j] < chances[j][k] else 0.0 for j in range(len(paths))]
        for k in range(count)
    ]
    return tuple(paths), rows


EVENT_STREAM = 7
"""Mixed into the seed for event draws, so that they do not reuse the estimates' stream."""


def round_half_up(value: float) -> float:
    """The nearest whole number, halves rounded up (how drawn durations are rounded)."""
    return float(math.floor(value + 0.5))


class _Walk:
    """Visit every estimate once per site and rebuild the problem with what the visitor returns.

    A site that appears in several places (a measure-wide gate, a carried-forward
    baseline value) is visited once; its replacement is used in every place.
    """

    def __init__(self, problem: Problem, visit: Visit) -> None:
        self.problem = problem
        self.visit = visit
        self.seen: dict[str, Estimate] = {}
        self.used: set[str] = set()
        self.gates: dict[int, Gate] = {}
        """Replaced gates by the original's id, so that a shared gate stays shared."""

    def site(self, path: str, subject: str, estimate: Estimate, integer: bool = False) -> Estimate:
        if path not in self.seen:
            self.seen[path] = self.visit(path, subject, estimate, integer)
        return self.seen[path]

    def unique(self, path: str) -> str:
        """Make a path unique (problems built in code may repeat a key)."""
        candidate, count = path, 1
        while candidate in self.used:
            count += 1
            candidate = f"{path}#{count}"
        self.used.add(candidate)
        return candidate

    def rebuilt(self) -> Problem:
        p = self.problem
        return replace(
            p,
            measures=tuple(self.measure(m) for m in p.measures),
            resources=tuple(self.resource(r) for r in p.resources),
            levers=tuple(
                replace(
                    lever,
                    use=self.uses(
                        lever.use, f"lever_use:{lever.id}/{{}}:use", f"{lever.name}: use of {{}}"
                    ),
                )
                for lever in p.levers
            ),
            series=tuple(self.series(s) for s in p.series),
            effects=tuple(self.effect(e) for e in p.effects),
            events=tuple(self.event(e) for e in p.events),
            capacity_shifts=tuple(self.shift(c) for c in p.capacity_shifts),
            substitutes=tuple(self.substitute(pair) for pair in p.substitutes),
            backlashes=tuple(self.backlash(b) for b in p.backlashes),
        )

    def event(self, event: Event) -> Event:
        if event.probability is None:
            return event
        path = self.unique(f"events:{event.id}:probability")
        chance = self.site(path, f"{event.name}: probability per period", event.probability)
        return replace(event, probability=chance)

    def shift(self, shift: CapacityShift) -> CapacityShift:
        event = self.problem.event_by_id.get(shift.event)
        resource = self.problem.resource_by_id.get(shift.resource)
        cause = event.name if event is not None else shift.event
        target = resource.name if resource is not None else shift.resource
        key = f"event_capacity:{shift.event}/{shift.resource}"
        amount = self.site(
            self.unique(f"{key}:amount"), f"{cause} on {target}: amount", shift.amount
        )
        decay = self.site(self.unique(f"{key}:decay"), f"{cause} on {target}: decay", shift.decay)
        return replace(shift, amount=amount, decay=decay)

    def substitute(self, pair: Substitute) -> Substitute:
        names = {m.id: m.name for m in self.problem.measures}
        key = (
            f"substitutes:{pair.measure}/{pair.scope or '*'}/{pair.other}/{pair.other_scope or '*'}"
        )
        subject = (
            f"{names.get(pair.measure, pair.measure)} and {names.get(pair.other, pair.other)}: "
            "overlap"
        )
        return replace(
            pair, overlap=self.site(self.unique(f"{key}:overlap"), subject, pair.overlap)
        )

    def backlash(self, backlash: Backlash) -> Backlash:
        measure = self.problem.measure_by_id.get(backlash.measure)
        series = self.problem.series_by_id.get(backlash.series)
        cause = f"Backlash against {measure.name if measure is not None else backlash.measure}"
        target = series.name if series is not None else backlash.series
        key = (
            f"backlash:{backlash.measure}/{backlash.scope or '*'}/{backlash.lever}/"
            f"{backlash.series}"
        )
        amount = self.site(
            self.unique(f"{key}:amount"), f"{cause} on {target}: amount", backlash.amount
        )
        decay = self.site(
            self.unique(f"{key}:decay"), f"{cause} on {target}: decay", backlash.decay
        )
        return replace(backlash, amount=amount, decay=decay)

    def measure(self, measure: Measure) -> Measure:
        shared = _shared_gates(measure)
        scopes = []
        for scope in measure.scopes:
            key = f"{measure.id}/{scope.id}"
            name = f"{measure.name} ({scope.name})"
            benefit = self.site(
                self.unique(f"scopes:{key}:benefit"), f"{name}: benefit", scope.benefit
            )
            duration = self.site(
                self.unique(f"scopes:{key}:duration"), f"{name}: duration", scope.duration, True
            )
            use = self.uses(scope.use, f"scope_use:{key}/{{}}:use", f"{name}: use of {{}}")
            gates = tuple(self.gate(measure, scope, gate, shared) for gate in scope.gates)
            scopes.append(replace(scope, benefit=benefit, duration=duration, use=use, gates=gates))
        upgrades = []
        for upgrade in measure.upgrades:
            key = f"{measure.id}/{upgrade.from_scope}/{upgrade.to_scope}"
            wide = {s.id: s.name for s in measure.scopes}.get(upgrade.to_scope, upgrade.to_scope)
            name = f"{measure.name} (widening to {wide})"
            duration = self.site(
                self.unique(f"upgrades:{key}:duration"), f"{name}: duration", upgrade.duration, True
            )
            use = self.uses(upgrade.use, f"upgrade_use:{key}/{{}}:use", f"{name}: use of {{}}")
            gates_up = tuple(
                replace(
                    gate,
                    threshold=self.site(
                        self.unique(f"upgrade_gates:{key}/{gate.series}:threshold"),
                        f"{name}: threshold on {self._series_name(gate.series)}",
                        gate.threshold,
                    ),
                )
                for gate in upgrade.gates
            )
            upgrades.append(replace(upgrade, duration=duration, use=use, gates=gates_up))
        maintain = tuple(
            replace(
                gate,
                threshold=self.site(
                    self.unique(f"maintain:{measure.id}/{gate.series}:threshold"),
                    f"{measure.name}: maintain threshold on {self._series_name(gate.series)}",
                    gate.threshold,
                ),
            )
            for gate in measure.maintain
        )
        return replace(measure, scopes=tuple(scopes), upgrades=tuple(upgrades), maintain=maintain)

    def _series_name(self, series_id: str) -> str:
        series = self.problem.series_by_id.get(series_id)
        return series.name if series is not None else series_id

    def gate(self, measure: Measure, scope: Scope, gate: Gate, shared: Mapping[int, str]) -> Gate:
        if id(gate) in self.gates:
            return self.gates[id(gate)]
        owners = shared.get(id(gate), scope.id)
        series = self.problem.series_by_id.get(gate.series)
        series_name = series.name if series is not None else gate.series
        where = measure.name if owners == "*" else f"{measure.name} ({scope.name})"
        path = f"gates:{measure.id}/{owners}/{gate.series}:threshold"
        path = self.unique(path)
        threshold = self.site(path, f"{where}: threshold on {series_name}", gate.threshold)
        self.gates[id(gate)] = replace(gate, threshold=threshold)
        return self.gates[id(gate)]

    def uses(self, use: Mapping[str, Estimate], path: str, subject: str) -> dict[str, Estimate]:
        names = self.problem.resource_by_id
        return {
            resource_id: self.site(
                self.unique(path.format(resource_id)),
                subject.format(names[resource_id].name if resource_id in names else resource_id),
                amount,
            )
            for resource_id, amount in use.items()
        }

    def resource(self, resource: Resource) -> Resource:
        key = f"resources:{resource.id}"
        capacity = self.site(
            self.unique(f"{key}:capacity"), f"{resource.name}: capacity", resource.capacity
        )
        price = self.site(self.unique(f"{key}:price"), f"{resource.name}: price", resource.price)
        labels = self.problem.periods
        overrides = {
            period: self.site(
                self.unique(f"capacity:{resource.id}/{labels[period]}:capacity"),
                f"{resource.name}: capacity in {labels[period]}",
                value,
            )
            for period, value in resource.overrides.items()
        }
        return replace(resource, capacity=capacity, price=price, overrides=overrides)

    def series(self, series: Series) -> Series:
        labels = self.problem.periods
        baseline: list[Estimate] = []
        first = 0
        for t, value in enumerate(series.baseline):
            # A value carried forward is the same object as the row's: one site.
            if t == 0 or value is not series.baseline[t - 1]:
                first = t
                path = self.unique(f"baseline:{series.id}/{labels[t]}:value")
                subject = f"{series.name}: baseline from {labels[t]}"
                baseline.append(self.site(path, subject, value))
            else:
                baseline.append(baseline[first])
        return replace(series, baseline=tuple(baseline))

    def effect(self, effect: Effect) -> Effect:
        scope = effect.cause_scope or "*"
        key = f"effects:{effect.cause_kind.value}:{effect.cause}/{scope}/{effect.series}"
        cause = self._cause_name(effect)
        series = self.problem.series_by_id.get(effect.series)
        target = series.name if series is not None else effect.series
        amount = self.site(
            self.unique(f"{key}:amount"), f"{cause} on {target}: amount", effect.amount
        )
        decay = self.site(self.unique(f"{key}:decay"), f"{cause} on {target}: decay", effect.decay)
        return replace(effect, amount=amount, decay=decay)

    def _cause_name(self, effect: Effect) -> str:
        owners: dict[CauseKind, Mapping[str, Lever | Measure | Event]] = {
            CauseKind.LEVER: self.problem.lever_by_id,
            CauseKind.MEASURE: self.problem.measure_by_id,
            CauseKind.EVENT: self.problem.event_by_id,
        }
        owner = owners[effect.cause_kind].get(effect.cause)
        return owner.name if owner is not None else effect.cause


def _shared_gates(measure: Measure) -> dict[int, str]:
    """Gates that one input row gives several scopes: ``"*"`` for all, else the scope ids."""
    owners: dict[int, list[str]] = {}
    for scope in measure.scopes:
        for gate in scope.gates:
            owners.setdefault(id(gate), []).append(scope.id)
    every = [s.id for s in measure.scopes]
    return {
        key: "*" if scopes == every else ",".join(scopes)
        for key, scopes in owners.items()
        if len(scopes) > 1
    }


def _walk(problem: Problem, visit: Visit) -> Problem:
    return _Walk(problem, visit).rebuilt()
