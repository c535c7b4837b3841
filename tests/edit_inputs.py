"""Make broken copies of the test inputs: CSV cells, whole rows and columns, workbooks."""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "data" / "minimal"
JAPAN_ROK = ROOT / "inputs" / "japan_rok"
JAPAN_ROK_XLSX = ROOT / "inputs" / "japan_rok.xlsx"


def read_rows(folder: Path, sheet: str) -> list[list[str]]:
    with (folder / f"{sheet}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(folder: Path, sheet: str, rows: list[list[str]]) -> None:
    with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def copy_input(tmp_path: Path, source: Path = MINIMAL, name: str = "input") -> Path:
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def set_cell(folder: Path, sheet: str, row: int, column: str, value: str) -> None:
    """Put ``value`` into one CSV cell; ``row`` counts as a spreadsheet does (header = 1)."""
    rows = read_rows(folder, sheet)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder, sheet, rows)


def edit_rows(folder: Path, sheet: str, edit: Callable[[list[list[str]]], None]) -> None:
    rows = read_rows(folder, sheet)
    edit(rows)
    write_rows(folder, sheet, rows)


def typed(text: str) -> object:
    """A CSV cell as a workbook would hold it: blank, an int, a float or text."""
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def workbook_from_csv(
    source: Path, target: Path, edit: Callable[[Workbook], None] | None = None
) -> Path:
    """Write a CSV folder as a plain openpyxl workbook (no README), optionally edited first."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for file in sorted(source.glob("*.csv")):
        sheet = workbook.create_sheet(file.stem)
        with file.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                sheet.append([typed(v) for v in row])
    if edit is not None:
        edit(workbook)
    workbook.save(target)
    return target


def replace_in_zip(path: Path, member: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML member of a workbook (a zip file) in place."""
    original = path.read_bytes()
    source = path.with_name(path.name + ".orig")
    source.write_bytes(original)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data: Any = zin.read(item.filename)
            if item.filename == member:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    source.unlink()
