"""The price of safety: the best plan at each reliability level, what it is worth, what changes.

For each level asked (``seqopt frontier MODEL --reliability 0 0.5 0.8 0.9``),
the plan is the one :mod:`seqopt.uncertainty.calibrate` finds for it: the
rungs of one ladder are climbed once, up to the first reaching the highest
level, and each level takes the first rung reaching it (level 0: the plan
optimal at base values). Every plan is scored on the same fresh scenarios.
Between consecutive plans, :func:`changes` says in words what moves: a
measure dropped or added, signed later or earlier, at another scope, widened
or not, and lever uses bought or given up. The *knee* is the point farthest
from the straight line between the least and the most reliable plans (both
axes scaled to their range): where the curve bends.

``frontier.json`` (schema ``seqopt.frontier/1``) holds it all. Only the
reliability axis lives here; other axes of ``seqopt frontier`` keep their own
modules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seqopt import __version__
from seqopt.data import Problem
from seqopt.evaluate import evaluate
from seqopt.outputs import fingerprint
from seqopt.plan import Plan
from seqopt.settings import ModelFile, ObjectiveKind, ObjectiveSettings
from seqopt.solve import SolveResult
from seqopt.solvers.result import Status
from seqopt.tradeoffs.knee import knee_index
from seqopt.uncertainty.batch import Scorer
from seqopt.uncertainty.calibrate import Ladder, Reaches, Rung, climb, recorded, sizes
from seqopt.uncertainty.chance_model import Targets
from seqopt.uncertainty.reliability import describe
from seqopt.uncertainty.reliable import choice_sample, fresh_sample, margin_plan, with_margin

SCHEMA = "seqopt.frontier/1"
FRONTIER_FILE = "frontier.json"


@dataclass(frozen=True)
class Point:
    """The plan for one reliability level."""

    level: float
    reached: bool
    scenarios: int
    """Scenarios the plan was chosen on (0: the plan optimal at base values)."""
    status: Status
    plan: Plan | None
    value: float | None
    fresh: float
    """Share of the fresh scenarios in which it goes through unchanged."""


def frontier(
    problem: Problem,
    model: ModelFile,
    levels: Sequence[float],
    base: SolveResult,
    *,
    workers: int = 1,
) -> tuple[list[Point], list[Rung]]:
    """The plan at every level, and the rungs climbed to find them.

    ``base`` is the solve at base values; with a margin in the model, every plan
    keeps it (the level 0 plan is the margin plan).
    """
    levels = sorted(set(levels))
    settings = model.uncertainty
    fresh = fresh_sample(problem, model)
    scorer = Scorer(problem, model.objective, fresh)
    first = margin_plan(problem, model) if settings.margin > 0 else base
    points: list[Point] = []
    wanted = [level for level in levels if level > 0]
    rungs: list[Rung] = []
    if wanted and first.status.has_plan:
        top = Targets(wanted[-1], {})
        ladder = Ladder(
            with_margin(problem, settings.margin),
            problem,
            model.objective,
            model.solver,
            choice_sample(problem, model),
            fresh,
            top,
        )
        rungs = climb(ladder, sizes(settings.samples), Reaches(top), workers=workers)
    for level in levels:
        if level <= 0 or first.plan is None:
            share = scorer.score(first.plan).reliability if first.plan is not None else 0.0
            points.append(Point(level, True, 0, first.status, first.plan, first.objective, share))
            continue
        rung = recorded(rungs, Targets(level, {}))
        if rung is None:
            points.append(Point(level, False, 0, Status.NO_SOLUTION, None, None, 0.0))
            continue
        points.append(
            Point(
                level,
                rung.reaches(Targets(level, {})),
                rung.count,
                rung.chance.status,
                rung.plan,
                rung.chance.value,
                rung.fresh,
            )
        )
    return points, rungs


def knee(points: Sequence[Point]) -> int | None:
    """Index of the point farthest from the chord between the least and most reliable plans."""
    found = [(i, p.fresh, p.value) for i, p in enumerate(points) if p.value is not None]
    where = knee_index([x for _, x, _ in found], [float(y) for _, _, y in found if y is not None])
    return found[where][0] if where is not None else None


def changes(problem: Problem, objective: ObjectiveSettings, before: Plan, after: Plan) -> list[str]:
    """What changes from ``before`` to ``after``, in words: measures, scopes, timing, levers."""
    found: list[str] = []
    labels = problem.periods
    signed_before = _signings(problem, objective, before)
    signed_after = _signings(problem, objective, after)
    for measure in problem.measures:
        a, b = before.assignment(measure.id), after.assignment(measure.id)
        if a is not None and b is None:
            found.append(f"drops {measure.name}")
            continue
        if a is None and b is not None:
            scope = measure.scope(b.scope).name
            found.append(f"adds {measure.name} ({scope}), signed {labels[signed_after[b.measure]]}")
            continue
        if a is None or b is None:
            continue
        if a.scope != b.scope:
            old, new = measure.scope(a.scope), measure.scope(b.scope)
            how = "narrower" if new.benefit.base < old.benefit.base else "wider"
            found.append(f"{measure.name}: {new.name} instead of {old.name} ({how})")
        shift = signed_after[b.measure] - signed_before[a.measure]
        if shift:
            way = "later" if shift > 0 else "earlier"
            count = abs(shift)
            found.append(
                f"{measure.name} signed {count} period{'s' if count != 1 else ''} {way} "
                f"({labels[signed_after[b.measure]]})"
            )
        up_a, up_b = before.upgrade(measure.id), after.upgrade(measure.id)
        if up_a is not None and up_b is None:
            found.append(f"{measure.name} is no longer widened")
        elif up_b is not None and up_a is None:
            found.append(f"{measure.name} is widened to {measure.scope(up_b.scope).name}")
    uses_before = Counter(u.lever for u in before.lever_uses)
    uses_after = Counter(u.lever for u in after.lever_uses)
    for lever in problem.levers:
        more = uses_after[lever.id] - uses_before[lever.id]
        if more:
            word = "more" if more > 0 else "fewer"
            found.append(f"{abs(more)} {word} use{'s' if abs(more) != 1 else ''} of {lever.name}")
    return found


def _signings(problem: Problem, objective: ObjectiveSettings, plan: Plan) -> dict[str, int]:
    return {s.measure: s.signing for s in evaluate(problem, plan, objective).scheduled}


def frontier_document(
    problem: Problem, model: ModelFile, points: Sequence[Point], rungs: Sequence[Rung]
) -> dict[str, Any]:
    """``frontier.json``: every level's plan, value, reliability and what changes from the last."""
    settings = model.uncertainty
    where = knee(points)
    entries = []
    previous: Plan | None = None
    for point in points:
        said = (
            changes(problem, model.objective, previous, point.plan)
            if previous is not None and point.plan is not None
            else []
        )
        entries.append(
            {
                "level": point.level,
                "reached": point.reached,
                "scenarios": point.scenarios,
                "status": point.status.value,
                "value": point.value,
                "fresh": point.fresh,
                "plan": describe(problem, point.plan),
                "changes": said,
            }
        )
        previous = point.plan if point.plan is not None else previous
    base = points[0].value if points and points[0].level <= 0 else None
    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": fingerprint(model.input)},
        "objective": {"kind": model.objective.kind.value},
        "maximise": model.objective.kind is ObjectiveKind.VALUE,
        "seed": settings.seed,
        "samples": settings.samples,
        "check_samples": settings.check_samples,
        "check_seed": settings.seed + 1,
        "margin": settings.margin,
        "base_value": base,
        "points": entries,
        "knee": where,
        "rungs": [
            {
                "scenarios": r.count,
                "status": r.chance.status.value,
                "value": r.chance.value,
                "fresh": r.fresh,
                "modelled": len(r.chance.modelled),
                "rounds": r.chance.rounds,
            }
            for r in rungs
        ],
    }
