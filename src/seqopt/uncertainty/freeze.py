"""The frozen past: the problem left to a planner at period ``now``, with what is done pinned.

:func:`freeze` takes the planner's model (usually
:func:`seqopt.uncertainty.observe.observed`: its estimates, with what it has
seen put in) and the :class:`~seqopt.uncertainty.record.Record` of what it has
done, and returns an ordinary :class:`~seqopt.data.Problem` over the same
periods whose plans are exactly the ways to go on from ``now``. Any back end
solves it (:func:`seqopt.solve.solve`), and the evaluator checks its plans,
with no new kind of row:

- **Nothing new starts in the past**: every scope, widening and lever may
  start in ``now`` at the earliest.
- **What was started is sunk.** A measure under negotiation or signed is
  forced in, pinned to its scope and start (its window is that start alone).
  A negotiation still under way whose signing must meet a gate gets a second,
  *ghost* scope (suffix :data:`GHOST`) with the same start, duration and
  resource use, but no gate, benefit or effect: the signing that fails. The
  optimiser takes the real scope when it expects the gate to be met (and may
  buy support for it), the ghost otherwise, and plans the rest around it.
- **A failed signing** (the gate was not met) puts the measure on hold: it
  stays pinned, paid for, with no benefit, effect, widening, review or
  overlap, and measures that require it cannot be done. **A lapse** likewise
  ends the measure's benefit and effects, but measures that required it
  stay possible (as in the evaluator, a requirement looks at the signing).
- **A widening started** is pinned the same way: its negotiation becomes a
  ghost measure carrying its resource use (forced in), and the widening
  itself, pinned to its start, costs nothing more, so the optimiser widens
  when it expects the widening's gates to be met.
- **Lever uses made** become scheduled events with the lever's effects (their
  support lasts, decaying), and count against the lever's limit and budgets.
- **The past is not judged again.** Support in periods before ``now`` is set
  beyond every threshold, and renewable capacity there beyond any use, so
  signings, reviews and capacities in the past (facts, recorded in
  ``record``) constrain nothing; only the future support they leave (effects
  still decaying) counts. Commitments that exceed what a future period
  offers (a capacity lower than planned) are kept: capacity there is raised
  to them, so that the problem stays solvable and the rest is planned in
  what is left.

Costs already paid are in the objective as constants; they do not change
which plan is best.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from seqopt.data import (
    Backlash,
    CauseKind,
    Dependency,
    DependencyKind,
    Effect,
    Estimate,
    Event,
    Force,
    Lever,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
    Series,
    Substitute,
)
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, Plan, UpgradeStart
from seqopt.settings import ObjectiveSettings
from seqopt.uncertainty.record import Negotiation, Record

GHOST = "\u2717"
"""Marks what a frozen problem adds: a scope whose signing fails, a widening's negotiation."""

USED = "\u2713used"
"""Suffix of the scheduled event that holds a lever's past uses."""

GHOST_SCOPE = "negotiation"
"""The one scope of a ghost measure (the negotiation of a widening)."""


def ghost_scope(scope_id: str) -> str:
    """The id of the ghost of scope ``scope_id``: its negotiation, with a signing that fails."""
    return f"{scope_id}{GHOST}"


def ghost_measure(measure_id: str, to_scope: str) -> str:
    """The id of the ghost measure that carries the negotiation of a widening."""
    return f"{measure_id}{GHOST}{to_scope}"


def is_ghost(measure_or_scope: str) -> bool:
    """Whether an id is one :func:`freeze` made up."""
    return GHOST in measure_or_scope


@dataclass
class _Edits:
    """What the pinned measures change elsewhere in the problem."""

    neutral: set[str]
    """Measures on hold or lapsed: no benefit, effect, widening, review or overlap."""
    failed: set[str]
    """Measures whose signing failed: measures requiring them cannot be done."""
    alternatives: dict[str, str]
    """Measures under way with a ghost scope, and their real scope."""
    ghosts: list[Measure]
    """Ghost measures carrying widenings' negotiations."""


def freeze(problem: Problem, record: Record, objective: ObjectiveSettings) -> Problem:
    """The problem left at ``record.now``: what was started is pinned, the past is not judged.

    Parameters
    ----------
    problem
        The planner's model (its estimates, and what it has seen).
    record
        What was done before ``record.now``, with the outcomes known then.
    objective
        How plans are scored (to find what the pinned negotiations use, with events).
    """
    now = record.now
    edits = _Edits(set(), {n.measure for n in record.failed() if not n.widening}, {}, [])
    measures = [_measure(problem, m, record, edits) for m in problem.measures]
    blocked = _blocked(problem.dependencies, edits.failed)
    measures = [
        replace(m, force=Force.OUT) if m.id in blocked and record.of(m.id) is None else m
        for m in measures
    ]
    past_events, past_effects = _lever_events(problem, record)
    frozen = replace(
        problem,
        measures=(*measures, *edits.ghosts),
        levers=tuple(_lever(lever, record) for lever in problem.levers),
        series=tuple(_past_beyond_reach(s, now, _beyond_reach(problem)) for s in problem.series),
        effects=(*_effects(problem.effects, edits), *past_effects),
        events=(*problem.events, *past_events),
        dependencies=tuple(_dependency(d, edits) for d in problem.dependencies),
        substitutes=tuple(_substitutes(problem.substitutes, edits)),
        backlashes=tuple(_backlashes(problem.backlashes, record, edits)),
    )
    return replace(frozen, resources=_resources(frozen, problem, record, objective))


def pinned_plan(frozen: Problem, record: Record) -> Plan:
    """The pinned part of any plan of ``frozen``: what was started, at its real scope."""
    assignments = []
    upgrades = []
    for n in record.negotiations:
        if n.widening:
            measure = frozen.measure_by_id[n.measure]
            if measure.upgrades:
                upgrades.append(UpgradeStart(n.measure, n.scope, n.start))
            assignments.append(Assignment(ghost_measure(n.measure, n.scope), GHOST_SCOPE, n.start))
        else:
            # The real scope, or its ghost when the real one can no longer be signed in time.
            scopes = {s.id for s in frozen.measure_by_id[n.measure].scopes}
            scope = n.scope if n.scope in scopes else ghost_scope(n.scope)
            assignments.append(Assignment(n.measure, scope, n.start))
    return Plan.of(assignments, (), upgrades)


def decisions(plan: Plan, record: Record) -> Plan:
    """What ``plan`` (of the frozen problem) does in ``record.now``: the actions to take now."""
    now = record.now
    return Plan.of(
        [
            a
            for a in plan.assignments
            if a.start == now and not is_ghost(a.measure) and record.of(a.measure) is None
        ],
        [u for u in plan.lever_uses if u.period == now],
        [
            u
            for u in plan.upgrades
            if u.start == now and record.of(u.measure, widening=True) is None
        ],
    )


def carried(plan: Plan, frozen: Problem, record: Record) -> Plan:
    """``plan`` (made earlier) as a starting plan of ``frozen``: its future, with the past pinned.

    A negotiation under way keeps the scope ``plan`` gave it (real or ghost)
    when ``frozen`` still offers it. The solver checks the result and ignores it
    if it breaks a rule.
    """
    pinned = pinned_plan(frozen, record)
    by_measure = {a.measure: a for a in pinned.assignments}
    for a in plan.assignments:
        measure = frozen.measure_by_id.get(a.measure)
        if measure is None or not any(s.id == a.scope for s in measure.scopes):
            continue
        pinned_here = a.measure in by_measure and by_measure[a.measure].start == a.start
        if pinned_here or (a.measure not in by_measure and a.start >= record.now):
            by_measure[a.measure] = a
    upgrades = {u.measure: u for u in pinned.upgrades}
    for u in plan.upgrades:
        if u.start >= record.now and u.measure not in upgrades and u.measure in by_measure:
            upgrades[u.measure] = u
    levers = [u for u in plan.lever_uses if u.period >= record.now]
    return Plan.of(by_measure.values(), levers, upgrades.values())


# -- measures ---------------------------------------------------------------------------


def _measure(problem: Problem, measure: Measure, record: Record, edits: _Edits) -> Measure:
    now = record.now
    signed = record.of(measure.id)
    widened = record.of(measure.id, widening=True)
    if signed is None:
        return replace(
            measure,
            scopes=tuple(
                replace(s, earliest_start=max(s.earliest_start, now)) for s in measure.scopes
            ),
            upgrades=tuple(
                replace(u, earliest_start=max(u.earliest_start, now)) for u in measure.upgrades
            ),
        )
    scope = measure.scope(signed.scope)
    pinned = _pin(scope, signed.start, scope.length)
    lapsed = signed.lapsed is not None and signed.lapsed <= now
    if signed.failed or lapsed:
        edits.neutral.add(measure.id)
        nothing = Estimate.exact(0.0)
        frozen = replace(
            measure,
            scopes=(replace(pinned, benefit=nothing, gates=()),),
            force=Force.IN,
            upgrades=(),
            renew_every=None,
            maintain=(),
        )
    else:
        frozen = replace(
            measure,
            scopes=_closed_but(
                measure,
                scope.id,
                _signing(scope, signed, problem.horizon, edits, measure.id),
                problem.horizon,
            ),
            force=Force.IN,
            upgrades=tuple(
                replace(u, earliest_start=max(u.earliest_start, now))
                for u in measure.upgrades
                if u.from_scope == scope.id
            ),
        )
    if widened is not None:
        frozen = _widening(problem, frozen, signed.scope, widened, edits)
    return frozen


def _closed_but(
    measure: Measure, signed: str, pinned: tuple[Scope, ...], horizon: int
) -> tuple[Scope, ...]:
    """The measure's scopes: the pinned ones in place of the one signed, the others closed.

    A scope the measure was not signed at stays (a widening may lead to it, and
    its benefit and effects count then), with a window no start fits in.
    """
    scopes: list[Scope] = []
    for scope in measure.scopes:
        if scope.id == signed:
            scopes += pinned
        else:
            scopes.append(replace(scope, earliest_start=horizon, latest_finish=horizon - 1))
    return tuple(scopes)


def _pin(scope: Scope, start: int, length: int) -> Scope:
    return replace(scope, earliest_start=start, latest_finish=start + length - 1)


def _signing(
    scope: Scope, n: Negotiation, horizon: int, edits: _Edits, measure_id: str
) -> tuple[Scope, ...]:
    """The scopes of a measure pinned to its negotiation: the real one, and the failing one.

    A signing already made, or one that needs no gate and ends in time, is
    certain. Otherwise the ghost scope stands for the signing that fails, and
    the real scope is kept only if it can still be signed in its window.
    """
    pinned = _pin(scope, n.start, scope.length)
    end = n.start + scope.length - 1
    in_time = end <= min(scope.latest_finish, horizon - 1)
    if n.concluded or (in_time and not scope.gates):
        return (pinned,)
    edits.alternatives[measure_id] = scope.id
    length = min(scope.length, horizon - n.start)
    ghost = replace(
        _pin(scope, n.start, length),
        id=ghost_scope(pinned.id),
        name=f"{pinned.name} (signing fails)",
        benefit=Estimate.exact(0.0),
        duration=Estimate.exact(float(length)),
        gates=(),
        source="",
    )
    return (pinned, ghost) if in_time else (ghost,)


def _widening(
    problem: Problem, measure: Measure, signed_scope: str, n: Negotiation, edits: _Edits
) -> Measure:
    """A widening started: a ghost measure carries its negotiation; the widening is pinned."""
    original = problem.measure_by_id[measure.id]
    upgrade = original.upgrade(signed_scope, n.scope)
    assert upgrade is not None
    length = min(upgrade.length, problem.horizon - n.start)
    wide = original.scope(n.scope).name
    edits.ghosts.append(
        Measure(
            ghost_measure(measure.id, n.scope),
            f"{original.name}: widening to {wide} (negotiation)",
            (
                Scope(
                    GHOST_SCOPE,
                    f"widening to {wide}",
                    Estimate.exact(0.0),
                    Estimate.exact(float(length)),
                    n.start,
                    n.start + length - 1,
                    upgrade.use,
                ),
            ),
            Force.IN,
        )
    )
    end = n.start + upgrade.length - 1
    possible = (
        measure.id not in edits.neutral
        and not n.failed
        and end <= min(upgrade.latest_finish, problem.horizon - 1)
    )
    pinned = replace(
        upgrade, earliest_start=n.start, latest_finish=end, use={}, gates=upgrade.gates
    )
    return replace(measure, upgrades=(pinned,) if possible else ())


def _blocked(dependencies: Iterable[Dependency], failed: set[str]) -> set[str]:
    """Measures that require a measure whose signing failed."""
    return {
        d.measure for d in dependencies if d.kind is DependencyKind.REQUIRES and d.other in failed
    }


# -- what pinned measures change elsewhere ----------------------------------------------


def _effects(effects: Iterable[Effect], edits: _Edits) -> Iterable[Effect]:
    for e in effects:
        if e.cause_kind is not CauseKind.MEASURE:
            yield e
        elif e.cause in edits.neutral:
            continue
        elif e.cause in edits.alternatives and e.cause_scope is None:
            # Only a real signing brings the measure into force: not its ghost.
            yield replace(e, cause_scope=edits.alternatives[e.cause])
        else:
            yield e


def _dependency(d: Dependency, edits: _Edits) -> Dependency:
    if (
        d.kind is DependencyKind.REQUIRES
        and d.other in edits.alternatives
        and d.other_scope is None
    ):
        return replace(d, other_scope=edits.alternatives[d.other])
    return d


def _substitutes(pairs: Iterable[Substitute], edits: _Edits) -> Iterable[Substitute]:
    for pair in pairs:
        if pair.measure in edits.neutral or pair.other in edits.neutral:
            continue
        if pair.measure in edits.alternatives and pair.scope is None:
            pair = replace(pair, scope=edits.alternatives[pair.measure])
        if pair.other in edits.alternatives and pair.other_scope is None:
            pair = replace(pair, other_scope=edits.alternatives[pair.other])
        yield pair


def _backlashes(rows: Iterable[Backlash], record: Record, edits: _Edits) -> Iterable[Backlash]:
    """Backlash rows still open: not averted by a lever used in the past part of the negotiation.

    A failing signing provokes the backlash too (the attempt is what people see),
    so a row of the real scope is repeated for its ghost.
    """
    for row in rows:
        n = record.of(row.measure)
        if n is not None and row.scope in (None, n.scope):
            last = n.signed if n.signed is not None else record.now - 1
            if any(u.lever == row.lever and n.start <= u.period <= last for u in record.lever_uses):
                continue
        yield row
        real = edits.alternatives.get(row.measure)
        if real is not None and row.scope == real:
            yield replace(row, scope=ghost_scope(real))


# -- levers, support and resources ------------------------------------------------------


def _lever(lever: Lever, record: Record) -> Lever:
    used = sum(1 for u in record.lever_uses if u.lever == lever.id)
    earliest = max(lever.earliest, record.now)
    left = max(lever.max_uses - used, 0) if earliest <= lever.latest else 0
    return replace(lever, max_uses=left, earliest=min(earliest, lever.latest))


def _lever_events(problem: Problem, record: Record) -> tuple[list[Event], list[Effect]]:
    """Past lever uses as scheduled events with the lever's effects on support."""
    periods: dict[str, list[int]] = defaultdict(list)
    for u in record.lever_uses:
        periods[u.lever].append(u.period)
    events = []
    effects = []
    for lever in problem.levers:
        if lever.id not in periods:
            continue
        event_id = f"{lever.id}{USED}"
        events.append(Event(event_id, f"{lever.name} (used)", tuple(sorted(periods[lever.id]))))
        effects += [
            replace(e, cause_kind=CauseKind.EVENT, cause=event_id)
            for e in problem.effects
            if e.cause_kind is CauseKind.LEVER and e.cause == lever.id
        ]
    return events, effects


def _beyond_reach(problem: Problem) -> float:
    """A support level no threshold reaches, whatever all effects together take away."""
    thresholds = [
        g.threshold.base
        for m in problem.measures
        for g in (
            *(g for s in m.scopes for g in s.gates),
            *(g for u in m.upgrades for g in u.gates),
            *m.maintain,
        )
    ]
    swing = sum(abs(e.amount.base) for e in problem.effects)
    swing += sum(abs(b.amount.base) for b in problem.backlashes)
    return 1.0 + max([100.0, *thresholds]) + problem.horizon * swing


def _past_beyond_reach(series: Series, now: int, level: float) -> Series:
    if now <= 0:
        return series
    high = Estimate.exact(level)
    return replace(
        series, baseline=tuple(high if t < now else v for t, v in enumerate(series.baseline))
    )


def _resources(
    frozen: Problem, problem: Problem, record: Record, objective: ObjectiveSettings
) -> tuple[Resource, ...]:
    """Capacities: unlimited in the past, budgets less past lever uses, at least what is pinned."""
    now = record.now
    spent: dict[str, float] = defaultdict(float)
    for u in record.lever_uses:
        for resource_id, amount in problem.lever_by_id[u.lever].use.items():
            spent[resource_id] += amount.base
    uses: list[Mapping[str, Estimate]] = [s.use for m in frozen.measures for s in m.scopes]
    uses += [u.use for m in frozen.measures for u in m.upgrades]
    uses += [lever.use for lever in problem.levers for _ in range(max(lever.max_uses, 1))]
    anything = 1.0 + sum(abs(a.base) for use in uses for a in use.values())
    resources = []
    for r in frozen.resources:
        if r.kind is ResourceKind.NONRENEWABLE:
            left = r.capacity.base - spent[r.id]
            resources.append(replace(r, capacity=replace(r.capacity, base=left)))
        else:
            overrides = dict(r.overrides)
            overrides.update({t: Estimate.exact(anything) for t in range(now)})
            resources.append(replace(r, overrides=overrides))
    # Commitments stand: where what is pinned needs more than a future period offers (as
    # the evaluator counts it, events included), that period offers it. Capacity after
    # events is max(0, capacity + shifts), so a raise may not show at once: repeat.
    found = tuple(resources)
    for _ in range(8):
        scored = evaluate(
            replace(frozen, resources=found), pinned_plan(frozen, record), objective, sources=False
        )
        raised = tuple(
            _at_least_pinned(r, scored.resource_use, scored.capacity, now) for r in found
        )
        if raised == found:
            break
        found = raised
    return found


def _at_least_pinned(
    r: Resource,
    use: dict[str, tuple[float, ...]],
    capacity: dict[str, tuple[float, ...]],
    now: int,
) -> Resource:
    used = use.get(r.id, ())
    if r.kind is ResourceKind.NONRENEWABLE:
        total = sum(used)
        if total > r.capacity.base:
            return replace(r, capacity=replace(r.capacity, base=total))
        return r
    overrides = dict(r.overrides)
    available = capacity.get(r.id, ())
    for t in range(now, len(used)):
        short = used[t] - available[t]
        if short > 1e-9:
            overrides[t] = Estimate.exact(r.capacity_in(t) + short)
    return replace(r, overrides=overrides) if overrides != r.overrides else r
