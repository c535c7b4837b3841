"""Raw tables: what a workbook or a CSV folder holds, cell by cell, before any meaning.

A table keeps the row numbers a planner sees (row 1 is the header), so that
every later message can point at the cell. Both formats read into the same
:class:`Table`; nothing here knows what a measure is.

What a table refuses, whatever the sheet (each is an issue naming the cell,
collected in :attr:`Tables.issues`; the cell is then left out):

- a header given twice in one sheet (which column would count?);
- a value in a column without a header, or beyond the last header;
- text longer than Excel's 32,767 characters, or holding invisible control
  characters (NUL, right-to-left overrides and other bidirectional controls,
  byte-order marks inside text);
- a formula without a saved value, and Excel error values (``#DIV/0!``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from seqopt.errors import InputError, Issue, Location
from seqopt.io.cells import csv_cell
from seqopt.io.grid import (
    README_SHEET,
    Grid,
    Mark,
    read_csv_folder_grids,
    read_csv_grid,
    read_workbook_grids,
)

Cell = str | int | float | None

MAX_CELL_CHARACTERS = 32_767
"""The most characters an Excel cell holds; a longer CSV cell could not become a workbook."""

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
"""Characters no cell may hold: C0/C1 controls other than tab and line breaks,
bidirectional embeddings, overrides and isolates (which reorder how the text
around them is shown, so that a name can display as something else), a
byte-order mark inside text, non-characters and lone surrogates."""

__all__ = ["README_SHEET", "Cell", "Row", "Table", "Tables", "read_tables"]


@dataclass(frozen=True)
class Row:
    """One non-empty data row: its number as the planner sees it, and its cells by header.

    A scenario file (:mod:`seqopt.io.scenario_files`) may add a row from another file
    (``file``) or set some cells of a row from elsewhere (``replaced``): messages
    about those cells then name where they were set.
    """

    number: int
    cells: Mapping[str, Cell]
    percent: frozenset[str] = frozenset()
    """Headers of cells Excel shows as a percentage (it stores 50 % as 0.5)."""
    unread: frozenset[str] = frozenset()
    """Headers of cells that could not be read; each is an issue of the tables already."""
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
    readable: bool = True
    """False when the file could not be read at all (not UTF-8, not CSV)."""

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
    issues: tuple[Issue, ...] = field(default=())
    """Cells that could not be read (see the module docstring), in sheet order."""

    def raise_for_issues(self) -> None:
        """Raise :class:`InputError` when any cell could not be read."""
        if self.issues:
            raise InputError(self.issues)


def read_tables(path: Path) -> Tables:
    """Read a workbook (``.xlsx``) or a folder of CSV files, one per sheet.

    Cells that cannot be read are issues in :attr:`Tables.issues`, not
    exceptions, so that the reader can list them with every other problem.

    Raises
    ------
    InputError
        When the path is missing, is neither kind of input, or is a file that
        cannot be opened as a workbook at all.
    """
    where = Location(str(path))
    if not path.exists():
        raise InputError([Issue(where, "input not found: no such file or folder")])
    if path.is_dir():
        grids, kind = read_csv_folder_grids(path), "csv"
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        grids, kind = read_workbook_grids(path), "xlsx"
        if not grids.grids and grids.issues:
            raise InputError(grids.issues)
    else:
        rule = "must be an Excel workbook (.xlsx) or a folder of CSV files"
        raise InputError([Issue(where, rule, path.suffix or path.name)])
    issues = list(grids.issues)
    sheets = {grid.sheet: table_from_grid(grid, issues) for grid in grids.grids}
    return Tables(str(path), sheets, kind, tuple(issues))


def read_csv_table(file: Path) -> Table:
    """Read one CSV file as a table named after the file.

    Raises
    ------
    InputError
        When the file is not UTF-8 CSV or a cell cannot be read.
    """
    grid, issues = read_csv_grid(file)
    table = table_from_grid(grid, issues)
    if issues:
        raise InputError(issues)
    return table


def table_from_grid(grid: Grid, issues: list[Issue]) -> Table:
    """Make a table from a sheet's cells, whose first row holds the headers.

    Every cell that cannot be read is appended to ``issues`` and left out.
    """
    if not grid.readable:
        return Table(grid.file, grid.sheet, (), (), readable=False)
    headers = _headers(grid, issues)
    counts = Counter(h for h in headers.values() if h)
    first_column: dict[str, int] = {}
    for column, header in sorted(headers.items()):
        first_column.setdefault(header, column)
    for column, header in sorted(headers.items()):
        if header and first_column[header] != column:
            rule = (
                f"repeats the header {header!r} of column {get_column_letter(first_column[header])}"
                ": each column header may appear once (which one should count?)"
            )
            issues.append(Issue(_at(grid, 1, column), rule))
    last = max((c for c, h in headers.items() if h), default=0)
    ordered = tuple(headers.get(c, "") for c in range(1, last + 1))
    rows = []
    for number in sorted(n for n in grid.cells if n > 1):
        cells: dict[str, Cell] = {}
        percent: set[str] = set()
        unread: set[str] = set()
        for column, value in sorted(grid.cells[number].items()):
            header = headers.get(column, "")
            if not header:
                where = "beyond the last column header" if column > last else "with no header"
                issues.append(
                    Issue(_at(grid, number, column), f"a value in a column {where}", value)
                )
                continue
            if counts[header] > 1 and first_column[header] != column:
                continue  # a repeated header: reported once, above
            cell = _cell(grid, number, column, header, value, issues)
            if cell is _UNREAD:
                unread.add(header)
                continue
            cells[header] = cell  # type: ignore[assignment]
            if grid.marks.get((number, column)) is Mark.PERCENT:
                percent.add(header)
        if unread or any(v is not None for v in cells.values()):
            rows.append(Row(number, cells, frozenset(percent), frozenset(unread)))
    return Table(grid.file, grid.sheet, ordered, tuple(rows))


_UNREAD = object()


def _headers(grid: Grid, issues: list[Issue]) -> dict[int, str]:
    headers = {}
    for column, value in sorted(grid.cells.get(1, {}).items()):
        cell = _cell(grid, 1, column, None, value, issues)
        if cell is _UNREAD or cell is None:
            continue
        headers[column] = _as_header(cell)  # type: ignore[arg-type]
    return headers


def _as_header(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _at(grid: Grid, row: int, column: int, header: str | None = None) -> Location:
    name = header if header else f"{get_column_letter(column)}"
    return Location(grid.file, grid.sheet, row, name)


def _cell(
    grid: Grid, row: int, column: int, header: str | None, value: object, issues: list[Issue]
) -> object:
    """A cell's value, or ``_UNREAD`` after reporting why it cannot be read."""
    where = _at(grid, row, column, header)
    mark = grid.marks.get((row, column))
    if mark is Mark.FORMULA:
        rule = "holds a formula with no saved value (Excel never calculated it)"
        hint = "Open the workbook in Excel and save it, or type the value instead of the formula."
        issues.append(Issue(where, rule, hint=hint))
        return _UNREAD
    if mark is Mark.ERROR:
        rule = "holds an Excel error value (a formula that failed)"
        issues.append(Issue(where, rule, value, hint="Fix the formula or type the value."))
        return _UNREAD
    cell = _clean(value)
    if isinstance(cell, str):
        problem = text_problem(cell)
        if problem is not None:
            shown = cell if len(cell) <= 60 else cell[:40] + "…"
            issues.append(Issue(where, problem, shown))
            return _UNREAD
    return cell


def text_problem(text: str) -> str | None:
    """Why a cell's text cannot be read, or ``None`` when it can."""
    if len(text) > MAX_CELL_CHARACTERS:
        return (
            f"holds {len(text):,} characters; a cell holds at most {MAX_CELL_CHARACTERS:,} "
            "(Excel's limit)"
        )
    found = _INVISIBLE.search(text)
    if found is None:
        return None
    character = found.group()
    name = unicodedata.name(character, "a control character")
    return (
        f"holds the invisible character U+{ord(character):04X} ({name}) at character "
        f"{found.start() + 1}: remove it (it can hide or reorder the text around it)"
    )


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
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
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
    tables: Mapping[str, tuple[tuple[str, ...], list[list[Cell]]]],
    folder: Path,
    *,
    like: Path | None = None,
) -> None:
    """Write one CSV file per sheet into ``folder`` (which must exist).

    Numbers are written with ``repr`` so that reading them back gives the same
    floating-point value; risky text is quoted against formula injection
    (:mod:`seqopt.io.cells`). With ``like`` (a folder of CSV files this one
    replaces), a row whose cells are unchanged keeps its line exactly as it
    was written there, quoting included, so a converted folder under version
    control shows only the rows that changed.
    """
    for sheet, (headers, rows) in tables.items():
        old = like / f"{sheet}.csv" if like is not None else None
        lines = _old_lines(old) if old is not None and old.is_file() else {}
        ending = _line_ending(old) if old is not None and old.is_file() else "\n"
        with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
            header_row: list[Cell] = list(headers)
            for row in [header_row, *rows]:
                fields = [_csv_text(v) for v in row]
                kept = lines.get(tuple(fields))
                handle.write(kept.pop() if kept else _format(fields, ending))


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(csv_cell(value))


def _format(fields: list[str], ending: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=ending).writerow(fields)
    return buffer.getvalue()


def _old_lines(file: Path) -> dict[tuple[str, ...], list[str]]:
    """Each record of a CSV file, by its fields: the exact text it was written as."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    lines = text.splitlines(keepends=True)
    ending = _line_ending(file)
    found: dict[tuple[str, ...], list[str]] = {}
    reader = csv.reader(iter(lines))
    start = 0
    try:
        for fields in reader:
            raw = "".join(lines[start : reader.line_num])
            start = reader.line_num
            found.setdefault(tuple(fields), []).insert(0, raw.rstrip("\r\n") + ending)
    except csv.Error:
        return {}
    return found


def _line_ending(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            first = handle.readline()
    except OSError:
        return "\n"
    return "\r\n" if first.endswith(b"\r\n") else "\n"
