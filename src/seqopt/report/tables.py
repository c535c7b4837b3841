"""The tables every report carries, as pure functions of a plan document.

``summary.md``, ``plan.xlsx`` and ``report.html`` render the same
:class:`Table` values, so the three always agree: Markdown and HTML show
:meth:`Table.text_rows`, the workbook stores the raw :attr:`Table.rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Cell = str | float | int | None
"""A raw table value: text, a number, or nothing."""

MISSING = "—"
"""How an empty cell reads in Markdown and HTML."""

FORCE_WORDS = {
    "free": "not chosen",
    "in": "must be done (force = in)",
    "out": "excluded (force = out)",
}


@dataclass(frozen=True)
class Column:
    """A column: its header and, for numbers, a format specification such as ``,.2f``."""

    header: str
    number: str = ""

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers (right-aligned, formatted)."""
        return bool(self.number)

    def text(self, value: Cell) -> str:
        """Return ``value`` as it reads in a Markdown or HTML table."""
        if value is None or value == "":
            return MISSING
        if self.numeric and isinstance(value, int | float) and not isinstance(value, bool):
            return format(value, self.number)
        return str(value)


@dataclass(frozen=True)
class Table:
    """A titled table of raw values, with what to say when it has no rows."""

    key: str
    """Short machine name: the workbook sheet and the HTML element id."""
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = ""

    @property
    def headers(self) -> list[str]:
        """Column headers."""
        return [c.header for c in self.columns]

    def text_rows(self) -> list[list[str]]:
        """Every row formatted for reading."""
        return [[c.text(v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]


def _table(
    key: str, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], empty: str
) -> Table:
    return Table(key, title, tuple(columns), tuple(tuple(r) for r in rows), empty)


def measures_table(document: dict[str, Any]) -> Table:
    """Measures in the plan: chosen scope, key dates, value, cost and the source of estimates."""
    return _table(
        "measures",
        "What is done when",
        [
            Column("Measure"),
            Column("Scope"),
            Column("Negotiation starts"),
            Column("Signed"),
            Column("In force from"),
            Column("Benefit", ",.2f"),
            Column("Cost", ",.2f"),
            Column("Source of estimates"),
        ],
        [
            (
                s["measure_name"],
                _scope_words(s),
                s["start"],
                s["signing"],
                (s["in_force"] or "after the horizon")
                + (f"; lapses from {s['lapse']}" if s.get("lapse") else ""),
                s["benefit"],
                s["cost"] + (s["upgrade"]["cost"] if s.get("upgrade") else 0.0),
                s.get("source", ""),
            )
            for s in document.get("schedule", [])
        ],
        "No measure is in the plan.",
    )


def _scope_words(item: dict[str, Any]) -> str:
    """The scope signed, and the one it is widened to (with when) for a staged scope."""
    upgrade = item.get("upgrade")
    if not upgrade:
        return str(item["scope_name"])
    when = upgrade["in_force"] or "after the horizon"
    return (
        f"{item['scope_name']}, widened to {upgrade['scope_name']} "
        f"(negotiated {upgrade['start']}–{upgrade['signing']}, in force {when})"
    )


def reviews_table(document: dict[str, Any]) -> Table:
    """Every renewal review of a measure in force: support against its maintain thresholds."""
    return _table(
        "reviews",
        "Renewal reviews",
        [
            Column("Measure"),
            Column("Review"),
            Column("Series"),
            Column("Support", ".1f"),
            Column("Threshold", "g"),
            Column("Outcome"),
        ],
        [
            (
                r["measure_name"],
                r["period"],
                level["series_name"],
                level["support"],
                level["threshold"],
                "renewed" if r["passed"] else "lapses",
            )
            for r in document.get("reviews", [])
            for level in r["levels"]
        ],
        "No measure in the plan is reviewed.",
    )


def levers_table(document: dict[str, Any]) -> Table:
    """Framing levers used, with the periods in which each is used."""
    used: dict[str, list[str]] = {}
    for use in document.get("lever_uses", []):
        used.setdefault(use["lever_name"], []).append(use["period"])
    return _table(
        "levers",
        "Framing levers",
        [Column("Lever"), Column("Uses", "d"), Column("Used in")],
        [(name, len(periods), ", ".join(periods)) for name, periods in used.items()],
        "None used.",
    )


def left_out_table(document: dict[str, Any]) -> Table:
    """Measures not in the plan, with their forcing and source."""
    return _table(
        "left_out",
        "Left out",
        [Column("Measure"), Column("Why it may be left out"), Column("Source")],
        [
            (m["measure_name"], FORCE_WORDS.get(m["force"], m["force"]), m.get("source", ""))
            for m in document.get("left_out", [])
        ],
        "Nothing: every measure is in the plan.",
    )


def signings_table(document: dict[str, Any]) -> Table:
    """Support at each gated signing against its threshold, and the margin to spare."""
    support = document.get("support", {})
    return _table(
        "signings",
        "Support at signing",
        [
            Column("Measure"),
            Column("Series"),
            Column("Signed"),
            Column("Support", ".1f"),
            Column("Threshold", "g"),
            Column("To spare", ".1f"),
        ],
        [
            (
                s["measure_name"],
                support[g["series"]]["name"] if g["series"] in support else g["series"],
                s["signing"],
                g["support_at_signing"],
                g["threshold"],
                g["support_at_signing"] - g["threshold"],
            )
            for s in document.get("schedule", [])
            for g in s["gates"]
        ]
        + [
            (
                f"{s['measure_name']} (widening)",
                support[g["series"]]["name"] if g["series"] in support else g["series"],
                s["upgrade"]["signing"],
                g["support_at_signing"],
                g["threshold"],
                g["support_at_signing"] - g["threshold"],
            )
            for s in document.get("schedule", [])
            if s.get("upgrade")
            for g in s["upgrade"]["gates"]
        ],
        "No signing is gated by support.",
    )


def resources_table(document: dict[str, Any]) -> Table:
    """Each resource's heaviest use against its capacity, and each budget's total use."""
    periods = document["periods"]
    rows: list[tuple[Cell, ...]] = []
    for resource in document.get("resources", {}).values():
        name, unit, use = resource["name"], resource["unit"], resource["use"]
        capacity = resource["capacity"]
        if not isinstance(capacity, list):
            used = sum(use)
            share = used / capacity if capacity else None
            limit = "budget over the horizon"
            rows.append((name, limit, unit, used, capacity, share, "in total"))
            continue
        peak = max(range(len(use)), key=lambda t: (use[t] / capacity[t]) if capacity[t] else use[t])
        share = use[peak] / capacity[peak] if capacity[peak] else None
        when = f"at the peak, in {periods[peak]}"
        limit = "capacity per period"
        rows.append((name, limit, unit, use[peak], capacity[peak], share, when))
    return _table(
        "resources",
        "Resources",
        [
            Column("Resource"),
            Column("Limit"),
            Column("Unit"),
            Column("Used", "g"),
            Column("Available", "g"),
            Column("Share", ".0%"),
            Column("When"),
        ],
        rows,
        "The model has no resources.",
    )


def inputs_table(document: dict[str, Any]) -> Table:
    """What the plan was computed from: input file and its hash, settings and program version."""
    objective = document["objective"]
    solver = document["solver"]
    if objective["kind"] == "value":
        terminal = objective["terminal"]
        terminal_words = (
            "in perpetuity" if terminal == "perpetuity" else f"for {terminal} more periods"
        )
        objective_words = (
            f"value: discounted benefit minus cost, discount rate {objective['discount_rate']:g}"
            f" per period, benefit beyond the horizon counted {terminal_words}"
        )
    else:
        objective_words = "makespan: every chosen measure in force as early as possible"
    limit = solver.get("time_limit")
    settings = [f"time limit {limit:g} s" if limit is not None else "no time limit"]
    if solver.get("gap_requested") is not None:
        settings.append(f"gap requested {solver['gap_requested']:g}")
    rows: list[tuple[Cell, ...]] = [
        ("Model", document["model"]),
        ("Input file", document["input"]["path"]),
        ("Input SHA-256", document["input"]["sha256"]),
        ("Objective", objective_words),
        ("Solver", f"{solver['name']} ({', '.join(settings)})"),
        ("Solver's own status", solver.get("solver_status", "")),
        ("seqopt version", document["seqopt_version"]),
        ("Plan format", document["schema"]),
    ]
    if document.get("description"):
        rows.insert(1, ("Description", document["description"]))
    rows[3:3] = _scenario_rows(document.get("scenario"))
    return _table("inputs", "Inputs", [Column("Item"), Column("Value")], rows, "")


def _scenario_rows(scenario: dict[str, Any] | None) -> list[tuple[Cell, ...]]:
    """What a scenario file changed in the input (docs/model-files.md), when it did."""
    if not scenario:
        return []
    rows: list[tuple[Cell, ...]] = []
    if scenario["files"]:
        rows.append(
            ("Model files", " extends ".join(f["path"] for f in reversed(scenario["files"])))
        )
    horizon = scenario.get("horizon")
    if horizon:
        span = f"{horizon['first'] or 'the first period'} to {horizon['last'] or 'the last period'}"
        rows.append(("Horizon", f"{span} of the input's periods"))
    for overlay in scenario["overlays"]:
        rows.append(("Overlay", f"{overlay['path']} (SHA-256 {overlay['sha256']})"))
    for cell, value in scenario["overrides"].items():
        rows.append(("Override", f"{cell} = {'blank' if value is None else value}"))
    return rows


def plan_tables(document: dict[str, Any]) -> list[Table]:
    """Every table of a plan, in reading order (none when the document has no plan)."""
    if "schedule" not in document:
        return []
    tables = [
        measures_table(document),
        levers_table(document),
        left_out_table(document),
        signings_table(document),
        resources_table(document),
    ]
    if document.get("reviews"):
        tables.insert(4, reviews_table(document))
    if document.get("reliability"):
        tables += [reliability_table(document), breaks_table(document)]
    return tables


def reliability_table(document: dict[str, Any]) -> Table:
    """Each gate of each signing: points to spare at base values, and how often it is cleared."""
    reliability = document["reliability"]
    return _table(
        "reliability",
        f"Signings in {reliability['scenarios']:,} sampled scenarios",
        [
            Column("Measure"),
            Column("Series"),
            Column("Signed"),
            Column("To spare at base values", ".1f"),
            Column("Cleared in (%)", ".1f"),
            Column("To spare, 5th percentile", ".1f"),
        ],
        [
            (
                f"{s['measure_name']} (widening)" if s["widening"] else s["measure_name"],
                s["series_name"],
                s["signing"],
                s["margin"],
                100 * s["cleared"],
                s["margin_p5"],
            )
            for s in reliability["signings"]
        ],
        "No signing of the plan has a gate.",
    )


def breaks_table(document: dict[str, Any]) -> Table:
    """The rules the plan breaks in sampled scenarios, most often first."""
    reliability = document["reliability"]
    return _table(
        "breaks",
        "Rules the plan breaks in sampled scenarios",
        [Column("Rule"), Column("Scenarios", "d"), Column("Share (%)", ".1f")],
        [(r["rule"], r["scenarios"], 100 * r["share"]) for r in reliability["rules"]],
        "None: the plan goes through unchanged in every sampled scenario.",
    )
