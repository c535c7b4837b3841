"""What each extra unit of political capital buys: benefit against cost, knee marked.

A pure function of ``cost_frontier.json`` (``seqopt frontier --cost``), which the
report reads into the document under ``cost_frontier``. Filled points are
supported (some weighted sum of benefit and cost finds them), hollow ones are
not (only the sweep finds them); the dashed line is the concave hull a weighted
sum walks along. The ring marks the knee; the square the plan with the most
net value (the one ``seqopt solve`` gives).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seqopt.report.style import ALERT, FULL, GRID, INK, MUTED, WIDTH, empty, style, write_chart
from seqopt.report.tables import Column, Table

CHART = "cost_frontier"


def plot_cost_frontier(frontier: dict[str, Any], ax: Axes) -> None:
    """Benefit against cost, one point per plan on the frontier."""
    points = frontier["points"]
    if not points:
        empty(ax, "No plan breaks no rule: the frontier is empty.")
        return
    xs = [p["cost"] for p in points]
    ys = [p["benefit"] for p in points]
    # What a plan buys holds until the budget reaches the next point: a staircase.
    ax.step(xs, ys, where="post", color=FULL, linewidth=1.0, alpha=0.5, zorder=2)
    hull = [(x, y) for x, y, p in zip(xs, ys, points, strict=True) if p["supported"]]
    ax.plot(
        [x for x, _ in hull],
        [y for _, y in hull],
        color=MUTED,
        linewidth=1.0,
        linestyle="--",
        zorder=1,
        label="reached by a weighted sum",
    )
    for p, x, y in zip(points, xs, ys, strict=True):
        face = FULL if p["supported"] else "#ffffff"
        ax.scatter([x], [y], s=36, color=face, edgecolor=FULL, linewidth=1.3, zorder=3)
    ax.scatter([], [], s=36, color="#ffffff", edgecolor=FULL, label="only the sweep finds it")
    best = frontier.get("best_value")
    if best is not None:
        p = points[best]
        ax.scatter(
            [p["cost"]],
            [p["benefit"]],
            s=120,
            marker="s",
            facecolor="none",
            edgecolor=INK,
            zorder=4,
        )
        ax.annotate(
            f"most net value\n{p['value']:,.1f}",
            (p["cost"], p["benefit"]),
            xytext=(-10, -30),
            textcoords="offset points",
            ha="right",
            fontsize=8.5,
            color=MUTED,
        )
    knee = frontier.get("knee")
    if knee is not None:
        p = points[knee]
        ax.scatter(
            [p["cost"]], [p["benefit"]], s=260, facecolor="none", edgecolor=ALERT, lw=1.6, zorder=4
        )
        ax.annotate(
            f"knee: {p['benefit']:,.1f} for {p['cost']:,.2f}",
            (p["cost"], p["benefit"]),
            xytext=(10, -16),
            textcoords="offset points",
            color=ALERT,
            fontsize=9.5,
            fontweight="bold",
        )
    ax.margins(x=0.05, y=0.1)
    ax.grid(color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"Cost: {frontier['cost_words']}")
    ax.set_ylabel("Discounted benefit", color=INK)
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)


def cost_frontier_figure(document: dict[str, Any]) -> Figure | None:
    """The cost frontier chart (``None`` without one)."""
    frontier = document.get("cost_frontier")
    if not frontier:
        return None
    with style():
        figure = Figure(figsize=(WIDTH, 4.8), layout="constrained")
        plot_cost_frontier(frontier, figure.add_subplot())
    return figure


def write_cost_frontier_chart(folder: Path, frontier: dict[str, Any]) -> list[Path]:
    """Write ``cost_frontier.svg`` and ``cost_frontier.png`` for a frontier document."""
    figure = cost_frontier_figure({"cost_frontier": frontier})
    assert figure is not None
    return write_chart(folder, CHART, figure)


def cost_frontier_table(frontier: dict[str, Any]) -> Table:
    """Every point, cheapest first: cost, benefit, value, what the extra cost buys and changes."""
    rows = []
    for index, p in enumerate(frontier["points"]):
        marks = []
        if index == frontier.get("knee"):
            marks.append("knee")
        if index == frontier.get("best_value"):
            marks.append("most net value")
        if not p["supported"]:
            marks.append("unsupported")
        if not p["proven"]:
            marks.append("not proven")
        rows.append(
            (
                p["cost"],
                p["benefit"],
                p["value"],
                p["benefit_per_cost"],
                ", ".join(marks),
                "; ".join(p["changes"]),
            )
        )
    return Table(
        "cost_frontier",
        "What each extra unit of cost buys",
        (
            Column("Cost", ",.2f"),
            Column("Benefit", ",.2f"),
            Column("Net value", ",.2f"),
            Column("Extra benefit per unit", ",.2f"),
            Column("Point"),
            Column("What changes from the cheaper plan"),
        ),
        tuple(rows),
        "No plan breaks no rule.",
    )
