"""Exhaustive re-planning: every way to go on from what was done, scored by the evaluator.

An independent check of :func:`seqopt.uncertainty.freeze.freeze` and the
solver behind it, for tiny problems without the policy dynamics. It knows
what the planner knows (the record of what was done, and the model with what
was seen put in) and nothing of the future, and enumerates every plan that
does what was done before ``now`` and anything after it. It does not build a
frozen problem: it keeps the model as it is and treats the past its own way.

- A signing that failed is on hold: its measure brings nothing (no benefit,
  effect or gate) and nothing that requires it can be done.
- A negotiation still under way may be signed (its gate must be met when it
  is signed, in the model) or fail (then it is on hold too): both are tried.
- What happened before ``now`` is not judged: support and capacity rules
  broken in the past are facts, not reasons to refuse a plan.
- When no way on keeps a measure that must be done (and is not started yet),
  that obligation is given up, as the policy does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import chain, combinations, product

from seqopt.data import CauseKind, DependencyKind, Estimate, Force, Problem
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveSettings
from seqopt.uncertainty.record import Record

PAST_FACTS = ("support", "capacity")
"""Rules that, broken before ``now``, are facts of the past rather than reasons to refuse."""


def on_hold(problem: Problem, measures: set[str]) -> Problem:
    """``problem`` with ``measures`` bringing nothing: no benefit, gate or effect."""
    nothing = Estimate.exact(0.0)
    return replace(
        problem,
        measures=tuple(
            replace(
                m,
                scopes=tuple(
                    replace(s, benefit=nothing, gates=(), latest_finish=problem.horizon + 10)
                    for s in m.scopes
                ),
            )
            if m.id in measures
            else m
            for m in problem.measures
        ),
        effects=tuple(
            e
            for e in problem.effects
            if not (e.cause_kind is CauseKind.MEASURE and e.cause in measures)
        ),
    )


def _options(problem: Problem, record: Record, blocked: set[str]) -> list[list[Assignment | None]]:
    options: list[list[Assignment | None]] = []
    for measure in problem.measures:
        done = record.of(measure.id)
        if done is not None:
            options.append([Assignment(measure.id, done.scope, done.start)])
            continue
        choices: list[Assignment | None] = [None]
        if measure.id not in blocked:
            for scope in measure.scopes:
                for start in range(record.now, problem.horizon):
                    choices.append(Assignment(measure.id, scope.id, start))
        options.append(choices)
    return options


def _lever_options(problem: Problem, record: Record) -> list[list[tuple[LeverUse, ...]]]:
    options = []
    for lever in problem.levers:
        past = tuple(u for u in record.lever_uses if u.lever == lever.id)
        free = range(record.now, problem.horizon)
        sets = [
            past + tuple(LeverUse(lever.id, t) for t in periods)
            for k in range(lever.max_uses - len(past) + 1)
            for periods in combinations(free, k)
        ]
        options.append(sets)
    return options


def _subsets(items: list[str]) -> Iterator[set[str]]:
    for k in range(len(items) + 1):
        for chosen in combinations(items, k):
            yield set(chosen)


def best_continuations(
    model: Problem, objective: ObjectiveSettings, record: Record
) -> tuple[float, list[Plan]]:
    """The best value of any way to go on from ``record``, and every plan that reaches it."""
    best, plans = _search(model, objective, record)
    if plans:
        return best, plans
    released = replace(
        model,
        measures=tuple(
            replace(m, force=Force.FREE) if m.force is Force.IN and record.of(m.id) is None else m
            for m in model.measures
        ),
    )
    return _search(released, objective, record)


def _search(
    model: Problem, objective: ObjectiveSettings, record: Record
) -> tuple[float, list[Plan]]:
    now = record.now
    failed = {n.measure for n in record.negotiations if n.failed}
    running = [
        n.measure
        for n in record.negotiations
        if not n.concluded and model.measure_by_id[n.measure].scope(n.scope).gates
    ]
    best = -float("inf")
    found: list[tuple[float, Plan]] = []
    for failing in _subsets(running):
        held = failed | failing
        blocked = {
            d.measure
            for d in model.dependencies
            if d.kind is DependencyKind.REQUIRES and d.other in held
        }
        world = on_hold(model, held)
        for measures, levers in product(
            product(*_options(world, record, blocked)), product(*_lever_options(world, record))
        ):
            plan = Plan.of([a for a in measures if a is not None], chain.from_iterable(levers))
            scored = evaluate(world, plan, objective, sources=False)
            if any(
                not (v.rule in PAST_FACTS and v.period is not None and v.period < now)
                for v in scored.violations
            ):
                continue
            if scored.objective > best + 1e-9:
                best = scored.objective
            found.append((scored.objective, plan))
    return best, [plan for value, plan in found if value >= best - 1e-6]
