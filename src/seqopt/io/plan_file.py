"""Read a hand-made plan: a CSV file, a workbook sheet, or a ``plan.json`` written by seqopt.

A plan table has one row per action, with the columns

======  ==============================================================
kind    ``measure``, ``upgrade`` or ``lever``
id      the measure id (measure, upgrade) or lever id
scope   the scope id (may be blank when the measure has one scope); for an
        upgrade, the scope the measure is widened to
period  the period label: when negotiation starts (measure, upgrade) or the
        lever is used
======  ==============================================================

Other columns (names, notes, dates seqopt adds to ``plan.xlsx``) are ignored,
so a plan seqopt wrote can be edited and checked again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqopt.data import Problem
from seqopt.errors import InputError, Issue, Location
from seqopt.io.tables import Row, Table, read_csv_table, read_tables
from seqopt.plan import Assignment, LeverUse, Plan, UpgradeStart

PLAN_COLUMNS = ("kind", "id", "scope", "period")
PLAN_SHEET = "plan"


def read_plan_file(path: Path, problem: Problem) -> Plan:
    """Read a plan, checking every id and period label against ``problem``.

    Raises
    ------
    InputError
        With every problem found: missing columns, unknown ids or periods,
        a missing scope for a measure that has several.
    """
    if not path.exists():
        raise InputError([Issue(Location(str(path)), "plan file not found")])
    if path.suffix.lower() == ".json":
        return _from_json(path, problem)
    if path.suffix.lower() == ".csv":
        table = read_csv_table(path)
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        tables = read_tables(path)
        tables.raise_for_issues()
        sheets = tables.sheets
        if PLAN_SHEET in sheets:
            table = sheets[PLAN_SHEET]
        elif sheets:
            table = next(iter(sheets.values()))
        else:
            raise InputError([Issue(Location(str(path)), "has no sheet to read a plan from")])
    else:
        rule = "must be a .csv file, an .xlsx workbook or a plan.json"
        raise InputError([Issue(Location(str(path)), rule, path.suffix or path.name)])
    return _from_table(table, problem)


def _from_table(table: Table, problem: Problem) -> Plan:
    missing = [c for c in PLAN_COLUMNS if c not in table.headers and c != "scope"]
    if missing:
        raise InputError(
            [Issue(table.location(1, c), "required column is missing") for c in missing]
        )
    issues: list[Issue] = []
    assignments: list[Assignment] = []
    uses: list[LeverUse] = []
    upgrades: list[UpgradeStart] = []
    periods = {label: i for i, label in enumerate(problem.periods)}
    for row in table.rows:

        def where(column: str, number: int = row.number) -> Location:
            return table.location(number, column)

        kind = str(row.cells.get("kind") or "").strip().lower()
        item = _text(row.cells.get("id"))
        scope = _text(row.cells.get("scope"))
        label = _text(row.cells.get("period"))
        if kind not in ("measure", "upgrade", "lever"):
            rule = "must be measure, upgrade or lever"
            issues.append(Issue(where("kind"), rule, row.cells.get("kind")))
            continue
        if label not in periods:
            rule = "must be a period listed in the model's periods"
            issues.append(Issue(where("period"), rule, label))
        if kind == "lever":
            if item is None or item not in problem.lever_by_id:
                issues.append(Issue(where("id"), "must name a lever of the model", item))
            elif label in periods:
                uses.append(LeverUse(item, periods[label]))
            continue
        measure = problem.measure_by_id.get(item or "")
        if measure is None:
            issues.append(Issue(where("id"), "must name a measure of the model", item))
            continue
        if kind == "upgrade":
            targets = sorted({u.to_scope for u in measure.upgrades})
            if scope is None and len(targets) == 1:
                scope = targets[0]
            if scope not in targets:
                shown = ", ".join(targets) or "none: it has no upgrade"
                rule = f"must name a scope measure {measure.id!r} can be widened to ({shown})"
                issues.append(Issue(where("scope"), rule, scope))
            elif label in periods:
                upgrades.append(UpgradeStart(measure.id, scope, periods[label]))
            continue
        if scope is None and len(measure.scopes) == 1:
            scope = measure.scopes[0].id
        if scope is None or all(s.id != scope for s in measure.scopes):
            choices = ", ".join(s.id for s in measure.scopes)
            rule = f"must name a scope of measure {measure.id!r} ({choices})"
            issues.append(Issue(where("scope"), rule, scope))
            continue
        if label in periods:
            assignments.append(Assignment(measure.id, scope, periods[label]))
    if issues:
        raise InputError(issues)
    return Plan.of(assignments, uses, upgrades)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _from_json(path: Path, problem: Problem) -> Plan:
    where = Location(str(path))
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Issue(where, "is not valid JSON", str(exc))]) from None
    if not isinstance(data, dict) or not isinstance(data.get("schedule"), list):
        raise InputError([Issue(where, "must hold a 'schedule' list, as plan.json does")])
    rows: list[dict[str, object]] = []
    for entry in data["schedule"]:
        if isinstance(entry, dict):
            rows.append(
                {
                    "kind": "measure",
                    "id": entry.get("measure"),
                    "scope": entry.get("scope"),
                    "period": entry.get("start"),
                }
            )
    for entry in data.get("upgrades", []):
        if isinstance(entry, dict):
            rows.append(
                {
                    "kind": "upgrade",
                    "id": entry.get("measure"),
                    "scope": entry.get("scope"),
                    "period": entry.get("start"),
                }
            )
    for entry in data.get("lever_uses", []):
        if isinstance(entry, dict):
            rows.append({"kind": "lever", "id": entry.get("lever"), "period": entry.get("period")})
    table = Table(
        str(path),
        "schedule",
        PLAN_COLUMNS,
        tuple(
            Row(i, {k: v if isinstance(v, str | int | float) else None for k, v in r.items()})
            for i, r in enumerate(rows, start=1)
        ),
    )
    return _from_table(table, problem)
