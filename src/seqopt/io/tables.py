"""Raw tables: what a workbook or a CSV folder holds, cell by cell, before any meaning.

A table keeps the row numbers a planner sees (row 1 is the header), so that
every later message can point at the cell. Both formats read into the same
:class:`Table`; nothing here knows what a measure is.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seqopt.errors import InputError, Issue, Location

Cell = str | int | float | None

README_SHEET = "README"
"""Name of the explanatory sheet that seqopt writes first in every workbook."""


@dataclass(frozen=True)
class Row:
    """One non-empty data row: its number as the planner sees it, and its cells by header.

    A scenario file (:mod:`seqopt.io.scenario_files`) may add a row from another file
    (``file``) or set some cells of a row from elsewhere (``replaced``): messages
    about those cells then name where they were set.
    """

    number: int
    cells: Mapping[str, Cell]
    file: str | None = None
    """The file the row comes from, when it is not its table's."""
    replaced: Mapping[str, Location] = field(default_factory=dict)
    """Cells set elsewhere than the row's file, by header: where they were set."""

    def location(self, table: Table, column: str | None = None) -> Location:
        """Where a cell of this row (or the whole row) was written."""
        if column is not None and column in self.replaced:
            return self.replaced[column]
        return Location(self.file or table.file, table.sheet, self.number, column)


@dataclass(frozen=True)
class Table:
    """One sheet of an input."""

    file: str
    sheet: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]

    def location(self, row: int | None = None, column: str | None = None) -> Location:
        """Return the location of a cell, a row or the whole sheet."""
        return Location(self.file, self.sheet, row, column)


@dataclass(frozen=True)
class Tables:
    """All sheets of one input, by sheet name, plus what the input is called."""

    source: str
    sheets: Mapping[str, Table]
    kind: str
    """``"xlsx"`` for a workbook, ``"csv"`` for a folder of CSV files."""


def read_tables(path: Path) -> Tables:
    """Read a workbook (``.xlsx``) or a folder of CSV files, one per sheet.

    Raises
    ------
    InputError
        When the path is missing or is neither kind of input.
    """
    where = Location(str(path))
    if not path.exists():
        raise InputError([Issue(where, "input not found: no such file or folder")])
    if path.is_dir():
        return _read_csv_folder(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_workbook(path)
    raise InputError(
        [
            Issue(
                where,
                "must be an Excel workbook (.xlsx) or a folder of CSV files",
                path.suffix or path.name,
            )
        ]
    )


def _read_workbook(path: Path) -> Tables:
    from openpyxl import load_workbook  # imported here: slow, and only needed for workbooks

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(
            [Issue(Location(str(path)), "could not be opened as an Excel workbook", str(exc))]
        ) from None
    sheets: dict[str, Table] = {}
    try:
        for worksheet in workbook.worksheets:
            if worksheet.title == README_SHEET:
                continue
            grid = [list(values) for values in worksheet.iter_rows(values_only=True)]
            sheets[worksheet.title] = table_from_grid(str(path), worksheet.title, grid)
    finally:
        workbook.close()
    return Tables(str(path), sheets, "xlsx")


def _read_csv_folder(path: Path) -> Tables:
    sheets: dict[str, Table] = {}
    for file in sorted(path.glob("*.csv")):
        sheets[file.stem] = read_csv_table(file)
    return Tables(str(path), sheets, "csv")


def read_csv_table(file: Path) -> Table:
    """Read one CSV file as a table named after the file."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        grid: list[list[object]] = [list(line) for line in csv.reader(handle)]
    return table_from_grid(str(file), file.stem, grid)


def table_from_grid(file: str, sheet: str, grid: list[list[object]]) -> Table:
    """Make a table from a grid of cells whose first row holds the headers."""
    if not grid:
        return Table(file, sheet, (), ())
    header_cells = [_clean(value) for value in grid[0]]
    headers = [str(h).strip() if h is not None else "" for h in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    rows = []
    for offset, values in enumerate(grid[1:], start=2):
        cells = {
            header: _clean(values[i]) if i < len(values) else None
            for i, header in enumerate(headers)
            if header
        }
        if any(value is not None for value in cells.values()):
            rows.append(Row(offset, cells))
    return Table(file, sheet, tuple(headers), tuple(rows))


def _clean(value: object) -> Cell:
    """Turn a cell into text, a number or ``None`` (blank)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]*)")


def number_from_text(text: str) -> int | float | None:
    """Return the number a CSV cell spells, or ``None`` when it is not a number.

    Only canonical spellings count (``"7"``, ``"0.25"``, ``"1e-06"``), so that a
    label such as ``"007"`` stays text when a CSV folder becomes a workbook.
    """
    if _CANONICAL_INT.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number if repr(number) == text or str(number) == text else None


def write_csv_folder(
    tables: Mapping[str, tuple[tuple[str, ...], list[list[Cell]]]], folder: Path
) -> None:
    """Write one CSV file per sheet into ``folder`` (which must exist).

    Numbers are written with ``repr`` so that reading them back gives the same
    floating-point value.
    """
    for sheet, (headers, rows) in tables.items():
        with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(headers)
            for row in rows:
                writer.writerow(
                    ["" if v is None else repr(v) if isinstance(v, float) else v for v in row]
                )
