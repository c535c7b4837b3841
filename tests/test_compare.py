"""seqopt compare: moves computed right on a hand-made pair, outputs written, bad files refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.tradeoffs.compare import compare_document, compare_plans, timeline

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _plan(
    model: str,
    periods: list[str],
    schedule: list[tuple[str, str, str, str | None]],
    left_out: list[str] = (),  # type: ignore[assignment]
    levers: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """A plan document with only what compare reads: (measure, scope, start, signed) rows."""
    return {
        "model": model,
        "description": None,
        "input": {"path": "in.xlsx", "sha256": "0"},
        "status": "optimal",
        "status_words": "proven optimal",
        "value": 10.0,
        "bound": 10.0,
        "gap": 0.0,
        "totals": {"benefit": 12.0, "cost": 2.0},
        "periods": periods,
        "schedule": [
            {
                "measure": m,
                "measure_name": m.upper(),
                "scope": s,
                "scope_name": f"scope {s}",
                "start": start,
                "signing": signed,
                "in_force": None,
                "upgrade": None,
            }
            for m, s, start, signed in schedule
        ],
        "left_out": [{"measure": m, "measure_name": m.upper()} for m in left_out],
        "lever_uses": [{"lever": k, "lever_name": k.upper(), "period": t} for k, t in levers],
    }


PERIODS = ["T1", "T2", "T3", "T4", "T5"]


def test_moves_on_a_hand_made_pair() -> None:
    before = _plan(
        "a",
        PERIODS,
        [("x", "s", "T1", "T2"), ("y", "s", "T2", "T2"), ("z", "s", "T3", "T3")],
        left_out=["w", "only_a"],
        levers=[("l", "T1")],
    )
    after = _plan(
        "b",
        PERIODS,
        [("x", "s", "T3", "T5"), ("y", "t", "T1", "T1"), ("w", "s", "T4", "T4")],
        left_out=["z", "only_b"],
        levers=[("l", "T2"), ("l", "T3")],
    )
    document = compare_document(compare_plans([before, after]))
    moves = {(m["subject"], m["kind"]): m for m in document["moves"]}
    assert moves[("x", "later")]["periods"] == 3
    assert moves[("y", "scope")]["text"] == "Y: scope t instead of scope s"
    assert moves[("y", "earlier")]["periods"] == -1
    assert ("z", "left out") in moves and ("w", "added") in moves
    assert moves[("only_a", "absent")]["text"] == "ONLY_A is not in b's input"
    assert ("only_b", "new in input") in moves
    assert moves[("l", "levers")]["periods"] == 1
    assert moves[("l", "levers")]["text"] == "L: used in T2, T3; no longer in T1"
    assert len(document["moves"]) == 8
    assert document["measures"][0]["plans"]["b"]["signed"] == "T5"


def test_same_plans_have_no_moves_and_same_names_are_told_apart() -> None:
    plan = _plan("a", PERIODS, [("x", "s", "T1", "T2")])
    document = compare_document(compare_plans([plan, plan, plan]))
    assert document["moves"] == []
    assert [m["name"] for m in document["models"]] == ["a", "a (2)", "a (3)"]


def test_moves_across_horizons_count_the_periods_between() -> None:
    early = _plan("early", ["2012Q2", "2012Q3"], [("x", "s", "2012Q2", "2012Q3")])
    late = _plan("late", ["2013Q2", "2013Q3"], [("x", "s", "2013Q2", "2013Q2")])
    inputs = ["2012Q2", "2012Q3", "2012Q4", "2013Q1", "2013Q2", "2013Q3"]
    early["input_periods"] = late["input_periods"] = inputs
    document = compare_document(compare_plans([early, late]))
    assert document["moves"][0]["periods"] == 3
    assert document["timeline"] == inputs
    # Without the input's periods, disjoint horizons are put in natural order.
    del early["input_periods"], late["input_periods"]
    order, agree = timeline([early["periods"], late["periods"]])
    assert order == ["2012Q2", "2012Q3", "2013Q2", "2013Q3"] and agree
    assert timeline([["T9", "T10"], ["T10", "T9"]])[1] is False


def test_compare_command_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            str(ROOT / "models/examples/substitutes.toml"),
            str(ROOT / "models/examples/substitutes_without.toml"),
            "--out",
            str(out),
            "--report",
        ],
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    expected = {"compare.json", "compare.md", "compare.xlsx", "report.html"}
    assert expected | {"compare_roadmap.svg", "compare_roadmap.png"} <= names
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.compare/1"
    assert [m["name"] for m in document["models"]] == ["substitutes", "substitutes_without"]
    assert all(m["status"] == "optimal" for m in document["models"])
    workbook = load_workbook(out / "compare.xlsx")
    assert workbook.sheetnames == ["models", "moves", "signings", "levers"]
    assert workbook["models"]["A2"].value == "substitutes"
    markdown = (out / "compare.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Plans compared: substitutes, substitutes_without")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "http" not in page.split("<main>")[0].replace("http-equiv", "")
    for move in document["moves"]:
        assert move["text"] in result.output.replace("\n", " ") or move["model"] in result.output


def test_compare_default_folder_beside_the_first_models_output(tmp_path: Path) -> None:
    for name in ("substitutes", "substitutes_without"):
        text = (ROOT / f"models/examples/{name}.toml").read_text(encoding="utf-8")
        text = text.replace("../../inputs", str(ROOT / "inputs")).replace(
            "../../reports/examples", str(tmp_path / "reports")
        )
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        ["compare", str(tmp_path / "substitutes.toml"), str(tmp_path / "substitutes_without.toml")],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports/compare_substitutes_substitutes_without/compare.json").is_file()


def test_bad_model_files_are_listed_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nname = "bad"\ninput = "nowhere.xlsx"\n', encoding="utf-8")
    worse = tmp_path / "worse.toml"
    shutil.copy(ROOT / "models/examples/substitutes.toml", worse)
    worse.write_text(
        worse.read_text(encoding="utf-8").replace("discount_rate = 0.02", 'discount_rate = "x"'),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(bad), str(worse), "--out", str(out)])
    assert result.exit_code == 2, result.output
    text = result.output.replace("\n", " ")
    assert "bad.toml" in text and "worse.toml" in text
    assert "Traceback" not in result.output
    assert not out.exists()


def test_one_model_file_is_not_a_comparison() -> None:
    result = runner.invoke(app, ["compare", str(ROOT / "models/examples/substitutes.toml")])
    assert result.exit_code == 2
    assert "at least two model files" in result.output


def test_the_readme_examples_run(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line.split("#")[0].split()[1:]
        for line in readme.splitlines()
        if line.startswith(("seqopt compare ", "seqopt frontier models/japan_rok.toml --cost"))
    ]
    assert len(commands) == 2
    for k, args in enumerate(commands):
        absolute = [str(ROOT / a) if a.endswith(".toml") else a for a in args]
        result = runner.invoke(app, [*absolute, "--out", str(tmp_path / str(k))])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "0" / "cost_frontier.json").is_file()
    assert (tmp_path / "1" / "compare.json").is_file()
