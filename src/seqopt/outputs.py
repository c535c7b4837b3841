"""Outputs of a solve: ``plan.json``, ``plan.xlsx`` and ``summary.md``.

``plan.json`` is the record; the workbook and the Markdown summary are
rendered from the same document, so the three always agree. Nothing here
depends on wall-clock time, so the same inputs give the same outputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from seqopt import __version__
from seqopt.atomic import atomic_files
from seqopt.data import Problem, ResourceKind
from seqopt.evaluate import Evaluation
from seqopt.io.cells import put
from seqopt.io.plan_file import PLAN_SHEET
from seqopt.report.tables import Table, inputs_table, plan_tables
from seqopt.report.why import why_sections
from seqopt.report.words import reliability_sentences, steps
from seqopt.report.words import share as words_share
from seqopt.settings import ModelFile, ObjectiveKind
from seqopt.solve import SolveResult, Status

SCHEMA = "seqopt.plan/1"

STATUS_WORDS = {
    Status.OPTIMAL: "proven optimal",
    Status.FEASIBLE: "feasible, not proven optimal",
    Status.INFEASIBLE: "infeasible: no plan satisfies every constraint",
    Status.UNBOUNDED: "unbounded",
    Status.NO_SOLUTION: "no solution found within the time limit",
    Status.ERROR: "solver error",
}


def fingerprint(path: Path) -> str:
    """SHA-256 of an input file, or of every CSV file (name and bytes) in an input folder."""
    digest = hashlib.sha256()
    if path.is_dir():
        for file in sorted(path.glob("*.csv")):
            digest.update(file.name.encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def plan_document(problem: Problem, model: ModelFile, result: SolveResult) -> dict[str, Any]:
    """The full record of a solve, as JSON-ready data."""
    labels = problem.periods
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "description": model.description,
        "input": {"path": model.input.as_posix(), "sha256": fingerprint(model.input)},
        "objective": {
            "kind": model.objective.kind.value,
            "discount_rate": model.objective.discount_rate,
            "terminal": model.objective.terminal,
        },
        "solver": {
            "name": result.solver,
            "time_limit": model.solver.time_limit,
            "gap_requested": model.solver.gap,
            "solver_status": result.solver_status,
        },
        "status": result.status.value,
        "status_words": STATUS_WORDS[result.status],
        "value": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "periods": list(labels),
        "notes": list(result.notes),
    }
    if model.scenario.files or model.scenario.changes_input:
        document["scenario"] = scenario_document(model)
    evaluation = result.evaluation
    if evaluation is not None:
        document.update(_plan_part(problem, evaluation))
    return document


def scenario_document(model: ModelFile) -> dict[str, Any]:
    """What a scenario file changes in its input, so that a plan can be traced to it."""
    scenario = model.scenario
    horizon = scenario.horizon
    return {
        "files": [
            {"path": path.as_posix(), "sha256": fingerprint(path)} for path in scenario.files
        ],
        "overrides": {o.cell: o.value for o in scenario.overrides},
        "overlays": [
            {"path": o.path.as_posix(), "sha256": fingerprint(o.path)} for o in scenario.overlays
        ],
        "horizon": None if horizon is None else {"first": horizon.first, "last": horizon.last},
    }


def _plan_part(problem: Problem, evaluation: Evaluation) -> dict[str, Any]:
    labels = problem.periods
    schedule = []
    for item in sorted(evaluation.scheduled, key=lambda s: (s.start, s.measure)):
        measure = problem.measure_by_id[item.measure]
        scope = measure.scope(item.scope)
        schedule.append(
            {
                "measure": item.measure,
                "measure_name": measure.name,
                "scope": item.scope,
                "scope_name": scope.name,
                "start": labels[item.start],
                "signing": labels[item.signing],
                "in_force": labels[item.in_force] if item.in_force < problem.horizon else None,
                "benefit": item.benefit,
                "cost": item.cost,
                "gates": [
                    {
                        "series": gate.series,
                        "threshold": gate.threshold.base,
                        "support_at_signing": evaluation.support[gate.series][item.signing],
                    }
                    for gate in scope.gates
                ],
                "source": scope.source,
                "upgrade": _upgrade_part(problem, evaluation, item.measure),
                "lapse": _label(problem, item.lapse),
            }
        )
    done = {s.measure for s in evaluation.scheduled}
    return {
        "totals": {
            "benefit": evaluation.benefit,
            "overlap": evaluation.overlap,
            "cost": evaluation.cost,
            "lever_cost": evaluation.lever_cost,
            "net_value": evaluation.benefit - evaluation.overlap - evaluation.cost,
            "makespan_periods": evaluation.makespan,
        },
        "schedule": schedule,
        "lever_uses": [
            {
                "lever": use.lever,
                "lever_name": problem.lever_by_id[use.lever].name,
                "period": labels[use.period],
            }
            for use in evaluation.plan.lever_uses
        ],
        "left_out": [
            {"measure": m.id, "measure_name": m.name, "force": m.force.value, "source": m.source}
            for m in problem.measures
            if m.id not in done
        ],
        "support": {
            s.id: {
                "name": s.name,
                "values": list(evaluation.support[s.id]),
                "gates": _series_gates(problem, evaluation, s.id),
                "maintain": _series_maintain(problem, evaluation, s.id),
            }
            for s in problem.series
        },
        **_dynamics_part(problem, evaluation),
        "resources": {
            r.id: {
                "name": r.name,
                "kind": r.kind.value,
                "unit": r.unit,
                "use": list(evaluation.resource_use[r.id]),
                "capacity": (
                    list(evaluation.capacity[r.id])
                    if r.kind is ResourceKind.RENEWABLE
                    else r.capacity.base
                ),
            }
            for r in problem.resources
        },
        "violations": [v.message for v in evaluation.violations],
    }


def _label(problem: Problem, period: int | None) -> str | None:
    """A period's label; ``None`` for none, or for a period after the horizon."""
    if period is None or not 0 <= period < problem.horizon:
        return None
    return problem.periods[period]


def _upgrade_part(
    problem: Problem, evaluation: Evaluation, measure_id: str
) -> dict[str, Any] | None:
    """The widening of a measure in the plan, with its gates, or ``None``."""
    for item in evaluation.upgrades:
        if item.measure != measure_id:
            continue
        measure = problem.measure_by_id[measure_id]
        upgrade = measure.upgrade(item.from_scope, item.scope)
        assert upgrade is not None
        return {
            "scope": item.scope,
            "scope_name": measure.scope(item.scope).name,
            "start": problem.periods[item.start],
            "signing": problem.periods[item.signing],
            "in_force": _label(problem, item.in_force),
            "cost": item.cost,
            "gain": item.gain,
            "gates": [
                {
                    "series": gate.series,
                    "threshold": gate.threshold.base,
                    "support_at_signing": evaluation.support[gate.series][item.signing],
                }
                for gate in upgrade.gates
            ],
            "source": upgrade.source,
        }
    return None


def _dynamics_part(problem: Problem, evaluation: Evaluation) -> dict[str, Any]:
    """Upgrades, reviews, backlashes, overlaps and events of a plan, for the record and reports."""
    names = {m.id: m.name for m in problem.measures}
    series = {s.id: s.name for s in problem.series}
    return {
        "upgrades": [
            {
                "measure": u.measure,
                "measure_name": names[u.measure],
                "scope": u.scope,
                "scope_name": problem.scope(u.measure, u.scope).name,
                "start": problem.periods[u.start],
            }
            for u in evaluation.upgrades
        ],
        "reviews": [
            {
                "measure": r.measure,
                "measure_name": names[r.measure],
                "period": problem.periods[r.period],
                "passed": r.passed,
                "levels": [
                    {"series": k, "series_name": series[k], "support": level, "threshold": bar}
                    for k, level, bar in r.levels
                ],
            }
            for r in evaluation.reviews
        ],
        "backlashes": [
            {
                "measure": b.measure,
                "measure_name": names[b.measure],
                "lever": b.lever,
                "lever_name": problem.lever_by_id[b.lever].name,
                "signing": problem.periods[b.signing],
                "series": [series[k] for k in b.series],
            }
            for b in evaluation.backlashes
        ],
        "overlaps": [
            {
                "measure": o.measure,
                "measure_name": names[o.measure],
                "other": o.other,
                "other_name": names[o.other],
                "value": o.value,
                "periods": [problem.periods[t] for t in o.periods],
            }
            for o in evaluation.overlaps
        ],
        "events": [
            {
                "event": h.event,
                "event_name": problem.event_by_id[h.event].name,
                "period": problem.periods[h.period],
                "weight": h.weight,
            }
            for h in evaluation.happenings
        ],
    }


def _series_maintain(problem: Problem, evaluation: Evaluation, series: str) -> list[dict[str, Any]]:
    """Maintain thresholds on ``series`` of every renewing measure, done or not."""
    done = {s.measure for s in evaluation.scheduled}
    return [
        {
            "measure": measure.id,
            "measure_name": measure.name,
            "threshold": gate.threshold.base,
            "chosen": measure.id in done,
        }
        for measure in problem.measures
        if measure.renews
        for gate in measure.maintain
        if gate.series == series
    ]


def _series_gates(problem: Problem, evaluation: Evaluation, series: str) -> list[dict[str, Any]]:
    """Every threshold on ``series``, of every measure and scope, chosen or not."""
    chosen = {(s.measure, s.scope) for s in evaluation.scheduled}
    return [
        {
            "measure": measure.id,
            "measure_name": measure.name,
            "scope": scope.id,
            "scope_name": scope.name,
            "threshold": gate.threshold.base,
            "chosen": (measure.id, scope.id) in chosen,
        }
        for measure, scope in problem.all_scopes()
        for gate in scope.gates
        if gate.series == series
    ]


def write_outputs(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write ``plan.json``, ``plan.xlsx`` and ``summary.md`` into ``folder``.

    All three are rendered to temporary files first and replace the old ones
    only when every one is complete, so a failure leaves the previous set intact.
    """
    targets = [folder / "plan.json", folder / "plan.xlsx", folder / "summary.md"]
    workbook = plan_workbook(document)
    with atomic_files(targets) as (plan_json, plan_xlsx, summary_md):
        plan_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        workbook.save(plan_xlsx)
        summary_md.write_text(summary_markdown(document), "utf-8")
    return targets


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def headline(document: dict[str, Any]) -> str:
    """One paragraph: what was established and what the plan is worth."""
    status = Status(document["status"])
    text = f"Status: **{document['status_words']}**"
    if document.get("gap") is not None and status.has_plan:
        text += f" ({document['solver']['name']}, gap {100 * document['gap']:.4f}%)"
    text += "."
    if "totals" in document:
        totals = document["totals"]
        if document["objective"]["kind"] == ObjectiveKind.VALUE.value:
            overlap = totals.get("overlap", 0.0)
            shared = f" minus overlap {_number(overlap)}" if overlap else ""
            text += (
                f" Net value {_number(totals['net_value'])} = benefit "
                f"{_number(totals['benefit'])}{shared} minus political cost "
                f"{_number(totals['cost'])} (discounted value units)."
            )
        else:
            text += f" All chosen measures in force after {totals['makespan_periods']} periods."
    reliability = document.get("reliability")
    if reliability:
        text += (
            f" Goes through unchanged in {words_share(reliability['share'])} of "
            f"{reliability['scenarios']:,} sampled scenarios."
        )
    return text


def markdown_text(text: str) -> str:
    """Escape what Markdown would read as markup or raw HTML in untrusted text (names, sources)."""
    for character in "\\`*[]<>|":
        text = text.replace(character, "\\" + character)
    return text.replace("\n", " ")


def markdown_table(table: Table) -> list[str]:
    """A table as Markdown lines (untrusted text escaped), or its empty sentence."""
    if not table.rows:
        return [table.empty]
    lines = ["| " + " | ".join(table.headers) + " |"]
    lines.append("|" + "".join("---:|" if c.numeric else "---|" for c in table.columns))
    lines += [
        "| " + " | ".join(markdown_text(cell) for cell in row) + " |" for row in table.text_rows()
    ]
    return lines


def summary_markdown(document: dict[str, Any]) -> str:
    """Render the Markdown summary: the headline, the steps and the report's tables."""
    lines = [f"# {markdown_text(document['model'])}: sequencing plan", "", headline(document), ""]
    if document.get("notes"):
        lines += [f"- {markdown_text(note)}" for note in document["notes"]] + [""]
    checked = reliability_sentences(document)
    if checked:
        lines += ["## Reliability", ""] + [f"- {markdown_text(t)}" for t in checked] + [""]
    plan_steps = steps(document)
    if plan_steps:
        lines += ["## Step by step", ""]
        lines += [
            f"- **{markdown_text(step.period)}**: "
            + "; ".join(markdown_text(event) for event in step.events)
            for step in plan_steps
        ]
        lines.append("")
    for section in why_sections(document):
        lines += [f"## {section.title}", "", markdown_text(section.lede), ""]
        lines += [f"- {markdown_text(item)}" for item in section.items] + [""]
    for table in [*plan_tables(document), inputs_table(document)]:
        lines += [f"## {table.title}", "", *markdown_table(table), ""]
    return "\n".join(lines)


def plan_workbook(document: dict[str, Any]) -> Workbook:
    """Render ``plan.xlsx``: the plan (``seqopt check`` reads it), support, resources, summary."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = PLAN_SHEET
    sheet_rows(
        sheet,
        [
            "kind",
            "id",
            "scope",
            "period",
            "name",
            "scope_name",
            "signing",
            "in_force",
            "value",
            "cost",
        ],
        [
            [
                "measure",
                s["measure"],
                s["scope"],
                s["start"],
                s["measure_name"],
                s["scope_name"],
                s["signing"],
                s["in_force"],
                s["benefit"],
                s["cost"],
            ]
            for s in document.get("schedule", [])
        ]
        + [
            [
                "upgrade",
                s["measure"],
                u["scope"],
                u["start"],
                s["measure_name"],
                u["scope_name"],
                u["signing"],
                u["in_force"],
                u["gain"],
                u["cost"],
            ]
            for s in document.get("schedule", [])
            if (u := s.get("upgrade")) is not None
        ]
        + [
            ["lever", u["lever"], None, u["period"], u["lever_name"], None, None, None, None, None]
            for u in document.get("lever_uses", [])
        ],
    )
    periods = document["periods"]
    if "support" in document:
        support = document["support"]
        sheet_rows(
            workbook.create_sheet("support"),
            ["period", *(s["name"] for s in support.values())],
            [[p, *(s["values"][t] for s in support.values())] for t, p in enumerate(periods)],
        )
        resources = document["resources"]
        headers = ["period"]
        for r in resources.values():
            headers += [f"{r['name']} use", f"{r['name']} capacity"]
        sheet_rows(
            workbook.create_sheet("resources"),
            headers,
            [
                [p]
                + [
                    value
                    for r in resources.values()
                    for value in (
                        r["use"][t],
                        r["capacity"][t] if isinstance(r["capacity"], list) else r["capacity"],
                    )
                ]
                for t, p in enumerate(periods)
            ],
        )
        sheet_rows(
            workbook.create_sheet("left_out"),
            ["measure", "name", "force", "source"],
            [
                [m["measure"], m["measure_name"], m["force"], m.get("source", "")]
                for m in document["left_out"]
            ],
        )
    summary = [
        ["model", document["model"]],
        ["status", document["status_words"]],
        ["value", document["value"]],
        ["bound", document["bound"]],
        ["gap", document["gap"]],
        ["solver", document["solver"]["name"]],
        ["input", document["input"]["path"]],
        ["input sha256", document["input"]["sha256"]],
        ["seqopt version", document["seqopt_version"]],
    ]
    sheet_rows(workbook.create_sheet("summary"), ["item", "value"], summary)
    shared = [
        t
        for t in plan_tables(document)
        if t.key in ("measures", "signings", "reliability", "breaks")
    ]
    for table in [*shared, inputs_table(document)]:
        table_sheet(workbook.create_sheet(table.key), table)
    return workbook


EXCEL_FORMATS = {",.2f": "#,##0.00", ".1f": "0.0", ".0%": "0%"}
"""Excel number formats for the report tables' number formats (others: General)."""


def table_sheet(sheet: Any, table: Table) -> None:
    """A report table as a sheet: raw values, with the table's number formats."""
    sheet_rows(sheet, table.headers, [list(row) for row in table.rows])
    for index, column in enumerate(table.columns, start=1):
        number_format = EXCEL_FORMATS.get(column.number)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format


def sheet_rows(sheet: Any, headers: list[str], rows: list[list[Any]]) -> None:
    """Write a header and rows into a worksheet, every cell through the safe writer."""
    # Cell by cell, not sheet.append: names are untrusted text and must never become formulas.
    for number, values in enumerate([headers, *rows], start=1):
        for index, value in enumerate(values, start=1):
            put(sheet.cell(number, index), value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header)), *(len(str(r[index - 1])) for r in rows)], default=10)
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 50)


CHECK_SCHEMA = "seqopt.check/1"


def check_document(
    problem: Problem,
    model: ModelFile,
    plan_file: Path,
    evaluation: Evaluation,
    relaxations: list[dict[str, Any]],
) -> dict[str, Any]:
    """What ``seqopt check --json`` prints: the plan's value, every rule it breaks, the figures.

    Numbers are given in full precision; a period is its label, or ``null``
    when it falls after the horizon (a signing or entry into force too late).
    """

    def label(period: int | None) -> str | None:
        if period is None or not 0 <= period < problem.horizon:
            return None
        return problem.periods[period]

    return {
        "schema": CHECK_SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": fingerprint(model.input)},
        "plan_file": plan_file.as_posix(),
        "objective": {
            "kind": model.objective.kind.value,
            "discount_rate": model.objective.discount_rate,
            "terminal": model.objective.terminal,
        },
        "feasible": evaluation.feasible,
        "value": evaluation.objective,
        "totals": {
            "benefit": evaluation.benefit,
            "cost": evaluation.cost,
            "lever_cost": evaluation.lever_cost,
            "net_value": evaluation.benefit - evaluation.cost,
            "makespan_periods": evaluation.makespan,
        },
        "violations": [
            {
                "rule": v.rule,
                "subject": v.subject,
                "message": v.message,
                "period": label(v.period),
                "amount": v.amount,
                "detail": list(v.detail),
            }
            for v in evaluation.violations
        ],
        "relaxations": relaxations,
        "schedule": [
            {
                "measure": s.measure,
                "scope": s.scope,
                "start": label(s.start),
                "signing": label(s.signing),
                "in_force": label(s.in_force),
                "benefit": s.benefit,
                "cost": s.cost,
            }
            for s in sorted(evaluation.scheduled, key=lambda s: (s.start, s.measure))
        ],
        "lever_uses": [
            {"lever": u.lever, "period": label(u.period)} for u in evaluation.plan.lever_uses
        ],
    }
