"""Shrink the search before the integer program is built: start windows and dominated scopes.

Everything here is implied by the rules, so removing what it rules out never
removes an optimal plan:

- **Forward pass** (critical path): when A requires B, A cannot start before
  the earliest period B can be in force, plus the lag.
- **Backward pass**: when a forced A requires B, B must be in force by A's
  latest start minus the lag.
- **Makespan bound**: with the makespan objective and a known plan of makespan
  ``U`` (the greedy plan), an optimal plan finishes every measure by ``U``.
- **Unusable scopes**: a scope that needs more of a renewable resource than
  any period offers can never run (PSPLIB's non-executable modes).
- **Dominated scopes**: a scope no better than another of the same measure in
  every respect (benefit, duration, every resource use, window) is dropped,
  when neither has support gates, neither is named by a dependency or effect,
  and the measure has no in-force effects (whose timing a shorter scope would
  change) and none of the policy dynamics (an upgrade, a renewal, a substitute
  or a backlash can make the worse scope the better one).
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from dataclasses import dataclass

from seqopt.data import CauseKind, DependencyKind, Force, Measure, Problem, ResourceKind, Scope

ScopeKey = tuple[str, str]


@dataclass(frozen=True)
class Windows:
    """Possible start periods of every scope (empty when it can never be done)."""

    starts: Mapping[ScopeKey, range]
    dominated: frozenset[ScopeKey]


def start_windows(problem: Problem, makespan_bound: int | None = None) -> Windows:
    """Start windows after dominance, forward and backward passes."""
    low: dict[ScopeKey, int] = {}
    high: dict[ScopeKey, int] = {}
    for measure, scope in problem.all_scopes():
        key = (measure.id, scope.id)
        low[key] = scope.earliest_start
        high[key] = scope.latest_finish - scope.length + 1
        if makespan_bound is not None:
            high[key] = min(high[key], makespan_bound - scope.length)
    dominated = _dominated(problem, low, high) | _unusable(problem)
    order = _topological(problem)
    for measure_id in order:
        _forward(problem, measure_id, low, high, dominated)
    must = {m.id for m in problem.measures if m.force is Force.IN}
    for measure_id in reversed(order):
        if measure_id in must:
            must |= _backward(problem, measure_id, low, high, dominated)
    starts = {
        key: range(low[key], high[key] + 1) if key not in dominated else range(0) for key in low
    }
    return Windows(starts, frozenset(dominated))


def scope_windows(problem: Problem) -> Windows:
    """Every start inside its scope's own window, with no reduction at all.

    For models in which a shared schedule may break the rules of some scenarios
    (a chance-constrained plan): there a start ruled out by the passes above, or
    a dominated scope, may still be the one a plan needs, and whether a start
    fits a scenario is decided by that scenario's rows.
    """
    starts = {
        (measure.id, scope.id): range(scope.earliest_start, scope.latest_finish - scope.length + 2)
        for measure, scope in problem.all_scopes()
    }
    return Windows(starts, frozenset())


def _topological(problem: Problem) -> list[str]:
    """Measures with prerequisites after them (requires links are acyclic once validated)."""
    graph: dict[str, set[str]] = {m.id: set() for m in problem.measures}
    for dep in problem.dependencies:
        if dep.kind is DependencyKind.REQUIRES:
            graph[dep.measure].add(dep.other)
    return list(graphlib.TopologicalSorter(graph).static_order())


def _scopes(problem: Problem, measure_id: str, scope_id: str | None) -> list[Scope]:
    measure = problem.measure_by_id[measure_id]
    return [s for s in measure.scopes if scope_id is None or s.id == scope_id]


def _forward(
    problem: Problem,
    measure_id: str,
    low: dict[ScopeKey, int],
    high: dict[ScopeKey, int],
    dominated: set[ScopeKey],
) -> None:
    for dep in problem.dependencies:
        if dep.kind is not DependencyKind.REQUIRES or dep.measure != measure_id:
            continue
        in_force = [
            low[(dep.other, s.id)] + s.length
            for s in _scopes(problem, dep.other, dep.other_scope)
            if (dep.other, s.id) not in dominated
            and low[(dep.other, s.id)] <= high[(dep.other, s.id)]
        ]
        earliest = min(in_force) + dep.lag if in_force else None
        for scope in _scopes(problem, measure_id, dep.scope):
            key = (measure_id, scope.id)
            low[key] = high[key] + 1 if earliest is None else max(low[key], earliest)


def _backward(
    problem: Problem,
    measure_id: str,
    low: dict[ScopeKey, int],
    high: dict[ScopeKey, int],
    dominated: set[ScopeKey],
) -> set[str]:
    """Tighten the prerequisites of a measure that must be done; return those that must be too."""
    measure = problem.measure_by_id[measure_id]
    needed: set[str] = set()
    open_starts = [
        high[(measure_id, s.id)]
        for s in measure.scopes
        if (measure_id, s.id) not in dominated
        and low[(measure_id, s.id)] <= high[(measure_id, s.id)]
    ]
    if not open_starts:
        return needed
    latest = max(open_starts)
    for dep in problem.dependencies:
        if dep.kind is not DependencyKind.REQUIRES or dep.measure != measure_id:
            continue
        if dep.scope is not None:
            continue  # binds only when that scope is chosen
        needed.add(dep.other)
        for scope in _scopes(problem, dep.other, dep.other_scope):
            key = (dep.other, scope.id)
            high[key] = min(high[key], latest - dep.lag - scope.length)
    return needed


def _dominated(
    problem: Problem, low: Mapping[ScopeKey, int], high: Mapping[ScopeKey, int]
) -> set[ScopeKey]:
    named: set[tuple[str, str | None]] = {
        (d.measure, d.scope) for d in problem.dependencies if d.scope is not None
    }
    named |= {(d.other, d.other_scope) for d in problem.dependencies if d.other_scope is not None}
    named |= {(e.cause, e.cause_scope) for e in problem.effects if e.cause_scope is not None}
    with_effects = {e.cause for e in problem.effects if e.cause_kind is CauseKind.MEASURE}
    dynamic = {m.id for m in problem.measures if m.upgrades or m.renews}
    dynamic |= {p.measure for p in problem.substitutes} | {p.other for p in problem.substitutes}
    dynamic |= {b.measure for b in problem.backlashes}
    dominated: set[ScopeKey] = set()
    for measure in problem.measures:
        if measure.id in with_effects or measure.id in dynamic:
            continue
        for index, scope in enumerate(measure.scopes):
            for other_index, other in enumerate(measure.scopes):
                if other_index == index or (measure.id, other.id) in dominated:
                    continue
                if _dominates(measure, other, scope, low, high, named):
                    # Identical scopes dominate each other: keep the one listed first.
                    if other_index > index and _dominates(measure, scope, other, low, high, named):
                        continue
                    dominated.add((measure.id, scope.id))
                    break
    return dominated


def _dominates(
    measure: Measure,
    better: Scope,
    worse: Scope,
    low: Mapping[ScopeKey, int],
    high: Mapping[ScopeKey, int],
    named: set[tuple[str, str | None]],
) -> bool:
    if better.gates or worse.gates:
        return False
    if (measure.id, better.id) in named or (measure.id, worse.id) in named:
        return False
    if better.benefit.base < worse.benefit.base or better.length > worse.length:
        return False
    for resource_id in set(better.use) | set(worse.use):
        mine = better.use.get(resource_id)
        theirs = worse.use.get(resource_id)
        if (mine.base if mine else 0.0) > (theirs.base if theirs else 0.0):
            return False
    b, w = (measure.id, better.id), (measure.id, worse.id)
    return low[b] <= low[w] and high[b] >= high[w]


def _unusable(problem: Problem) -> set[ScopeKey]:
    """Scopes needing more of a renewable resource than any period offers.

    Outside events may add capacity: every event counts here as if it happened
    in every period it can, with all of its capacity gains (an upper bound).
    """
    gains = {r.id: 0.0 for r in problem.resources}
    for shift in problem.capacity_shifts:
        event = problem.event_by_id.get(shift.event)
        if event is None or shift.resource not in gains or shift.amount.high <= 0:
            continue
        happens = len(event.window(problem.horizon)) if event.random else len(event.periods)
        gains[shift.resource] += shift.amount.high * happens
    most = {
        r.id: max((r.capacity_in(t) for t in range(problem.horizon)), default=0.0) + gains[r.id]
        for r in problem.resources
        if r.kind is ResourceKind.RENEWABLE
    }
    return {
        (m.id, s.id)
        for m, s in problem.all_scopes()
        if any(rid in most and use.base > most[rid] + 1e-9 for rid, use in s.use.items())
    }
