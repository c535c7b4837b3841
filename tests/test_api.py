"""The Python API: the same answers as the command line, tables that say what the evaluator
says, the same input errors, the same results from the same seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import seqopt
from seqopt.cli import Exit, app
from seqopt.evaluate import evaluate

from edit_inputs import copy_input, set_cell

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "models" / "japan_rok.toml"
runner = CliRunner()


def mini(tmp_path: Path, extra: str = "") -> Path:
    """The minimal test input with a model file writing to ``out``."""
    copy_input(tmp_path)
    path = tmp_path / "model.toml"
    path.write_text(
        f'[model]\nname = "mini"\ninput = "input"\noutput = "out"\n{extra}', encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def reference() -> seqopt.Model:
    return seqopt.load(REFERENCE)


@pytest.fixture(scope="module")
def plan(reference: seqopt.Model) -> seqopt.Plan:
    return reference.solve()


def test_import_seqopt_imports_no_solver_pandas_or_matplotlib() -> None:
    code = (
        "import sys, seqopt\n"
        "heavy = [m for m in ('pandas', 'matplotlib', 'pulp', 'highspy', 'numpy', 'seqopt.api')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_public_name_is_exported_and_resolves() -> None:
    for name in seqopt.__all__:
        assert getattr(seqopt, name) is not None
    assert seqopt.Status.OPTIMAL.value == "optimal"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = seqopt.nothing  # type: ignore[attr-defined]


# -- the same answers as the command line --------------------------------------------------


def test_the_plan_is_the_command_lines_plan_json(
    tmp_path: Path, plan: seqopt.Plan, reference: seqopt.Model
) -> None:
    result = runner.invoke(app, ["solve", str(REFERENCE), "--out", str(tmp_path / "cli")])
    assert result.exit_code == Exit.OK, result.output
    written = json.loads((tmp_path / "cli" / "plan.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(plan.document)) == written
    assert plan.status is seqopt.Status.OPTIMAL and plan.has_plan
    assert plan.value == pytest.approx(written["value"]) and plan.gap == written["gap"]
    assert plan.bound == written["bound"] and plan.solver == "highs"
    assert plan.reliability == written["reliability"]["share"]
    assert plan.headline.startswith("Status: proven optimal (highs, gap 0.0000%). Net value 397.71")
    assert plan.model is reference


def test_plan_write_writes_what_the_command_line_writes(tmp_path: Path) -> None:
    path = mini(tmp_path)
    assert runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "cli")]).exit_code == 0
    written = seqopt.load(path).solve().write(tmp_path / "api", report=True)
    names = ["plan.json", "plan.xlsx", "summary.md", "report.html"]
    assert [p.name for p in written[:4]] == names
    assert all(p.parent == tmp_path / "api" and p.is_file() for p in written)
    for name in ("plan.json", "summary.md"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    assert (tmp_path / "api" / "roadmap.svg").is_file()


def test_plan_write_goes_to_the_models_output_folder_by_default(tmp_path: Path) -> None:
    written = seqopt.load(mini(tmp_path)).solve().write()
    assert {p.name for p in (tmp_path / "out").iterdir()} == {p.name for p in written}


# -- the tables say what the evaluator says ------------------------------------------------


def test_the_tables_are_the_evaluators_figures(reference: seqopt.Model, plan: seqopt.Plan) -> None:
    assert plan.evaluation is not None
    scored = evaluate(reference.problem, plan.evaluation.plan, reference.file.objective)
    labels = reference.periods
    schedule = plan.schedule
    assert list(schedule.columns) == [
        "measure", "measure_name", "scope", "scope_name", "start", "signing", "in_force",
        "lapse", "benefit", "cost", "widened_to", "widened_start",
    ]  # fmt: skip
    by_measure = {s.measure: s for s in scored.scheduled}
    assert set(schedule["measure"]) == set(by_measure)
    for row in schedule.itertuples():
        item = by_measure[row.measure]
        assert (row.scope, row.start, row.signing) == (
            item.scope,
            labels[item.start],
            labels[item.signing],
        )
        assert row.benefit == item.benefit and row.cost == item.cost
    assert schedule["start"].tolist() == sorted(schedule["start"])  # in order of start
    # The plan's value: benefit in force, less overlap, less negotiation and framing costs.
    assert schedule["cost"].sum() + scored.lever_cost == pytest.approx(scored.cost)
    net = schedule["benefit"].sum() - scored.overlap - scored.cost
    assert net == pytest.approx(plan.value) and plan.value == scored.objective

    support = plan.support
    assert list(support.columns) == ["series", "series_name", "period", "support"]
    assert len(support) == len(reference.problem.series) * len(labels)
    for series, values in scored.support.items():
        rows = support[support["series"] == series]
        assert rows["period"].tolist() == list(labels)
        assert rows["support"].tolist() == list(values)

    thresholds = plan.thresholds
    signed = thresholds[thresholds["chosen"]]
    assert not signed.empty
    for row in signed.itertuples():
        signing = labels.index(row.signing)
        assert row.support_at_signing == scored.support[row.series][signing]
        assert row.margin == pytest.approx(row.support_at_signing - row.threshold)
        assert row.margin >= -1e-6  # the plan clears every gate it signs at
    assert thresholds.loc[~thresholds["chosen"], "signing"].isna().all()

    resources = plan.resources
    for resource, use in scored.resource_use.items():
        rows = resources[resources["resource"] == resource]
        assert rows["use"].tolist() == list(use)
        if resource in scored.capacity:
            assert rows["capacity"].tolist() == list(scored.capacity[resource])
    assert (resources["use"] <= resources["capacity"] + 1e-6).all()

    levers = plan.lever_uses
    assert list(zip(levers["lever"], levers["period"], strict=True)) == [
        (u.lever, labels[u.period]) for u in scored.plan.lever_uses
    ]
    done = set(schedule["measure"])
    assert set(plan.left_out["measure"]) == {m.id for m in reference.problem.measures} - done


def test_a_table_is_built_afresh_each_time(plan: seqopt.Plan) -> None:
    table = plan.schedule
    table.loc[0, "benefit"] = -1.0
    assert plan.schedule.loc[0, "benefit"] != -1.0


def test_an_infeasible_model_has_a_status_relaxations_and_empty_tables(tmp_path: Path) -> None:
    path = mini(tmp_path)
    set_cell(tmp_path / "input", "measures", 2, "force", "in")
    set_cell(tmp_path / "input", "gates", 2, "threshold", "95")
    plan = seqopt.load(path).solve()
    assert plan.status is seqopt.Status.INFEASIBLE and not plan.has_plan
    assert plan.value is None and plan.evaluation is None
    assert any("Alpha must be done" in note for note in plan.notes)
    assert plan.relaxations == [
        "Alpha can be signed in P3 only if Public support is 38.5 points higher than it can get "
        "by then (or its threshold that much lower)"
    ]
    assert plan.schedule.empty and "measure" in plan.schedule.columns
    assert plan.support.empty and plan.resources.empty
    assert "infeasible" in plan._repr_html_().lower()
    assert "<svg" not in plan._repr_html_()


# -- input errors, as the command line prints them -----------------------------------------


def test_bad_input_raises_input_error_with_every_cell(tmp_path: Path) -> None:
    path = mini(tmp_path)
    set_cell(tmp_path / "input", "scopes", 2, "duration", "-3")
    set_cell(tmp_path / "input", "gates", 3, "threshold", "abc")
    with pytest.raises(seqopt.InputError) as caught:
        seqopt.load(path)
    places = {(i.where.sheet, i.where.row, i.where.column) for i in caught.value.issues}
    assert ("scopes", 2, "duration") in places and ("gates", 3, "threshold") in places
    cli = runner.invoke(app, ["validate", str(path)])
    assert cli.exit_code == Exit.INPUT
    assert " ".join(caught.value.describe().split()) in " ".join(cli.output.split())


def test_bad_settings_and_scenarios_raise_input_errors(tmp_path: Path) -> None:
    model = seqopt.load(mini(tmp_path))
    with pytest.raises(seqopt.InputError, match=r"setting solver.time_limit: must be a number"):
        model.solve(time_limit=-1)
    with pytest.raises(
        seqopt.InputError, match=r"setting uncertainty.reliability: must be a share"
    ):
        model.with_settings(reliability=1.5)
    with pytest.raises(seqopt.InputError, match=r"setting horizon_days: unknown setting"):
        model.solve(horizon_days=3)
    with pytest.raises(seqopt.InputError, match=r"setting force.alpha: must be 'in', 'out'"):
        model.what_if(force={"alpha": "maybe"})
    with pytest.raises(seqopt.InputError, match=r"what_if\('t'\), setting overrides.gates.nope"):
        model.what_if("t", overrides={"gates.nope.full.public.threshold": 3})
    with pytest.raises(seqopt.InputError, match=r"'alpah' is not a measure of mini. Did you mean"):
        model.explain("alpah")
    with pytest.raises(seqopt.InputError, match="model file not found"):
        seqopt.load(tmp_path / "missing.toml")


def test_settings_given_in_python_are_those_of_the_model_file(tmp_path: Path) -> None:
    model = seqopt.load(mini(tmp_path))
    changed = model.with_settings(solver="cbc", time_limit=5, gap=0.01, seed=7, margin=2)
    assert changed.file.solver.name.value == "cbc" and changed.file.solver.time_limit == 5.0
    assert changed.file.uncertainty.seed == 7 and changed.file.uncertainty.margin == 2.0
    assert model.file.solver.time_limit == 60.0  # the model itself never changes
    plan = model.solve(solver="cbc")
    assert plan.solver == "cbc" and plan.model.file.solver.name.value == "cbc"
    assert plan.document["solver"]["name"] == "cbc"


# -- scenarios -----------------------------------------------------------------------------


def test_a_what_if_is_the_scenario_file_with_the_same_changes(tmp_path: Path) -> None:
    path = mini(tmp_path)
    (tmp_path / "child.toml").write_text(
        'extends = "model.toml"\n[model]\nname = "no_alpha"\n[force]\nalpha = "out"\n'
        '[overrides]\n"gates.beta.full.public.threshold" = 51\n',
        encoding="utf-8",
    )
    from_file = seqopt.load(tmp_path / "child.toml").solve()
    what_if = seqopt.load(path).what_if(
        "no_alpha", force={"alpha": "out"}, overrides={"gates.beta.full.public.threshold": 51}
    )
    assert what_if.output == tmp_path / "no_alpha"
    in_python = what_if.solve()
    assert "alpha" not in set(in_python.schedule["measure"])
    assert in_python.value == from_file.value
    assert in_python.schedule.equals(from_file.schedule)
    assert in_python.document["scenario"]["overrides"] == {
        "measures.alpha.force": "out",
        "gates.beta.full.public.threshold": 51,
    }


# -- check, explain, simulate, sensitivity --------------------------------------------------


def test_check_takes_a_plan_a_schedule_or_a_plan_file(tmp_path: Path) -> None:
    path = mini(tmp_path)
    model = seqopt.load(path)
    plan = model.solve()
    plan.write()
    for given in (plan, plan.evaluation.plan, tmp_path / "out" / "plan.json"):  # type: ignore[union-attr]
        found = model.check(given)
        assert found.feasible and found.value == pytest.approx(plan.value)
        assert found.violations.empty
    (tmp_path / "late.csv").write_text(
        "kind,id,scope,period\nmeasure,alpha,only,P1\nmeasure,beta,full,P1\n", encoding="utf-8"
    )
    found = model.check(str(tmp_path / "late.csv"))
    cli = runner.invoke(app, ["check", str(tmp_path / "late.csv"), "--model", str(path), "--json"])
    assert cli.exit_code == Exit.INFEASIBLE and not found.feasible
    assert found.document == json.loads(cli.output)
    assert found.violations["rule"].tolist() == [v["rule"] for v in found.document["violations"]]
    assert "breaks" in found._repr_html_()


def test_check_names_the_plan_files_bad_cells(tmp_path: Path) -> None:
    model = seqopt.load(mini(tmp_path))
    (tmp_path / "bad.csv").write_text("kind,id,scope,period\nmeasure,gamma,only,P9\n", "utf-8")
    with pytest.raises(seqopt.InputError, match=r"bad.csv.*row 2"):
        model.check(tmp_path / "bad.csv")


def test_explain_is_the_command_lines_explanations(tmp_path: Path) -> None:
    path = mini(tmp_path)
    explanation = seqopt.load(path).explain()
    assert runner.invoke(app, ["explain", str(path)]).exit_code == 0
    written = json.loads((tmp_path / "out" / "explanations.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(explanation.document)) == written
    assert set(explanation.reasons["measure"]) == {"alpha", "beta"}
    assert explanation.reasons["text"].str.len().min() > 0
    assert not explanation.forcing.empty
    assert "<li>" in explanation._repr_html_()


def test_simulate_with_the_same_seed_gives_the_same_results(tmp_path: Path) -> None:
    path = mini(tmp_path)
    model = seqopt.load(path)
    first = model.simulate(20, seed=3, workers=1)
    again = model.solve().simulate(20, seed=3, workers=2)
    assert first.document == again.document
    assert first.scenarios.equals(again.scenarios)
    other = model.simulate(20, seed=4, workers=1)
    assert other.document["samples"] == 20 and other.document != first.document
    core = first.core_index
    assert set(core["measure"]) == {"alpha", "beta"}
    assert ((core["low_95"] <= core["core_index"]) & (core["core_index"] <= core["high_95"])).all()
    assert len(first.scenarios) == 20 * 2
    assert 0 <= first.broken_share <= 1
    result = runner.invoke(
        app, ["simulate", str(path), "--samples", "20", "--seed", "3", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads((tmp_path / "out" / "simulation.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(first.document)) == cli
    written = first.write(tmp_path / "api")
    assert {"simulation.json", "scenarios.csv", "samples.csv"} <= {p.name for p in written}
    assert (tmp_path / "api" / "scenarios.csv").read_bytes() == (
        tmp_path / "out" / "scenarios.csv"
    ).read_bytes()


def test_the_same_model_solved_twice_gives_the_same_plan(tmp_path: Path) -> None:
    model = seqopt.load(mini(tmp_path))
    assert model.solve().document == model.solve().document


def test_sensitivity_swings_every_estimate(tmp_path: Path) -> None:
    path = mini(tmp_path)
    found = seqopt.load(path).sensitivity(workers=1)
    assert runner.invoke(app, ["sensitivity", str(path), "--workers", "1"]).exit_code == 0
    cli = json.loads((tmp_path / "out" / "sensitivity.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(found.document)) == cli
    swings = found.swings
    assert len(swings) == len(cli["swings"]) and swings["width"].is_monotonic_decreasing
    assert isinstance(found.break_even, pd.DataFrame)


# -- notebook display ----------------------------------------------------------------------


def test_the_plan_shows_its_headline_and_roadmap_in_a_notebook(plan: seqopt.Plan) -> None:
    html = plan._repr_html_()
    assert "Proven optimal" in html and "Net value" in html
    assert html.count("<svg") == 1 and 'aria-label="Roadmap' in html
    assert "GSOMIA" in html  # a row label of the roadmap
    assert "<?xml" not in html and "<style" not in html  # fit to sit inside a page
    again = plan._repr_html_()
    assert 'id="seqopt-roadmap-' in again and again != html  # ids never collide


def test_names_are_escaped_in_the_display(tmp_path: Path) -> None:
    path = mini(tmp_path)
    set_cell(tmp_path / "input", "measures", 2, "name", "<script>alert(1)</script>")
    plan = seqopt.load(path).solve()
    assert "<script>" not in plan._repr_html_()
    assert "&lt;script&gt;" in plan._repr_html_()
    set_cell(tmp_path / "input", "series", 2, "name", "<b>x</b>")
    assert "<b>x</b>" not in seqopt.load(path)._repr_html_()


def test_the_model_shows_its_input_and_settings(reference: seqopt.Model) -> None:
    html = reference._repr_html_()
    assert "2013Q4 to 2017Q4 (17 periods)" in html
    assert "9 measures" in html and "highs" in html
    assert repr(reference).startswith("<seqopt Model japan_rok: 9 measures")


def test_an_input_loads_with_the_default_settings_as_the_command_line_solves_it(
    tmp_path: Path,
) -> None:
    input_folder = copy_input(tmp_path)
    model = seqopt.load(input_folder)
    assert model.from_input and model.name == "input"
    assert model.output == Path("reports") / "input"
    assert model.file.solver.name.value == "auto" and model.file.objective.discount_rate == 0
    result = runner.invoke(app, ["solve", str(input_folder), "--out", str(tmp_path / "cli")])
    assert result.exit_code == Exit.OK, result.output
    written = json.loads((tmp_path / "cli" / "plan.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(model.solve().document)) == written


def test_an_engine_that_cannot_solve_the_model_is_an_input_error(tmp_path: Path) -> None:
    model = seqopt.load(mini(tmp_path))
    with pytest.raises(seqopt.InputError, match=r"settings given in Python, setting solver: .*"):
        model.solve(solver="cpsat")  # the minimal model has support gates


def test_an_output_folder_in_the_way_is_an_output_error(tmp_path: Path) -> None:
    plan = seqopt.load(mini(tmp_path)).solve()
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(seqopt.OutputError, match="is a file, not a folder"):
        plan.write(tmp_path / "taken")
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file, not a folder"
