"""Solve a problem: starting plan → back end → independent check → tie-breaking.

The one entry point every command and analysis goes through. It picks the back
end (:mod:`seqopt.solvers.choice`), chooses the best starting plan among those
offered (the greedy plan when ``warm_start`` is on, and any the caller gives,
such as the base plan of a simulation), runs the back end within the time
limit, checks the plan it returns with the independent evaluator, and breaks
ties between equally good plans by a fixed rule so that every back end returns
the same plan.

The status is the back end's :class:`~seqopt.solvers.result.Status`, which
never rests on a solver's label alone (see :mod:`seqopt.solvers.result`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.heuristics.greedy import greedy_plan
from seqopt.heuristics.ties import break_ties
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers import engines
from seqopt.solvers.backend import Request
from seqopt.solvers.choice import choose
from seqopt.solvers.highs import MIN_SOLVER_SECONDS
from seqopt.solvers.result import (
    PROVEN_GAP,
    PlanRejected,
    Run,
    SolveResult,
    Status,
    relative_gap,
    verify,
)


def solve(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    starts: Sequence[Plan] = (),
    *,
    repeated: bool = False,
) -> SolveResult:
    """Solve ``problem``, verify the plan and break ties.

    Parameters
    ----------
    problem, objective, settings
        What to solve, how plans are scored, and the solver settings (the
        back end, time limit for the whole solve, gap, threads, warm start).
    starts
        Plans to offer as a starting solution (for example the base plan when a
        variant of the problem is solved). The best of them that breaks no rule
        of ``problem`` is handed to the solver, with the greedy plan when
        ``settings.warm_start`` is on (integer-programming engines only).
    repeated
        Whether this is one of many solves of variants of one model (scenarios,
        swings, counterfactuals): HiGHS then uses search settings measured to be
        faster on such small models (:func:`seqopt.solvers.highs.search_options`).

    Raises
    ------
    PlanRejected
        When the plan read from the solver breaks a rule or its value differs
        from the evaluator's.
    EngineUnavailable
        When the solver asked for cannot solve this model.
    """
    started = time.perf_counter()
    choice = choose(problem, settings.name)
    offered = list(starts)
    if settings.warm_start and choice.wants_greedy_start:
        offered.append(greedy_plan(problem, objective))
    start = best_start(problem, objective, offered)
    makespan = objective.kind is ObjectiveKind.MAKESPAN
    request = Request(
        problem,
        objective,
        within_limit(settings, time.perf_counter() - started),
        start.plan if start is not None else None,
        start.makespan if start is not None and makespan else None,
        repeated,
    )
    prepared = time.perf_counter()
    run = engines.run(choice.engine, request)
    evaluation: Evaluation | None = None
    notes = list(run.notes)
    if run.status.has_plan and run.plan is not None:
        evaluation = evaluate(problem, run.plan, objective, sources=False)
        verify(evaluation, run.value)
        if objective.tie_break:
            evaluation, run = _break_ties(problem, objective, evaluation, run)
    elif start is not None and run.status in (Status.NO_SOLUTION, Status.INFEASIBLE, Status.ERROR):
        # The starting plan breaks no rule, so the model is feasible whatever the solver
        # says (CBC calls a model infeasible when a time limit cuts its preprocessing short).
        notes.append(
            f"The solver stopped without a plan of its own ({run.words}); the plan shown is "
            "the starting plan, which breaks no rule but is not proven optimal."
        )
        evaluation = start
        run = replace(run, status=Status.FEASIBLE, plan=start.plan, value=start.objective)
    if evaluation is not None:
        # The full record of the plan that is returned, with support split by cause.
        evaluation = evaluate(problem, evaluation.plan, objective)
        if run.status is Status.OPTIMAL and _beats_bound(evaluation.objective, run.bound, makespan):
            notes.append(
                f"The solver called its plan optimal with a bound of {run.bound:,.6g}, but a plan "
                f"worth {evaluation.objective:,.6g} was found: the bound is wrong, so the plan "
                "is not proven optimal (try another solver, e.g. --solver cbc)."
            )
            run = replace(run, status=Status.FEASIBLE)
    finished = time.perf_counter()
    build_seconds = prepared - started + run.build_seconds
    return SolveResult(
        status=run.status,
        evaluation=evaluation,
        # The evaluator's value: it agrees with the solver's (checked) without its rounding noise.
        objective=evaluation.objective if evaluation is not None else run.value,
        bound=run.bound,
        gap=_gap(evaluation, run),
        solver=choice.engine.value,
        solver_status=run.words,
        build_seconds=build_seconds,
        solve_seconds=finished - started - build_seconds,
        variables=run.variables,
        constraints=run.constraints,
        notes=tuple(notes),
        warm_start_value=start.objective if start is not None else None,
        nodes=run.nodes,
        solver_reason=choice.reason,
    )


def best_start(
    problem: Problem, objective: ObjectiveSettings, plans: Sequence[Plan]
) -> Evaluation | None:
    """The best of ``plans`` that breaks no rule of ``problem`` (the first among equals)."""
    best: Evaluation | None = None
    maximise = objective.kind is ObjectiveKind.VALUE
    for plan in dict.fromkeys(plans):
        evaluation = evaluate(problem, plan, objective, sources=False)
        if not evaluation.feasible:
            continue
        if (
            best is None
            or (maximise and evaluation.objective > best.objective)
            or (not maximise and evaluation.objective < best.objective)
        ):
            best = evaluation
    return best


def within_limit(settings: SolverSettings, spent: float) -> SolverSettings:
    """The settings with the time limit less what the starting plan took.

    The time limit is for the whole solve, so a long search for a starting plan
    (:mod:`seqopt.heuristics.schedule_search`) comes out of the solver's time, not on top of it.
    """
    if settings.time_limit is None:
        return settings
    return replace(settings, time_limit=max(MIN_SOLVER_SECONDS, settings.time_limit - spent))


def _gap(evaluation: Evaluation | None, run: Run) -> float | None:
    if run.bound is None:
        return None
    value = evaluation.objective if evaluation is not None else run.value
    return relative_gap(value, run.bound) if value is not None else None


def _beats_bound(value: float, bound: float | None, minimise: bool) -> bool:
    """Whether ``value`` is better than a bound that was proven (so the proof is wrong).

    A solver's bound holds for every plan; a plan beyond it means a wrong proof
    (seen from HiGHS 1.16 on the reference model with every gate raised by 16.9331
    points: "optimal" at 337.767, where 338.691 is feasible; the tie-breaking moves
    found the better plan).
    """
    if bound is None:
        return False
    slack = PROVEN_GAP * max(1.0, abs(bound))
    return value < bound - slack if minimise else value > bound + slack


def _break_ties(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation, run: Run
) -> tuple[Evaluation, Run]:
    """Apply the tie-breaking moves; a move may also improve an unproven plan's value."""
    plan = break_ties(problem, objective, evaluation.plan)
    if plan == evaluation.plan:
        return evaluation, run
    moved = evaluate(problem, plan, objective, sources=False)
    status = run.status
    if run.bound is not None and relative_gap(moved.objective, run.bound) <= PROVEN_GAP:
        status = Status.OPTIMAL  # the better plan meets the proven bound: that is a proof
    return moved, replace(run, status=status, plan=moved.plan, value=moved.objective)


__all__ = [
    "PROVEN_GAP",
    "PlanRejected",
    "SolveResult",
    "Status",
    "best_start",
    "solve",
    "within_limit",
]
