"""The cells a file holds, and nothing more: the lowest layer of reading an input.

Two readers, each of which cannot be made to fall over by what a file holds:

- **CSV** (:func:`read_csv_grid`): UTF-8 with or without a byte-order mark,
  and nothing else; a file in another encoding is reported with the byte that
  gives it away. A field longer than :mod:`csv`'s limit is reported by line.
  A cell seqopt quoted against formula injection gets its quote back off
  (:func:`seqopt.io.cells.unquote`).
- **Workbooks** (:func:`read_workbook_grids`): every sheet is read as the list
  of cells its XML holds, never as a rectangle. A stray cell at ``XFD1048576``
  costs one cell, not a grid of seventeen billion. XML is parsed by
  ``defusedxml`` (openpyxl uses it whenever it is installed), so entity
  declarations, the root of "billion laughs" and external-entity attacks, are
  refused with a plain message. Formulas that Excel never calculated (no
  saved value), error values (``#DIV/0!``) and numbers formatted as
  percentages are marked, for :mod:`seqopt.io.tables` to report.

A grid is sparse: ``cells[row][column]``, both 1-based as a spreadsheet shows them.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from seqopt.errors import Issue, Location
from seqopt.io.cells import unquote

README_SHEET = "README"
"""Name of the explanatory sheet that seqopt writes first in every workbook."""

CSV_ADVICE = (
    "Save it from Excel with 'Save As', file type 'CSV UTF-8 (Comma delimited) (*.csv)', "
    "or from another program as UTF-8 text."
)


class Mark(StrEnum):
    """Something about a workbook cell that its value alone does not say."""

    PERCENT = "percent"
    """A number shown as a percentage: Excel stores 50 % as 0.5."""
    FORMULA = "formula"
    """A formula with no saved value: Excel never calculated it (or the file was made elsewhere)."""
    ERROR = "error"
    """An Excel error value such as ``#DIV/0!``, left by a formula."""


@dataclass
class Grid:
    """The cells of one sheet (or one CSV file), as found."""

    file: str
    sheet: str
    cells: dict[int, dict[int, object]] = field(default_factory=dict)
    marks: dict[tuple[int, int], Mark] = field(default_factory=dict)
    readable: bool = True
    """False when the file could not be read at all (its problem is an issue already)."""


@dataclass
class Grids:
    """Every sheet of one input, plus the problems found while reading the files."""

    grids: list[Grid]
    issues: list[Issue]


def read_csv_grid(file: Path) -> tuple[Grid, list[Issue]]:
    """Read one CSV file into a grid; a file that is not UTF-8 CSV gives an issue instead."""
    grid = Grid(str(file), file.stem)
    where = Location(str(file))
    try:
        data = file.read_bytes()
    except OSError as exc:
        grid.readable = False
        return grid, [Issue(where, f"could not be read: {exc.strerror or exc}")]
    text, problem = _utf8(data)
    if problem is not None:
        grid.readable = False
        return grid, [Issue(where, problem, hint=CSV_ADVICE)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, values in enumerate(reader, start=1):
            row: dict[int, object] = {
                column: unquote(value.strip())
                for column, value in enumerate(values, start=1)
                if value.strip()
            }
            if row:
                grid.cells[number] = row
    except csv.Error as exc:
        grid.readable = False
        limit = csv.field_size_limit()
        rule = (
            f"line {reader.line_num}: a cell is longer than {limit:,} characters"
            if "field larger than field limit" in str(exc)
            else f"line {reader.line_num} is not valid CSV ({exc})"
        )
        return grid, [Issue(where, rule)]
    return grid, []


def _utf8(data: bytes) -> tuple[str, str | None]:
    """The text of a CSV file, or why it is not UTF-8."""
    for bom, name in ((codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            return "", f"is {name} text (Excel's 'Unicode text'); seqopt reads UTF-8 CSV only"
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        position = skip + exc.start
        line = data.count(b"\n", 0, position) + 1
        byte = data[position]
        return "", (
            f"is not UTF-8 text: byte 0x{byte:02X} at byte {position:,} (line {line}) "
            "is not UTF-8, as in a file saved as Latin-1 or Windows-1252 "
            "(Excel's plain 'CSV (Comma delimited)')"
        )


def read_csv_folder_grids(folder: Path) -> Grids:
    """Read every ``*.csv`` file of a folder, one grid per file."""
    grids: list[Grid] = []
    issues: list[Issue] = []
    for file in sorted(folder.glob("*.csv")):
        grid, found = read_csv_grid(file)
        grids.append(grid)
        issues += found
    return Grids(grids, issues)


XML_REFUSED = (
    "holds XML that seqopt refuses to read: an entity declaration (<!ENTITY …>), the way "
    "'billion laughs' and external-entity attacks on XML readers work. Excel never writes "
    "one: open the workbook in Excel and save it again, or ask where it came from"
)


def read_workbook_grids(path: Path) -> Grids:
    """Read every sheet of a workbook (but ``README``), cell by cell as stored.

    A file that is not a workbook, or that holds refused XML, gives one issue
    for the whole file and no grids.
    """
    where = Location(str(path))
    try:
        return _workbook_grids(path)
    except Exception as exc:  # openpyxl, zipfile and XML parsers raise many kinds
        if _is_refused_xml(exc):
            return Grids([], [Issue(where, XML_REFUSED)])
        if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
            return Grids([], [Issue(where, f"could not be read: {exc.strerror or exc}")])
        detail = str(exc) or type(exc).__name__
        rule = "could not be opened as an Excel workbook"
        return Grids([], [Issue(where, rule, detail)])


def _is_refused_xml(exc: BaseException) -> bool:
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return True
        if isinstance(seen, ParseError) and "entit" in str(seen):
            return True  # expat without defusedxml: "undefined entity", amplification limits
        seen = seen.__cause__ or seen.__context__
    return False


def _workbook_grids(path: Path) -> Grids:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        grids = [
            _sheet_grid(str(path), worksheet)
            for worksheet in workbook.worksheets
            if worksheet.title != README_SHEET
        ]
    finally:
        workbook.close()
    return Grids(grids, [])


def _sheet_grid(file: str, worksheet: Any) -> Grid:
    grid = Grid(file, worksheet.title)
    percent_styles: dict[int, bool] = {}
    # The source and the parser are what openpyxl's own read-only sheet uses
    # (openpyxl 3.1); iterating the sheet itself would pad every row to the
    # sheet's recorded dimensions and every gap to a full empty row.
    with worksheet._get_source() as source:
        parser = _CellParser(
            source,
            worksheet._shared_strings,
            data_only=True,
            epoch=worksheet.parent.epoch,
            date_formats=worksheet.parent._date_formats,
            timedelta_formats=worksheet.parent._timedelta_formats,
        )
        for cell in _cells(parser):
            row, column, value = cell["row"], cell["column"], cell["value"]
            kind = cell["data_type"]
            if kind == _FORMULA_WITHOUT_VALUE:
                grid.marks[(row, column)] = Mark.FORMULA
                value = "(formula)"
            elif kind == "e":
                grid.marks[(row, column)] = Mark.ERROR
            elif kind == "n" and cell["style_id"] and value is not None:
                style = cell["style_id"]
                if style not in percent_styles:
                    shown = ReadOnlyCell(worksheet, row, column, value, kind, style).number_format
                    percent_styles[style] = _is_percent_format(shown)
                if percent_styles[style]:
                    grid.marks[(row, column)] = Mark.PERCENT
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            grid.cells.setdefault(row, {})[column] = value
    return grid


_FORMULA_WITHOUT_VALUE = "formula without value"


def _cells(parser: Any) -> Iterator[dict[str, Any]]:
    for _, row in parser.parse():
        yield from row


def _is_percent_format(number_format: str) -> bool:
    """Whether Excel scales a number by 100 and shows %: an unquoted, unescaped ``%``."""
    quoted = False
    escaped = False
    for character in number_format:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == '"':
            quoted = not quoted
        elif character == "%" and not quoted:
            return True
    return False


class _CellParser(WorkSheetParser):  # type: ignore[misc]
    """openpyxl's sheet parser, telling a never-calculated formula from a blank cell."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["data_type"] = _FORMULA_WITHOUT_VALUE
        return cell
