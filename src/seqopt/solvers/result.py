"""What a solve established: one status type and one result type, for every back end.

No solver is imported here. A back end answers with a :class:`Run` (its plan as
read from the solver, the solver's value and bound, and its own words); the
entry point :func:`seqopt.solve.solve` checks that plan with the independent
evaluator and returns a :class:`SolveResult`. The status never comes from a
solver's label alone: PuLP says "Optimal" for a CBC run stopped at its time
limit with a solution in hand, and HiGHS says "Optimal" when it stops at a gap
the user asked for. Here a plan is called optimal only when the gap between its
value and a proven bound is at most :data:`PROVEN_GAP` (:func:`classify`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from seqopt.evaluate import Evaluation
from seqopt.plan import Plan

PROVEN_GAP = 1e-6
"""A relative gap at or below this counts as proven optimal."""

AGREEMENT = 1e-6
"""Relative tolerance between a solver's objective and the evaluator's."""


class Status(StrEnum):
    """What a solve established."""

    OPTIMAL = "optimal"
    """A plan proven optimal (gap at most ``PROVEN_GAP``)."""
    FEASIBLE = "feasible"
    """A plan, with a proven bound but a gap above ``PROVEN_GAP`` (or no bound)."""
    INFEASIBLE = "infeasible"
    """Proven: no plan satisfies every constraint."""
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no solution in time"
    """The limit was reached before any plan was found; nothing is proven."""
    ERROR = "solver error"

    @property
    def has_plan(self) -> bool:
        """Whether this status comes with a plan."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Stop(StrEnum):
    """Why a solver stopped, in solver-neutral terms."""

    FINISHED = "finished"
    """It says it is done: optimal within its gap tolerance."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"
    """A time, node, iteration or solution limit, or an interruption."""
    ERROR = "error"


def relative_gap(value: float, bound: float) -> float:
    """``|value - bound| / |value|`` (0 when they agree to 1e-9)."""
    return abs(value - bound) / max(abs(value), 1e-9) if abs(value - bound) > 1e-9 else 0.0


def classify(stop: Stop, has_solution: bool, value: float | None, bound: float | None) -> Status:
    """Decide what a solve established from why it stopped and what it holds.

    A solver that stops at its requested gap says "optimal"; seqopt says so only
    when the gap it proved is at most ``PROVEN_GAP``. A solver stopped by a limit
    with a solution in hand has a feasible plan, never a proven one.
    """
    if stop is Stop.INFEASIBLE:
        return Status.INFEASIBLE
    if stop is Stop.UNBOUNDED:
        return Status.UNBOUNDED
    if not has_solution or value is None:
        return Status.NO_SOLUTION if stop is Stop.LIMIT else Status.ERROR
    if stop is Stop.FINISHED and bound is not None and relative_gap(value, bound) <= PROVEN_GAP:
        return Status.OPTIMAL
    return Status.FEASIBLE


@dataclass(frozen=True)
class Run:
    """What one back end returned, before any check.

    ``value`` is the solver's objective of ``plan`` (tie-breaking excluded) and
    ``bound`` the best bound it proved, both in the model's units: net value
    (maximised) or makespan (minimised).
    """

    status: Status
    plan: Plan | None
    value: float | None
    bound: float | None
    words: str
    """The solver's own words, for the record."""
    variables: int = 0
    constraints: int = 0
    nodes: int | None = None
    """Branch-and-bound nodes (MILP) or search branches (CP-SAT), when the solver says."""
    notes: tuple[str, ...] = ()
    """Facts found while building the model that explain an infeasible one."""
    build_seconds: float = 0.0
    """Time spent writing the model for the solver (the rest of the run is solving)."""


class PlanRejected(RuntimeError):
    """The solver's plan failed the independent check: a modelling bug, never a user error."""


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solve, with the verified plan when there is one."""

    status: Status
    evaluation: Evaluation | None
    objective: float | None
    """The evaluator's value of the plan (tie-breaking term excluded)."""
    bound: float | None
    """The best bound the solver proved, in the same units."""
    gap: float | None
    """Relative gap between objective and bound."""
    solver: str
    """The engine that ran (``highs``, ``highs-pulp``, ``cbc`` or ``cpsat``)."""
    solver_status: str
    """The solver's own words, for the record."""
    build_seconds: float
    """Starting plan and model building."""
    solve_seconds: float
    variables: int
    constraints: int
    notes: tuple[str, ...] = field(default=())
    warm_start_value: float | None = None
    """Value of the starting plan handed to the solver, if any."""
    nodes: int | None = None
    solver_reason: str = ""
    """Why this back end ran (``auto`` says what it saw)."""

    @property
    def plan(self) -> Plan | None:
        """The plan, when there is one."""
        return self.evaluation.plan if self.evaluation is not None else None

    @property
    def value(self) -> float | None:
        """The evaluator's value of the plan, when there is one."""
        return self.evaluation.objective if self.evaluation is not None else None


def verify(evaluation: Evaluation, solver_objective: float | None) -> None:
    """Refuse a solver's plan that breaks a rule or whose value the evaluator does not confirm.

    Raises
    ------
    PlanRejected
        On any violation, or a value differing by more than ``AGREEMENT`` (relative).
    """
    if evaluation.violations:
        broken = "; ".join(v.message for v in evaluation.violations)
        raise PlanRejected(f"the solver's plan breaks rules the evaluator checks: {broken}")
    if solver_objective is None:
        return
    scale = max(1.0, abs(evaluation.objective))
    if abs(evaluation.objective - solver_objective) > AGREEMENT * scale:
        raise PlanRejected(
            f"the solver values its plan at {solver_objective:.9g} but the evaluator at "
            f"{evaluation.objective:.9g}"
        )
