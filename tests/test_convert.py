"""``seqopt convert``: workbook <-> CSV folder, both ways, without losing a cell."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.errors import InputError
from seqopt.io.cells import quote
from seqopt.io.convert import convert, tables_to_grids
from seqopt.io.reader import read_problem
from seqopt.io.tables import read_tables

ROOT = Path(__file__).resolve().parents[1]
JAPAN_ROK = ROOT / "inputs" / "japan_rok"
JAPAN_ROK_XLSX = ROOT / "inputs" / "japan_rok.xlsx"
MINIMAL = ROOT / "tests" / "data" / "minimal"

Grid = list[list[str]]
TypedGrid = list[list[tuple[object, str]]]


# -- helpers -----------------------------------------------------------------------------


def csv_grids(folder: Path) -> dict[str, Grid]:
    """Every CSV file of a folder, parsed into rows of text cells."""
    grids = {}
    for file in sorted(folder.glob("*.csv")):
        with file.open(newline="", encoding="utf-8-sig") as handle:
            grids[file.stem] = list(csv.reader(handle))
    return grids


def xlsx_grids(path: Path) -> dict[str, TypedGrid]:
    """Every sheet of a workbook, in order, as (value, Excel data type) per cell."""
    workbook = load_workbook(path)
    grids = {
        sheet.title: [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
        for sheet in workbook.worksheets
    }
    workbook.close()
    return grids


def digest(path: Path) -> str:
    """A hash of a file, or of every file (name and bytes) below a folder."""
    hasher = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        hasher.update(str(file.relative_to(path.parent)).encode())
        hasher.update(file.read_bytes())
    return hasher.hexdigest()


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def edit_cell(path: Path, row: int, header: str, value: str) -> None:
    """Set one cell of a CSV file; ``row`` counts data rows from 1."""
    rows = read_csv(path)
    rows[row][rows[0].index(header)] = value
    write_csv(path, rows)


def add_column(path: Path, header: str, values: list[str]) -> None:
    rows = read_csv(path)
    rows[0].append(header)
    for row, value in zip(rows[1:], values, strict=True):
        row.append(value)
    write_csv(path, rows)


@pytest.fixture
def odd_input(tmp_path: Path) -> Path:
    """The minimal fixture with every kind of cell a converter could get wrong."""
    folder = tmp_path / "odd"
    shutil.copytree(MINIMAL, folder)
    edit_cell(folder / "scopes.csv", 1, "benefit", "2.675")
    edit_cell(folder / "scopes.csv", 1, "benefit_low", "0.1")
    edit_cell(folder / "scopes.csv", 2, "benefit", "1e-06")
    edit_cell(folder / "scopes.csv", 3, "benefit", "1.0")
    edit_cell(folder / "scopes.csv", 3, "benefit_low", "0.30000000000000004")
    edit_cell(folder / "measures.csv", 1, "name", '한국어 · 日本語, "quoted"')
    edit_cell(folder / "measures.csv", 2, "name", "Line one,\nline two")
    edit_cell(folder / "measures.csv", 1, "source", "=estimate, not a formula")
    edit_cell(folder / "periods.csv", 2, "source", "'single' and \"double\" quotes; a, b")
    add_column(folder / "measures.csv", "analyst_note", ["007", "42"])
    write_csv(
        folder / "notes.csv",
        [["topic", "figure", "text"], ["poll", "0.1", "007"], ["日本語", "-3", "a\nb"]],
    )
    return folder


# -- lossless round trips ----------------------------------------------------------------


@pytest.mark.parametrize("source", [JAPAN_ROK, MINIMAL], ids=["japan_rok", "minimal"])
def test_csv_to_xlsx_to_csv_keeps_every_cell(tmp_path: Path, source: Path) -> None:
    convert(source, tmp_path / "w.xlsx")
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    assert csv_grids(tmp_path / "back") == csv_grids(source)


def test_csv_round_trip_keeps_odd_cells(tmp_path: Path, odd_input: Path) -> None:
    convert(odd_input, tmp_path / "w.xlsx")
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    # Text a spreadsheet would run as a formula comes back quoted (OWASP); its value is kept.
    expected = {
        name: [[quote(cell) for cell in row] for row in rows]
        for name, rows in csv_grids(odd_input).items()
    }
    assert csv_grids(tmp_path / "back") == expected
    assert csv_grids(tmp_path / "back")["measures"][1][3] == "'=estimate, not a formula"
    assert read_tables(tmp_path / "back").sheets["measures"].rows[0].cells["source"] == (
        "=estimate, not a formula"
    )


@pytest.mark.parametrize("source", [JAPAN_ROK_XLSX, "minimal", "odd"])
def test_xlsx_to_csv_to_xlsx_keeps_values_and_types(
    tmp_path: Path, source: Path | str, odd_input: Path
) -> None:
    if isinstance(source, str):
        workbook = tmp_path / f"{source}.xlsx"
        convert(MINIMAL if source == "minimal" else odd_input, workbook)
    else:
        workbook = source
    convert(workbook, tmp_path / "csv")
    convert(tmp_path / "csv", tmp_path / "again.xlsx")
    assert xlsx_grids(tmp_path / "again.xlsx") == xlsx_grids(workbook)


@pytest.mark.parametrize("source", [JAPAN_ROK, MINIMAL], ids=["japan_rok", "minimal"])
def test_both_forms_read_as_the_same_problem(tmp_path: Path, source: Path) -> None:
    workbook = tmp_path / f"{source.name}.xlsx"
    convert(source, workbook)
    folder = tmp_path / "csv" / source.name
    convert(workbook, folder)
    problem = read_problem(source)
    assert read_problem(workbook) == problem
    assert read_problem(folder) == problem


def test_committed_workbook_matches_committed_csv_folder() -> None:
    """inputs/japan_rok.xlsx and inputs/japan_rok/ must never drift apart."""
    from_csv = tables_to_grids(read_tables(JAPAN_ROK))
    from_xlsx = tables_to_grids(read_tables(JAPAN_ROK_XLSX))
    assert set(from_xlsx) == set(from_csv)
    for name, (headers, rows) in from_csv.items():
        xlsx_headers, xlsx_rows = from_xlsx[name]
        assert xlsx_headers == headers, name
        assert len(xlsx_rows) == len(rows), name
        for csv_row, xlsx_row in zip(rows, xlsx_rows, strict=True):
            assert [(type(v), v) for v in xlsx_row] == [(type(v), v) for v in csv_row], name
    assert read_problem(JAPAN_ROK_XLSX) == read_problem(JAPAN_ROK)


def test_committed_workbook_converts_to_the_committed_csv_content(tmp_path: Path) -> None:
    convert(JAPAN_ROK_XLSX, tmp_path / "japan_rok")
    assert csv_grids(tmp_path / "japan_rok") == csv_grids(JAPAN_ROK)


# -- cells that are easy to get wrong ----------------------------------------------------


def test_floats_survive_bit_for_bit(tmp_path: Path, odd_input: Path) -> None:
    convert(odd_input, tmp_path / "w.xlsx")
    scopes = load_workbook(tmp_path / "w.xlsx")["scopes"]
    column = {cell.value: cell.column for cell in scopes[1]}
    benefit = [scopes.cell(row, column["benefit"]).value for row in (2, 3, 4)]
    low = [scopes.cell(row, column["benefit_low"]).value for row in (2, 4)]
    expected = [2.675, 1e-06, 1.0, 0.1, 0.1 + 0.2]  # 0.1 + 0.2 == 0.30000000000000004
    assert all(isinstance(v, float) for v in benefit + low)
    assert [v.hex() for v in benefit + low] == [v.hex() for v in expected]
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    back = read_csv(tmp_path / "back" / "scopes.csv")
    header = back[0]
    assert [row[header.index("benefit")] for row in back[1:]] == ["2.675", "1e-06", "1.0"]
    assert back[1][header.index("benefit_low")] == "0.1"
    assert back[3][header.index("benefit_low")] == "0.30000000000000004"
    for path in (tmp_path / "w.xlsx", tmp_path / "back"):
        problem = read_problem(path)
        assert problem.scope("beta", "narrow").benefit.base.hex() == (1e-06).hex()
        assert problem.scope("beta", "full").benefit.low.hex() == (0.1 + 0.2).hex()


def test_text_labels_stay_text(tmp_path: Path) -> None:
    folder = tmp_path / "labels"
    shutil.copytree(MINIMAL, folder)
    for name in ("measures.csv", "scopes.csv", "scope_use.csv", "gates.csv", "effects.csv"):
        rows = read_csv(folder / name)
        write_csv(folder / name, [[("007" if c == "alpha" else c) for c in r] for r in rows])
    rows = read_csv(folder / "dependencies.csv")
    write_csv(
        folder / "dependencies.csv", [[("007" if c == "alpha" else c) for c in r] for r in rows]
    )
    edit_cell(folder / "scopes.csv", 1, "scope", "7")
    edit_cell(folder / "scope_use.csv", 1, "scope", "7")
    convert(folder, tmp_path / "w.xlsx")
    workbook = load_workbook(tmp_path / "w.xlsx")
    assert (workbook["measures"]["A2"].value, workbook["measures"]["A2"].data_type) == ("007", "s")
    assert (workbook["scopes"]["B2"].value, workbook["scopes"]["B2"].data_type) == ("7", "s")
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    assert csv_grids(tmp_path / "back") == csv_grids(folder)
    problem = read_problem(tmp_path / "w.xlsx")
    assert problem.measure_by_id["007"].scopes[0].id == "7"
    assert problem == read_problem(folder).renamed("w")


def test_formula_looking_text_stays_text(tmp_path: Path, odd_input: Path) -> None:
    convert(odd_input, tmp_path / "w.xlsx")
    cell = load_workbook(tmp_path / "w.xlsx")["measures"]["D2"]
    assert (cell.value, cell.data_type) == ("=estimate, not a formula", "s")
    measures = read_tables(tmp_path / "w.xlsx").sheets["measures"]
    assert measures.rows[0].cells["source"] == "=estimate, not a formula"


def test_non_ascii_and_csv_specials_survive(tmp_path: Path, odd_input: Path) -> None:
    convert(odd_input, tmp_path / "w.xlsx")
    measures = load_workbook(tmp_path / "w.xlsx")["measures"]
    assert measures["B2"].value == '한국어 · 日本語, "quoted"'
    assert measures["B3"].value == "Line one,\nline two"
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    back = read_csv(tmp_path / "back" / "measures.csv")
    assert back[1][1] == '한국어 · 日本語, "quoted"'
    assert back[2][1] == "Line one,\nline two"
    assert read_csv(tmp_path / "back" / "periods.csv")[2][1] == (
        "'single' and \"double\" quotes; a, b"
    )
    problem = read_problem(tmp_path / "back")
    assert problem.measure_by_id["alpha"].name == '한국어 · 日本語, "quoted"'


def test_extra_columns_and_sheets_are_carried_over(tmp_path: Path, odd_input: Path) -> None:
    convert(odd_input, tmp_path / "w.xlsx")
    workbook = load_workbook(tmp_path / "w.xlsx")
    assert workbook.sheetnames[-1] == "notes"
    measures = workbook["measures"]
    assert [c.value for c in measures[1]][-1] == "analyst_note"
    # Unknown columns have no type: only canonical numbers become numbers, "007" stays text.
    assert [(measures["E2"].value, measures["E2"].data_type)] == [("007", "s")]
    assert measures["E3"].value == 42
    notes = [[c.value for c in row] for row in workbook["notes"].iter_rows()]
    assert notes == [["topic", "figure", "text"], ["poll", 0.1, "007"], ["日本語", -3, "a\nb"]]
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    assert read_csv(tmp_path / "back" / "notes.csv") == read_csv(odd_input / "notes.csv")
    assert read_csv(tmp_path / "back" / "measures.csv")[0][-1] == "analyst_note"


def test_not_a_number_stays_visible(tmp_path: Path) -> None:
    """A bad number must reach the reader as the planner typed it, not as a blank."""
    folder = tmp_path / "bad"
    shutil.copytree(MINIMAL, folder)
    edit_cell(folder / "effects.csv", 1, "decay", "nan")
    edit_cell(folder / "scopes.csv", 1, "benefit", "inf")
    convert(folder, tmp_path / "w.xlsx")
    tables = read_tables(tmp_path / "w.xlsx").sheets
    assert tables["effects"].rows[0].cells["decay"] == "nan"
    assert tables["scopes"].rows[0].cells["benefit"] == "inf"
    for path in (folder, tmp_path / "w.xlsx"):
        with pytest.raises(InputError, match="column decay: must be a finite number"):
            read_problem(path)


def test_dropdowns_follow_the_columns_of_a_converted_input(tmp_path: Path) -> None:
    """A CSV file may order its columns freely; the dropdowns must still offer ids."""
    folder = tmp_path / "reordered"
    shutil.copytree(MINIMAL, folder)
    rows = read_csv(folder / "measures.csv")
    order = [rows[0].index(h) for h in ("name", "source", "force", "measure")]
    write_csv(folder / "measures.csv", [[row[i] for i in order] for row in rows])
    convert(folder, tmp_path / "w.xlsx")
    workbook = load_workbook(tmp_path / "w.xlsx")
    measure_letter = get_column_letter(
        [c.value for c in workbook["measures"][1]].index("measure") + 1
    )
    scopes = workbook["scopes"]
    formulas = {
        str(v.sqref): v.formula1 for v in scopes.data_validations.dataValidation if v.type == "list"
    }
    assert formulas["A2:A1001"].endswith(f"!${measure_letter}$2:${measure_letter}$1001")
    assert read_problem(tmp_path / "w.xlsx") == read_problem(folder).renamed("w")


def test_converted_workbook_is_a_full_planner_workbook(tmp_path: Path) -> None:
    convert(MINIMAL, tmp_path / "w.xlsx")
    workbook = load_workbook(tmp_path / "w.xlsx")
    assert workbook.sheetnames[0] == "README"
    assert workbook["scopes"]["D1"].comment is not None
    assert workbook["measures"].data_validations.dataValidation


# -- overwriting and the source ----------------------------------------------------------


def test_refuses_to_overwrite_a_workbook(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"not yours")
    with pytest.raises(InputError, match="already exists"):
        convert(MINIMAL, target)
    assert target.read_bytes() == b"not yours"
    assert convert(MINIMAL, target, overwrite=True) == "xlsx"
    assert csv_grids(MINIMAL) == _csv_of(target, tmp_path / "check")


def _csv_of(workbook: Path, folder: Path) -> dict[str, Grid]:
    convert(workbook, folder)
    return csv_grids(folder)


def test_refuses_to_overwrite_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "stale.csv").write_text("old,file\n", encoding="utf-8")
    (target / "periods.csv").write_text("period\nX\n", encoding="utf-8")
    before = digest(target)
    with pytest.raises(InputError, match="already exists"):
        convert(JAPAN_ROK_XLSX, target)
    assert digest(target) == before
    assert convert(JAPAN_ROK_XLSX, target, overwrite=True) == "csv"
    assert csv_grids(target) == csv_grids(JAPAN_ROK)
    assert not (target / "stale.csv").exists()


def test_cli_convert_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"not yours")
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(MINIMAL), str(target)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert target.read_bytes() == b"not yours"
    result = runner.invoke(app, ["convert", str(MINIMAL), str(target), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert read_problem(target) == read_problem(MINIMAL).renamed("w")


@pytest.mark.parametrize("source", [JAPAN_ROK, JAPAN_ROK_XLSX, MINIMAL], ids=str)
def test_converting_never_modifies_the_source(tmp_path: Path, source: Path) -> None:
    before = digest(source)
    mtime = source.stat().st_mtime_ns
    target = tmp_path / ("out" if source.suffix == ".xlsx" else "out.xlsx")
    convert(source, target)
    convert(source, target, overwrite=True)
    assert digest(source) == before
    assert source.stat().st_mtime_ns == mtime


def test_refuses_to_convert_onto_itself(tmp_path: Path) -> None:
    source = tmp_path / "w.xlsx"
    convert(MINIMAL, source)
    before = digest(source)
    with pytest.raises(InputError, match="must differ from the source"):
        convert(source, source, overwrite=True)
    assert digest(source) == before
