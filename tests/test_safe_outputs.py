"""Every file every command writes is safe to open in a spreadsheet (issue 13).

The minimal input gets formula-like text wherever a planner can type text:
names, ids, sources and period labels. Each command is run, and every
workbook and CSV file it wrote is opened: no cell may be a formula, and no
text a spreadsheet would run as one may stand unquoted (OWASP's CSV-injection
guidance: a leading ``= + - @``, tab or carriage return gets a single quote; in
a workbook, Excel's quote prefix).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.io.cells import TRIGGERS, is_number_text

from edit_inputs import copy_input, read_rows, write_rows

HOSTILE = {
    "alpha": "=alpha",
    "Alpha": '=HYPERLINK("http://example.com","click")',
    "Full": "\t=1+1",
    "Public support": "@SUM(1,1)",
    "Capital": "+cmd|' /C calc'!A0",
    "Framing": "-2+3",
    "test fixture": '=WEBSERVICE("http://example.com")',
    "P1": "+P1",
}
"""Cell text of the minimal input and what it becomes: every kind of formula trigger."""

# solve --robust writes robust.json alone, and import-psplib the generator's own ids:
# no spreadsheet of theirs carries a planner's text (generate is checked below).


def hostile_input(tmp_path: Path) -> Path:
    folder = copy_input(tmp_path)
    for file in folder.glob("*.csv"):
        rows = read_rows(folder, file.stem)
        write_rows(folder, file.stem, [[HOSTILE.get(c, c) for c in row] for row in rows])
    return folder


def model(tmp_path: Path) -> Path:
    hostile_input(tmp_path)
    path = tmp_path / "model.toml"
    path.write_text('[model]\nname = "mini"\ninput = "input"\noutput = "out"\n', "utf-8")
    return path


def invoke(*args: str | Path) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 3), (args, result.output, result.exception)


def unsafe_cells(path: Path) -> tuple[list[str], int]:
    """Cells a spreadsheet would run as formulas, and how many risky texts were neutralised."""
    unsafe, neutralised = [], 0
    if path.suffix == ".xlsx":
        workbook = load_workbook(path)
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        unsafe.append(f"{sheet.title}!{cell.coordinate} is a formula")
                    elif isinstance(cell.value, str) and _risky(cell.value):
                        if cell.quotePrefix:
                            neutralised += 1
                        else:
                            unsafe.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                for field in row:
                    if _risky(field):
                        unsafe.append(f"line {number}: {field!r}")
                    elif field.startswith("'") and _risky(field[1:]):
                        neutralised += 1
    return unsafe, neutralised


def _risky(text: str) -> bool:
    return bool(text) and text[0] in TRIGGERS and not is_number_text(text)


COMMANDS = {
    "solve": lambda m, t: [("solve", m, "--report", "--quiet")],
    "explain": lambda m, t: [("explain", m, "--no-what-if")],
    "simulate": lambda m, t: [("simulate", m, "--samples", "4", "--workers", "1")],
    "sensitivity": lambda m, t: [("sensitivity", m, "--workers", "1", "--break-even", "1")],
    "convert": lambda m, t: [
        ("convert", t / "input", t / "out" / "converted.xlsx"),
        ("convert", t / "out" / "converted.xlsx", t / "out" / "converted_csv"),
    ],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_file_a_command_writes_holds_a_live_formula(tmp_path: Path, command: str) -> None:
    path = model(tmp_path)
    for args in COMMANDS[command](path, tmp_path):
        invoke(*args)
    written = sorted(
        p for p in (tmp_path / "out").rglob("*") if p.suffix in (".xlsx", ".csv") and p.is_file()
    )
    assert written, "the command wrote no spreadsheet or CSV file"
    neutralised = 0
    for file in written:
        unsafe, count = unsafe_cells(file)
        assert not unsafe, (file.name, unsafe)
        neutralised += count
    assert neutralised > 0, "the hostile text never reached a spreadsheet: the test saw nothing"


def test_templates_and_generated_inputs_are_safe_too(tmp_path: Path) -> None:
    invoke("template", tmp_path / "out" / "t.xlsx")
    invoke("template", tmp_path / "out" / "t_csv")
    invoke("generate", tmp_path / "out" / "g", "--measures", "3", "--periods", "4")
    invoke("generate", tmp_path / "out" / "gx", "--measures", "3", "--periods", "4", "--xlsx")
    files = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".xlsx", ".csv")]
    assert len(files) > 20
    for file in files:
        assert unsafe_cells(file)[0] == [], file


def test_plan_xlsx_keeps_the_names_as_text(tmp_path: Path) -> None:
    invoke("solve", model(tmp_path), "--quiet")
    workbook = load_workbook(tmp_path / "out" / "plan.xlsx")
    names = [cell for cell in workbook["plan"]["E"] if cell.value == HOSTILE["Alpha"]]
    assert names and all(c.data_type == "s" and c.quotePrefix for c in names)
