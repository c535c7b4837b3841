"""Every command through the CLI, with its exit codes."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import seqopt.api.cases
import seqopt.outputs
from seqopt import __version__
from seqopt.cli import Exit, app
from seqopt.solve import PlanRejected, SolveResult, Status

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def model(
    tmp_path: Path, *, solver: str = "", extra: str = "", source: Path = DATA / "minimal"
) -> Path:
    shutil.copytree(source, tmp_path / "input")
    path = tmp_path / "model.toml"
    path.write_text(
        f'[model]\nname = "mini"\ninput = "input"\noutput = "out"\n\n[solver]\n{solver}\n{extra}',
        encoding="utf-8",
    )
    return path


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_solve_writes_the_three_outputs_and_exits_0(tmp_path: Path) -> None:
    path = model(tmp_path)
    before = digest(tmp_path / "input")
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == Exit.OK, result.output
    assert "proven optimal" in result.output
    assert "Alpha" in result.output and "Beta" in result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["plan.json", "plan.xlsx", "summary.md"]
    document = json.loads((out / "plan.json").read_text())
    assert document["status"] == "optimal"
    assert document["schema"] == "seqopt.plan/1"
    assert {s["measure"] for s in document["schedule"]} == {"alpha", "beta"}
    assert document["totals"]["net_value"] == pytest.approx(document["value"])
    assert "## What is done when" in (out / "summary.md").read_text()
    assert digest(tmp_path / "input") == before  # inputs are never modified


def test_solve_twice_gives_identical_outputs(tmp_path: Path) -> None:
    path = model(tmp_path)
    runner.invoke(app, ["solve", str(path), "--quiet"])
    first = {n: (tmp_path / "out" / n).read_bytes() for n in ("plan.json", "summary.md")}
    runner.invoke(app, ["solve", str(path), "--quiet"])
    second = {n: (tmp_path / "out" / n).read_bytes() for n in ("plan.json", "summary.md")}
    assert first == second


def test_solve_with_cbc_and_overrides(tmp_path: Path) -> None:
    path = model(tmp_path)
    result = runner.invoke(
        app,
        [
            "solve",
            str(path),
            "--solver",
            "cbc",
            "--time-limit",
            "30",
            "--gap",
            "0",
            "--out",
            str(tmp_path / "o2"),
        ],
    )
    assert result.exit_code == Exit.OK, result.output
    document = json.loads((tmp_path / "o2" / "plan.json").read_text())
    assert document["solver"]["name"] == "cbc"
    assert document["solver"]["time_limit"] == 30
    assert document["solver"]["gap_requested"] == 0


def test_solve_forced_measure_support_never_allows_exits_4(tmp_path: Path) -> None:
    path = model(tmp_path)
    measures = tmp_path / "input" / "measures.csv"
    measures.write_text(measures.read_text().replace("alpha,Alpha,free", "alpha,Alpha,in"))
    gates = tmp_path / "input" / "gates.csv"
    gates.write_text(gates.read_text().replace("alpha,,public,50", "alpha,,public,95"))
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == Exit.INFEASIBLE, result.output
    assert "infeasible" in result.output
    assert "Alpha must be done" in result.output
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["status"] == "infeasible"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.FEASIBLE, Exit.GAP),
        (Status.INFEASIBLE, Exit.INFEASIBLE),
        (Status.NO_SOLUTION, Exit.NO_SOLUTION),
        (Status.UNBOUNDED, Exit.SOLVER),
        (Status.ERROR, Exit.SOLVER),
    ],
)
def test_every_status_has_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: Status, code: Exit
) -> None:
    real = seqopt.api.cases.solve

    def fake(*args: object, **kwargs: object) -> SolveResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        if status.has_plan:
            return dataclasses.replace(result, status=status, gap=0.05)
        return dataclasses.replace(
            result, status=status, evaluation=None, objective=None, bound=None, gap=None
        )

    monkeypatch.setattr(seqopt.api.cases, "solve", fake)
    result = runner.invoke(app, ["solve", str(model(tmp_path))])
    assert result.exit_code == code, result.output
    document = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert document["status"] == status.value
    assert ("schedule" in document) == status.has_plan


def test_a_plan_failing_the_independent_check_exits_7_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> SolveResult:
        raise PlanRejected("the solver's plan breaks rules the evaluator checks: test")

    monkeypatch.setattr(seqopt.api.cases, "solve", broken)
    result = runner.invoke(app, ["solve", str(model(tmp_path))])
    assert result.exit_code == Exit.INTERNAL
    assert "Internal error" in result.stderr
    assert not (tmp_path / "out").exists()


def test_outputs_are_replaced_only_when_all_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model(tmp_path)
    runner.invoke(app, ["solve", str(path), "--quiet"])
    before = digest(tmp_path / "out")

    def fail(document: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(seqopt.outputs, "summary_markdown", fail)
    result = runner.invoke(app, ["solve", str(path), "--quiet", "--gap", "0.5"])
    assert result.exit_code != 0
    assert digest(tmp_path / "out") == before  # old set intact, no temporary files left


def test_validate_a_good_input_and_a_model_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(DATA / "minimal")])
    assert result.exit_code == 0
    assert "valid. 2 measures (3 scopes), 4 periods" in result.output
    result = runner.invoke(app, ["validate", str(model(tmp_path))])
    assert result.exit_code == 0


def test_template_and_convert_exit_0(tmp_path: Path) -> None:
    assert runner.invoke(app, ["template", str(tmp_path / "t.xlsx")]).exit_code == 0
    assert runner.invoke(app, ["template", str(tmp_path / "t_csv")]).exit_code == 0
    assert runner.invoke(app, ["template", str(tmp_path / "t_csv"), "--overwrite"]).exit_code == 0
    assert (
        runner.invoke(app, ["convert", str(DATA / "minimal"), str(tmp_path / "m.xlsx")]).exit_code
        == 0
    )
    assert (
        runner.invoke(app, ["convert", str(DATA / "minimal"), str(tmp_path / "m.xlsx")]).exit_code
        == 2
    )


def write_plan(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "id", "scope", "period"])
        writer.writerows(rows)
    return path


def test_check_a_feasible_hand_made_plan(tmp_path: Path) -> None:
    path = model(tmp_path)
    plan = write_plan(
        tmp_path / "roadmap.csv",
        [["measure", "alpha", "", "P1"], ["measure", "beta", "narrow", "P3"]],
    )
    result = runner.invoke(app, ["check", str(plan), "--model", str(path)])
    assert result.exit_code == Exit.OK, result.output
    assert "breaks no rule" in result.output
    assert "Net value" in result.output


def test_check_lists_every_broken_rule_and_exits_4(tmp_path: Path) -> None:
    path = model(tmp_path)
    plan = write_plan(
        tmp_path / "roadmap.csv",
        [
            ["measure", "beta", "full", "P1"],
            ["measure", "alpha", "", "P2"],
            ["lever", "framing", "", "P4"],
        ],
    )
    result = runner.invoke(app, ["check", str(plan), "--model", str(path)])
    assert result.exit_code == Exit.INFEASIBLE, result.output
    # beta needs alpha in force first; beta full needs 55 at signing (P2: 52 + nothing).
    assert "[requires] Beta starts in P1 but requires Alpha in force first" in result.output
    assert (
        "[support] Beta (Full) is signed in P2 when Public support is 50.0, below its threshold 55"
        in result.output
    )


def test_check_rejects_unknown_ids_with_exit_2(tmp_path: Path) -> None:
    path = model(tmp_path)
    plan = write_plan(
        tmp_path / "roadmap.csv", [["measure", "gamma", "", "P1"], ["measure", "beta", "", "P9"]]
    )
    result = runner.invoke(app, ["check", str(plan), "--model", str(path)])
    assert result.exit_code == Exit.INPUT
    assert "row 2, column id: must name a measure of the model, got 'gamma'" in result.stderr
    assert (
        "row 3, column period: must be a period listed in the model's periods, got 'P9'"
        in result.stderr
    )
    assert (
        "row 3, column scope: must name a scope of measure 'beta' (narrow, full)" in result.stderr
    )


@pytest.mark.parametrize("name", ["plan.json", "plan.xlsx"])
def test_check_accepts_the_outputs_of_solve(tmp_path: Path, name: str) -> None:
    path = model(tmp_path)
    assert runner.invoke(app, ["solve", str(path), "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["check", str(tmp_path / "out" / name), "--model", str(path)])
    assert result.exit_code == Exit.OK, result.output
    value = json.loads((tmp_path / "out" / "plan.json").read_text())["value"]
    assert f"Net value {value:,.2f}" in result.output


def test_a_planner_can_edit_plan_xlsx_and_check_it(tmp_path: Path) -> None:
    path = model(tmp_path)
    runner.invoke(app, ["solve", str(path), "--quiet"])
    book = load_workbook(tmp_path / "out" / "plan.xlsx")
    sheet = book["plan"]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "beta":
            row[3].value = "P1"  # too early: alpha is not yet in force
    book.save(tmp_path / "edited.xlsx")
    result = runner.invoke(app, ["check", str(tmp_path / "edited.xlsx"), "--model", str(path)])
    assert result.exit_code == Exit.INFEASIBLE
    assert "[requires]" in result.output


def test_generate_writes_a_model_that_solves(tmp_path: Path) -> None:
    target = tmp_path / "gen"
    result = runner.invoke(
        app, ["generate", str(target), "--measures", "6", "--periods", "8", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(target / "model.toml")]).exit_code == 0
    solved = runner.invoke(app, ["solve", str(target / "model.toml"), "--quiet"])
    assert solved.exit_code == 0, solved.output
    again = runner.invoke(app, ["generate", str(target)])
    assert again.exit_code == Exit.INPUT


def test_generate_is_reproducible(tmp_path: Path) -> None:
    for name in ("a", "b"):
        runner.invoke(
            app,
            ["generate", str(tmp_path / name), "--measures", "5", "--periods", "6", "--seed", "9"],
        )
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__
