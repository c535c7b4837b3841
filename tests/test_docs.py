"""docs/input-format.md documents exactly the sheets and columns a template has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.io.plan_file import PLAN_COLUMNS
from seqopt.schema import SHEETS, SHEETS_BY_NAME

DOC = Path(__file__).resolve().parents[1] / "docs" / "input-format.md"
SHEET_TABLE = ("column", "required", "meaning", "default / allowed values")
PLAN_TABLE = ("column", "meaning")


def _cells(line: str) -> tuple[str, ...]:
    """Cells of one Markdown table row, without surrounding pipes, spaces and backticks."""
    return tuple(cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|"))


def _is_rule(line: str) -> bool:
    return re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line.strip()) is not None


def parse_tables(text: str) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """Every table as (section title, header cells, body rows), in document order."""
    tables: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = []
    section = ""
    lines = text.splitlines()
    index = 0
    in_code = False
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("## "):
            section = line[3:].strip()
        elif (
            not in_code
            and line.lstrip().startswith("|")
            and index + 1 < len(lines)
            and _is_rule(lines[index + 1])
        ):
            header = _cells(line)
            body = []
            index += 2
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                body.append(_cells(lines[index]))
                index += 1
            tables.append((section, header, body))
            continue
        index += 1
    return tables


def documented_sheets(text: str) -> dict[str, list[str]]:
    """Documented columns by sheet: the first column of every sheet table."""
    sheets: dict[str, list[str]] = {}
    for section, header, body in parse_tables(text):
        if header == SHEET_TABLE:
            assert section not in sheets, f"sheet {section!r} is documented twice"
            sheets[section] = [row[0] for row in body]
    return sheets


@pytest.fixture(scope="module")
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template_headers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Row-1 headers of every sheet of a workbook written by ``seqopt template``."""
    path = tmp_path_factory.mktemp("template") / "t.xlsx"
    result = CliRunner().invoke(app, ["template", str(path)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(path)
    headers = {
        sheet.title: [cell.value for cell in sheet[1] if cell.value is not None]
        for sheet in workbook.worksheets
        if sheet.title != "README"
    }
    workbook.close()
    return headers


def test_parser_reads_a_sheet_table() -> None:
    text = (
        "## alpha\n\nText.\n\n| column | required | meaning | default / allowed values |\n"
        "|---|---|---|---|\n| `a` | yes | A. | x |\n| b | no | B, with `code`. | y |\n\n"
        "## beta\n\n```\n| not | a | table |\n|---|---|---|\n```\n"
    )
    assert documented_sheets(text) == {"alpha": ["a", "b"]}


def test_every_sheet_is_documented_with_exactly_the_template_headers(
    doc_text: str, template_headers: dict[str, list[str]]
) -> None:
    documented = documented_sheets(doc_text)
    assert set(template_headers) == {sheet.name for sheet in SHEETS}
    for sheet in SHEETS:
        assert sheet.name in documented, f"no section '## {sheet.name}' with a column table"
        assert documented[sheet.name] == template_headers[sheet.name], sheet.name


def test_no_documented_sheet_is_unknown(doc_text: str) -> None:
    unknown = set(documented_sheets(doc_text)) - set(SHEETS_BY_NAME)
    assert not unknown


def test_sheets_are_documented_in_template_order(doc_text: str) -> None:
    assert list(documented_sheets(doc_text)) == [sheet.name for sheet in SHEETS]


def test_required_column_matches_the_schema(doc_text: str) -> None:
    for section, header, body in parse_tables(doc_text):
        if header != SHEET_TABLE:
            continue
        sheet = SHEETS_BY_NAME[section]
        for name, required, *_ in body:
            column = next(c for c in sheet.columns if name in c.headers())
            expected = "yes" if column.required and name == column.name else "no"
            assert required == expected, f"{section}.{name}"


def test_plan_file_section_documents_the_plan_columns(doc_text: str) -> None:
    plan_tables = [
        body for section, header, body in parse_tables(doc_text) if section == "Plan files"
    ]
    columns = [[row[0] for row in body] for body in plan_tables]
    assert list(PLAN_COLUMNS) in columns
    for words in ("plan.json", "plan.xlsx", "seqopt check"):
        assert words in doc_text
