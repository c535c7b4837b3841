"""``seqopt template``: the blank workbook and CSV folder a planner starts from.

The workbook is opened with openpyxl the way Excel shows it to a planner: the
README first, header notes, dropdowns and number checks.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.errors import InputError
from seqopt.io.reader import read_problem
from seqopt.io.tables import read_tables
from seqopt.schema import SHEETS, SHEETS_BY_NAME, Column, Kind, Sheet

runner = CliRunner()

CHOICE_COLUMNS = {
    ("measures", "force"): ("free", "in", "out"),
    ("resources", "kind"): ("renewable", "nonrenewable"),
    ("effects", "cause_kind"): ("lever", "measure", "event"),
    ("dependencies", "kind"): ("requires", "excludes", "together"),
    **{
        (sheet, "distribution"): ("triangular", "uniform", "pert")
        for sheet in (
            "scopes",
            "resources",
            "capacity",
            "scope_use",
            "lever_use",
            "baseline",
            "effects",
            "gates",
            "maintain",
            "upgrades",
            "upgrade_use",
            "upgrade_gates",
            "events",
            "event_capacity",
            "substitutes",
            "backlash",
        )
    },
}


def _template(path: Path, *extra: str) -> None:
    result = runner.invoke(app, ["template", str(path), *extra])
    assert result.exit_code == 0, result.output
    assert path.exists()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    path = tmp_path_factory.mktemp("template") / "t.xlsx"
    _template(path)
    return load_workbook(path)


def _sheet_columns(sheet: Sheet) -> list[tuple[str, Column]]:
    """Every header of a sheet with the schema column it belongs to, in order."""
    return [(header, column) for column in sheet.columns for header in column.headers()]


def _validations(worksheet: Worksheet) -> dict[str, list[DataValidation]]:
    """Data validations by the column letter whose data rows (from row 2) they cover."""
    found: dict[str, list[DataValidation]] = {}
    for validation in worksheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            assert cells.min_col == cells.max_col, f"{worksheet.title}: {cells} spans columns"
            assert cells.min_row == 2, f"{worksheet.title}: {cells} must start below the header"
            assert cells.max_row >= 1000, f"{worksheet.title}: {cells} covers too few rows"
            found.setdefault(get_column_letter(cells.min_col), []).append(validation)
    return found


def _one_validation(worksheet: Worksheet, index: int) -> DataValidation:
    letter = get_column_letter(index)
    validations = _validations(worksheet).get(letter, [])
    header = worksheet.cell(1, index).value
    assert len(validations) == 1, f"{worksheet.title}.{header}: {len(validations)} validations"
    return validations[0]


def test_readme_is_the_first_sheet(workbook: Workbook) -> None:
    readme = workbook.worksheets[0]
    assert readme.title == "README"
    text = " ".join(str(c) for row in readme.iter_rows(values_only=True) for c in row if c)
    for sheet in SHEETS:
        assert sheet.name in text
        assert sheet.doc in text
    assert "_low" in text
    assert "_high" in text
    assert "source" in text


def test_every_schema_sheet_has_its_headers_in_order(workbook: Workbook) -> None:
    assert workbook.sheetnames == ["README", *(sheet.name for sheet in SHEETS)]
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        headers = tuple(cell.value for cell in worksheet[1])
        assert headers == sheet.headers(), sheet.name
        assert worksheet.max_row == 1, f"{sheet.name}: a blank template has no data rows"
        assert worksheet.freeze_panes == "A2"


def test_every_header_has_a_note_with_its_meaning(workbook: Workbook) -> None:
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        for index, (header, column) in enumerate(_sheet_columns(sheet), start=1):
            comment = worksheet.cell(1, index).comment
            assert comment is not None, f"{sheet.name}.{header} has no note"
            assert column.doc in comment.text, f"{sheet.name}.{header}"
            if header == column.name:
                expected = "Required." if column.required else "Optional"
                assert expected in comment.text, f"{sheet.name}.{header}"
                if column.default:
                    assert column.default in comment.text, f"{sheet.name}.{header}"
                for choice in column.choices:
                    assert choice in comment.text, f"{sheet.name}.{header}"
            else:
                side = "lowest" if header.endswith("_low") else "highest"
                assert side in comment.text, f"{sheet.name}.{header}"
                assert f"same as {column.name}" in comment.text, f"{sheet.name}.{header}"


def test_choice_columns_offer_exactly_their_choices(workbook: Workbook) -> None:
    seen = set()
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        for index, (header, column) in enumerate(_sheet_columns(sheet), start=1):
            if column.kind is not Kind.CHOICE:
                continue
            seen.add((sheet.name, header))
            validation = _one_validation(worksheet, index)
            assert validation.type == "list"
            formula = validation.formula1
            assert formula.startswith('"') and formula.endswith('"'), formula
            assert tuple(formula[1:-1].split(",")) == column.choices
            assert tuple(formula[1:-1].split(",")) == CHOICE_COLUMNS[(sheet.name, header)]
            assert validation.showErrorMessage
    assert seen == set(CHOICE_COLUMNS)


_RANGE = re.compile(
    r"'?(?P<sheet>[^'!]+)'?!\$(?P<first>[A-Z]+)\$2:\$(?P<last>[A-Z]+)\$(?P<end>\d+)"
)


def test_reference_columns_offer_the_referenced_ids(workbook: Workbook) -> None:
    seen = set()
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        for index, (header, column) in enumerate(_sheet_columns(sheet), start=1):
            if column.refers_to is None:
                continue
            seen.add(f"{sheet.name}.{header}")
            validation = _one_validation(worksheet, index)
            assert validation.type == "list", f"{sheet.name}.{header}"
            # The file format stores formulas without the "=" Excel shows in front.
            assert not validation.formula1.startswith("="), validation.formula1
            match = _RANGE.fullmatch(validation.formula1)
            assert match is not None, validation.formula1
            target_sheet, target_column = column.refers_to.split(".")
            target = workbook[match["sheet"]]
            assert match["sheet"] == target_sheet
            assert match["first"] == match["last"]
            assert target[f"{match['first']}1"].value == target_column
            assert int(match["end"]) >= 1000
    assert {
        "scopes.measure",
        "scope_use.resource",
        "baseline.series",
        "scopes.earliest_start",
    } <= seen


def test_number_columns_check_the_schema_bounds(workbook: Workbook) -> None:
    checked = 0
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        for index, (header, column) in enumerate(_sheet_columns(sheet), start=1):
            if column.kind not in (Kind.NUMBER, Kind.INTEGER):
                continue
            checked += 1
            validation = _one_validation(worksheet, index)
            where = f"{sheet.name}.{header}"
            expected = "whole" if column.kind is Kind.INTEGER else "decimal"
            assert validation.type == expected, where
            assert validation.operator == "between", where
            low, high = float(validation.formula1), float(validation.formula2)
            if column.minimum is None:
                assert low <= -1e9, where
            else:
                assert low == column.minimum, where
            if column.maximum is None:
                assert high >= 1e9, where
            else:
                assert high == column.maximum, where
            assert validation.allow_blank, where
            assert validation.showErrorMessage, where
    assert checked > 30


def test_plain_text_columns_have_no_validation(workbook: Workbook) -> None:
    for sheet in SHEETS:
        worksheet = workbook[sheet.name]
        letters = _validations(worksheet)
        for index, (header, column) in enumerate(_sheet_columns(sheet), start=1):
            if column.kind is Kind.TEXT and column.refers_to is None:
                assert get_column_letter(index) not in letters, f"{sheet.name}.{header}"


def test_specific_cells_a_planner_would_meet(workbook: Workbook) -> None:
    scopes = workbook["scopes"]
    assert scopes["D1"].value == "benefit"
    assert SHEETS_BY_NAME["scopes"].column("benefit").doc in scopes["D1"].comment.text
    duration = _one_validation(scopes, 7)
    assert (duration.type, duration.formula1) == ("whole", "1")
    baseline_value = _one_validation(workbook["baseline"], 3)
    assert (float(baseline_value.formula1), float(baseline_value.formula2)) == (0, 100)
    effects_amount = _one_validation(workbook["effects"], 5)
    assert (float(effects_amount.formula1), float(effects_amount.formula2)) == (-100, 100)
    measure_list = _one_validation(scopes, 1).formula1
    assert measure_list.endswith("!$A$2:$A$1001")
    assert "measures" in measure_list
    period_list = _one_validation(scopes, 10).formula1
    assert "periods" in period_list and period_list.endswith("!$A$2:$A$1001")


def test_csv_template_has_every_sheet_with_its_headers(tmp_path: Path) -> None:
    folder = tmp_path / "blank"
    _template(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s.name}.csv" for s in SHEETS)
    for sheet in SHEETS:
        with (folder / f"{sheet.name}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows == [list(sheet.headers())], sheet.name


def test_both_templates_read_back_as_empty_sheets(tmp_path: Path) -> None:
    _template(tmp_path / "t.xlsx")
    _template(tmp_path / "t")
    for path in (tmp_path / "t.xlsx", tmp_path / "t"):
        tables = read_tables(path)
        assert set(tables.sheets) == {sheet.name for sheet in SHEETS}
        for sheet in SHEETS:
            assert tables.sheets[sheet.name].headers == sheet.headers()
            assert tables.sheets[sheet.name].rows == ()


def _digest(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return "".join(f"{p.name}:{_digest(p)};" for p in sorted(path.iterdir()))


@pytest.mark.parametrize("name", ["t.xlsx", "blank_folder"])
def test_template_refuses_to_overwrite(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _template(path)
    before = _digest(path)
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert "--overwrite" in result.output
    assert _digest(path) == before


def test_template_refuses_to_overwrite_any_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"a planner's own file")
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 2
    assert path.read_bytes() == b"a planner's own file"


def test_template_overwrites_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"old")
    _template(path, "--overwrite")
    assert load_workbook(path).sheetnames[0] == "README"


@pytest.mark.parametrize("name", ["t.xlsx", "blank_folder"])
def test_blank_template_validates_with_clear_errors(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _template(path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "sheet periods" in result.output
    assert "must list at least one period" in result.output
    with pytest.raises(InputError, match="must list at least one period"):
        read_problem(path)
