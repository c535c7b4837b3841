"""Explanations: reasons known by construction, diagnoses that restore feasibility, prices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt.cli import Exit, app
from seqopt.data import Force, Problem
from seqopt.evaluate import evaluate
from seqopt.explain.counterfactual import price_of_forcing, what_it_takes
from seqopt.explain.diagnose import apply, diagnose, plan_relaxations
from seqopt.explain.reasons import Reason, explain_measure
from seqopt.plan import Assignment, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solve import Status, solve

from brute_force import best_plan
from builders import (
    budget,
    excludes,
    measure,
    problem,
    renewable,
    requires,
    scope,
    series,
)
from random_problems import tiny_problem

VALUE = ObjectiveSettings()
EXACT = SolverSettings(gap=0.0)
runner = CliRunner()


def reason(p: Problem, measure_id: str) -> Reason:
    result = solve(p, VALUE, EXACT)
    assert result.evaluation is not None
    return explain_measure(p, VALUE, result.evaluation, measure_id)


def test_support_bound_measure_waits_for_support() -> None:
    p = problem(
        4, measure("a", scope(benefit=5, gates={"pub": 55})), series=[series("pub", 50, 52, 56, 56)]
    )
    r = reason(p, "a")
    assert r.status == "late" and r.start == 2
    assert {b.rule for b in r.blockers} == {"support"}
    assert "pub would be 50.0 at signing, below 55" in r.text
    assert "In T2 pub is 56.0 against 55: baseline 56.0" in r.text


def test_prerequisite_bound_measure_waits_for_its_prerequisite() -> None:
    p = problem(
        5,
        measure("a", scope(benefit=1, duration=2, horizon=5)),
        measure("b", scope(benefit=5, horizon=5)),
        dependencies=[requires("b", "a")],
    )
    r = reason(p, "b")
    assert r.status == "late" and r.start == 2
    assert {b.rule for b in r.blockers} == {"requires"}
    assert "it needs a in force first, which it is only from T2" in r.text


def test_capacity_bound_measure_waits_for_room() -> None:
    p = problem(
        4,
        measure("big", scope(benefit=5, use={"cap": 1})),
        measure("small", scope(benefit=1, use={"cap": 1})),
        resources=[renewable("cap", 1)],
    )
    r = reason(p, "small")
    assert r.status == "late" and r.start == 1
    assert {b.rule for b in r.blockers} == {"capacity"}
    assert "cap is full in T0 (in T0: big 1)" in r.text


def test_window_bound_measure_starts_when_its_window_opens() -> None:
    p = problem(4, measure("a", scope(benefit=5, earliest=2)))
    r = reason(p, "a")
    assert r.status == "on time" and r.start == 2
    assert "the first period its window allows" in r.text


def test_excluded_measure_is_left_out_because_of_the_exclusion() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=5)),
        measure("b", scope(benefit=3)),
        dependencies=[excludes("a", "b")],
    )
    r = reason(p, "b")
    assert r.status == "left out"
    assert {b.rule for b in r.blockers} == {"excludes"}
    assert "exclude each other" in r.text


def test_unprofitable_measure_is_left_out_for_its_cost() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=0.1, use={"cap": 1})),
        resources=[renewable("cap", 1, price=5)],
    )
    r = reason(p, "a")
    assert r.status == "left out" and "its cost outweighs its benefit" in r.text


INFEASIBLE = {
    "forced measure never supported": (
        problem(
            4,
            measure("a", scope(gates={"pub": 90}), force=Force.IN),
            series=[series("pub", 50, 50, 50, 60)],
        ),
        {"support"},
    ),
    "cyclic forcing through windows": (
        problem(
            6,
            measure("a", scope(duration=2, latest=2, horizon=6), force=Force.IN),
            measure("b", scope(duration=2, earliest=3, horizon=6), force=Force.IN),
            dependencies=[requires("a", "b")],
        ),
        {"window"},
    ),
    "budget below forced use": (
        problem(
            4,
            measure("a", scope(use={"money": 3}), force=Force.IN),
            measure("b", scope(use={"money": 3}), force=Force.IN),
            resources=[budget("money", 4)],
        ),
        {"budget"},
    ),
    "capacity below forced use": (
        problem(
            3,
            measure("a", scope(duration=2, use={"cap": 2}, latest=1, horizon=3), force=Force.IN),
            measure("b", scope(duration=2, use={"cap": 2}, latest=2, horizon=3), force=Force.IN),
            resources=[renewable("cap", 2)],
        ),
        {"capacity"},
    ),
}


@pytest.mark.parametrize("case", sorted(INFEASIBLE))
def test_diagnosis_names_the_requirement_and_its_relaxation_restores_feasibility(case: str) -> None:
    p, kinds = INFEASIBLE[case]
    assert solve(p, VALUE, EXACT).status is Status.INFEASIBLE
    found = diagnose(p, VALUE, EXACT)
    assert found.solved
    assert {r.kind for r in found.relaxations} == kinds
    assert all(r.message for r in found.relaxations)
    assert solve(apply(p, found.relaxations), VALUE, EXACT).status is Status.OPTIMAL


def test_diagnosis_amount_is_the_smallest_that_works() -> None:
    p, _ = INFEASIBLE["forced measure never supported"]
    (relaxation,) = diagnose(p, VALUE, EXACT).relaxations
    assert relaxation.amount == pytest.approx(30.0)  # 90 needed, 60 reachable in T3
    assert "30.0 points higher" in relaxation.message


def test_check_relaxations_make_a_hand_made_plan_feasible() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=1, gates={"pub": 55}, use={"cap": 2}, earliest=1)),
        measure("b", scope(benefit=1, duration=2, use={"cap": 1, "money": 5})),
        resources=[renewable("cap", 2), budget("money", 3)],
        series=[series("pub", 50, 50, 50, 50)],
        dependencies=[requires("a", "b")],
    )
    plan = Plan.of([Assignment("a", "s", 0), Assignment("b", "s", 0)])
    broken = evaluate(p, plan, VALUE)
    assert {v.rule for v in broken.violations} == {
        "support",
        "capacity",
        "budget",
        "window",
        "requires",
    }
    relaxations = plan_relaxations(p, broken.violations)
    assert evaluate(apply(p, tuple(relaxations)), plan, VALUE).feasible


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_price_of_forcing_equals_the_difference_of_two_independent_optima(seed: int) -> None:
    p, objective = tiny_problem(seed)
    base = solve(p, objective, EXACT)
    if base.evaluation is None:
        return
    brute_base = best_plan(p, objective)
    assert brute_base is not None
    for m in p.measures:
        for forcing in price_of_forcing(p, objective, EXACT, base.evaluation, m.id):
            if forcing.how not in ("in", "out"):
                continue
            changed = [
                x
                if x.id != m.id
                else type(x)(x.id, x.name, x.scopes, Force.IN if forcing.how == "in" else Force.OUT)
                for x in p.measures
            ]
            forced = type(p)(
                p.periods,
                tuple(changed),
                p.resources,
                p.levers,
                p.series,
                p.effects,
                p.dependencies,
            )
            brute = best_plan(forced, objective)
            if brute is None:
                assert forcing.delta is None
                continue
            assert forcing.delta is not None
            expected = brute.objective - brute_base.objective
            assert forcing.delta == pytest.approx(expected, abs=1e-6 * max(1.0, abs(expected)))


def test_what_it_takes_finds_the_threshold_and_baseline_that_bring_a_measure_in() -> None:
    p = problem(
        4, measure("a", scope(benefit=5, gates={"pub": 60})), series=[series("pub", 50, 52, 54, 55)]
    )
    assert solve(p, VALUE, EXACT).plan == Plan()
    changes = {c.input: c for c in what_it_takes(p, VALUE, EXACT, "a")}
    threshold = changes["its threshold on pub"]
    baseline = changes["the baseline of pub (points added in every period)"]
    assert threshold.needed is not None and baseline.needed is not None
    # Signed in T3 it is in force only after the horizon (worth nothing); signed in T2, where
    # support is 54, it earns a period: so the threshold must come down to 54, or the
    # baseline rise by 6 (bisection to within 60/256 and 100/256).
    assert 53.7 <= threshold.needed <= 54.0
    assert 6.0 <= baseline.needed <= 6.4
    assert "enters the optimal plan if" in threshold.text


def test_makespan_forcing_is_reported_in_periods() -> None:
    p = problem(
        6,
        measure("a", scope(duration=2, use={"cap": 1}, horizon=6), force=Force.IN),
        measure("b", scope(duration=2, use={"cap": 1}, horizon=6)),
        resources=[renewable("cap", 1)],
    )
    objective = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
    base = solve(p, objective, EXACT)
    assert base.evaluation is not None
    (forcing,) = price_of_forcing(p, objective, EXACT, base.evaluation, "b")
    assert forcing.how == "in" and forcing.delta == pytest.approx(2)
    assert "ends +2 periods later" in forcing.text


DATA = Path(__file__).parent / "data"


def model(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "minimal", tmp_path / "input")
    path = tmp_path / "model.toml"
    path.write_text('[model]\nname = "mini"\ninput = "input"\noutput = "out"\n', encoding="utf-8")
    return path


def test_explain_command_writes_explanations_everywhere(tmp_path: Path) -> None:
    path = model(tmp_path)
    result = runner.invoke(app, ["explain", str(path), "--report"])
    assert result.exit_code == Exit.OK, result.output
    assert "The price of forcing" in result.output
    data = json.loads((tmp_path / "out" / "explanations.json").read_text())
    assert data["schema"] == "seqopt.explanations/1"
    assert {r["measure"] for r in data["explanations"]["reasons"]} == {"alpha", "beta"}
    assert any(f["how"] == "out" for f in data["explanations"]["forcing"])
    assert "## The price of forcing" in (tmp_path / "out" / "summary.md").read_text()
    assert "The price of forcing" in (tmp_path / "out" / "report.html").read_text()


def test_explain_one_measure_and_an_unknown_one(tmp_path: Path) -> None:
    path = model(tmp_path)
    result = runner.invoke(app, ["explain", str(path), "--measure", "beta", "--no-what-if"])
    assert result.exit_code == Exit.OK, result.output
    data = json.loads((tmp_path / "out" / "explanations.json").read_text())
    assert [r["measure"] for r in data["explanations"]["reasons"]] == ["beta"]
    assert data["explanations"]["forcing"] == []
    bad = runner.invoke(app, ["explain", str(path), "--measure", "gamma"])
    assert bad.exit_code == Exit.INPUT
    # A command-line typo names the option, not the input workbook.
    said = " ".join(bad.stderr.replace("│", " ").split())
    assert "Invalid value for '--measure': 'gamma' is not a measure of mini" in said
    assert "Its measures: alpha, beta." in said


def test_solve_diagnoses_an_infeasible_model(tmp_path: Path) -> None:
    path = model(tmp_path)
    measures = tmp_path / "input" / "measures.csv"
    measures.write_text(measures.read_text().replace("alpha,Alpha,free", "alpha,Alpha,in"))
    gates = tmp_path / "input" / "gates.csv"
    gates.write_text(gates.read_text().replace("alpha,,public,50", "alpha,,public,95"))
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == Exit.INFEASIBLE
    assert "The smallest relaxation that would make it feasible" in result.output
    assert "Alpha can be signed in" in result.output
    document = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert document["diagnosis"]["relaxations"][0]["kind"] == "support"
    assert "## Why no plan is possible" in (tmp_path / "out" / "summary.md").read_text()
