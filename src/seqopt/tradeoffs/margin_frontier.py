"""Value against the least support margin at any signing: an exact epsilon-constraint sweep.

A plan's *least margin* is the fewest points of support it has to spare over
a threshold at any signing or widening, at base values. The best plan with at
least ``m`` points to spare at every signing is an ordinary solve of the model
with every threshold raised by ``m``
(:func:`seqopt.uncertainty.reliable.with_margin`, the machinery of
``seqopt solve --margin``). The sweep starts at ``m = 0`` (the optimal plan),
reads the least margin ``μ`` the plan found actually has, and asks next for
``μ`` plus :data:`MARGIN_STEP`, until no plan has that much to spare, or the
plan signs nothing gated (it cannot be safer). Every point is a solve proven
optimal for its margin (or says it is not); a point with the same value as a
safer one is dominated and left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from seqopt import __version__
from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.outputs import fingerprint
from seqopt.plan import Plan
from seqopt.settings import ModelFile, ObjectiveSettings, SolverSettings
from seqopt.solve import solve
from seqopt.solvers.result import Status
from seqopt.tradeoffs.knee import knee_index
from seqopt.uncertainty.frontier import changes
from seqopt.uncertainty.reliability import describe
from seqopt.uncertainty.reliable import with_margin

MARGIN_STEP = 1e-4
"""Points of support above the last least margin that the next plan must spare."""

MARGIN_FILE = "margin_frontier.json"
SCHEMA = "seqopt.margin_frontier/1"


@dataclass(frozen=True)
class MarginPoint:
    """The best plan that spares at least ``asked`` points at every signing."""

    asked: float
    least_margin: float | None
    """Points the plan actually spares at its tightest signing (``None``: nothing gated)."""
    value: float
    status: Status
    plan: Plan

    @property
    def proven(self) -> bool:
        """Whether the plan is proven optimal for its margin."""
        return self.status is Status.OPTIMAL


@dataclass(frozen=True)
class MarginFrontier:
    """Every point, from the optimal plan to the safest, and how the sweep ended."""

    points: tuple[MarginPoint, ...]
    complete: bool
    ended: str
    beaten: int = 0
    """Points a safer plan beat in value although their solve said optimal (left out)."""

    @property
    def knee(self) -> int | None:
        """Where value given up per point of margin bends most (points with a margin only)."""
        found = [(i, p) for i, p in enumerate(self.points) if p.least_margin is not None]
        where = knee_index(
            [float(p.least_margin or 0) for _, p in found], [p.value for _, p in found]
        )
        return found[where][0] if where is not None else None


def least_margin(problem: Problem, evaluation: Evaluation) -> float | None:
    """Fewest points of support over a threshold at any signing or widening of the plan."""
    margins = []
    for course in evaluation.scheduled:
        for gate in problem.scope(course.measure, course.scope).gates:
            support = evaluation.support[gate.series][course.signing]
            margins.append(support - gate.threshold.base)
    for step in evaluation.upgrades:
        upgrade = problem.measure_by_id[step.measure].upgrade(step.from_scope, step.scope)
        for gate in upgrade.gates if upgrade is not None else ():
            margins.append(evaluation.support[gate.series][step.signing] - gate.threshold.base)
    return min(margins) if margins else None


def margin_frontier(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    *,
    step: float = MARGIN_STEP,
    found: Callable[[MarginPoint], None] | None = None,
) -> MarginFrontier:
    """Sweep the margin asked from 0 up until no plan spares it; return the frontier.

    ``step`` is how many points more than the last plan's least margin the next
    plan must spare: the default finds every point; a coarser step (half a point,
    say) skips plans whose margins lie closer than that, for a quicker overview.

    Raises
    ------
    PlanRejected
        When a solver's plan fails the independent check.
    """
    exact = replace(settings, gap=0.0)
    asked = 0.0
    points: list[MarginPoint] = []
    while True:
        result = solve(with_margin(problem, asked), objective, exact)
        if result.status is Status.INFEASIBLE:
            ended = "no plan breaks no rule" if not points else "no plan spares more"
            return MarginFrontier(_kept(points), True, ended, _beaten(points))
        if result.evaluation is None:
            ended = f"the solve for a margin of {asked:g} ended with {result.status.value}"
            return MarginFrontier(_kept(points), False, ended, _beaten(points))
        # The plan shown against the thresholds as entered.
        scored = evaluate(problem, result.evaluation.plan, objective, sources=False)
        margin = least_margin(problem, scored)
        point = MarginPoint(asked, margin, scored.objective, result.status, scored.plan)
        points.append(point)
        if found is not None:
            found(point)
        if margin is None or math.isinf(margin):
            return MarginFrontier(
                _kept(points), True, "the last plan signs nothing gated", _beaten(points)
            )
        asked = max(asked, margin) + step


def _kept(points: list[MarginPoint]) -> tuple[MarginPoint, ...]:
    """Points no safer point matches in value (a safer plan of the same value dominates).

    A safer plan worth *more* than a point also means that point's solve was not
    optimal after all (the safer plan fits its margin too): it is dropped the same way,
    and :func:`margin_frontier_document` counts it.
    """
    kept = []
    for i, p in enumerate(points):
        tolerance = 1e-9 * max(1.0, abs(p.value))
        if any(later.value >= p.value - tolerance for later in points[i + 1 :]):
            continue
        kept.append(p)
    return tuple(kept)


def _beaten(points: list[MarginPoint]) -> int:
    """Points a safer plan beats strictly: their solves' proofs were wrong."""
    return sum(
        any(later.value > p.value + 1e-6 * max(1.0, abs(p.value)) for later in points[i + 1 :])
        for i, p in enumerate(points)
    )


def margin_frontier_document(
    problem: Problem, model: ModelFile, frontier: MarginFrontier
) -> dict[str, Any]:
    """``margin_frontier.json``: each point's plan, value, least margin and changes."""
    entries = []
    for index, point in enumerate(frontier.points):
        before = frontier.points[index - 1] if index else None
        entries.append(
            {
                "asked": point.asked,
                "least_margin": point.least_margin,
                "value": point.value,
                "status": point.status.value,
                "proven": point.proven,
                "plan": describe(problem, point.plan),
                "changes": (
                    changes(problem, model.objective, before.plan, point.plan) if before else []
                ),
            }
        )
    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": fingerprint(model.input)},
        "complete": frontier.complete,
        "ended": frontier.ended,
        "beaten": frontier.beaten,
        "points": entries,
        "knee": frontier.knee,
    }


def margin_frontier_lines(document: dict[str, Any]) -> list[str]:
    """The frontier as the terminal prints it, from the optimal plan to the safest."""
    lines = [f"{'Margin':>7}  {'Value':>9}  Changes from the plan above"]
    for index, p in enumerate(document["points"]):
        margin = "none" if p["least_margin"] is None else f"{p['least_margin']:.2f}"
        marks = (["knee"] if index == document["knee"] else []) + (
            [] if p["proven"] else ["not proven"]
        )
        tag = f"  [{', '.join(marks)}]" if marks else ""
        lines.append(f"{margin:>7}  {p['value']:9,.2f}  {'; '.join(p['changes']) or '-'}{tag}")
    lines.append(
        f"{len(document['points'])} points; margin is the fewest points of support to spare "
        f"at any signing; {'complete' if document['complete'] else 'INCOMPLETE'}: "
        f"{document['ended']}."
    )
    if document["beaten"]:
        lines.append(
            f"{document['beaten']} plan(s) the solver called optimal were beaten by a safer plan "
            "(which fits their margin too) and are left out."
        )
    return lines
