"""Scenario files: extends, force, cell overrides, overlays and horizons, checked like input."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt.cli import Exit, app
from seqopt.data import CauseKind, Effect, Estimate, Event, Force, Problem
from seqopt.errors import InputError
from seqopt.horizon import within
from seqopt.io.reader import read_problem
from seqopt.io.scenario_files import load_problem
from seqopt.report.tables import inputs_table
from seqopt.settings import read_model_file

from builders import measure, problem, renewable, scope, series

MINIMAL = (Path(__file__).parent / "data" / "minimal").resolve()
runner = CliRunner()

BASE = f"""
[model]
name = "base"
input = "{MINIMAL.as_posix()}"
output = "out/base"

[objective]
discount_rate = 0.02
terminal = 4

[solver]
name = "highs"
time_limit = 30
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def child(folder: Path, text: str, name: str = "child.toml") -> Path:
    """A scenario file extending ``base.toml`` in ``folder``."""
    write(folder, "base.toml", BASE)
    return write(folder, name, 'extends = "base.toml"\n' + text)


def messages(path: Path) -> list[str]:
    """The messages of a scenario that must be rejected (reading it or its problem)."""
    with pytest.raises(InputError) as caught:
        load_problem(read_model_file(path))
    return [str(issue) for issue in caught.value.issues]


def gate(found: Problem, measure_id: str, scope_id: str) -> float:
    return found.scope(measure_id, scope_id).gates[0].threshold.base


def test_a_scenario_inherits_settings_and_keeps_its_own_name_and_output(tmp_path: Path) -> None:
    path = child(tmp_path, '[model]\nname = "child"\n\n[solver]\ntime_limit = 5\n')
    model = read_model_file(path)
    assert model.input == MINIMAL
    assert model.name == "child" and model.output == Path("reports") / "child"
    assert model.objective.discount_rate == 0.02 and model.objective.terminal == 4
    assert model.solver.time_limit == 5 and model.solver.name.value == "highs"
    assert model.scenario.files == (tmp_path / "base.toml", path)
    assert load_problem(model) == read_problem(MINIMAL).renamed("child")


def test_overrides_force_and_blank_keys_change_the_named_cells_only(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "[force]\nalpha = 'IN'\n\n[overrides]\n"
        '"gates.beta.full.public.threshold" = 58\n'
        '"gates.alpha.*.public.threshold" = 45\n'
        'effects.lever.framing."*".public.amount = 2.5\n',  # dotted: TOML nests it
    )
    found = load_problem(read_model_file(path))
    assert found.measure_by_id["alpha"].force is Force.IN
    assert found.measure_by_id["beta"].force is Force.FREE
    assert gate(found, "beta", "full") == 58
    assert gate(found, "alpha", "only") == 45
    framing = next(e for e in found.effects if e.cause == "framing")
    assert framing.amount == Estimate(2.5, 1, 4)
    assert not found.scope("beta", "narrow").gates  # untouched


def test_a_scenario_extending_a_scenario_replaces_the_same_cell_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    child(
        tmp_path,
        '[overrides]\n"gates.beta.full.public.threshold" = 58\n"levers.framing.max_uses" = 1\n',
    )
    grandchild = write(
        tmp_path,
        "grandchild.toml",
        'extends = "child.toml"\n[overrides]\n"gates.beta.full.public.threshold" = 51\n',
    )
    found = load_problem(read_model_file(grandchild))
    assert gate(found, "beta", "full") == 51
    assert found.lever_by_id["framing"].max_uses == 1


def test_bad_overrides_are_cell_errors_naming_the_scenario_file(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "[overrides]\n"
        '"gate.beta.full.public.threshold" = 58\n'
        '"gates.beta.full.public.treshold" = 58\n'
        '"gates.beta.wide.public.threshold" = 58\n'
        '"gates.beta.full.public.measure" = "x"\n'
        '"gates.beta.full.public.threshold" = 170\n'
        '"scopes.alpha.only.latest_finish" = "P9"\n',
    )
    where = f"{path}, setting overrides."
    # Every problem at once: those of naming, then those of the cells' values.
    assert messages(path) == [
        f"{where}gate.beta.full.public.threshold: must name a cell as sheet.key.column, starting "
        "with a sheet of the input format, got 'gate.beta.full.public.threshold'. "
        "Did you mean 'gates'?",
        f"{where}gates.beta.full.public.treshold: must end with a column of sheet gates, "
        "got 'treshold'. Did you mean 'threshold'?",
        f"{where}gates.beta.wide.public.threshold: names no row of sheet gates (rows are named "
        "measure.scope.series, blank as *), got 'beta.wide.public'. Did you mean "
        "'beta.full.public'?",
        f"{where}gates.beta.full.public.measure: cannot change a key column (the row's id): add "
        "a row with an overlay instead, got 'measure'.",
        f"{where}scopes.alpha.only.latest_finish: must be a period listed in sheet periods, "
        "got 'P9'.",
        f"{where}gates.beta.full.public.threshold: must be a number from 0 to 100, got 170.",
    ]


def test_bad_force_values_and_extends_are_reported(tmp_path: Path) -> None:
    path = child(tmp_path, "[force]\nalpha = 'maybe'\nbeta = 1\n")
    assert messages(path) == [
        f"{path}, setting force.alpha: must be 'in', 'out' or 'free', got 'maybe'.",
        f"{path}, setting force.beta: must be 'in', 'out' or 'free', got 1.",
    ]
    path = child(tmp_path, "[force]\ngamma = 'out'\n")
    assert messages(path) == [
        f"{path}, setting force.gamma: names no row of sheet measures (rows are named measure, "
        "blank as *), got 'gamma'."
    ]
    missing = write(tmp_path, "orphan.toml", 'extends = "nowhere.toml"\n')
    assert messages(missing) == [
        f"{missing}, setting extends: model file not found: {tmp_path / 'nowhere.toml'} (paths "
        "are relative to the model file), got 'nowhere.toml'."
    ]
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    loop = write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    assert messages(loop) == [
        f"{tmp_path / 'a.toml'}, setting extends: extends a model file that extends this one "
        "(a cycle), got 'b.toml'."
    ]


def test_a_setting_broken_in_the_extended_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", BASE.replace("discount_rate = 0.02", "discount_rate = 2"))
    path = write(tmp_path, "child.toml", 'extends = "base.toml"\n')
    assert messages(path) == [
        f"{tmp_path / 'base.toml'}, setting objective.discount_rate: must be a number from 0 to "
        "below 1, got 2."
    ]


def overlay(folder: Path, files: dict[str, str]) -> Path:
    target = folder / "overlay"
    target.mkdir()
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
    return target


def test_an_overlay_replaces_rows_by_key_and_adds_new_ones(tmp_path: Path) -> None:
    overlay(
        tmp_path,
        {
            "baseline.csv": "series,period,value,source\npublic,P2,60,a poll\n",
            "gates.csv": "measure,scope,series,threshold\nbeta,full,public,53\n",
        },
    )
    path = child(tmp_path, '[model]\noverlay = "overlay"\n')
    found = load_problem(read_model_file(path))
    assert [v.base for v in found.series_by_id["public"].baseline] == [50, 60, 52, 52]
    full = found.scope("beta", "full").gates[0]
    assert full.threshold == Estimate(53, 50, 60)  # the range stays the input's
    assert full.source == "test fixture"


def test_overlay_errors_name_the_overlay_file_row_and_column(tmp_path: Path) -> None:
    folder = overlay(
        tmp_path,
        {
            "baseline.csv": "series,period,value\npublic,P2,160\n",
            "gates.csv": "measure,scope,series,threshold\nbeta,full,public,-1\n",
            "notes.csv": "a\n1\n",
            "levers.csv": "lever,max_use\nframing,1\n",
        },
    )
    path = child(tmp_path, '[model]\noverlay = "overlay"\n')
    found = messages(path)
    assert found[:2] == [
        f"{folder / 'levers.csv'}, sheet levers, row 1, column max_use: is not a column of sheet "
        "levers, got 'max_use'. Did you mean 'max_uses'?",
        f"{folder / 'notes.csv'}, sheet notes: is not a sheet of the input format, got 'notes'. "
        "Did you mean 'gates'?",
    ]
    path = child(tmp_path, '[model]\noverlay = "overlay"\n')
    for name in ("notes.csv", "levers.csv"):
        (folder / name).unlink()
    assert messages(path) == [
        f"{folder / 'baseline.csv'}, sheet baseline, row 2, column value: must be a number from "
        "0 to 100, got '160'.",
        f"{folder / 'gates.csv'}, sheet gates, row 2, column threshold: must be a number from 0 "
        "to 100, got '-1'.",
    ]


def test_unreadable_cells_of_the_input_and_of_an_overlay_are_both_reported(
    tmp_path: Path,
) -> None:
    # The reader lists cells it could not read (here a NUL and a bidirectional
    # override) with every other problem; merging in a scenario must not drop them.
    folder = overlay(
        tmp_path, {"baseline.csv": "series,period,value,source\npublic,P2,60,a\u202epoll\n"}
    )
    text = BASE.replace(MINIMAL.as_posix(), "input")
    shutil.copytree(MINIMAL, tmp_path / "input")
    measures = tmp_path / "input" / "measures.csv"
    lines = measures.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[1] = "Al\x00pha"
    lines[1] = ",".join(cells)
    measures.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write(tmp_path, "base.toml", text)
    path = write(tmp_path, "child.toml", 'extends = "base.toml"\n[model]\noverlay = "overlay"\n')
    found = messages(path)
    assert any(
        "measures.csv, sheet measures, row 2, column name" in m and "U+0000" in m for m in found
    )
    assert any(str(folder / "baseline.csv") in m and "U+202E" in m for m in found)


def test_a_horizon_keeps_part_of_the_periods_and_renumbers_them(tmp_path: Path) -> None:
    path = child(tmp_path, '[model]\nhorizon = { first = "P2", last = "P3" }\n')
    model = read_model_file(path)
    found = load_problem(model)
    assert found.periods == ("P2", "P3")
    assert [v.base for v in found.series_by_id["public"].baseline] == [50, 52]
    assert found.resource_by_id["capital"].overrides == {0: Estimate.exact(1)}
    full = found.scope("beta", "full")
    assert (full.earliest_start, full.latest_finish) == (0, 1)
    assert found.lever_by_id["framing"].latest == 1


def test_a_horizon_leaving_no_window_is_an_error_unless_the_measure_is_out(
    tmp_path: Path,
) -> None:
    text = (
        '[model]\nhorizon = { first = "P3" }\n\n'
        '[overrides]\n"scopes.alpha.only.latest_finish" = "P2"\n'
    )
    path = child(tmp_path, text)
    found = messages(path)
    assert len(found) == 1
    assert "window must" in found[0]
    assert found[0].endswith(f"(within the horizon P3 to P4 set by {path}, setting model.horizon)")
    path = child(tmp_path, text + "\n[force]\nalpha = 'out'\nbeta = 'out'\n")
    assert load_problem(read_model_file(path)).periods == ("P3", "P4")


def test_a_horizon_naming_an_unknown_period_says_which(tmp_path: Path) -> None:
    path = child(tmp_path, '[model]\nhorizon = { first = "P2", last = "Q4" }\n')
    assert messages(path) == [
        f"{path}, setting model.horizon.last: must be a period listed in sheet periods of the "
        "input, got 'Q4'."
    ]
    path = child(tmp_path, '[model]\nhorizon = ["P2", "P3"]\n')
    assert "must be a table" in messages(path)[0]


def test_within_drops_events_and_capacity_outside_the_horizon() -> None:
    base = problem(
        6,
        measure("a", scope("s", 1.0, 1, horizon=6)),
        resources=[renewable("team", 1, t0=0, t4=2)],
        series=[series("pub", 50, 51, 52, 53, 54, 55)],
    )
    events = (
        Event("early", "Early", periods=(0,)),
        Event("both", "Both", periods=(1, 3)),
        Event("chance", "Chance", probability=Estimate.exact(0.1), earliest=4),
        Event("gone", "Gone", probability=Estimate.exact(0.1), latest=1),
    )
    effects = tuple(Effect(CauseKind.EVENT, e.id, "pub", Estimate.exact(-1)) for e in events)
    cut = within(replace(base, events=events, effects=base.effects + effects), 2, 4)
    assert cut.periods == ("T2", "T3", "T4")
    assert [e.id for e in cut.events] == ["both", "chance"]
    assert cut.event_by_id["both"].periods == (1,)
    assert cut.event_by_id["chance"].window(cut.horizon) == range(2, 3)
    assert {e.cause for e in cut.effects if e.cause_kind is CauseKind.EVENT} == {"both", "chance"}
    assert cut.resource_by_id["team"].overrides == {2: Estimate.exact(2)}
    assert [v.base for v in cut.series_by_id["pub"].baseline] == [52, 53, 54]
    assert within(base, 0, 5) is base


def test_the_plan_file_records_the_scenario(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        '[model]\nname = "child"\noutput = "out/child"\nhorizon = { last = "P3" }\n'
        '[overrides]\n"gates.beta.full.public.threshold" = 51\n',
    )
    result = runner.invoke(app, ["solve", str(path), "--quiet"])
    assert result.exit_code == Exit.OK, result.output
    document = json.loads((tmp_path / "out" / "child" / "plan.json").read_text(encoding="utf-8"))
    scenario = document["scenario"]
    assert [Path(f["path"]).name for f in scenario["files"]] == ["base.toml", "child.toml"]
    assert scenario["overrides"] == {"gates.beta.full.public.threshold": 51}
    assert scenario["horizon"] == {"first": None, "last": "P3"}
    assert document["periods"] == ["P1", "P2", "P3"]
    shown = {row[0]: row[1] for row in inputs_table(document).rows}
    assert shown["Horizon"] == "the first period to P3 of the input's periods"
    assert shown["Override"] == "gates.beta.full.public.threshold = 51"
    assert shown["Model files"].endswith("base.toml") and " extends " in shown["Model files"]


def test_the_cli_reports_scenario_errors_with_exit_code_2(tmp_path: Path) -> None:
    path = child(tmp_path, '[overrides]\n"gates.beta.full.public.threshold" = "high"\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == Exit.INPUT
    assert "setting overrides.gates.beta.full.public.threshold: must be a number" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output


def test_a_workbook_input_takes_overrides_as_a_csv_folder_does(tmp_path: Path) -> None:
    workbook = tmp_path / "minimal.xlsx"
    assert runner.invoke(app, ["convert", str(MINIMAL), str(workbook)]).exit_code == 0
    shutil.copy(workbook, tmp_path / "copy.xlsx")
    write(tmp_path, "base.toml", BASE.replace(MINIMAL.as_posix(), "copy.xlsx"))
    path = write(
        tmp_path,
        "child.toml",
        'extends = "base.toml"\n[overrides]\n"gates.beta.full.public.threshold" = 57\n',
    )
    assert gate(load_problem(read_model_file(path)), "beta", "full") == 57


def test_the_readme_scenario_example_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n\s*(extends = .*?)```", readme, re.S)
    example = "\n".join(line.strip() for line in example.splitlines())  # indented in a list
    reference = (Path(__file__).resolve().parents[1] / "models" / "japan_rok.toml").as_posix()
    path = write(tmp_path, "what_if.toml", example.replace('"japan_rok.toml"', f'"{reference}"'))
    model = read_model_file(path)
    found = load_problem(model)
    assert found.measure_by_id["acsa"].force is Force.OUT
    assert gate(found, "gsomia", "full") == 61
    assert model.name == "what_if" and found.periods[0] == "2013Q4"
