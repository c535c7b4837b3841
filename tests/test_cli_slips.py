"""The command line guides a user who slipped (issue 13), and seqopt check speaks JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt import __version__
from seqopt.cli import Exit, app
from seqopt.settings import ObjectiveSettings

from edit_inputs import JAPAN_ROK_XLSX, copy_input, edit_rows

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, " ".join(result.output.split())


def model(tmp_path: Path, extra: str = "", name: str = "mini") -> Path:
    copy_input(tmp_path)
    path = tmp_path / "model.toml"
    path.write_text(
        f'[model]\nname = "{name}"\ninput = "input"\noutput = "out"\n{extra}\n', encoding="utf-8"
    )
    return path


def test_version_flag() -> None:
    assert invoke("--version") == (Exit.OK, f"seqopt {__version__}")


def test_boolean_options_are_shown_as_flags() -> None:
    code, output = invoke("solve", "--help")
    assert code == Exit.OK
    assert "--report / --no-report" in output and "--quiet / --no-quiet" in output
    assert "<bool>" not in output


@pytest.mark.parametrize("kind", ["workbook", "folder"])
def test_solve_an_input_with_default_settings_and_say_so(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = JAPAN_ROK_XLSX if kind == "workbook" else copy_input(tmp_path, name="japan_rok")
    code, output = invoke("solve", source, "--quiet")
    assert code == Exit.OK, output
    assert f"{source} is an input, not a model file: solving it with the default settings" in (
        output
    )
    assert "into reports/japan_rok" in output
    assert json.loads(Path("reports/japan_rok/plan.json").read_text())["model"] == "japan_rok"


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "..", ".hidden", "x\\y", " padded"])
def test_a_model_name_is_never_a_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / "model.toml"
    copy_input(tmp_path)
    path.write_text(f'[model]\nname = "{name}"\ninput = "input"\n'.replace("\\", "\\\\"), "utf-8")
    code, output = invoke("solve", path, "--quiet")
    assert code == Exit.INPUT
    assert "setting model.name: must be a plain name" in output
    assert not (tmp_path / "reports").exists()


def test_an_option_typo_names_the_option_not_the_input(tmp_path: Path) -> None:
    code, output = invoke("explain", model(tmp_path), "--measure", "alpah", "--no-what-if")
    assert code == Exit.INPUT
    assert "Invalid value for '--measure': 'alpah' is not a measure of mini." in output
    assert "Did you mean 'alpha'?" in output
    assert "input" not in output.split("Invalid value")[1].split("Its measures")[0]


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [
        ("--measures", "10000000", "10000"),
        ("--periods", "100000", "10000"),
        ("--scopes", "50", "10"),
    ],
)
def test_generate_sizes_are_bounded(tmp_path: Path, option: str, value: str, bound: str) -> None:
    code, output = invoke("generate", tmp_path / "g", option, value)
    assert code == Exit.INPUT
    # typer words the range its own way (click's "x<=10000", or "less than or equal to 10000").
    assert f"Invalid value for '{option}':" in output and bound in output.split(option)[-1]
    assert not (tmp_path / "g").exists()


def test_a_huge_terminal_is_refused_and_the_weight_is_closed_form(tmp_path: Path) -> None:
    code, output = invoke("solve", model(tmp_path, "[objective]\nterminal = 1000000000"))
    assert code == Exit.INPUT
    assert "setting objective.terminal: must be a whole number of periods from 0 to 10,000" in (
        output
    )
    # The largest allowed terminal costs no time: a geometric series, not a loop.
    weight = ObjectiveSettings(discount_rate=0.01, terminal=10_000).terminal_weight(40)
    assert weight == pytest.approx(sum(1.01 ** -(40 + k) for k in range(10_000)))
    assert ObjectiveSettings(terminal=10_000).terminal_weight(40) == 10_000


def test_a_tiny_discount_rate_makes_no_perpetuity(tmp_path: Path) -> None:
    extra = '[objective]\ndiscount_rate = 1e-9\nterminal = "perpetuity"'
    code, output = invoke("solve", model(tmp_path, extra))
    assert code == Exit.INPUT
    assert "a perpetuity needs objective.discount_rate >= 0.0001" in output


# -- seqopt check -----------------------------------------------------------------------


def after_the_horizon(tmp_path: Path) -> tuple[Path, Path]:
    """Two periods; beta at scope full (duration 2) started in P2 signs after the last one."""
    path = model(tmp_path)
    folder = tmp_path / "input"
    edit_rows(folder, "periods", lambda rows: rows.__delitem__(slice(3, None)))
    edit_rows(folder, "baseline", lambda rows: rows.__delitem__(slice(2, None)))
    edit_rows(folder, "scopes", lambda rows: rows[3].__setitem__(10, ""))
    plan = tmp_path / "plan.csv"
    plan.write_text("kind,id,scope,period\nmeasure,beta,full,P2\n", encoding="utf-8")
    return plan, path


def test_check_a_signing_after_the_last_period_names_the_window_rule(tmp_path: Path) -> None:
    plan, path = after_the_horizon(tmp_path)
    code, output = invoke("check", plan, "--model", path)
    assert code == Exit.INFEASIBLE, output
    assert "after horizon" in output
    assert "[window] Beta (Full) would be signed in period 2, after its latest finish P2" in output


def test_check_json_gives_the_value_each_rule_with_its_tag_and_the_figures(
    tmp_path: Path,
) -> None:
    plan, path = after_the_horizon(tmp_path)
    result = runner.invoke(app, ["check", str(plan), "--model", str(path), "--json"])
    assert result.exit_code == Exit.INFEASIBLE
    document = json.loads(result.stdout)
    assert document["schema"] == "seqopt.check/1"
    assert document["feasible"] is False
    rules = {v["rule"] for v in document["violations"]}
    assert "window" in rules and "requires" in rules
    window = next(v for v in document["violations"] if v["rule"] == "window")
    assert window["subject"] == "beta" and window["amount"] == 1.0 and window["detail"] == ["full"]
    assert document["schedule"] == [
        {
            "measure": "beta",
            "scope": "full",
            "start": "P2",
            "signing": None,
            "in_force": None,
            "benefit": document["schedule"][0]["benefit"],
            "cost": document["schedule"][0]["cost"],
        }
    ]
    assert document["value"] == document["totals"]["net_value"]
    assert isinstance(document["value"], float)
    assert document["relaxations"] and all("text" in r for r in document["relaxations"])


def test_check_json_of_a_valid_plan_exits_0(tmp_path: Path) -> None:
    path = model(tmp_path)
    plan = tmp_path / "plan.csv"
    plan.write_text("kind,id,scope,period\nmeasure,alpha,,P1\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(plan), "--model", str(path), "--json"])
    assert result.exit_code == Exit.OK
    document = json.loads(result.stdout)
    assert document["feasible"] is True and document["violations"] == []
    assert document["value"] == pytest.approx(document["totals"]["benefit"] - 1.0)
