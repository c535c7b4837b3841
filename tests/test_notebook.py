"""docs/examples/japan_rok.ipynb runs from start to end, and prints what its text says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "examples" / "japan_rok.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The notebook's code cells, run in a copy of the repository's models and inputs."""
    root = tmp_path_factory.mktemp("repository")
    for folder in ("models", "inputs"):
        shutil.copytree(ROOT / folder, root / folder)
    here = root / "docs" / "examples"
    here.mkdir(parents=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(here)}}
    ).execute()
    assert (root / "reports" / "japan_rok" / "report.html").is_file()  # the last cell wrote it
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def text(cell: dict[str, Any]) -> str:
    """Everything a cell printed or displayed, as plain text."""
    parts = []
    for output in cell["outputs"]:
        assert output["output_type"] != "error", output
        if output["output_type"] == "stream":
            parts.append(output["text"])
        else:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def html(cell: dict[str, Any]) -> str:
    return "\n".join(
        o["data"]["text/html"] for o in cell["outputs"] if "text/html" in o.get("data", {})
    )


def cell(cells: list[dict[str, Any]], starts: str) -> dict[str, Any]:
    (found,) = [c for c in cells if c["source"].startswith(starts)]
    return found


def test_the_notebook_is_saved_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_every_cell_runs_and_nothing_but_seqopt_prints(executed: list[dict[str, Any]]) -> None:
    for found in executed:
        text(found)  # no cell ends in an error
        for output in found["outputs"]:
            assert output.get("name") != "stderr", output  # no warning, no solver banner
    assert "Running HiGHS" not in "".join(text(c) for c in executed)


def test_the_model_and_the_plan_show_themselves(executed: list[dict[str, Any]]) -> None:
    model = html(cell(executed, "import seqopt"))
    assert "2013Q4 to 2017Q4 (17 periods)" in model and "9 measures (11 scopes)" in model
    plan = html(cell(executed, "plan = model.solve()"))
    assert "Proven optimal" in plan and plan.count("<svg") == 1
    assert "GSOMIA (military information)" in plan


def test_what_the_text_says_of_the_plan(executed: list[dict[str, Any]]) -> None:
    assert text(cell(executed, "print(plan.status")).strip() == "optimal 397.71 397.71 0.0"
    schedule = text(cell(executed, "plan.schedule"))
    first = schedule.splitlines()[1]
    assert first.split()[0] == "0" and "GSOMIA" in first  # GSOMIA first…
    assert "2013Q4  2013Q4" in schedule  # …started and signed in 2013Q4
    signings = re.findall(r"\b(20\d\dQ\d)\s+(20\d\dQ\d)\s+(20\d\dQ\d)\b", schedule)
    assert max(signing for _, signing, _ in signings) == "2015Q2"  # all signed by 2015Q2
    levers = text(cell(executed, "plan.lever_uses"))
    assert levers.count("2014Q1") == 2
    margins = text(cell(executed, "signed = ")).splitlines()
    assert margins[1].split()[1] == "acsa"  # the tightest signing…
    assert margins[-9].split()[-1] == "1.00"  # …with one point to spare
    resources = text(cell(executed, "plan.resources")).splitlines()
    assert [line.split()[2] for line in resources[2:4]] == ["3.0", "3.0"]  # all capital used


def test_what_the_text_says_of_the_what_ifs(executed: list[dict[str, Any]]) -> None:
    moved = text(cell(executed, "tough = "))
    assert re.search(r"gsomia\s+2013Q4\s+2014Q1", moved)  # GSOMIA waits a quarter
    assert re.search(r"acsa\s+2014Q1\s+2013Q4", moved)  # ACSA goes first…
    assert re.search(r"naval_exercises\s+2014Q2\s+2013Q4", moved)  # …with the naval exercises
    assert text(cell(executed, "round(tough_plan.value")).strip() == "-1.48"
    assert text(cell(executed, "no_acsa = ")).strip() == "-47.23"
    june = text(cell(executed, "june = "))
    assert june.startswith("False")
    assert re.search(r"support\s+acsa", june) and re.search(r"support\s+gsomia", june)
    assert re.search(r"capacity\s+capital", june)
    error = text(cell(executed, "try:"))
    assert "base must lie between low (50) and high (62), got 70." in error


def test_what_the_text_says_under_uncertainty(executed: list[dict[str, Any]]) -> None:
    lines = [
        line for line in text(cell(executed, 'print(f"{plan.reliability')).splitlines() if line
    ]
    assert lines[:2] == ["0.4%", "0.9"]  # 0.4 % of scenarios; breaks in 9 of 10
    core = [float(line.split()[2]) for line in lines[3:]]
    assert len(core) == 9 and min(core) >= 0.9  # the same measures in nearly all scenarios
    assert text(cell(executed, "safer = ")).strip() == "(6.25, '4.1%')"  # ten times as many
    written = text(cell(executed, "[path.name"))
    assert written.strip() == "['plan.json', 'plan.xlsx', 'summary.md', 'report.html']"
