"""Explanations as JSON-ready data: ``explanations.json`` and the plan document's keys."""

from __future__ import annotations

from typing import Any

from seqopt.data import Problem
from seqopt.explain.counterfactual import Change, Forcing
from seqopt.explain.diagnose import Diagnosis
from seqopt.explain.reasons import Reason


def explanations(
    problem: Problem, reasons: list[Reason], forcings: list[Forcing], changes: list[Change]
) -> dict[str, Any]:
    """The ``explanations`` part of a plan document."""
    labels = problem.periods

    def name(measure_id: str) -> str:
        return problem.measure_by_id[measure_id].name

    return {
        "reasons": [
            {
                "measure": r.measure,
                "measure_name": name(r.measure),
                "status": r.status,
                "earliest": labels[r.earliest],
                "start": labels[r.start] if r.start is not None else None,
                "text": r.text,
                "blockers": [
                    {"rule": b.rule, "start": labels[b.period], "text": b.message}
                    for b in r.blockers
                ],
            }
            for r in reasons
        ],
        "forcing": [
            {
                "measure": f.measure,
                "measure_name": name(f.measure),
                "how": f.how,
                "status": f.status,
                "value": f.value,
                "delta": f.delta,
                "moves": list(f.moves),
                "text": f.text,
            }
            for f in forcings
        ],
        "changes": [
            {
                "measure": c.measure,
                "measure_name": name(c.measure),
                "input": c.input,
                "current": c.current,
                "needed": c.needed,
                "text": c.text,
            }
            for c in changes
        ],
    }


def diagnosis(problem: Problem, found: Diagnosis) -> dict[str, Any]:
    """The ``diagnosis`` part of a plan document for an infeasible model."""
    return {
        "solved": found.solved,
        "relaxations": [
            {
                "kind": r.kind,
                "subject": list(r.subject),
                "period": problem.periods[r.period]
                if r.period is not None and 0 <= r.period < problem.horizon
                else None,
                "amount": r.amount,
                "text": r.message,
            }
            for r in found.relaxations
        ],
    }
