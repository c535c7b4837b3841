"""Fuzzing the readers (issue 13): mutated inputs never crash seqopt and never shift a cell.

Hypothesis mutates the reference CSV folder (``inputs/japan_rok``) and the
minimal input as a workbook: columns and sheets dropped, renamed and
duplicated, cells blanked or given other types, unicode with right-to-left
overrides and NUL, huge and non-finite numbers, locale spellings, formulas,
cells beyond the header, wrong encodings and byte-order marks; in workbooks
also merged cells, hidden sheets, formulas without saved values, percentage
formats, dates and a far-away cell. Each mutated input is validated through
the command line, in-process, and read into raw tables.

Invariants:

- ``seqopt validate`` (the command function, called in-process) ends with a
  documented exit code (0 or 2), never with another exception (a traceback);
- every cell the mutations did not touch reads exactly as it does in the
  unmutated input, or is reported (never read as something else).

Runs are deterministic (``derandomize``: the same cases on every CI run, so a
failure reproduces by running the test again); ``SEQOPT_FUZZ_SEED=<n>``
explores other cases, and the seed is printed in pytest's header.
Case counts per run: CSV_CASES + XLSX_CASES (``--hypothesis-show-statistics``
prints them with their time).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from seqopt.cli import validate_command
from seqopt.io.tables import Tables, read_tables

from edit_inputs import JAPAN_ROK, MINIMAL, typed

CSV_CASES = 420
XLSX_CASES = 130

SEED = os.environ.get("SEQOPT_FUZZ_SEED")
FUZZ = settings(
    deadline=None,
    derandomize=SEED is None,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def seeded(test: Callable[..., None]) -> Callable[..., None]:
    return seed(int(SEED))(test) if SEED is not None else test


Origin = tuple[str, int, str] | None
"""Where a cell of a mutated input comes from: (sheet, row number, header), or None if changed."""


@dataclass
class Sheet:
    rows: list[list[str]]
    origin: list[list[Origin]]
    encoding: str = "utf-8"
    bom: bool = False


@dataclass
class Draft:
    """A mutated input before it is written, with the origin of every cell."""

    sheets: dict[str, Sheet]
    workbook_edits: list[Callable[[Workbook], None]] = field(default_factory=list)
    form_changes_values: set[str] = field(default_factory=set)
    """Sheets a workbook edit may change (merged cells, formulas): not compared cell by cell."""


def load(folder: Path) -> Draft:
    sheets = {}
    for file in sorted(folder.glob("*.csv")):
        with file.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        origin: list[list[Origin]] = [
            [
                (file.stem, number, header[i]) if number > 1 and i < len(header) else None
                for i in range(len(row))
            ]
            for number, row in enumerate(rows, start=1)
        ]
        sheets[file.stem] = Sheet(rows, origin)
    return Draft(sheets)


# -- values a careless or hostile planner types ------------------------------------------

SPECIAL = [
    "",
    " ",
    "=1+1",
    "'=x",
    "@SUM(A1)",
    "+1",
    "-1",
    "1,5",
    "1.000,5",
    "1,000",
    "50%",
    "1e308",
    "1e400",
    "-1e400",
    "inf",
    "nan",
    "NaN",
    "-Infinity",
    "Al\x00pha",
    "x\u202eexe.txt",
    "\u2066isolate\u2069",
    "\ufeffbom",
    "007",
    "TRUE",
    "#DIV/0!",
    "2014-01-01",
    "P1",
    "2014Q1",
    "acsa",
    "gsomia",
    "capital",
    "kr_gsomia",
    "line\nbreak",
    "tab\there",
    "한국어 · 日本語",
    "y" * 40_000,
]
characters = st.characters(codec="utf-8", exclude_categories=["Cs"])
texts = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(characters, max_size=12),
    st.text(st.sampled_from("0123456789.,-+eE% "), min_size=1, max_size=8),
)
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e12, 1e12).map(lambda x: f"{x:,.3f}"),
)
values = st.one_of(texts, numbers)


# -- mutations -------------------------------------------------------------------------


def _sheet(data: st.DataObject, draft: Draft) -> str | None:
    names = sorted(draft.sheets)
    return data.draw(st.sampled_from(names)) if names else None


def set_cell(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None:
        return
    sheet = draft.sheets[name]
    row = data.draw(st.integers(0, len(sheet.rows) - 1))
    width = max(len(sheet.rows[0]), 1)
    column = data.draw(st.integers(0, width))  # one beyond the header now and then
    cells, origin = sheet.rows[row], sheet.origin[row]
    while len(cells) <= column:
        cells.append("")
        origin.append(None)
    cells[column] = data.draw(values)
    origin[column] = None


def blank_row(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None or len(draft.sheets[name].rows) < 2:
        return
    sheet = draft.sheets[name]
    row = data.draw(st.integers(1, len(sheet.rows) - 1))
    sheet.rows[row] = ["" for _ in sheet.rows[row]]
    sheet.origin[row] = [None for _ in sheet.rows[row]]


def drop_column(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None or not draft.sheets[name].rows[0]:
        return
    sheet = draft.sheets[name]
    column = data.draw(st.integers(0, len(sheet.rows[0]) - 1))
    for cells, origin in zip(sheet.rows, sheet.origin, strict=True):
        if column < len(cells):
            del cells[column]
            del origin[column]


def rename_column(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None or not draft.sheets[name].rows[0]:
        return
    sheet = draft.sheets[name]
    column = data.draw(st.integers(0, len(sheet.rows[0]) - 1))
    old = sheet.rows[0][column]
    typo = old[:-1] + old[-1:] * 2 if old else "x"
    new = data.draw(st.sampled_from([typo, old.upper(), f" {old} ", old + "_low", "notes"]) | texts)
    sheet.rows[0][column] = new
    for origin in sheet.origin[1:]:
        if column < len(origin):
            origin[column] = None  # read under another header now


def duplicate_column(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None or not draft.sheets[name].rows[0]:
        return
    sheet = draft.sheets[name]
    column = data.draw(st.integers(0, len(sheet.rows[0]) - 1))
    for cells, origin in zip(sheet.rows, sheet.origin, strict=True):
        cells.append(cells[column] if column < len(cells) else "")
        origin.append(None)


def swap_columns(data: st.DataObject, draft: Draft) -> None:
    """Column order does not matter: the cells keep their origin."""
    name = _sheet(data, draft)
    if name is None or len(draft.sheets[name].rows[0]) < 2:
        return
    sheet = draft.sheets[name]
    width = len(sheet.rows[0])
    a, b = data.draw(st.lists(st.integers(0, width - 1), min_size=2, max_size=2, unique=True))
    for cells, origin in zip(sheet.rows, sheet.origin, strict=True):
        cells.extend([""] * (width - len(cells)))
        origin.extend([None] * (width - len(origin)))
        cells[a], cells[b] = cells[b], cells[a]
        origin[a], origin[b] = origin[b], origin[a]


def drop_sheet(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is not None:
        del draft.sheets[name]


def rename_sheet(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None:
        return
    new = data.draw(st.sampled_from([name.upper(), f"{name}s", f"{name} (2)", "notes"]))
    if new not in draft.sheets:
        sheet = draft.sheets.pop(name)
        sheet.origin = [[None for _ in row] for row in sheet.origin]
        draft.sheets[new] = sheet


def duplicate_sheet(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None or f"{name}_copy" in draft.sheets:
        return
    sheet = draft.sheets[name]
    draft.sheets[f"{name}_copy"] = Sheet(
        [list(r) for r in sheet.rows], [[None for _ in r] for r in sheet.rows]
    )


def encoding(data: st.DataObject, draft: Draft) -> None:
    name = _sheet(data, draft)
    if name is None:
        return
    sheet = draft.sheets[name]
    sheet.encoding = data.draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-8"]))
    sheet.bom = data.draw(st.booleans())


CSV_MUTATIONS = [
    set_cell,
    set_cell,
    set_cell,
    blank_row,
    drop_column,
    rename_column,
    duplicate_column,
    swap_columns,
    drop_sheet,
    rename_sheet,
    duplicate_sheet,
    encoding,
]


def workbook_edit(data: st.DataObject, draft: Draft) -> None:
    """An edit only a workbook can hold."""
    name = _sheet(data, draft)
    if name is None:
        return
    sheet = draft.sheets[name]
    rows = len(sheet.rows)
    row = data.draw(st.integers(2, max(rows, 2)))
    column = data.draw(st.integers(1, max(len(sheet.rows[0]), 1)))
    kind = data.draw(
        st.sampled_from(["merge", "hide", "formula", "percent", "far", "date", "bool"])
    )
    if kind in ("merge", "formula", "date", "bool") and row - 1 < rows:
        origin = sheet.origin[row - 1]
        if column - 1 < len(origin):
            origin[column - 1] = None
    if kind == "merge":
        draft.form_changes_values.add(name)  # merging blanks every cell but the first

    def edit(workbook: Workbook) -> None:
        if name not in workbook.sheetnames:
            return
        ws = workbook[name]
        if kind == "merge":
            ws.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)
        elif kind == "hide":
            ws.sheet_state = "hidden"
        elif kind == "formula":
            ws.cell(row, column).value = "=1+1"  # openpyxl saves no value: Excel never ran it
        elif kind == "percent":
            ws.cell(row, column).number_format = "0%"
        elif kind == "far":
            ws["XFD1048576"] = "far"
        elif kind == "date":
            ws.cell(row, column).value = dt.datetime(2014, 1, 1)
        else:
            ws.cell(row, column).value = True

    draft.workbook_edits.append(edit)


XLSX_MUTATIONS = [m for m in CSV_MUTATIONS if m is not encoding] + [workbook_edit] * 3


# -- writing and checking ----------------------------------------------------------------

_counter = itertools.count()


def write_csv(draft: Draft, root: Path) -> Path:
    folder = root / f"case{next(_counter)}"
    folder.mkdir()
    for name, sheet in draft.sheets.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(sheet.rows)
        data = buffer.getvalue().encode(sheet.encoding, errors="replace")
        if sheet.bom and sheet.encoding == "utf-8":
            data = codecs.BOM_UTF8 + data
        safe = name.replace("/", "_").replace("\\", "_") or "_"
        (folder / f"{safe}.csv").write_bytes(data)
    return folder


def write_xlsx(draft: Draft, root: Path) -> Path:
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for name, sheet in draft.sheets.items():
        title = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
        if title in workbook.sheetnames:
            continue
        ws = workbook.create_sheet(title)
        for number, cells in enumerate(sheet.rows, start=1):
            for column, text in enumerate(cells, start=1):
                value = typed(ILLEGAL_CHARACTERS_RE.sub("", text))
                if isinstance(value, str) and value.startswith("="):
                    value = " " + value  # a formula is a workbook edit of its own
                ws.cell(number, column).value = value
    for edit in draft.workbook_edits:
        edit(workbook)
    path = root / f"case{next(_counter)}.xlsx"
    workbook.save(path)
    return path


def check(path: Path, draft: Draft, original: Tables, xlsx: bool) -> None:
    # The command itself, in-process (its handler is what maps every ending to an exit code);
    # any other exception escaping it would be a traceback for the user, and fails the test.
    try:
        validate_command(path)
        code = 0
    except typer.Exit as end:
        code = end.exit_code
    assert code in (0, 2)
    tables = read_tables(path)
    for name, sheet in draft.sheets.items():
        if xlsx and name in draft.form_changes_values:
            continue
        table = tables.sheets.get(name)
        if table is None or not table.readable:
            continue
        header = sheet.rows[0] if sheet.rows else []
        first = {h.strip(): i for i, h in reversed(list(enumerate(header)))}
        for row in table.rows:
            origin = sheet.origin[row.number - 1]
            for title, value in row.cells.items():
                index = first.get(title)
                if index is None or index >= len(origin) or origin[index] is None:
                    continue
                source, number, column = origin[index]  # type: ignore[misc]
                expected = original.sheets[source].rows
                was = next(r for r in expected if r.number == number).cells.get(column)
                assert value == was, (name, row.number, title, value, was)


ORIGINALS: dict[str, Tables] = {}
"""The unmutated inputs as read (module state, not a fixture: hypothesis prints arguments)."""


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    ORIGINALS["csv"] = read_tables(JAPAN_ROK)
    ORIGINALS["xlsx"] = read_tables(write_xlsx(load(MINIMAL), root))
    return root


@seeded
@settings(FUZZ, max_examples=CSV_CASES)
@given(data=st.data(), count=st.integers(1, 3))
def test_mutated_csv_folders(data: st.DataObject, count: int, cases: Path) -> None:
    draft = load(JAPAN_ROK)
    for _ in range(count):
        data.draw(st.sampled_from(CSV_MUTATIONS))(data, draft)
    folder = write_csv(draft, cases)
    try:
        check(folder, draft, ORIGINALS["csv"], xlsx=False)
    finally:
        shutil.rmtree(folder)


@seeded
@settings(FUZZ, max_examples=XLSX_CASES)
@given(data=st.data(), count=st.integers(1, 3))
def test_mutated_workbooks(data: st.DataObject, count: int, cases: Path) -> None:
    draft = load(MINIMAL)
    for _ in range(count):
        data.draw(st.sampled_from(XLSX_MUTATIONS))(data, draft)
    path = write_xlsx(draft, cases)
    try:
        check(path, draft, ORIGINALS["xlsx"], xlsx=True)
    finally:
        path.unlink()
