"""Solve a problem: build the integer program, run the solver, read and verify the plan.

The solver's own status is not trusted alone. PuLP reports "Optimal" for a run
stopped at its time limit with a solution in hand; here the status comes from
the solver's model status together with whether it holds a primal solution and
the gap it proved, mapped onto :class:`Status`. Every plan read back is checked
by the independent evaluator before it is returned.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pulp

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.milp import Formulation, build
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings

PROVEN_GAP = 1e-6
"""A relative gap at or below this counts as proven optimal."""

AGREEMENT = 1e-6
"""Relative tolerance between the solver's objective and the evaluator's."""


class Status(StrEnum):
    """What a solve established."""

    OPTIMAL = "optimal"
    """A plan proven optimal (gap at most ``PROVEN_GAP``)."""
    FEASIBLE = "feasible"
    """A plan, with a proven bound but a gap above ``PROVEN_GAP``."""
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


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solve, with the verified plan when there is one."""

    status: Status
    evaluation: Evaluation | None
    objective: float | None
    """The solver's objective (tie-breaking term excluded)."""
    bound: float | None
    """The best bound the solver proved, in the same units."""
    gap: float | None
    """Relative gap between objective and bound."""
    solver: str
    solver_status: str
    """The solver's own words, for the record."""
    build_seconds: float
    solve_seconds: float
    variables: int
    constraints: int
    notes: tuple[str, ...] = field(default=())

    @property
    def plan(self) -> Plan | None:
        """The plan, when there is one."""
        return self.evaluation.plan if self.evaluation is not None else None


class PlanRejected(RuntimeError):
    """The solver's plan failed the independent check: a modelling bug, never a user error."""


def solve(problem: Problem, objective: ObjectiveSettings, solver: SolverSettings) -> SolveResult:
    """Build, solve and verify.

    Raises
    ------
    PlanRejected
        When the plan read from the solver breaks a rule or its value differs
        from the evaluator's.
    """
    started = time.perf_counter()
    formulation = build(problem, objective)
    built = time.perf_counter()
    outcome = _run(formulation, objective, solver)
    solved = time.perf_counter()
    evaluation = None
    if outcome.status.has_plan:
        plan = read_plan(formulation)
        evaluation = evaluate(problem, plan, objective)
        _verify(evaluation, outcome.objective)
    return SolveResult(
        status=outcome.status,
        evaluation=evaluation,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        solver=solver.name.value,
        solver_status=outcome.words,
        build_seconds=built - started,
        solve_seconds=solved - built,
        variables=formulation.lp.numVariables(),
        constraints=formulation.lp.numConstraints(),
        notes=tuple(formulation.notes),
    )


def read_plan(formulation: Formulation) -> Plan:
    """Read the schedule from the solved variables."""
    assignments = [
        Assignment(measure, scope, start)
        for (measure, scope, start), var in formulation.starts.items()
        if (var.varValue or 0.0) > 0.5
    ]
    uses = [
        LeverUse(lever, period)
        for (lever, period), var in formulation.uses.items()
        if (var.varValue or 0.0) > 0.5
    ]
    return Plan.of(assignments, uses)


def _verify(evaluation: Evaluation, solver_objective: float | None) -> None:
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


@dataclass(frozen=True)
class _Outcome:
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    words: str


def _run(
    formulation: Formulation, objective: ObjectiveSettings, solver: SolverSettings
) -> _Outcome:
    if solver.name is SolverName.CBC:
        return _run_cbc(formulation, objective, solver)
    return _run_highs(formulation, objective, solver)


def _relative_gap(value: float, bound: float) -> float:
    return abs(value - bound) / max(abs(value), 1e-9) if abs(value - bound) > 1e-9 else 0.0


def _primary(formulation: Formulation) -> float:
    return float(pulp.value(formulation.primary) or 0.0)


def _bound_of_primary(formulation: Formulation, raw_bound: float, raw_objective: float) -> float:
    """Translate the solver's bound on the full objective into one on the primary objective.

    The tie-breaking term is tiny and its value is known at the incumbent, so
    the bound moves by the same amount (a bound proven on primary + tie-break
    is within that amount of one on the primary alone).
    """
    tie = raw_objective - _primary(formulation)
    return raw_bound - tie


def _run_highs(
    formulation: Formulation, objective: ObjectiveSettings, settings: SolverSettings
) -> _Outcome:
    import highspy

    _silence_highs_banner()
    solver = pulp.HiGHS(
        msg=settings.log,
        timeLimit=settings.time_limit,
        gapRel=settings.gap,
        threads=settings.threads,
        random_seed=0,
    )
    lp = formulation.lp
    lp.solve(solver)
    highs = lp.solverModel
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    words = highs.modelStatusToString(model_status)
    has_solution = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    statuses = highspy.HighsModelStatus
    if model_status in (statuses.kInfeasible, statuses.kUnboundedOrInfeasible):
        return _Outcome(Status.INFEASIBLE, None, None, None, words)
    if model_status == statuses.kUnbounded:
        return _Outcome(Status.UNBOUNDED, None, None, None, words)
    if model_status == statuses.kModelEmpty:
        return _Outcome(Status.OPTIMAL, _primary(formulation), _primary(formulation), 0.0, words)
    if not has_solution:
        stopped = model_status in (
            statuses.kTimeLimit,
            statuses.kIterationLimit,
            statuses.kInterrupt,
            statuses.kSolutionLimit,
        )
        return _Outcome(Status.NO_SOLUTION if stopped else Status.ERROR, None, None, None, words)
    # PuLP hands HiGHS a minimisation; a maximum comes back negated.
    sign = -1.0 if objective.kind is ObjectiveKind.VALUE else 1.0
    raw_objective = sign * float(info.objective_function_value)
    raw_bound = sign * float(info.mip_dual_bound)
    value = _primary(formulation)
    bound = _bound_of_primary(formulation, raw_bound, raw_objective)
    if model_status == statuses.kOptimal and not _is_mip(formulation):
        bound = value
    gap = _relative_gap(value, bound)
    proven = model_status == statuses.kOptimal and gap <= PROVEN_GAP
    return _Outcome(Status.OPTIMAL if proven else Status.FEASIBLE, value, bound, gap, words)


def _is_mip(formulation: Formulation) -> bool:
    return bool(formulation.starts or formulation.uses)


_BANNER_SILENCED = False


def _silence_highs_banner() -> None:
    """HiGHS prints a banner from C++ the first time it is created; keep it off our output."""
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    import highspy

    with _stdout_to_devnull():
        highspy.Highs()  # type: ignore[no-untyped-call]
    _BANNER_SILENCED = True


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        # Captured output (tests, notebooks): the C-level banner goes to the real fd 1.
        fd = 1
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


_CBC_LINE = re.compile(r"^(Objective value|Lower bound|Gap):\s*(\S+)", re.MULTILINE)


def _run_cbc(
    formulation: Formulation, objective: ObjectiveSettings, settings: SolverSettings
) -> _Outcome:
    with tempfile.TemporaryDirectory(prefix="seqopt-cbc-") as folder:
        log = Path(folder) / "cbc.log"
        solver = pulp.PULP_CBC_CMD(
            msg=settings.log,
            timeLimit=settings.time_limit,
            gapRel=settings.gap,
            threads=settings.threads,
            logPath=str(log),
            options=["randomSeed 1", "randomCbcSeed 1"],
        )
        formulation.lp.solve(solver)
        text = log.read_text(errors="replace") if log.exists() else ""
    status, sol_status = formulation.lp.status, formulation.lp.sol_status
    result = re.search(r"^Result - (.*)$", text, re.MULTILINE)
    words = result.group(1).strip() if result else pulp.LpStatus.get(status, str(status))
    if status == pulp.LpStatusInfeasible:
        return _Outcome(Status.INFEASIBLE, None, None, None, words)
    if status == pulp.LpStatusUnbounded:
        return _Outcome(Status.UNBOUNDED, None, None, None, words)
    if sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        stopped = "time" in words.lower() or status == pulp.LpStatusNotSolved
        return _Outcome(Status.NO_SOLUTION if stopped else Status.ERROR, None, None, None, words)
    value = _primary(formulation)
    found = dict(_CBC_LINE.findall(text))
    raw_objective = float(pulp.value(formulation.lp.objective) or 0.0)
    if "Lower bound" in found:
        # CBC minimises; for a maximum its log shows the negated problem.
        sign = -1.0 if objective.kind is ObjectiveKind.VALUE else 1.0
        bound = _bound_of_primary(formulation, sign * float(found["Lower bound"]), raw_objective)
    elif sol_status == pulp.LpSolutionOptimal:
        bound = value
    else:
        bound = None
    if bound is None:
        return _Outcome(Status.FEASIBLE, value, None, None, words)
    gap = _relative_gap(value, bound)
    proven = sol_status == pulp.LpSolutionOptimal and gap <= PROVEN_GAP
    return _Outcome(Status.OPTIMAL if proven else Status.FEASIBLE, value, bound, gap, words)
