"""The integer program's optimum equals exhaustive enumeration on seeded tiny problems."""

from __future__ import annotations

import pytest

from seqopt.evaluate import evaluate
from seqopt.settings import ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve
from seqopt.validate import problem_issues

from brute_force import best_plan
from random_problems import tiny_problem

SEEDS = range(220)
EXACT = SolverSettings(gap=0.0, time_limit=60)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("seed", SEEDS)
def test_milp_optimum_equals_brute_force(seed: int) -> None:
    problem, objective = tiny_problem(seed)
    assert problem_issues(problem) == []
    result = solve(problem, objective, EXACT)
    best = best_plan(problem, objective)
    if best is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL
    assert result.objective is not None and result.evaluation is not None
    assert _close(result.objective, best.objective), (result.plan, best.plan)
    # The evaluator, run again from the plan alone, agrees with the solver.
    again = evaluate(problem, result.evaluation.plan, objective)
    assert again.feasible
    assert _close(again.objective, result.objective)


def test_random_problems_cover_every_outcome_and_objective() -> None:
    """The seeds above are not all easy: some infeasible, some makespan, some using levers."""
    statuses, kinds, lever_plans = set(), set(), 0
    for seed in SEEDS:
        problem, objective = tiny_problem(seed)
        result = solve(problem, objective, EXACT)
        statuses.add(result.status)
        kinds.add(objective.kind)
        if result.plan is not None and result.plan.lever_uses:
            lever_plans += 1
    assert statuses == {Status.OPTIMAL, Status.INFEASIBLE}
    assert len(kinds) == 2
    assert lever_plans >= 10


@pytest.mark.parametrize("seed", range(0, 220, 11))
def test_cbc_agrees_with_highs(seed: int) -> None:
    problem, objective = tiny_problem(seed)
    highs = solve(problem, objective, EXACT)
    cbc = solve(problem, objective, SolverSettings(name=SolverName.CBC, gap=0.0))
    assert cbc.status is highs.status
    if highs.status is Status.OPTIMAL:
        assert cbc.objective is not None and highs.objective is not None
        assert _close(cbc.objective, highs.objective)


@pytest.mark.parametrize("seed", range(0, 220, 7))
def test_tie_break_does_not_change_the_optimum(seed: int) -> None:
    problem, objective = tiny_problem(seed)
    plain = ObjectiveSettings(
        kind=objective.kind,
        discount_rate=objective.discount_rate,
        terminal=objective.terminal,
        tie_break=False,
    )
    with_tie = solve(problem, objective, EXACT)
    without = solve(problem, plain, EXACT)
    assert with_tie.status is without.status
    if with_tie.objective is not None and without.objective is not None:
        assert _close(with_tie.objective, without.objective)
