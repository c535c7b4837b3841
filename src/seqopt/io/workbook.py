"""Write planner workbooks: a README sheet, header notes, dropdowns and number checks.

The same writer produces the blank template and the workbook half of
``seqopt convert``, so a converted workbook helps a planner as much as a
fresh template does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from seqopt.atomic import atomic_file
from seqopt.io.cells import put
from seqopt.io.tables import README_SHEET, Cell
from seqopt.schema import SHEETS, SHEETS_BY_NAME, Column, Kind, Sheet

Grid = tuple[tuple[str, ...], list[list[Cell]]]
"""Headers and rows of one sheet."""

VALIDATED_ROWS = 1000
"""Rows that carry dropdowns and number checks below the header."""

_HEADER_FILL = PatternFill("solid", fgColor="1F3864")
_COMPANION_FILL = PatternFill("solid", fgColor="8EA9DB")
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def write_workbook(path: Path, grids: Mapping[str, Grid]) -> None:
    """Write ``grids`` as a workbook at ``path`` (atomically), schema sheets first.

    A required sheet missing from ``grids`` is added empty; an optional one (a
    policy-dynamics sheet) only when ``grids`` has it, so that converting an
    input written before those sheets existed gives back the same files.
    Sheets the schema does not know are kept, after the known ones.
    """
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    present = {s.name for s in SHEETS if not s.optional or s.name in grids}
    _readme(readme, present)
    known = {
        sheet.name: grids.get(sheet.name, (sheet.headers(), []))
        for sheet in SHEETS
        if not sheet.optional or sheet.name in grids
    }
    # Dropdowns point at the columns where this workbook holds the ids, which need
    # not be the schema's order (a converted CSV file may order its columns freely).
    layout = {name: headers for name, (headers, _) in known.items()}
    for sheet in SHEETS:
        if sheet.name not in known:
            continue
        headers, rows = known[sheet.name]
        _data_sheet(workbook.create_sheet(sheet.name), headers, rows, sheet, layout)
    for name, (headers, rows) in grids.items():
        if name not in SHEETS_BY_NAME and name != README_SHEET:
            _data_sheet(workbook.create_sheet(name), headers, rows, None, layout)
    with atomic_file(path) as temporary:
        workbook.save(temporary)


def template_grids() -> dict[str, Grid]:
    """Empty sheets with every header, for ``seqopt template``."""
    return {sheet.name: (sheet.headers(), []) for sheet in SHEETS}


def _readme(worksheet: Worksheet, present: set[str]) -> None:
    worksheet.title = README_SHEET
    lines: list[tuple[str, str]] = [
        ("seqopt input workbook", ""),
        (
            "How to fill it",
            "One sheet per kind of record. Row 1 holds the headers (hover over a header for "
            "its meaning). Blank optional cells take the default named in the note. Columns "
            "ending in _low and _high give the range of an estimate; leave them blank when "
            "the number is known. A row's distribution column (triangular, uniform or pert; "
            "blank: triangular) says how seqopt simulate draws its estimates from their "
            "ranges. Every row has a source column: cite where a number comes "
            "from, or say it is an estimate and why.",
        ),
        (
            "Check it",
            "seqopt validate THIS_FILE lists every problem at once, by sheet, row and column.",
        ),
        ("", ""),
        ("Sheet", "What it holds"),
    ]
    lines += [
        (sheet.name, ("Optional (may be deleted). " if sheet.optional else "") + sheet.doc)
        for sheet in SHEETS
        if sheet.name in present
    ]
    for row, (first, second) in enumerate(lines, start=1):
        worksheet.cell(row, 1, first or None)
        worksheet.cell(row, 2, second or None)
    worksheet["A1"].font = Font(bold=True, size=14)
    for cell in ("A2", "A3", "A5", "B5"):
        worksheet[cell].font = Font(bold=True)
    worksheet.column_dimensions["A"].width = 18
    worksheet.column_dimensions["B"].width = 110
    for row in worksheet.iter_rows(min_row=2, max_row=3):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def _data_sheet(
    worksheet: Worksheet,
    headers: tuple[str, ...],
    rows: list[list[Cell]],
    sheet: Sheet | None,
    layout: Mapping[str, tuple[str, ...]],
) -> None:
    for index, header in enumerate(headers, start=1):
        put(worksheet.cell(1, index), header)
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            _put(worksheet.cell(number, index), value)
    worksheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        cell = worksheet.cell(1, index)
        cell.font = _HEADER_FONT
        column = _column_for(sheet, header)
        companion = column is not None and header != column.name
        cell.fill = _COMPANION_FILL if companion else _HEADER_FILL
        width = max(len(header) + 4, 12)
        if rows:
            width = max(width, *(len(str(r[index - 1])) + 2 for r in rows if index <= len(r)))
        worksheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
        if column is not None:
            cell.comment = Comment(_note(column, header), "seqopt", width=320, height=140)
            _validation(worksheet, index, column, header, layout)


def _put(cell: Any, value: Cell) -> None:
    """Write one value so that reading the workbook back gives exactly that value.

    Text is a string cell, never a formula (:func:`seqopt.io.cells.put`), and
    numbers keep their shortest exact spelling: openpyxl would write 16
    significant digits (0.30000000000000004 becomes 0.3, 1.0 becomes the
    integer 1); a CSV cell must survive both.
    """
    if isinstance(value, float) and not math.isfinite(value):
        value = repr(value)  # Excel has no NaN or infinity: keep the spelling as text
    put(cell, value)
    if isinstance(value, int | float):
        cell._value = repr(value)  # the number as written in the file: shortest exact spelling


def _column_for(sheet: Sheet | None, header: str) -> Column | None:
    if sheet is None:
        return None
    for column in sheet.columns:
        if header in column.headers():
            return column
    return None


def _note(column: Column, header: str) -> str:
    if header != column.name:
        side = "lowest" if header.endswith("_low") else "highest"
        return (
            f"The {side} plausible value of {column.name}. Blank: same as {column.name}. "
            f"{column.name}: {column.doc}"
        )
    parts = [column.doc]
    parts.append(
        "Required." if column.required else f"Optional; blank means {column.default or 'none'}."
    )
    if column.choices:
        parts.append(f"One of: {', '.join(column.choices)}.")
    if column.estimate:
        parts.append(f"An estimate: give its range in {column.name}_low and {column.name}_high.")
    return " ".join(parts)


def _validation(
    worksheet: Worksheet,
    index: int,
    column: Column,
    header: str,
    layout: Mapping[str, tuple[str, ...]],
) -> None:
    letter = get_column_letter(index)
    cells = f"{letter}2:{letter}{VALIDATED_ROWS + 1}"
    validation: DataValidation | None = None
    if column.kind is Kind.CHOICE:
        validation = DataValidation(
            type="list", formula1=f'"{",".join(column.choices)}"', allow_blank=not column.required
        )
        validation.error = f"Choose one of: {', '.join(column.choices)}"
    elif column.refers_to is not None:
        target_sheet, target_column = column.refers_to.split(".")
        target_headers = layout.get(target_sheet, ())
        if target_column not in target_headers:
            return  # nothing to offer: the referenced column is not in this workbook
        target_letter = get_column_letter(target_headers.index(target_column) + 1)
        last = VALIDATED_ROWS + 1
        # Stored without the leading "=" that Excel shows: the file format wants none.
        source = f"{quote_sheetname(target_sheet)}!${target_letter}$2:${target_letter}${last}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = f"Choose a value listed in sheet {target_sheet}, column {target_column}"
    elif column.kind in (Kind.NUMBER, Kind.INTEGER):
        kind = "whole" if column.kind is Kind.INTEGER else "decimal"
        low = column.minimum if column.minimum is not None else -1e12
        high = column.maximum if column.maximum is not None else 1e12
        validation = DataValidation(
            type=kind,
            operator="between",
            formula1=f"{low:g}",
            formula2=f"{high:g}",
            allow_blank=True,
        )
        validation.error = f"{header}: {column.doc}"
    if validation is None:
        return
    validation.showErrorMessage = True
    validation.errorTitle = f"Invalid {header}"
    validation.add(cells)
    worksheet.add_data_validation(validation)
