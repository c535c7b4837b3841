"""Solver status is honest: proven optimal, feasible with a gap, infeasible, no solution."""

from __future__ import annotations

import pytest

from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.settings import SolverName, SolverSettings
from seqopt.solve import (
    MIN_SOLVER_SECONDS,
    PROVEN_GAP,
    Status,
    Stop,
    classify,
    solve,
    within_limit,
)


@pytest.mark.parametrize(
    ("stop", "has_solution", "value", "bound", "expected"),
    [
        (Stop.FINISHED, True, 100.0, 100.0, Status.OPTIMAL),
        (Stop.FINISHED, True, 100.0, 100.00005, Status.OPTIMAL),
        # The solver stopped at a gap the user asked for: a plan, not a proof.
        (Stop.FINISHED, True, 100.0, 101.0, Status.FEASIBLE),
        (Stop.LIMIT, True, 100.0, 100.0000001, Status.FEASIBLE),
        (Stop.LIMIT, True, 100.0, 150.0, Status.FEASIBLE),
        (Stop.LIMIT, False, None, None, Status.NO_SOLUTION),
        (Stop.INFEASIBLE, False, None, None, Status.INFEASIBLE),
        (Stop.UNBOUNDED, False, None, None, Status.UNBOUNDED),
        (Stop.ERROR, False, None, None, Status.ERROR),
        (Stop.FINISHED, True, 100.0, None, Status.FEASIBLE),
    ],
)
def test_classify(
    stop: Stop, has_solution: bool, value: float | None, bound: float | None, expected: Status
) -> None:
    assert classify(stop, has_solution, value, bound) is expected


@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize("solver", [SolverName.HIGHS, SolverName.CBC])
def test_a_time_limit_never_claims_optimality_or_infeasibility(
    solver: SolverName, warm_start: bool
) -> None:
    # 50 measures x 3 scopes x 40 periods cannot be proven optimal in half a second, and
    # the empty plan is feasible. (CBC, cut short in preprocessing, says "infeasible".)
    problem = synthetic_problem(50, 3, 40, seed=1)
    settings = SolverSettings(name=solver, time_limit=0.5, warm_start=warm_start)
    result = solve(problem, SYNTHETIC_OBJECTIVE, settings)
    assert result.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    if result.status is Status.FEASIBLE:
        assert result.evaluation is not None and result.evaluation.feasible
        assert result.gap is None or result.gap > PROVEN_GAP
    else:
        assert result.plan is None


def test_requested_gap_is_reported_as_feasible_not_optimal() -> None:
    problem = synthetic_problem(20, 3, 40, seed=1)
    result = solve(problem, SYNTHETIC_OBJECTIVE, SolverSettings(gap=0.2, time_limit=60))
    assert result.status is Status.FEASIBLE
    assert result.gap is not None and PROVEN_GAP < result.gap <= 0.2 + 1e-9
    assert result.bound is not None and result.objective is not None
    assert result.bound >= result.objective


def test_the_time_limit_is_for_the_whole_solve() -> None:
    """What the starting plan and the build took comes out of the solver's time."""
    assert within_limit(SolverSettings(time_limit=60), 5.0).time_limit == 55.0
    assert within_limit(SolverSettings(time_limit=2), 30.0).time_limit == MIN_SOLVER_SECONDS
    assert within_limit(SolverSettings(time_limit=None), 30.0).time_limit is None
