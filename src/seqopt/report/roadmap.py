"""The roadmap: a Gantt chart of the measures in the plan by period, and the lever uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from seqopt.report.style import (
    FAINT,
    INK,
    MUTED,
    TALL_ROWS,
    WIDTH,
    darken,
    distinct_labels,
    empty,
    lighten,
    period_axis,
    scope_colours,
    short,
    style,
)

ROW = 0.5
"""Height of a measure row in the roadmap, inches."""
LEVER_ROW = 0.3
BAR_HEIGHT = 0.56
"""Negotiation bar thickness as a share of a measure row."""
IN_FORCE_HEIGHT = 0.34


def _lever_rows(document: dict[str, Any]) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for use in document.get("lever_uses", []):
        rows.setdefault(use["lever_name"], []).append(use["period"])
    return rows


def plot_roadmap(document: dict[str, Any], ax: Axes) -> None:
    """Draw the roadmap: each measure's negotiation and time in force, and the lever uses.

    Measures are rows, in the order the schedule lists them (by start), labelled
    with the measure and its chosen scope and coloured by that scope: a solid
    bar while in negotiation, a diamond in the signing period, a pale band
    while in force. Framing levers follow below, a triangle in every period a
    lever is used.
    """
    periods = document["periods"]
    index = {label: t for t, label in enumerate(periods)}
    schedule = document.get("schedule", [])
    levers = _lever_rows(document)
    colours = scope_colours(document)
    tall = len(schedule) + len(levers) >= TALL_ROWS
    period_axis(ax, periods, top=tall)
    ax.set_xlabel("Period")
    if not schedule and not levers:
        empty(ax, "No measure is in the plan.")
        return
    label_x = blended_transform_factory(ax.transAxes, ax.transData)

    def label(row: float, text: str, **style: Any) -> None:
        ax.text(-0.012, row, text, transform=label_x, ha="right", va="center", **style)

    names = distinct_labels([item["measure_name"] for item in schedule] + list(levers))

    for row, item in enumerate(schedule):
        colour = colours[item["scope_name"]]
        start, signing = index[item["start"]], index[item["signing"]]
        ax.barh(
            row,
            signing - start + 1,
            left=start,
            height=BAR_HEIGHT,
            color=colour,
            edgecolor=darken(colour),
            linewidth=0.8,
            gid=f"negotiation-{item['measure']}",
        )
        if item["in_force"] is not None:
            in_force = index[item["in_force"]]
            ax.barh(
                row,
                len(periods) - in_force,
                left=in_force,
                height=IN_FORCE_HEIGHT,
                color=lighten(colour, 0.6),
                linewidth=0,
                gid=f"in-force-{item['measure']}",
            )
        ax.plot(signing + 0.5, row, marker="D", markersize=6.5, color=INK, markeredgecolor="white")
        label(row - 0.15, names[row])
        label(row + 0.24, short(item["scope_name"]), fontsize=8.5, color=MUTED)
    top = len(schedule) - 0.5
    if levers:
        ax.axhline(top + 0.1, color=FAINT, linewidth=0.8)
        label(top + 0.45, "FRAMING LEVERS", fontsize=8, color=MUTED, fontweight="bold")
    for number, used in enumerate(levers.values()):
        y = top + 0.5 + (number + 1) * LEVER_ROW / ROW
        xs = [index[p] + 0.5 for p in used]
        ax.plot(xs, [y] * len(xs), linestyle="none", marker="^", markersize=7, color=INK)
        label(y, names[len(schedule) + number], fontsize=9, color=MUTED)
    bottom = top + 0.5 + (len(levers) + 0.7) * LEVER_ROW / ROW if levers else top + 0.5
    ax.set_ylim(bottom, -0.5)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.legend(
        handles=_roadmap_key(levers=bool(levers)),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=4,
        borderaxespad=2.0 if tall else 0.4,  # above the period labels of a tall roadmap
        handlelength=1.6,
    )


def _roadmap_key(*, levers: bool) -> list[Artist]:
    key: list[Artist] = [
        Patch(facecolor=FAINT, edgecolor=darken(FAINT), label="Negotiation"),
        Patch(facecolor=lighten(FAINT, 0.6), label="In force"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="D",
            color=INK,
            markeredgecolor="white",
            label="Signing",
        ),
    ]
    if levers:
        key.append(
            Line2D([], [], linestyle="none", marker="^", color=INK, label="Framing lever used")
        )
    return key


def _label_margin(names: Sequence[str]) -> float:
    """Inches to leave left of the roadmap for row labels."""
    longest = max((len(n) for n in distinct_labels(names)), default=10)
    return min(max(1.2, 0.083 * longest + 0.3), 4.2)


def roadmap_figure(document: dict[str, Any]) -> Figure:
    """The roadmap as a figure sized to its rows."""
    schedule = document.get("schedule", [])
    levers = _lever_rows(document)
    plot_height = max(len(schedule), 1) * ROW + (len(levers) + 1.2) * LEVER_ROW * bool(levers)
    tall = len(schedule) + len(levers) >= TALL_ROWS
    top, bottom = (0.75 if tall else 0.45), 0.6
    height = plot_height + top + bottom
    names = [s["measure_name"] for s in schedule] + list(levers)
    left = _label_margin(names)
    with style():
        figure = Figure(figsize=(WIDTH, height))
        figure.subplots_adjust(
            left=left / WIDTH, right=1 - 0.25 / WIDTH, top=1 - top / height, bottom=bottom / height
        )
        plot_roadmap(document, figure.add_subplot())
    return figure
