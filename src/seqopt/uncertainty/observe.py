"""What the past has shown a planner: its own model, with the numbers it has seen put in.

A planner acting in a drawn future (the *truth*: the problem with every
estimate drawn and every random event decided) watches the polls and the
news. At the start of period ``now`` it has seen, for every period before
``now``:

- **support**: the level of every series. A baseline value carries forward
  until the next one (a poll stands until the next poll), so seeing it in its
  first period shows it for every period it covers; the next value is not
  seen before its own first period;
- **the size and fade of every effect that has begun**: a lever used, a
  measure in force, an event that happened, a backlash, once its effect has
  started to show (cause plus delay before ``now``): the polls show what it did;
- **outside events**: whether each random event happened in each period
  before ``now`` (scheduled events are known in advance anyway);
- **how long each concluded negotiation took**, and for one still under way
  that it takes longer than it has run so far.

Everything else (benefits, thresholds, capacities, resource uses, prices,
probabilities, overlaps, durations of negotiations not started) stays the
planner's own estimate. :func:`observed` returns the planner's model with what
it has seen put in; what it has *done* is pinned by
:func:`seqopt.uncertainty.freeze.freeze`.

The belief and the truth must be the same problem with other numbers (the
base problem and a draw of it, or two draws): rows are matched by position.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Effect,
    Estimate,
    Event,
    Measure,
    Problem,
    Series,
    Upgrade,
)
from seqopt.uncertainty.record import Negotiation, Record

SEEN = "\u2713seen"
"""Suffix of the scheduled copy of a random event that holds its past happenings."""


def observed(belief: Problem, truth: Problem, record: Record) -> Problem:
    """``belief`` with everything seen before ``record.now`` taken from ``truth``.

    Parameters
    ----------
    belief
        The planner's model: the base problem, or a scenario drawn from it.
    truth
        The future being lived: the same problem with every estimate drawn and
        random events scheduled where they happen.
    record
        What the planner has done, with the outcomes known at ``record.now``.
    """
    _same_shape(belief, truth)
    now = record.now
    happened = _happenings(truth, now)
    effects = tuple(
        _seen_effect(e, t, _begun(e, record, happened, now))
        for e, t in zip(belief.effects, truth.effects, strict=True)
    )
    backlashes = tuple(
        _seen_backlash(b, t, record, now)
        for b, t in zip(belief.backlashes, truth.backlashes, strict=True)
    )
    events, copies, copied_effects, copied_shifts = _events(belief, effects, happened, now)
    return replace(
        belief,
        series=tuple(_series(b, t, now) for b, t in zip(belief.series, truth.series, strict=True)),
        measures=tuple(_durations(m, record) for m in belief.measures),
        effects=effects + copied_effects,
        events=events + copies,
        capacity_shifts=belief.capacity_shifts + copied_shifts,
        backlashes=backlashes,
    )


def _same_shape(belief: Problem, truth: Problem) -> None:
    pairs: Iterable[tuple[Sequence[object], Sequence[object]]] = (
        (belief.series, truth.series),
        (belief.effects, truth.effects),
        (belief.events, truth.events),
        (belief.backlashes, truth.backlashes),
        (belief.measures, truth.measures),
    )
    if belief.periods != truth.periods or any(len(a) != len(b) for a, b in pairs):
        raise ValueError("the belief and the truth must be the same problem with other numbers")


def _series(belief: Series, truth: Series, now: int) -> Series:
    """Baseline values whose first period is past are seen, for every period they cover."""
    values: list[Estimate] = []
    for t, value in enumerate(belief.baseline):
        carried = t > 0 and value is belief.baseline[t - 1]
        if carried:
            values.append(values[-1])  # one value, one object: it stays one estimate
        elif t < now:
            values.append(replace(value, base=truth.baseline[t].base))
        else:
            values.append(value)
    return replace(belief, baseline=tuple(values))


def _happenings(truth: Problem, now: int) -> dict[str, tuple[int, ...]]:
    """Periods before ``now`` in which each event happened in the truth."""
    return {
        e.id: tuple(p for p in e.periods if p < now) if e.probability is None else ()
        for e in truth.events
    }


def _in_force_begins(record: Record, measure: str, scope: str | None) -> int | None:
    """When the measure began to be in force (at ``scope``, if named), per the record."""
    signed = record.of(measure)
    if signed is None or signed.in_force_from is None:
        return None
    if scope is None or scope == signed.scope:
        return signed.in_force_from
    widened = record.of(measure, widening=True)
    if widened is not None and widened.scope == scope:
        return widened.in_force_from
    return None


def _begun(effect: Effect, record: Record, happened: dict[str, tuple[int, ...]], now: int) -> bool:
    """Whether an effect has started to show in a period before ``now``."""
    if effect.cause_kind is CauseKind.LEVER:
        causes = [u.period for u in record.lever_uses if u.lever == effect.cause]
    elif effect.cause_kind is CauseKind.EVENT:
        causes = list(happened.get(effect.cause, ()))
    else:
        begins = _in_force_begins(record, effect.cause, effect.cause_scope)
        causes = [] if begins is None else [begins]
    return any(cause + effect.delay < now for cause in causes)


def _seen_effect(belief: Effect, truth: Effect, begun: bool) -> Effect:
    if not begun:
        return belief
    return replace(
        belief,
        amount=replace(belief.amount, base=truth.amount.base),
        decay=replace(belief.decay, base=truth.decay.base),
    )


def _seen_backlash(belief: Backlash, truth: Backlash, record: Record, now: int) -> Backlash:
    """A backlash that has begun to show is seen (a failed signing also provokes it)."""
    n = record.of(belief.measure)
    if n is None or n.signed is None or belief.scope not in (None, n.scope):
        return belief
    averted = any(
        u.lever == belief.lever and n.start <= u.period <= n.signed for u in record.lever_uses
    )
    if averted or n.signed + 1 + belief.delay >= now:
        return belief
    return replace(
        belief,
        amount=replace(belief.amount, base=truth.amount.base),
        decay=replace(belief.decay, base=truth.decay.base),
    )


def _durations(measure: Measure, record: Record) -> Measure:
    """Concluded negotiations took what they took; one under way takes at least what it has."""
    signed = record.of(measure.id)
    widened = record.of(measure.id, widening=True)
    if signed is None:
        return measure
    scopes = tuple(
        replace(s, duration=_length(s.duration, s.length, signed, record.now))
        if s.id == signed.scope
        else s
        for s in measure.scopes
    )
    upgrades: tuple[Upgrade, ...] = measure.upgrades
    if widened is not None:
        upgrades = tuple(
            replace(u, duration=_length(u.duration, u.length, widened, record.now))
            if u.from_scope == signed.scope and u.to_scope == widened.scope
            else u
            for u in measure.upgrades
        )
    return replace(measure, scopes=scopes, upgrades=upgrades)


def _length(duration: Estimate, length: int, n: Negotiation, now: int) -> Estimate:
    seen = n.signed - n.start + 1 if n.signed is not None else max(length, now - n.start + 1)
    return duration if seen == length else replace(duration, base=float(seen))


def _events(
    belief: Problem,
    effects: tuple[Effect, ...],
    happened: dict[str, tuple[int, ...]],
    now: int,
) -> tuple[tuple[Event, ...], tuple[Event, ...], tuple[Effect, ...], tuple[CapacityShift, ...]]:
    """Events as seen: past happenings from the truth, the future as the belief has it.

    A random event keeps its chance in the periods to come; its happenings
    before ``now`` become a scheduled copy (suffix :data:`SEEN`) with the same
    effects on support and capacity.
    """
    events: list[Event] = []
    copies: list[Event] = []
    copied_effects: list[Effect] = []
    copied_shifts: list[CapacityShift] = []
    for event in belief.events:
        past = happened.get(event.id, ())
        if event.probability is None:
            future = tuple(p for p in event.periods if p >= now)
            events.append(replace(event, periods=tuple(sorted({*past, *future}))))
            continue
        events.append(replace(event, earliest=max(event.earliest, now)))
        if not past:
            continue
        copy_id = f"{event.id}{SEEN}"
        copies.append(Event(copy_id, event.name, periods=past, source=event.source))
        copied_effects += [
            replace(e, cause=copy_id)
            for e in effects
            if e.cause_kind is CauseKind.EVENT and e.cause == event.id
        ]
        copied_shifts += [
            replace(c, event=copy_id) for c in belief.capacity_shifts if c.event == event.id
        ]
    return tuple(events), tuple(copies), tuple(copied_effects), tuple(copied_shifts)
