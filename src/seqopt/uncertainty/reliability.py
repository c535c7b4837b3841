"""How reliable a plan is: in what share of sampled scenarios it goes through unchanged.

Definitions shared by the reliability check of every solve, the
reliability-constrained plan and the tests that hold the vectorised evaluator
(:mod:`seqopt.uncertainty.batch`) to the evaluator:

- a plan *goes through* (holds) in a scenario when it breaks no rule there;
- a signing *clears* a gate in a scenario when it is signed with support at or
  above the gate's threshold and the plan runs to its schedule there (every
  signing and widening in its window and after what it needs, no renewal review
  too close to call): elsewhere support follows another course than the plan's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqopt.data import Problem
from seqopt.evaluate import TOLERANCE, Evaluation
from seqopt.plan import Plan
from seqopt.uncertainty.batch import BatchScore, GateScore
from seqopt.uncertainty.results import distribution
from seqopt.uncertainty.sampling import standard_error

GateKey = tuple[str, str, str]
"""A gate: (measure, scope, series)."""


def gate_cleared(problem: Problem, evaluation: Evaluation, gate: GateKey) -> bool:
    """Whether the plan's signing clears ``gate`` in a scenario (scored by the evaluator).

    A plan that does not sign the measure at the gate's scope clears it trivially.
    """
    measure_id, scope_id, series = gate
    course = next((s for s in evaluation.scheduled if s.measure == measure_id), None)
    if course is None or course.scope != scope_id:
        return True
    if not on_schedule(evaluation):
        return False
    scope = problem.scope(measure_id, scope_id)
    threshold = next(g.threshold.base for g in scope.gates if g.series == series)
    return evaluation.support[series][course.signing] >= threshold - TOLERANCE


def on_schedule(evaluation: Evaluation) -> bool:
    """Whether the plan runs to its schedule in a scenario (scored by the evaluator)."""
    for violation in evaluation.violations:
        if violation.rule in ("window", "renewal"):
            return False
        if violation.rule == "upgrade" and not violation.detail:
            return False  # timing of a widening (a widening's gate names its series)
    return True


SAMPLING = "Latin hypercube (scipy.stats.qmc), independent draws; random events drawn per period"


def reliability_part(
    problem: Problem, evaluation: Evaluation, score: BatchScore, seed: int
) -> dict[str, Any]:
    """How a plan fares on a sample of scenarios, as ``plan.json`` holds it (key ``reliability``).

    ``evaluation`` is the plan at base values (its signings and margins there);
    ``score`` the plan in every scenario of the sample drawn with ``seed``.
    """
    count = score.count
    held = int(score.holds.sum())
    rules = sorted(
        ((int(where.sum()), name) for name, where in score.broken.items()),
        key=lambda item: (-item[0], item[1]),
    )
    values = [float(v) for v in score.values[score.holds]]
    return {
        "scenarios": count,
        "seed": seed,
        "sampling": SAMPLING,
        "held": held,
        "share": held / count if count else 1.0,
        "standard_error": standard_error(held / count, count) if count else 0.0,
        "most_broken": rules[0][1] if rules else None,
        "rules": [{"rule": name, "scenarios": n, "share": n / count} for n, name in rules],
        "signings": [_signing(problem, evaluation, gate) for gate in score.gates],
        "value_where_it_holds": distribution(values),
    }


def _signing(problem: Problem, evaluation: Evaluation, gate: GateScore) -> dict[str, Any]:
    """One gate of one signing: its margin at base values, and how often it is cleared."""
    measure = problem.measure_by_id[gate.measure]
    if gate.widening:
        step = next(w for w in evaluation.upgrades if w.measure == gate.measure)
        signing = step.signing
        upgrade = measure.upgrade(step.from_scope, step.scope)
        assert upgrade is not None
        gates = upgrade.gates
    else:
        course = next(s for s in evaluation.scheduled if s.measure == gate.measure)
        signing = course.signing
        gates = measure.scope(course.scope).gates
    threshold = next(g.threshold.base for g in gates if g.series == gate.series)
    support = evaluation.support[gate.series][signing]
    margins = gate.margin[np.isfinite(gate.margin)]
    return {
        "measure": gate.measure,
        "measure_name": measure.name,
        "scope": gate.scope,
        "scope_name": measure.scope(gate.scope).name,
        "widening": gate.widening,
        "series": gate.series,
        "series_name": problem.series_by_id[gate.series].name,
        "signing": problem.periods[signing],
        "threshold": threshold,
        "support": support,
        "margin": support - threshold,
        "cleared": float(gate.cleared.mean()) if gate.cleared.size else 1.0,
        "margin_p5": float(np.percentile(margins, 5)) if margins.size else None,
    }


def describe(problem: Problem, plan: Plan | None) -> dict[str, Any] | None:
    """A plan in words for a JSON record: what starts when, lever uses and widenings."""
    if plan is None:
        return None
    labels = problem.periods
    return {
        "schedule": [
            {
                "measure": a.measure,
                "measure_name": problem.measure_by_id[a.measure].name,
                "scope": a.scope,
                "scope_name": problem.scope(a.measure, a.scope).name,
                "start": labels[a.start],
            }
            for a in sorted(plan.assignments, key=lambda a: (a.start, a.measure))
        ],
        "lever_uses": [
            {
                "lever": u.lever,
                "lever_name": problem.lever_by_id[u.lever].name,
                "period": labels[u.period],
            }
            for u in plan.lever_uses
        ],
        "upgrades": [
            {
                "measure": u.measure,
                "measure_name": problem.measure_by_id[u.measure].name,
                "scope": u.scope,
                "scope_name": problem.scope(u.measure, u.scope).name,
                "start": labels[u.start],
            }
            for u in plan.upgrades
        ],
    }
