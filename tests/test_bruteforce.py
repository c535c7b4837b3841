"""Every engine's optimum equals exhaustive enumeration on seeded tiny problems.

Two families of problems: :func:`tiny_problem` exercises every constraint kind
(support gates, levers, effects, capacities, budgets, links, windows, forcing)
and goes to the integer-programming engines; :func:`tiny_schedule` is the same
problem without gates or levers (pure scheduling), which CP-SAT accepts too.
Every engine is held to the same brute-force optimum, with its starting plan
(the default), because a false "proven optimal" from CBC with a warm start once
slipped through tests that ran HiGHS only.
"""

from __future__ import annotations

from functools import cache

import pytest

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.settings import ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve
from seqopt.solvers.cpsat import unsupported
from seqopt.validate import problem_issues

from brute_force import best_plan
from builders import lever, lever_effect, measure, problem, scope, series
from random_problems import tiny_problem, tiny_schedule

SEEDS = range(220)
INTEGER_PROGRAM = [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC]
EVERY_ENGINE = [*INTEGER_PROGRAM, SolverName.CPSAT]


def exact(engine: SolverName, warm_start: bool = True) -> SolverSettings:
    return SolverSettings(name=engine, gap=0.0, time_limit=60, warm_start=warm_start)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@cache
def _gated(seed: int) -> tuple[Problem, ObjectiveSettings, Evaluation | None]:
    problem, objective = tiny_problem(seed)
    return problem, objective, best_plan(problem, objective)


@cache
def _scheduling(seed: int) -> tuple[Problem, ObjectiveSettings, Evaluation | None]:
    problem, objective = tiny_schedule(seed)
    return problem, objective, best_plan(problem, objective)


def _agrees_with_enumeration(
    problem: Problem, objective: ObjectiveSettings, best: Evaluation | None, engine: SolverName
) -> None:
    assert problem_issues(problem) == []
    result = solve(problem, objective, exact(engine))
    assert result.solver == engine.value
    if best is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL, result.solver_status
    assert result.objective is not None and result.evaluation is not None
    assert _close(result.objective, best.objective), (result.plan, best.plan)
    # The evaluator, run again from the plan alone, agrees with the solver.
    again = evaluate(problem, result.evaluation.plan, objective)
    assert again.feasible
    assert _close(again.objective, result.objective)


@pytest.mark.parametrize("engine", INTEGER_PROGRAM)
@pytest.mark.parametrize("seed", SEEDS)
def test_integer_program_optimum_equals_brute_force(seed: int, engine: SolverName) -> None:
    _agrees_with_enumeration(*_gated(seed), engine)


@pytest.mark.parametrize("engine", EVERY_ENGINE)
@pytest.mark.parametrize("seed", SEEDS)
def test_scheduling_optimum_equals_brute_force_on_every_engine(
    seed: int, engine: SolverName
) -> None:
    problem, objective, best = _scheduling(seed)
    assert unsupported(problem) is None
    _agrees_with_enumeration(problem, objective, best, engine)


def test_random_problems_cover_every_outcome_and_objective() -> None:
    """The seeds above are not all easy: some infeasible, some makespan, some using levers."""
    statuses, kinds, lever_plans = set(), set(), 0
    for seed in SEEDS:
        _, objective, best = _gated(seed)
        statuses.add(best is not None)
        kinds.add(objective.kind)
        if best is not None and best.plan.lever_uses:
            lever_plans += 1
    assert statuses == {True, False}
    assert len(kinds) == 2
    assert lever_plans >= 10
    scheduling = [_scheduling(seed) for seed in SEEDS]
    assert {best is not None for _, _, best in scheduling} == {True, False}
    assert len({objective.kind for _, objective, _ in scheduling}) == 2


@pytest.mark.parametrize("seed", range(0, 220, 7))
def test_tie_break_does_not_change_the_optimum(seed: int) -> None:
    problem, objective, _ = _gated(seed)
    plain = ObjectiveSettings(
        kind=objective.kind,
        discount_rate=objective.discount_rate,
        terminal=objective.terminal,
        tie_break=False,
    )
    with_tie = solve(problem, objective, exact(SolverName.HIGHS))
    without = solve(problem, plain, exact(SolverName.HIGHS))
    assert with_tie.status is without.status
    if with_tie.objective is not None and without.objective is not None:
        assert _close(with_tie.objective, without.objective)


def cbc_warm_start_case(threshold: float) -> Problem:
    """The model on which CBC with a warm start once said "proven optimal, 0" (issue 12).

    One measure ``m4`` with one scope (benefit 1, duration 1) over P1-P5, gated at
    ``threshold`` on series ``k1`` whose baseline is 55 throughout; lever ``l1``
    adds 3 (no decay), lever ``l2`` adds 1 (decay 0.5), each usable once. Using
    both in P1 lifts support to 59, so ``m4`` is signed in P1 and in force
    P2-P5: optimum 4.0 (discount 0, terminal 0).
    """
    return problem(
        5,
        measure("m4", scope("a", 1.0, 1, horizon=5, gates={"k1": threshold})),
        levers=[lever("l1", 1, latest=4), lever("l2", 1, latest=4)],
        series=[series("k1", 55, 55, 55, 55, 55)],
        effects=[lever_effect("l1", "k1", 3), lever_effect("l2", "k1", 1, decay=0.5)],
    )


@pytest.mark.parametrize("threshold", [59.0, 58.9])
@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize("engine", INTEGER_PROGRAM)
def test_a_warm_start_never_hides_the_optimum(
    engine: SolverName, warm_start: bool, threshold: float
) -> None:
    case = cbc_warm_start_case(threshold)
    result = solve(case, ObjectiveSettings(), exact(engine, warm_start))
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(4.0)
    assert result.plan is not None and result.plan.assignment("m4") is not None
