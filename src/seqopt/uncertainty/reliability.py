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

from seqopt.data import Problem
from seqopt.evaluate import TOLERANCE, Evaluation

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
