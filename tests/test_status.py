"""Solver status is honest: proven optimal, feasible with a gap, infeasible, no solution."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.settings import SolverName, SolverSettings
from seqopt.solve import solve, within_limit
from seqopt.solvers.highs import MIN_SOLVER_SECONDS, objective_consistent, run_from_start
from seqopt.solvers.result import PROVEN_GAP, Status, Stop, classify


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


class _FakeHighs:
    """Just enough of highspy.Highs for run_from_start: a run that reports ``reported``."""

    def __init__(self, reports: list[float]) -> None:
        self.reports = reports
        self.runs = 0
        self.cleared = False
        self.options: dict[str, object] = {}

    def run(self) -> None:
        self.runs += 1

    def clearSolver(self) -> None:  # highspy's names
        self.cleared = True

    def setOptionValue(self, name: str, value: object) -> None:
        self.options[name] = value

    def getInfo(self) -> SimpleNamespace:
        reported = self.reports[min(self.runs, len(self.reports)) - 1]
        return SimpleNamespace(primal_solution_status=2, objective_function_value=reported)

    def getModelStatus(self) -> object:
        import highspy

        return highspy.HighsModelStatus.kOptimal

    def getLp(self) -> SimpleNamespace:
        return SimpleNamespace(col_cost_=[1.0, 2.0], offset_=3.0)

    def getSolution(self) -> SimpleNamespace:
        return SimpleNamespace(col_value=[1.0, 1.0])  # objective 1 + 2 + 3 = 6


def test_an_answer_whose_objective_is_not_its_solutions_is_solved_again() -> None:
    first = _FakeHighs([5.0])
    first.run()
    assert not objective_consistent(first)  # it says 5; its solution is worth 6
    highs = _FakeHighs([5.0, 6.0])
    # A limit already spent: the second run still gets the least a run is given.
    assert run_from_start(highs, True, 0.5) is True
    assert highs.runs == 2 and highs.cleared
    assert highs.options["time_limit"] == MIN_SOLVER_SECONDS


def test_a_consistent_answer_or_one_without_a_start_runs_once() -> None:
    consistent = _FakeHighs([6.0])
    assert run_from_start(consistent, True, 60.0) is False and consistent.runs == 1
    # Without a starting solution there is nothing to leave out: no second run.
    unstarted = _FakeHighs([5.0])
    assert run_from_start(unstarted, False, 60.0) is False and unstarted.runs == 1
