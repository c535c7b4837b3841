"""Solve a problem: build the integer program, run the solver, read and verify the plan.

The solver's own status is not trusted alone. PuLP reports "Optimal" for a run
stopped at its time limit with a solution in hand; here the status comes from
the solver's model status together with whether it holds a primal solution and
the gap it proved, mapped onto :class:`Status`. Every plan read back is checked
by the independent evaluator before it is returned.
"""

from __future__ import annotations

import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.heuristic import greedy_plan
from seqopt.highs import MIN_SOLVER_SECONDS as MIN_SOLVER_SECONDS
from seqopt.highs import RAN_AGAIN, quiet_highs, run_from_start
from seqopt.milp import Formulation, build
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveSettings, SolverName, SolverSettings
from seqopt.ties import break_ties

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
    warm_start_value: float | None = None
    """Value of the greedy plan handed to the solver as a starting point, if any."""

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
    greedy = _greedy(problem, objective) if solver.warm_start else None
    bound = greedy.makespan if greedy is not None else None
    formulation = build(problem, objective, makespan_bound=bound)
    start_values = _start_values(formulation, greedy)
    built = time.perf_counter()
    outcome = _run(formulation, within_limit(solver, built - started), start_values)
    evaluation = None
    notes = list(formulation.notes)
    if outcome.status.has_plan:
        plan = read_plan(formulation)
        evaluation = evaluate(problem, plan, objective)
        verify(evaluation, outcome.objective)
        if objective.tie_break:
            evaluation, outcome = _break_ties(problem, objective, evaluation, outcome)
    elif greedy is not None and outcome.status in (
        Status.NO_SOLUTION,
        Status.INFEASIBLE,
        Status.ERROR,
    ):
        # The greedy plan breaks no rule, so the model is feasible whatever the solver says
        # (CBC calls a model infeasible when a time limit cuts its preprocessing short).
        notes.append(
            f"The solver stopped without a plan of its own ({outcome.words}); the plan shown is "
            "the greedy starting plan, which breaks no rule but is not proven optimal."
        )
        evaluation = greedy
        outcome = _Outcome(Status.FEASIBLE, greedy.objective, None, None, outcome.words)
    solved = time.perf_counter()
    return SolveResult(
        status=outcome.status,
        evaluation=evaluation,
        # The evaluator's value: it agrees with the solver's (checked) without its rounding noise.
        objective=evaluation.objective if evaluation is not None else outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        solver=solver.name.value,
        solver_status=outcome.words,
        build_seconds=built - started,
        solve_seconds=solved - built,
        variables=formulation.lp.numVariables(),
        constraints=formulation.lp.numConstraints(),
        notes=tuple(notes),
        warm_start_value=greedy.objective if greedy is not None else None,
    )


def within_limit(solver: SolverSettings, spent: float) -> SolverSettings:
    """The settings with the time limit less what the greedy plan and the build took.

    The time limit is for the whole solve, so a long search for a starting plan
    (:mod:`seqopt.schedule_search`) comes out of the solver's time, not on top of it.
    """
    if solver.time_limit is None:
        return solver
    return replace(solver, time_limit=max(MIN_SOLVER_SECONDS, solver.time_limit - spent))


def _greedy(problem: Problem, objective: ObjectiveSettings) -> Evaluation | None:
    """The greedy plan, evaluated, when it breaks no rule."""
    evaluation = evaluate(problem, greedy_plan(problem, objective), objective)
    return evaluation if evaluation.feasible else None


def _start_values(formulation: Formulation, greedy: Evaluation | None) -> dict[str, float]:
    """Values for every binary from the greedy plan, when it fits the model."""
    if greedy is None:
        return {}
    chosen = {(a.measure, a.scope, a.start) for a in greedy.plan.assignments}
    used = {(u.lever, u.period) for u in greedy.plan.lever_uses}
    if not chosen <= formulation.starts.keys() or not used <= formulation.uses.keys():
        return {}
    values = {var.name: float(key in chosen) for key, var in formulation.starts.items()}
    values.update({var.name: float(key in used) for key, var in formulation.uses.items()})
    return values


def _break_ties(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation, outcome: _Outcome
) -> tuple[Evaluation, _Outcome]:
    """Apply the tie-breaking moves; a move may also improve an unproven plan's value."""
    plan = break_ties(problem, objective, evaluation.plan)
    if plan == evaluation.plan:
        return evaluation, outcome
    moved = evaluate(problem, plan, objective)
    gap = outcome.gap if outcome.bound is None else relative_gap(moved.objective, outcome.bound)
    status = outcome.status
    if gap is not None and gap <= PROVEN_GAP:
        status = Status.OPTIMAL  # the better plan meets the proven bound: that is a proof
    return moved, _Outcome(status, moved.objective, outcome.bound, gap, outcome.words)


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


@dataclass(frozen=True)
class _Outcome:
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    words: str


def _run(
    formulation: Formulation,
    solver: SolverSettings,
    start: dict[str, float],
    absolute_gap: float | None = None,
) -> _Outcome:
    if solver.name is SolverName.CBC:
        return _run_cbc(formulation, solver, start, absolute_gap)
    return _run_highs(formulation, solver, start, absolute_gap)


def relative_gap(value: float, bound: float) -> float:
    """``|value - bound| / |value|`` (0 when they agree to 1e-9)."""
    return abs(value - bound) / max(abs(value), 1e-9) if abs(value - bound) > 1e-9 else 0.0


def _primary(formulation: Formulation) -> float:
    return float(pulp.value(formulation.primary) or 0.0)


class Stop(StrEnum):
    """Why a solver stopped, in solver-neutral terms."""

    FINISHED = "finished"
    """It says it is done: optimal within its gap tolerance."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"
    """A time, node, iteration or solution limit, or an interruption."""
    ERROR = "error"


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


class _HiGHSFromStart(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS interface, handing HiGHS a starting solution before it runs."""

    def __init__(self, start: dict[str, float], **options: Any) -> None:
        super().__init__(**options)
        self.start = start
        self.ran_again = False

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.start:
            known = [(v.index, self.start[v.name]) for v in lp.variables() if v.name in self.start]
            index = np.array([i for i, _ in known], dtype=np.int32)
            value = np.array([x for _, x in known], dtype=np.float64)
            # A partial solution: HiGHS completes the continuous variables itself.
            lp.solverModel.setSolution(len(known), index, value)
        self.ran_again = run_from_start(lp.solverModel, bool(self.start), self.timeLimit)


def _run_highs(
    formulation: Formulation,
    settings: SolverSettings,
    start: dict[str, float],
    absolute_gap: float | None,
) -> _Outcome:
    import highspy

    quiet_highs()
    solver = _HiGHSFromStart(
        start,
        msg=settings.log,
        timeLimit=settings.time_limit,
        gapRel=settings.gap,
        gapAbs=absolute_gap,
        threads=settings.threads,
        random_seed=0,
    )
    lp = formulation.lp
    lp.solve(solver)
    highs = lp.solverModel
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    words = highs.modelStatusToString(model_status)
    if solver.ran_again:
        words += RAN_AGAIN
    statuses = highspy.HighsModelStatus
    stop, has_solution = highs_stop(highs)
    value = bound = None
    if has_solution:
        value = _primary(formulation)
        if model_status == statuses.kModelEmpty or not _is_mip(formulation):
            bound = value
        else:
            # PuLP hands HiGHS a minimisation; a maximum comes back negated.
            sign = -1.0 if formulation.lp.sense == pulp.LpMaximize else 1.0
            bound = sign * float(info.mip_dual_bound)
    status = classify(stop, has_solution, value, bound)
    gap = relative_gap(value, bound) if value is not None and bound is not None else None
    return _Outcome(status, value, bound, gap, words)


def highs_stop(highs: Any) -> tuple[Stop, bool]:
    """Why a HiGHS run stopped, and whether it holds a feasible solution."""
    import highspy

    statuses = highspy.HighsModelStatus
    stops = {
        statuses.kOptimal: Stop.FINISHED,
        statuses.kModelEmpty: Stop.FINISHED,
        statuses.kInfeasible: Stop.INFEASIBLE,
        # Binaries bound every variable, so "unbounded or infeasible" can only be infeasible.
        statuses.kUnboundedOrInfeasible: Stop.INFEASIBLE,
        statuses.kUnbounded: Stop.UNBOUNDED,
        statuses.kTimeLimit: Stop.LIMIT,
        statuses.kIterationLimit: Stop.LIMIT,
        statuses.kInterrupt: Stop.LIMIT,
        statuses.kSolutionLimit: Stop.LIMIT,
    }
    model_status = highs.getModelStatus()
    has_solution = int(highs.getInfo().primal_solution_status) == 2  # kSolutionStatusFeasible
    return stops.get(model_status, Stop.ERROR), has_solution or model_status == statuses.kModelEmpty


def _is_mip(formulation: Formulation) -> bool:
    return bool(formulation.starts or formulation.uses)


_CBC_LINE = re.compile(r"^(Objective value|Lower bound|Gap):\s*(\S+)", re.MULTILINE)


def _run_cbc(
    formulation: Formulation,
    settings: SolverSettings,
    start: dict[str, float],
    absolute_gap: float | None,
) -> _Outcome:
    for var in formulation.lp.variables():
        if var.name in start:
            var.setInitialValue(start[var.name])
    with tempfile.TemporaryDirectory(prefix="seqopt-cbc-") as folder:
        log = Path(folder) / "cbc.log"
        with warnings.catch_warnings():
            # PuLP 3 deprecates its bundled CBC; it is still the fallback the project promises.
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=settings.log,
                timeLimit=settings.time_limit,
                gapRel=settings.gap,
                gapAbs=absolute_gap,
                threads=settings.threads,
                logPath=str(log),
                warmStart=bool(start),
                options=["randomSeed 1", "randomCbcSeed 1"],
            )
            try:
                formulation.lp.solve(solver)
            except pulp.PulpSolverError:
                # The bundled CBC sometimes dies when its time limit strikes while it
                # reads the starting solution; nothing is proven then.
                return _Outcome(Status.ERROR, None, None, None, "CBC stopped with an error")
        text = log.read_text(errors="replace") if log.exists() else ""
    status, sol_status = formulation.lp.status, formulation.lp.sol_status
    result = re.search(r"^Result - (.*)$", text, re.MULTILINE)
    words = result.group(1).strip() if result else pulp.LpStatus.get(status, str(status))
    lowered = words.lower()
    cut_short = "pre-processing says infeasible" in text.lower() and _used_limit(text, settings)
    if cut_short:
        stop = Stop.LIMIT  # the time limit struck during preprocessing: nothing is proven
    elif status == pulp.LpStatusInfeasible or "infeasible" in lowered:
        stop = Stop.INFEASIBLE
    elif status == pulp.LpStatusUnbounded:
        stop = Stop.UNBOUNDED
    elif "stopped" in lowered or "limit" in lowered:
        stop = Stop.LIMIT
    elif sol_status == pulp.LpSolutionOptimal:
        stop = Stop.FINISHED
    else:
        stop = Stop.ERROR
    has_solution = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    value = bound = None
    if has_solution:
        value = _primary(formulation)
        found = dict(_CBC_LINE.findall(text))
        if "Lower bound" in found:
            # CBC minimises; for a maximum its log shows the negated problem.
            sign = -1.0 if formulation.lp.sense == pulp.LpMaximize else 1.0
            bound = sign * float(found["Lower bound"])
        elif stop is Stop.FINISHED and "gap" not in lowered:
            bound = value  # "Optimal solution found": CBC closed the gap completely
    status_ = classify(stop, has_solution, value, bound)
    gap = relative_gap(value, bound) if value is not None and bound is not None else None
    return _Outcome(status_, value, bound, gap, words)


def _used_limit(log: str, settings: SolverSettings) -> bool:
    """Whether CBC's log shows it ran for (nearly) all of its time limit."""
    match = re.search(r"Wallclock seconds\):\s*([0-9.]+)", log)
    if settings.time_limit is None or match is None:
        return False
    return float(match.group(1)) >= 0.9 * settings.time_limit
