"""Convert an input between a workbook and a folder of CSV files, both ways, losslessly.

Every cell keeps its value: numbers stay numbers (written with ``repr`` in
CSV so they read back bit for bit), text stays text, blanks stay blank. Which
cells are numbers is decided by the schema, so a label such as ``007`` is not
turned into 7; in columns the schema does not know, only canonical spellings
of numbers become numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

from seqopt.atomic import atomic_folder, hold_output
from seqopt.errors import InputError, Issue, Location
from seqopt.io.tables import Cell, Table, Tables, number_from_text, read_tables, write_csv_folder
from seqopt.io.workbook import Grid, write_workbook
from seqopt.schema import SHEETS_BY_NAME, Kind


def convert(source: Path, target: Path, *, overwrite: bool = False) -> str:
    """Convert ``source`` to ``target``; the kind of each follows its name.

    A target ending in ``.xlsx`` is a workbook; anything else is a CSV folder.
    Returns the kind written (``"xlsx"`` or ``"csv"``).

    Raises
    ------
    InputError
        When the source cannot be read, or the target exists and ``overwrite`` is false.
    """
    tables = read_tables(source)
    tables.raise_for_issues()  # a cell that cannot be read cannot be carried over
    if target.exists() and not overwrite:
        rule = "already exists: choose another name, or pass --overwrite to replace it"
        raise InputError([Issue(Location(str(target)), rule)])
    if target.resolve() == source.resolve():
        raise InputError([Issue(Location(str(target)), "must differ from the source")])
    grids = tables_to_grids(tables)
    if target.suffix.lower() == ".xlsx":
        write_workbook(target, grids)
        return "xlsx"
    if target.exists():
        if not target.is_dir():
            rule = "is a file, not a folder of CSV files"
            raise InputError([Issue(Location(str(target)), rule)])
        # The new CSV files replace the old ones together; other files (notes) stay. A row
        # that did not change keeps its line as it was, so version control shows only changes.
        with hold_output(target) as held, held.replace(_not_csv) as staging:
            write_csv_folder(grids, staging, like=target)
    else:
        with atomic_folder(target) as folder:
            write_csv_folder(grids, folder)
    return "csv"


def _not_csv(path: Path) -> bool:
    return path.suffix.lower() != ".csv"


def tables_to_grids(tables: Tables) -> dict[str, Grid]:
    """Typed cell grids for every sheet, numbers as numbers and text as text."""
    return {name: _grid(table) for name, table in tables.sheets.items()}


def _grid(table: Table) -> Grid:
    sheet = SHEETS_BY_NAME.get(table.sheet)
    kinds: dict[str, Kind] = {}
    if sheet is not None:
        for column in sheet.columns:
            for header in column.headers():
                kinds[header] = column.kind
    rows = [[_typed(row.cells.get(h), kinds.get(h)) for h in table.headers] for row in table.rows]
    return table.headers, rows


def _typed(value: Cell, kind: Kind | None) -> Cell:
    if not isinstance(value, str):
        return value
    number = number_from_text(value)
    if number is None and kind in (Kind.NUMBER, Kind.INTEGER):
        # A number column may hold spellings such as "1.50": keep the value, not the spelling.
        try:
            number = float(value)
        except ValueError:
            return value  # not a number at all: left for the reader to report
        if not math.isfinite(number):
            return value  # "nan", "inf": no workbook number; left for the reader to report
        number = int(number) if kind is Kind.INTEGER and number.is_integer() else number
    if number is not None and kind is not Kind.TEXT and kind is not Kind.CHOICE:
        return number
    return value
