"""Checks on a whole problem: links between records, cycles, windows, ranges.

Runs on every problem, whether read from a workbook or built in code, so that
the optimiser and the evaluator may assume a well-formed :class:`Problem`.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator

from seqopt.data import (
    CauseKind,
    Dependency,
    DependencyKind,
    Estimate,
    Gate,
    Measure,
    Problem,
    ResourceKind,
)
from seqopt.errors import Issue, Location, Origin
from seqopt.plan import UPGRADE_STEP


def problem_issues(problem: Problem) -> list[Issue]:
    """Return every structural problem of ``problem`` (an empty list when there is none)."""
    return [
        *_duplicate_ids(problem),
        *_horizon(problem),
        *_scopes(problem),
        *_levers(problem),
        *_effects(problem),
        *_dependencies(problem),
        *_cycles(problem),
        *_upgrades(problem),
        *_renewals(problem),
        *_events(problem),
        *_substitutes(problem),
        *_backlashes(problem),
    ]


def _where(origin: Origin | None, column: str | None = None, what: str = "") -> Location:
    if origin is not None:
        return origin.at(column)
    return Location(sheet=what or None, column=column)


def _duplicate_ids(problem: Problem) -> Iterator[Issue]:
    groups: list[tuple[str, list[tuple[str, Origin | None]]]] = [
        ("measure", [(m.id, m.origin) for m in problem.measures]),
        ("resource", [(r.id, r.origin) for r in problem.resources]),
        ("lever", [(lever.id, lever.origin) for lever in problem.levers]),
        ("series", [(s.id, s.origin) for s in problem.series]),
        ("period", [(p, None) for p in problem.periods]),
    ]
    groups.append(("event", [(e.id, e.origin) for e in problem.events]))
    for measure in problem.measures:
        groups.append(("scope", [(s.id, s.origin) for s in measure.scopes]))
    for noun, items in groups:
        seen: set[str] = set()
        for item_id, origin in items:
            if item_id in seen:
                yield Issue(_where(origin, noun, noun), f"duplicate {noun} id", item_id)
            seen.add(item_id)


def _horizon(problem: Problem) -> Iterator[Issue]:
    if problem.horizon == 0:
        yield Issue(Location(sheet="periods"), "must list at least one period")
    for series in problem.series:
        if len(series.baseline) != problem.horizon:
            rule = f"baseline must have one value per period ({problem.horizon})"
            yield Issue(_where(series.origin, "series", "series"), rule, len(series.baseline))
        for value in series.baseline:
            yield from _estimate(value, series.origin, "value", 0, 100, series.id)


def _estimate(
    value: Estimate,
    origin: Origin | None,
    column: str,
    minimum: float | None,
    maximum: float | None,
    owner: str,
) -> Iterator[Issue]:
    """Range and ordering checks for estimates built in code (the reader checks its own)."""
    if origin is not None:
        return
    where = Location(sheet=owner, column=column)
    if not value.low <= value.base <= value.high:
        yield Issue(where, "must satisfy low <= base <= high", (value.low, value.base, value.high))
    if minimum is not None and value.low < minimum:
        yield Issue(where, f"must be >= {minimum:g}", value.low)
    if maximum is not None and value.high > maximum:
        yield Issue(where, f"must be <= {maximum:g}", value.high)


def _scopes(problem: Problem) -> Iterator[Issue]:
    last = problem.horizon - 1
    for measure, scope in problem.all_scopes():
        owner = f"{measure.id}/{scope.id}"
        if UPGRADE_STEP in scope.id:
            rule = f"must not contain {UPGRADE_STEP!r} (seqopt writes upgrades with it)"
            yield Issue(_where(scope.origin, "scope", "scopes"), rule, scope.id)
        yield from _estimate(scope.benefit, scope.origin, "benefit", 0, None, owner)
        yield from _estimate(scope.duration, scope.origin, "duration", 1, None, owner)
        if scope.origin is None and scope.length < 1:
            yield Issue(
                _where(None, "duration", owner), "must be a whole number >= 1", scope.length
            )
        for resource_id, use in scope.use.items():
            if resource_id not in problem.resource_by_id:
                rule = "must name a resource listed in sheet resources"
                yield Issue(_where(None, "resource", f"{owner} use"), rule, resource_id)
            yield from _estimate(use, scope.origin, "use", 0, None, owner)
        for gate in scope.gates:
            if gate.series not in problem.series_by_id:
                rule = "must name a series listed in sheet series"
                yield Issue(_where(gate.origin, "series", "gates"), rule, gate.series)
            yield from _estimate(gate.threshold, gate.origin, "threshold", 0, 100, owner)
        start, finish = scope.earliest_start, scope.latest_finish
        if not 0 <= start <= last or not 0 <= finish <= last:
            rule = f"window must lie within the horizon (periods 0 to {last})"
            yield Issue(_where(scope.origin, "earliest_start", "scopes"), rule, (start, finish))
        elif start > finish:
            rule = "window must run forwards: earliest_start is after latest_finish"
            label = f"{problem.periods[start]} to {problem.periods[finish]}"
            yield Issue(_where(scope.origin, "earliest_start", "scopes"), rule, label)
        elif start + scope.length - 1 > finish:
            room = finish - start + 1
            rule = (
                f"window {problem.periods[start]} to {problem.periods[finish]} "
                f"({room} period{'s' if room != 1 else ''}) cannot hold the duration"
            )
            yield Issue(_where(scope.origin, "latest_finish", "scopes"), rule, scope.length)


def _levers(problem: Problem) -> Iterator[Issue]:
    last = problem.horizon - 1
    for lever in problem.levers:
        if not 0 <= lever.earliest <= lever.latest <= last:
            label = f"{_label(problem, lever.earliest)} to {_label(problem, lever.latest)}"
            rule = "window must run forwards within the horizon"
            yield Issue(_where(lever.origin, "latest", "levers"), rule, label)
        if lever.max_uses < 0:
            yield Issue(_where(lever.origin, "max_uses", "levers"), "must be >= 0", lever.max_uses)
        for resource_id, use in lever.use.items():
            if resource_id not in problem.resource_by_id:
                rule = "must name a resource listed in sheet resources"
                yield Issue(_where(None, "resource", f"{lever.id} use"), rule, resource_id)
            yield from _estimate(use, lever.origin, "use", 0, None, lever.id)


def _label(problem: Problem, period: int) -> str:
    return problem.periods[period] if 0 <= period < problem.horizon else str(period)


def _effects(problem: Problem) -> Iterator[Issue]:
    for effect in problem.effects:
        where = effect.origin
        if effect.series not in problem.series_by_id:
            rule = "must name a series listed in sheet series"
            yield Issue(_where(where, "series", "effects"), rule, effect.series)
        if effect.cause_kind in (CauseKind.LEVER, CauseKind.EVENT):
            known, sheet = (
                (problem.lever_by_id, "levers")
                if effect.cause_kind is CauseKind.LEVER
                else (problem.event_by_id, "events")
            )
            if effect.cause not in known:
                article = "an" if effect.cause_kind is CauseKind.EVENT else "a"
                rule = f"must name {article} {effect.cause_kind.value} listed in sheet {sheet}"
                yield Issue(_where(where, "cause", "effects"), rule, effect.cause)
            if effect.cause_scope is not None:
                rule = f"applies to measures only: leave it blank for a {effect.cause_kind.value}"
                yield Issue(_where(where, "cause_scope", "effects"), rule, effect.cause_scope)
        else:
            measure = problem.measure_by_id.get(effect.cause)
            if measure is None:
                rule = "must name a measure listed in sheet measures"
                yield Issue(_where(where, "cause", "effects"), rule, effect.cause)
            elif effect.cause_scope is not None and not _has_scope(measure, effect.cause_scope):
                rule = f"must name a scope of measure {measure.id!r}"
                yield Issue(_where(where, "cause_scope", "effects"), rule, effect.cause_scope)
        if effect.delay < 0:
            yield Issue(_where(where, "delay", "effects"), "must be >= 0", effect.delay)
        yield from _estimate(effect.amount, where, "amount", -100, 100, "effects")
        yield from _estimate(effect.decay, where, "decay", 0, 1, "effects")


def _has_scope(measure: Measure, scope_id: str) -> bool:
    return any(scope.id == scope_id for scope in measure.scopes)


def _dependencies(problem: Problem) -> Iterator[Issue]:
    for dep in problem.dependencies:
        for column, measure_id, scope_id in (
            ("measure", dep.measure, dep.scope),
            ("other_measure", dep.other, dep.other_scope),
        ):
            measure = problem.measure_by_id.get(measure_id)
            if measure is None:
                rule = "must name a measure listed in sheet measures"
                yield Issue(_where(dep.origin, column, "dependencies"), rule, measure_id)
            elif scope_id is not None and not _has_scope(measure, scope_id):
                scope_column = "scope" if column == "measure" else "other_scope"
                rule = f"must name a scope of measure {measure_id!r}"
                yield Issue(_where(dep.origin, scope_column, "dependencies"), rule, scope_id)
        if dep.measure == dep.other:
            rule = "a measure cannot depend on itself"
            yield Issue(_where(dep.origin, "other_measure", "dependencies"), rule, dep.other)
        if dep.lag < 0:
            yield Issue(_where(dep.origin, "lag", "dependencies"), "must be >= 0", dep.lag)


def _cycles(problem: Problem) -> Iterator[Issue]:
    """Report one cycle of ``requires`` links at a time until none is left."""
    edges: dict[tuple[str, str], Dependency] = {}
    for dep in problem.dependencies:
        if dep.kind is DependencyKind.REQUIRES and dep.measure != dep.other:
            edges.setdefault((dep.measure, dep.other), dep)
    while True:
        graph: dict[str, set[str]] = {}
        for measure_id, other in edges:
            graph.setdefault(measure_id, set()).add(other)
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as error:
            cycle: list[str] = error.args[1]
            # graphlib lists the cycle against the direction of the edges; turn it round.
            path = list(reversed(cycle))
            first = edges[(path[0], path[1])]
            text = " requires ".join(path)
            yield Issue(
                _where(first.origin, "other_measure", "dependencies"),
                "dependency cycle: measures cannot each require the other",
                text,
                hint="Remove one 'requires' row of the cycle.",
            )
            del edges[(path[0], path[1])]
            continue
        return


def _window(
    problem: Problem, start: int, finish: int, length: int, origin: Origin | None, sheet: str
) -> Iterator[Issue]:
    """A start-and-signing window: within the horizon, forwards, long enough."""
    last = problem.horizon - 1
    if not 0 <= start <= last or not 0 <= finish <= last:
        rule = f"window must lie within the horizon (periods 0 to {last})"
        yield Issue(_where(origin, "earliest_start", sheet), rule, (start, finish))
    elif start > finish:
        rule = "window must run forwards: earliest_start is after latest_finish"
        label = f"{problem.periods[start]} to {problem.periods[finish]}"
        yield Issue(_where(origin, "earliest_start", sheet), rule, label)
    elif start + length - 1 > finish:
        room = finish - start + 1
        rule = (
            f"window {problem.periods[start]} to {problem.periods[finish]} "
            f"({room} period{'s' if room != 1 else ''}) cannot hold the duration"
        )
        yield Issue(_where(origin, "latest_finish", sheet), rule, length)


def _thresholds(
    problem: Problem, gates: tuple[Gate, ...], sheet: str, owner: str
) -> Iterator[Issue]:
    for gate in gates:
        if gate.series not in problem.series_by_id:
            rule = "must name a series listed in sheet series"
            yield Issue(_where(gate.origin, "series", sheet), rule, gate.series)
        yield from _estimate(gate.threshold, gate.origin, "threshold", 0, 100, owner)


def _upgrades(problem: Problem) -> Iterator[Issue]:
    for measure in problem.measures:
        seen: set[tuple[str, str]] = set()
        for upgrade in measure.upgrades:
            owner = f"{measure.id} upgrade {upgrade.from_scope}-{upgrade.to_scope}"
            where = upgrade.origin
            for column, scope_id in (
                ("from_scope", upgrade.from_scope),
                ("to_scope", upgrade.to_scope),
            ):
                if not _has_scope(measure, scope_id):
                    rule = f"must name a scope of measure {measure.id!r}"
                    yield Issue(_where(where, column, "upgrades"), rule, scope_id)
            if upgrade.from_scope == upgrade.to_scope:
                rule = "an upgrade must lead to another scope"
                yield Issue(_where(where, "to_scope", "upgrades"), rule, upgrade.to_scope)
            key = (upgrade.from_scope, upgrade.to_scope)
            if key in seen:
                rule = "duplicate upgrade: this measure already has one between these scopes"
                yield Issue(_where(where, "to_scope", "upgrades"), rule, upgrade.to_scope)
            seen.add(key)
            yield from _estimate(upgrade.duration, where, "duration", 1, None, owner)
            if where is None and upgrade.length < 1:
                rule = "must be a whole number >= 1"
                yield Issue(_where(None, "duration", owner), rule, upgrade.length)
            if upgrade.lag < 0:
                yield Issue(_where(where, "lag", "upgrades"), "must be >= 0", upgrade.lag)
            yield from _window(
                problem,
                upgrade.earliest_start,
                upgrade.latest_finish,
                upgrade.length,
                where,
                "upgrades",
            )
            for resource_id, use in upgrade.use.items():
                if resource_id not in problem.resource_by_id:
                    rule = "must name a resource listed in sheet resources"
                    yield Issue(_where(None, "resource", f"{owner} use"), rule, resource_id)
                yield from _estimate(use, where, "use", 0, None, owner)
            yield from _thresholds(problem, upgrade.gates, "upgrade_gates", owner)


def _renewals(problem: Problem) -> Iterator[Issue]:
    for measure in problem.measures:
        where = measure.origin
        if measure.renew_every is not None and measure.renew_every < 1:
            rule = "must be a whole number >= 1"
            yield Issue(_where(where, "renew_every", "measures"), rule, measure.renew_every)
        if measure.renew_every is not None and not measure.maintain:
            rule = "a measure that renews needs at least one row in sheet maintain"
            yield Issue(_where(where, "renew_every", "measures"), rule, measure.renew_every)
        if measure.maintain and measure.renew_every is None:
            rule = "maintain thresholds need renew_every in sheet measures"
            origin = measure.maintain[0].origin
            yield Issue(_where(origin, "measure", "maintain"), rule, measure.id)
        yield from _thresholds(problem, measure.maintain, "maintain", measure.id)


def _events(problem: Problem) -> Iterator[Issue]:
    last = problem.horizon - 1
    for event in problem.events:
        where = event.origin
        if event.probability is not None:
            if event.periods:
                rule = "a random event has a probability or a period, not both"
                yield Issue(_where(where, "period", "events"), rule, event.periods)
            yield from _estimate(event.probability, where, "probability", 0, 1, event.id)
            latest = last if event.latest is None else event.latest
            if not 0 <= event.earliest <= latest <= last:
                label = f"{_label(problem, event.earliest)} to {_label(problem, latest)}"
                rule = "window must run forwards within the horizon"
                yield Issue(_where(where, "latest", "events"), rule, label)
        elif not event.periods:
            rule = "needs a period (scheduled) or a probability per period (random)"
            yield Issue(_where(where, "period", "events"), rule, event.id)
        for period in event.periods:
            if not 0 <= period <= last:
                rule = f"must lie within the horizon (periods 0 to {last})"
                yield Issue(_where(where, "period", "events"), rule, period)
    for shift in problem.capacity_shifts:
        where = shift.origin
        if shift.event not in problem.event_by_id:
            rule = "must name an event listed in sheet events"
            yield Issue(_where(where, "event", "event_capacity"), rule, shift.event)
        resource = problem.resource_by_id.get(shift.resource)
        if resource is None:
            rule = "must name a resource listed in sheet resources"
            yield Issue(_where(where, "resource", "event_capacity"), rule, shift.resource)
        elif resource.kind is not ResourceKind.RENEWABLE:
            rule = "events move the capacity of renewable resources only"
            yield Issue(_where(where, "resource", "event_capacity"), rule, shift.resource)
        if shift.delay < 0:
            yield Issue(_where(where, "delay", "event_capacity"), "must be >= 0", shift.delay)
        yield from _estimate(shift.amount, where, "amount", None, None, "event_capacity")
        yield from _estimate(shift.decay, where, "decay", 0, 1, "event_capacity")


def _scoped(
    problem: Problem,
    measure_id: str,
    scope_id: str | None,
    columns: tuple[str, str],
    sheet: str,
    origin: Origin | None,
) -> Iterator[Issue]:
    """A measure id, and optionally one of its scopes, named in ``columns`` of ``sheet``."""
    measure = problem.measure_by_id.get(measure_id)
    if measure is None:
        rule = "must name a measure listed in sheet measures"
        yield Issue(_where(origin, columns[0], sheet), rule, measure_id)
    elif scope_id is not None and not _has_scope(measure, scope_id):
        rule = f"must name a scope of measure {measure_id!r}"
        yield Issue(_where(origin, columns[1], sheet), rule, scope_id)


def _substitutes(problem: Problem) -> Iterator[Issue]:
    for pair in problem.substitutes:
        where = pair.origin
        yield from _scoped(
            problem, pair.measure, pair.scope, ("measure", "scope"), "substitutes", where
        )
        yield from _scoped(
            problem,
            pair.other,
            pair.other_scope,
            ("other_measure", "other_scope"),
            "substitutes",
            where,
        )
        if pair.measure == pair.other:
            rule = "a measure cannot substitute for itself"
            yield Issue(_where(where, "other_measure", "substitutes"), rule, pair.other)
        yield from _estimate(pair.overlap, where, "overlap", 0, None, "substitutes")


def _backlashes(problem: Problem) -> Iterator[Issue]:
    for backlash in problem.backlashes:
        where = backlash.origin
        yield from _scoped(
            problem, backlash.measure, backlash.scope, ("measure", "scope"), "backlash", where
        )
        if backlash.lever not in problem.lever_by_id:
            rule = "must name a lever listed in sheet levers"
            yield Issue(_where(where, "lever", "backlash"), rule, backlash.lever)
        if backlash.series not in problem.series_by_id:
            rule = "must name a series listed in sheet series"
            yield Issue(_where(where, "series", "backlash"), rule, backlash.series)
        if backlash.delay < 0:
            yield Issue(_where(where, "delay", "backlash"), "must be >= 0", backlash.delay)
        yield from _estimate(backlash.amount, where, "amount", -100, 100, "backlash")
        yield from _estimate(backlash.decay, where, "decay", 0, 1, "backlash")
