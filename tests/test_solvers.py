"""The solvers package: which engine runs, and the CP-SAT engine's own cases."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt import interrupt
from seqopt.cli import Exit, app
from seqopt.data import Force
from seqopt.generate import SYNTHETIC_OBJECTIVE, synthetic_problem
from seqopt.io.psplib import read_instance, to_problem
from seqopt.io.reader import read_problem
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve
from seqopt.solvers.choice import EngineUnavailable, choose
from seqopt.solvers.cpsat import unsupported

from builders import budget, measure, problem, renewable, requires, scope, series

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
MAKESPAN = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
runner = CliRunner()


def test_auto_takes_cpsat_for_pure_scheduling_and_highs_for_gates() -> None:
    psplib = to_problem(read_instance(DATA / "psplib" / "j301_1.sm"))
    assert choose(psplib, SolverName.AUTO).engine is SolverName.CPSAT
    gated = read_problem(ROOT / "inputs" / "japan_rok.xlsx")
    chosen = choose(gated, SolverName.AUTO)
    assert chosen.engine is SolverName.HIGHS
    assert "support gates" in chosen.reason
    assert choose(gated, SolverName.CBC).engine is SolverName.CBC


def test_cpsat_asked_for_a_model_with_gates_is_refused_with_the_reason() -> None:
    gated = read_problem(ROOT / "inputs" / "japan_rok.xlsx")
    with pytest.raises(EngineUnavailable, match="support gates"):
        choose(gated, SolverName.CPSAT)


def test_cli_names_the_setting_when_cpsat_cannot_take_the_model(tmp_path: Path) -> None:
    model = tmp_path / "model.toml"
    inputs = (ROOT / "inputs" / "japan_rok.xlsx").resolve()
    model.write_text(f'[model]\ninput = "{inputs}"\n\n[solver]\nname = "cpsat"\n')
    result = runner.invoke(app, ["solve", str(model), "--out", str(tmp_path / "out")])
    assert result.exit_code == Exit.INPUT
    assert "solver.name" in result.output and "support gates" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_solve_command_says_which_engine_ran(tmp_path: Path) -> None:
    target = tmp_path / "j"
    assert runner.invoke(app, ["import-psplib", str(DATA / "psplib" / "j1010_2.mm"), str(target)])
    result = runner.invoke(app, ["solve", str(target / "model.toml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == Exit.OK, result.output
    assert "Solved by cpsat (auto: a pure scheduling model" in " ".join(result.output.split())


def test_cpsat_scales_fractional_uses_and_refuses_numbers_no_power_of_ten_makes_whole() -> None:
    halves = problem(
        4,
        measure("a", scope("s", 2.0, 1, use={"team": 0.5})),
        measure("b", scope("s", 1.0, 1, use={"team": 0.75})),
        resources=[renewable("team", 1.25)],
    )
    assert unsupported(halves) is None
    result = solve(halves, MAKESPAN, SolverSettings(name=SolverName.CPSAT, gap=0.0))
    assert result.status is Status.OPTIMAL
    thirds = problem(
        3, measure("a", scope("s", use={"team": 1 / 3})), resources=[renewable("team", 1)]
    )
    assert "whole" in (unsupported(thirds) or "")
    assert choose(thirds, SolverName.AUTO).engine is SolverName.HIGHS


def test_cpsat_honours_a_lower_capacity_in_one_period() -> None:
    """Two one-period jobs, one team, but no team in T0: the makespan is 3 (T1, T2)."""
    jobs = problem(
        4,
        measure("a", scope("s", use={"team": 1}), force=Force.IN),
        measure("b", scope("s", use={"team": 1}), force=Force.IN),
        resources=[renewable("team", 1, t0=0)],
    )
    for engine in (SolverName.CPSAT, SolverName.HIGHS):
        result = solve(jobs, MAKESPAN, SolverSettings(name=engine, gap=0.0))
        assert result.status is Status.OPTIMAL and result.objective == 3
        assert result.plan is not None
        assert sorted(a.start for a in result.plan.assignments) == [1, 2]


def test_cpsat_value_objective_with_discounting_matches_highs() -> None:
    """Value of a start is a table over periods (discounted): CP-SAT scales and rounds it,
    and adds the rounding to its bound, so 'optimal' is still a proof."""
    p = problem(
        5,
        measure("a", scope("s", 3.3, 2, horizon=5, use={"cap": 1.5, "reserve": 2})),
        measure("b", scope("s", 1.7, 1, horizon=5, use={"cap": 1.0, "reserve": 1})),
        measure("c", scope("s", 2.9, 1, horizon=5, use={"cap": 2.0, "reserve": 2})),
        resources=[renewable("cap", 2.5, price=0.4), budget("reserve", 4, price=0.1)],
        dependencies=[requires("c", "b", lag=1)],
        series=[series("k", 50, 50, 50, 50, 50)],
    )
    objective = ObjectiveSettings(discount_rate=0.05, terminal=3)
    cpsat = solve(p, objective, SolverSettings(name=SolverName.CPSAT, gap=0.0))
    highs = solve(p, objective, SolverSettings(name=SolverName.HIGHS, gap=0.0))
    assert cpsat.status is Status.OPTIMAL and highs.status is Status.OPTIMAL
    assert cpsat.objective == pytest.approx(highs.objective, rel=1e-9)
    assert cpsat.bound is not None and cpsat.bound >= cpsat.objective - 1e-9


SYNTHETIC_HARD = (50, 3, 40)
"""A synthetic value model no engine proves optimal within a second or two."""


@pytest.mark.parametrize("engine", [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC])
def test_a_stop_request_stops_every_integer_programming_engine(engine: SolverName) -> None:
    """Ctrl-C (here its flag, set from another thread) ends the run with what was found.

    The time limit is a minute; the request comes after two seconds. The words say the
    solver was interrupted, and nothing is called optimal.
    """
    problem = synthetic_problem(*SYNTHETIC_HARD, seed=1)
    timer = threading.Timer(2.0, interrupt.request)
    with interrupt.installed():
        timer.start()
        try:
            result = solve(problem, SYNTHETIC_OBJECTIVE, SolverSettings(name=engine, time_limit=60))
        finally:
            timer.cancel()
        assert interrupt.requested()
    assert result.status is not Status.OPTIMAL
    words = result.solver_status.lower()
    assert "interrupt" in words or "ctrl-c" in words, result.solver_status


def test_a_stop_request_stops_cpsat() -> None:
    """PSPLIB j3013_2 takes CP-SAT about 20 s to prove; a request after 0.5 s stops it."""
    hard = to_problem(read_instance(DATA / "psplib" / "j3013_2.sm"))
    timer = threading.Timer(0.5, interrupt.request)
    with interrupt.installed():
        timer.start()
        try:
            result = solve(hard, MAKESPAN, SolverSettings(name=SolverName.CPSAT, time_limit=60))
        finally:
            timer.cancel()
        assert interrupt.requested()
    assert result.status is Status.FEASIBLE and result.plan is not None
    assert result.gap is not None and result.gap > 0


def test_highs_runs_after_other_code_ran_highs_with_other_threads() -> None:
    """HiGHS keeps one thread pool per process; a solve with another thread count resets it.

    Without the reset the solve fails at once with model status "Not Set".
    """
    import highspy

    other = highspy.Highs()
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", 2)
    other.addVar(0, 1)
    other.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    other.run()
    gated = read_problem(ROOT / "inputs" / "japan_rok.xlsx")
    result = solve(gated, ObjectiveSettings(), SolverSettings(name=SolverName.HIGHS, threads=1))
    assert result.status is Status.OPTIMAL, result.solver_status


REFERENCE = Path(__file__).resolve().parent.parent / "models" / "japan_rok.toml"


def test_a_plan_beyond_the_solvers_proven_bound_is_not_called_optimal() -> None:
    from seqopt.solve import _beats_bound

    assert _beats_bound(338.691, 337.777, minimise=False)
    assert not _beats_bound(337.777 + 1e-7, 337.777, minimise=False)  # within the gap proven
    assert _beats_bound(9.0, 10.0, minimise=True) and not _beats_bound(10.0, 10.0, minimise=True)
    assert not _beats_bound(5.0, None, minimise=False)


@pytest.mark.parametrize("engine", [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC])
def test_no_engine_calls_a_plan_optimal_beyond_its_own_bound(engine: SolverName) -> None:
    # HiGHS 1.16 (presolve on, seed 0) proves 337.767 on the reference model with every
    # gate raised by 16.9331 points, where 338.691 is feasible (CBC proves it). Through
    # PuLP its bound stays at 337.777 while the tie-breaking moves find 338.691: that
    # answer must not be called proven optimal.
    from dataclasses import replace

    from seqopt.io.scenario_files import load_problem
    from seqopt.settings import read_model_file
    from seqopt.uncertainty.reliable import with_margin

    model = read_model_file(REFERENCE)
    raised = with_margin(load_problem(model), 16.9331)
    result = solve(raised, model.objective, replace(model.solver, gap=0.0, name=engine))
    assert result.objective is not None and result.bound is not None
    if result.status is Status.OPTIMAL:
        assert result.objective <= result.bound + 1e-6 * abs(result.bound)
    else:
        assert result.status is Status.FEASIBLE and result.objective > result.bound
        assert any("the bound is wrong" in note for note in result.notes)
    if engine is SolverName.CBC:
        assert result.status is Status.OPTIMAL and result.objective == pytest.approx(
            338.6911, abs=1e-3
        )
