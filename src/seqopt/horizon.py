"""The same problem over part of its periods: a scenario's planning horizon.

One input can hold a longer calendar than a plan needs (the Japan–ROK input runs
from 2012 to 2019 so that a replay of 2012, the plan of late 2013 and a history run
share it). :func:`within` keeps periods ``first .. last`` and renumbers every period
reference from ``first``:

- a baseline keeps its values in those periods (a poll before ``first`` stands in
  ``first`` through the carry-forward the reader already applied);
- windows (scopes, upgrades, levers, random events) are cut to the horizon. A
  window that ends before ``first`` or starts after ``last`` is left empty
  (``latest`` below ``earliest``), which :func:`seqopt.validate.problem_issues`
  reports, unless it is a scope of a measure forced out (never done: its window
  is then the whole horizon);
- per-period capacities and scheduled happenings outside the horizon are dropped,
  and so is an event left with no period to happen in, with its effects: what
  happened before ``first`` must be in the baseline.

Delays, lags, durations and renewal terms are relative and do not change.
"""

from __future__ import annotations

from dataclasses import replace

from seqopt.data import (
    CauseKind,
    Event,
    Force,
    Lever,
    Measure,
    Problem,
    Resource,
    Scope,
    Series,
    Upgrade,
)


def within(problem: Problem, first: int, last: int) -> Problem:
    """``problem`` over its periods ``first`` to ``last`` (indices, inclusive).

    Raises
    ------
    ValueError
        When ``first .. last`` is not a non-empty range of the problem's periods.
    """
    if not 0 <= first <= last < problem.horizon:
        raise ValueError(f"periods {first}..{last} are not within 0..{problem.horizon - 1}")
    if first == 0 and last == problem.horizon - 1:
        return problem
    cut = _Cut(first, last)
    events = [e for e in (cut.event(e) for e in problem.events) if e is not None]
    kept = {e.id for e in events}
    return replace(
        problem,
        periods=problem.periods[first : last + 1],
        measures=tuple(cut.measure(m) for m in problem.measures),
        resources=tuple(cut.resource(r) for r in problem.resources),
        levers=tuple(cut.lever(lever) for lever in problem.levers),
        series=tuple(cut.series(s) for s in problem.series),
        events=tuple(events),
        effects=tuple(
            e for e in problem.effects if e.cause_kind is not CauseKind.EVENT or e.cause in kept
        ),
        capacity_shifts=tuple(c for c in problem.capacity_shifts if c.event in kept),
    )


class _Cut:
    """Renumbering of period indices from ``first``, windows cut at ``last``."""

    def __init__(self, first: int, last: int) -> None:
        self.first = first
        self.last = last - first

    def window(self, earliest: int, latest: int) -> tuple[int, int]:
        """``earliest .. latest`` renumbered and cut; empty (latest < earliest) when outside."""
        start = max(earliest - self.first, 0)
        end = min(latest - self.first, self.last)
        if end < 0 or start > self.last:
            return (0, -1) if end < 0 else (self.last, self.last - 1)
        return start, end

    def scope(self, scope: Scope, never_done: bool) -> Scope:
        earliest, latest = self.window(scope.earliest_start, scope.latest_finish)
        if never_done and latest < earliest:
            earliest, latest = 0, self.last
        return replace(scope, earliest_start=earliest, latest_finish=latest)

    def upgrade(self, upgrade: Upgrade) -> Upgrade:
        earliest, latest = self.window(upgrade.earliest_start, upgrade.latest_finish)
        return replace(upgrade, earliest_start=earliest, latest_finish=latest)

    def measure(self, measure: Measure) -> Measure:
        never_done = measure.force is Force.OUT
        return replace(
            measure,
            scopes=tuple(self.scope(s, never_done) for s in measure.scopes),
            upgrades=tuple(self.upgrade(u) for u in measure.upgrades),
        )

    def lever(self, lever: Lever) -> Lever:
        earliest, latest = self.window(lever.earliest, lever.latest)
        return replace(lever, earliest=earliest, latest=latest)

    def resource(self, resource: Resource) -> Resource:
        overrides = {
            period - self.first: value
            for period, value in resource.overrides.items()
            if 0 <= period - self.first <= self.last
        }
        return replace(resource, overrides=overrides)

    def series(self, series: Series) -> Series:
        return replace(series, baseline=series.baseline[self.first : self.first + self.last + 1])

    def event(self, event: Event) -> Event | None:
        """The event within the horizon, ``None`` when it can no longer happen there."""
        if event.probability is None:
            periods = tuple(
                p - self.first for p in event.periods if 0 <= p - self.first <= self.last
            )
            return replace(event, periods=periods) if periods else None
        latest = event.latest if event.latest is not None else self.first + self.last
        earliest, end = self.window(event.earliest, latest)
        if end < earliest:
            return None
        return replace(event, earliest=earliest, latest=None if event.latest is None else end)
