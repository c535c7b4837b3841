"""The price of safety: value against reliability, one point per level, the knee marked.

A pure function of ``frontier.json`` (``seqopt frontier``), which the report
reads into the document under ``frontier``. The x axis is the share of fresh
scenarios in which each plan goes through unchanged (what it reaches, not what
was asked); the label of each point says what was asked. Hollow points are
levels no plan reached (the most reliable plan found is drawn).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seqopt.report.style import ALERT, FULL, GRID, INK, MUTED, WIDTH, empty, style, write_chart
from seqopt.report.tables import Column, Table

CHART = "frontier"


def plot_frontier(frontier: dict[str, Any], ax: Axes) -> None:
    """Value (at base values) against reliability on fresh scenarios, knee ringed."""
    points = [p for p in frontier["points"] if p["value"] is not None]
    if not points:
        empty(ax, "No level has a plan.")
        return
    xs = [100 * p["fresh"] for p in points]
    ys = [p["value"] for p in points]
    ax.plot(xs, ys, color=FULL, linewidth=1.6, zorder=2)
    labels: dict[tuple[float, float], list[str]] = {}
    for p, x, y in zip(points, xs, ys, strict=True):
        face = FULL if p["reached"] else "#ffffff"
        ax.scatter([x], [y], s=42, color=face, edgecolor=FULL, linewidth=1.4, zorder=3)
        level = f"{100 * p['level']:.0f}%" if p["level"] > 0 else "optimal at base values"
        labels.setdefault((x, y), []).append(level)
    for index, ((x, y), levels) in enumerate(labels.items()):
        # Levels whose plans coincide share one label; labels alternate above and below
        # so that neighbours on the steep end do not overlap.
        said = ", ".join(levels)
        said = f"asked {said}" if levels[0][0].isdigit() else said
        ax.annotate(
            f"{said}\n{y:,.1f}",
            (x, y),
            xytext=(6, 6) if index % 2 == 0 else (-8, -26),
            ha="left" if index % 2 == 0 else "right",
            textcoords="offset points",
            fontsize=8.5,
            color=MUTED,
        )
    where = frontier.get("knee")
    if where is not None and frontier["points"][where]["value"] is not None:
        knee = frontier["points"][where]
        x, y = 100 * knee["fresh"], knee["value"]
        ax.scatter([x], [y], s=260, facecolor="none", edgecolor=ALERT, linewidth=1.6, zorder=4)
        ax.annotate(
            "knee",
            (x, y),
            xytext=(-14, 10),
            textcoords="offset points",
            color=ALERT,
            fontsize=9.5,
            fontweight="bold",
            ha="right",
        )
    ax.margins(y=0.16)  # room for the labels above the highest and below the lowest point
    ax.set_xlim(-2, 104)
    ax.set_xticks([0, 25, 50, 75, 90, 100], ["0%", "25%", "50%", "75%", "90%", "100%"])
    ax.grid(color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(
        f"Share of {frontier['check_samples']:,} fresh scenarios in which the plan goes "
        "through unchanged"
    )
    unit = "Value at base values" if frontier.get("maximise", True) else "Makespan (periods)"
    ax.set_ylabel(unit, color=INK)


def frontier_figure(document: dict[str, Any]) -> Figure | None:
    """The frontier chart (``None`` without a frontier)."""
    frontier = document.get("frontier")
    if not frontier:
        return None
    with style():
        figure = Figure(figsize=(WIDTH, 4.6), layout="constrained")
        plot_frontier(frontier, figure.add_subplot())
    return figure


def write_frontier_chart(folder: Path, frontier: dict[str, Any]) -> list[Path]:
    """Write ``frontier.svg`` and ``frontier.png`` for a frontier document."""
    figure = frontier_figure({"frontier": frontier})
    assert figure is not None
    return write_chart(folder, CHART, figure)


def frontier_table(frontier: dict[str, Any]) -> Table:
    """Every level: what was asked, what the plan reaches, its value and what changes."""
    rows = []
    for index, p in enumerate(frontier["points"]):
        asked = f"{100 * p['level']:.0f}%" if p["level"] > 0 else "none (base values)"
        if not p["reached"]:
            asked += " (not reached)"
        if index == frontier.get("knee"):
            asked += " ← knee"
        rows.append(
            (
                asked,
                p["value"],
                100 * p["fresh"],
                p["scenarios"] or None,
                "; ".join(p["changes"]) if index else "",
            )
        )
    return Table(
        "frontier",
        "The price of safety",
        (
            Column("Reliability asked"),
            Column("Value", ",.2f"),
            Column("Goes through (%)", ".1f"),
            Column("Chosen on scenarios", "d"),
            Column("What changes from the plan above"),
        ),
        tuple(rows),
        "No level.",
    )
