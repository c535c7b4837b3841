"""``cost_frontier.json``: the benefit–cost frontier as a record, and its lines for the terminal.

Schema ``seqopt.cost_frontier/1``. Points run from the cheapest plan to the
dearest; each holds its plan (described as in ``frontier.json``), whether it
is proven and supported, the extra benefit per unit of cost over the point
before it, and what its plan changes from that point's plan. The file holds no
timings, so that the same model gives the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

from seqopt import __version__
from seqopt.data import Problem
from seqopt.outputs import fingerprint
from seqopt.settings import ModelFile
from seqopt.tradeoffs.cost_frontier import CostFrontier
from seqopt.uncertainty.frontier import changes
from seqopt.uncertainty.reliability import describe

SCHEMA = "seqopt.cost_frontier/1"
COST_FRONTIER_FILE = "cost_frontier.json"


def cost_frontier_document(
    problem: Problem, model: ModelFile, frontier: CostFrontier
) -> dict[str, Any]:
    """The frontier as ``cost_frontier.json`` holds it."""
    entries = []
    for index, point in enumerate(frontier.points):
        before = frontier.points[index - 1] if index else None
        slope = None
        if before is not None and point.cost > before.cost:
            slope = (point.benefit - before.benefit) / (point.cost - before.cost)
        entries.append(
            {
                "cost": point.cost,
                "benefit": point.benefit,
                "value": point.value,
                "status": point.status.value,
                "proven": point.proven,
                "supported": point.supported,
                "budget": point.budget if math.isfinite(point.budget) else None,
                "benefit_bound": point.bound,
                "benefit_per_cost": slope,
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
        "periods": list(problem.periods),
        "cost": "discounted" if frontier.discounted else "capital",
        "cost_words": (
            "discounted political cost (as the value objective subtracts it)"
            if frontier.discounted
            else "political capital spent (priced, every period alike)"
        ),
        "complete": frontier.complete,
        "ended": frontier.ended,
        "programs": frontier.solves,
        "dropped": frontier.dropped,
        "points": entries,
        "knee": frontier.knee,
        "best_value": frontier.best_value,
    }


def cost_frontier_lines(document: dict[str, Any]) -> list[str]:
    """The frontier as the terminal prints it: one line per point, cheapest first."""
    lines = [
        f"{'Cost':>8}  {'Benefit':>9}  {'Value':>9}  {'Per cost':>8}  Changes from the cheaper plan"
    ]
    for index, p in enumerate(document["points"]):
        marks = []
        if index == document["knee"]:
            marks.append("knee")
        if index == document["best_value"]:
            marks.append("most value")
        if not p["supported"]:
            marks.append("unsupported")
        if not p["proven"]:
            marks.append("not proven")
        slope = "" if p["benefit_per_cost"] is None else f"{p['benefit_per_cost']:,.2f}"
        said = "; ".join(p["changes"]) or "-"
        tag = f"  [{', '.join(marks)}]" if marks else ""
        lines.append(
            f"{p['cost']:8,.3f}  {p['benefit']:9,.2f}  {p['value']:9,.2f}  {slope:>8}  {said}{tag}"
        )
    unsupported = sum(not p["supported"] for p in document["points"])
    lines.append(
        f"{len(document['points'])} points ({unsupported} unsupported: no weighted sum of "
        f"benefit and cost finds them); cost is {document['cost_words']}; "
        f"{'complete' if document['complete'] else 'INCOMPLETE'}: {document['ended']}."
    )
    return lines
