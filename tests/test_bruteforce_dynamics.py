"""Every back end's optimum equals exhaustive enumeration on tiny problems with the dynamics.

For each of the five policy dynamics (upgrades, renewal and lapse, events,
substitutes, backlash) and for problems mixing all five with the core
concepts, seeded tiny random problems (:mod:`random_dynamics`) are solved by
every engine that takes them (HiGHS on arrays and through PuLP, CBC; each with
its greedy starting plan; CP-SAT refuses models with dynamics), and each
optimum must equal the best plan found by enumerating every schedule and
scoring it with the evaluator.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from random_dynamics import CONCEPTS, dynamic_problem, without
from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.settings import ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve
from seqopt.solvers.cpsat import unsupported
from seqopt.validate import problem_issues

from brute_force import best_plan

SEEDS = range(100)
ENGINES = [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC]
HIGHS = SolverSettings(gap=0.0, time_limit=60)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@cache
def _case(concept: str, seed: int) -> tuple[Problem, ObjectiveSettings, Evaluation | None]:
    problem, objective = dynamic_problem(seed, concept)
    return problem, objective, best_plan(problem, objective)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("concept", [*CONCEPTS, "mixed"])
@pytest.mark.parametrize("seed", SEEDS)
def test_every_engine_equals_brute_force(concept: str, seed: int, engine: SolverName) -> None:
    problem, objective, best = _case(concept, seed)
    assert problem_issues(problem) == []
    assert problem.uses_dynamics and unsupported(problem) is not None  # never CP-SAT
    result = solve(problem, objective, SolverSettings(name=engine, gap=0.0, time_limit=60))
    if best is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL, result.solver_status
    assert result.objective is not None and result.evaluation is not None
    assert _close(result.objective, best.objective), (result.plan, best.plan)
    # The evaluator, run again from the plan alone, agrees with the solver.
    again = evaluate(problem, result.evaluation.plan, objective)
    assert again.feasible and _close(again.objective, result.objective)


@pytest.mark.parametrize("concept", CONCEPTS)
def test_each_dynamic_often_decides_the_optimum(concept: str) -> None:
    """The seeds are not all easy: taking the concept out changes the optimal plan often."""
    changed = 0
    seen: Counter[str] = Counter()
    for seed in SEEDS:
        problem, objective = dynamic_problem(seed, concept)
        with_it = solve(problem, objective, HIGHS)
        plain = solve(without(problem, concept), objective, HIGHS)
        seen[with_it.status.value] += 1
        if with_it.plan != plain.plan or with_it.objective != plain.objective:
            changed += 1
    assert changed >= 10, changed
    assert seen[Status.OPTIMAL.value] >= 90
