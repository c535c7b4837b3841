"""What ``seqopt compare`` writes: compare.json, compare.md, compare.xlsx (and the report).

The Markdown file and the workbook render the same :class:`~seqopt.report.tables.Table`
values, as ``summary.md`` and ``plan.xlsx`` do; every workbook cell goes through
the safe writer (names come from planners' workbooks). The files replace the old
ones together or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from seqopt.atomic import atomic_files
from seqopt.outputs import markdown_table, markdown_text, table_sheet
from seqopt.report.tables import Column, Table
from seqopt.tradeoffs.compare import COMPARE_FILE

MARKDOWN_FILE = "compare.md"
WORKBOOK_FILE = "compare.xlsx"


def models_table(document: dict[str, Any]) -> Table:
    """One row per model: what was established, value, benefit, cost, horizon."""
    rows = tuple(
        (
            m["name"],
            m["model_file"],
            m["status_words"],
            m["value"],
            None if m["gap"] is None else 100 * m["gap"],
            m["benefit"],
            m["cost"],
            f"{m['first_period']} to {m['last_period']}" if m["first_period"] else None,
            m["signed"],
        )
        for m in document["models"]
    )
    return Table(
        "models",
        "The models",
        (
            Column("Model"),
            Column("Model file"),
            Column("Status"),
            Column("Net value", ",.2f"),
            Column("Gap (%)", ".4f"),
            Column("Benefit", ",.2f"),
            Column("Cost", ",.2f"),
            Column("Horizon"),
            Column("Measures signed", "d"),
        ),
        rows,
        "No model.",
    )


def signing_words(plan: dict[str, Any]) -> str:
    """What one plan does with one measure, in a few words."""
    if not plan["in_input"]:
        return "not in the input"
    if plan["scope"] is None:
        return "left out"
    words = f"{plan['scope_name']}, signed {plan['signed']}"
    if plan["widened_to"]:
        words += f"; widened to {plan['widened_to']} ({plan['widened_signed']})"
    return str(words)


def signings_table(document: dict[str, Any]) -> Table:
    """One row per measure, one column per model: the scope signed and when."""
    names = [m["name"] for m in document["models"]]
    rows = tuple(
        (m["measure_name"], *(signing_words(m["plans"][name]) for name in names))
        for m in document["measures"]
    )
    return Table(
        "signings",
        "What each plan signs, when and at which scope",
        (Column("Measure"), *(Column(name) for name in names)),
        rows,
        "No measure.",
    )


def levers_table(document: dict[str, Any]) -> Table:
    """One row per lever some plan uses: the periods it is used in each plan."""
    names = [m["name"] for m in document["models"]]
    rows = tuple(
        (lever["lever_name"], *(", ".join(lever["uses"][name]) or "not used" for name in names))
        for lever in document["levers"]
    )
    return Table(
        "levers",
        "Levers bought, and when",
        (Column("Lever"), *(Column(name) for name in names)),
        rows,
        "No plan uses a lever.",
    )


def moves_table(document: dict[str, Any]) -> Table:
    """Every move from the reference plan (the first model)."""
    rows = tuple(
        (m["model"], m["name"], m["kind"], m["periods"], m["text"]) for m in document["moves"]
    )
    return Table(
        "moves",
        f"What moves from {document['reference']}",
        (
            Column("Model"),
            Column("Measure or lever"),
            Column("Move"),
            Column("Periods", "+d"),
            Column("In words"),
        ),
        rows,
        "Nothing moves: every plan signs the same measures at the same scopes and times.",
    )


def compare_tables(document: dict[str, Any]) -> list[Table]:
    """The tables every compare output carries, in reading order."""
    return [
        models_table(document),
        moves_table(document),
        signings_table(document),
        levers_table(document),
    ]


def compare_markdown(document: dict[str, Any]) -> str:
    """``compare.md``: the models, what moves, what each signs, the levers."""
    names = ", ".join(markdown_text(m["name"]) for m in document["models"])
    lines = [f"# Plans compared: {names}", ""]
    lines += [
        f"Each plan is compared with the first, {markdown_text(str(document['reference']))}: "
        "measures by id, periods by label.",
        "",
    ]
    lines += [f"- {markdown_text(note)}" for note in document["notes"]]
    for table in compare_tables(document):
        lines += [f"## {table.title}", "", *markdown_table(table), ""]
    return "\n".join(lines)


def compare_workbook(document: dict[str, Any]) -> Workbook:
    """``compare.xlsx``: one sheet per table, raw values."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for table in compare_tables(document):
        table_sheet(workbook.create_sheet(table.key), table)
    return workbook


def write_compare(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write compare.json, compare.md and compare.xlsx into ``folder`` (all or none)."""
    targets = [folder / COMPARE_FILE, folder / MARKDOWN_FILE, folder / WORKBOOK_FILE]
    workbook = compare_workbook(document)
    with atomic_files(targets) as (as_json, as_markdown, as_workbook):
        as_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        as_markdown.write_text(compare_markdown(document), "utf-8")
        workbook.save(as_workbook)
    return targets
