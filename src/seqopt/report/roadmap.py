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
    ALERT,
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


def _event_rows(document: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Outside events counted in the plan, by name: (period, weight) of each happening."""
    rows: dict[str, list[tuple[str, float]]] = {}
    for event in document.get("events", []):
        rows.setdefault(event["event_name"], []).append((event["period"], event["weight"]))
    return rows


def _marker_rows(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows below the measures: (section, name) for each lever, then each event."""
    rows = [("FRAMING LEVERS", name) for name in _lever_rows(document)]
    return rows + [("OUTSIDE EVENTS", name) for name in _event_rows(document)]


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
    events = _event_rows(document)
    colours = scope_colours(document)
    marker_rows = _marker_rows(document)
    tall = len(schedule) + len(marker_rows) >= TALL_ROWS
    period_axis(ax, periods, top=tall)
    ax.set_xlabel("Period")
    if not schedule and not levers:
        empty(ax, "No measure is in the plan.")
        return
    label_x = blended_transform_factory(ax.transAxes, ax.transData)

    def label(row: float, text: str, **style: Any) -> None:
        ax.text(-0.012, row, text, transform=label_x, ha="right", va="center", **style)

    names = distinct_labels(
        [item["measure_name"] for item in schedule] + [name for _, name in marker_rows]
    )

    def at(key: str | None) -> int:
        """A period's index, or the horizon for a label after it (``None``)."""
        return index[key] if key is not None else len(periods)

    backlashes = {b["measure"] for b in document.get("backlashes", [])}
    for row, item in enumerate(schedule):
        colour = colours[item["scope_name"]]
        upgrade = item.get("upgrade")
        gid = f"negotiation-{item['measure']}"
        _negotiation(ax, row, index[item["start"]], index[item["signing"]], colour, gid)
        lapse = at(item.get("lapse"))
        in_force = at(item["in_force"])
        widened = at(upgrade["in_force"]) if upgrade else len(periods)
        _in_force(ax, row, in_force, min(widened, lapse), colour, f"in-force-{item['measure']}")
        if upgrade:
            wide = colours[upgrade["scope_name"]]
            start, signing = index[upgrade["start"]], index[upgrade["signing"]]
            gid = f"widening-{item['measure']}"
            _negotiation(ax, row, start, signing, wide, gid, hatch="////")
            _in_force(ax, row, widened, lapse, wide, f"widened-{item['measure']}")
        if item.get("lapse") is not None:
            ax.plot(lapse, row, marker="X", markersize=9, color=ALERT, markeredgecolor="white")
        if item["measure"] in backlashes:
            ax.plot(
                index[item["signing"]] + 0.5,
                row + 0.38,
                marker="v",
                markersize=7,
                color=ALERT,
                gid=f"backlash-{item['measure']}",
            )
        label(row - 0.15, names[row])
        scope = item["scope_name"] + (f" → {upgrade['scope_name']}" if upgrade else "")
        label(row + 0.24, short(scope), fontsize=8.5, color=MUTED)
    top = len(schedule) - 0.5
    rows = marker_rows
    section = ""
    step = LEVER_ROW / ROW
    y = top + 0.5 - step  # a heading takes a row: the first one's line is at top + 0.1
    for number, (heading, name) in enumerate(rows):
        if heading != section:
            section = heading
            y += step
            ax.axhline(y - 0.4, color=FAINT, linewidth=0.8)
            label(y - 0.05, heading, fontsize=8, color=MUTED, fontweight="bold")
        y += step
        if heading == "FRAMING LEVERS":
            xs = [index[p] + 0.5 for p in levers[name]]
            ax.plot(xs, [y] * len(xs), linestyle="none", marker="^", markersize=7, color=INK)
        else:
            for period, weight in events[name]:
                ax.plot(
                    index[period] + 0.5,
                    y,
                    marker="*",
                    markersize=9,
                    color=INK if weight >= 1 else "white",
                    markeredgecolor=INK,
                )
        label(y, names[len(schedule) + number], fontsize=9, color=MUTED)
    bottom = y + 0.7 * step if rows else top + 0.5
    ax.set_ylim(bottom, -0.5)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.legend(
        handles=_roadmap_key(
            levers=bool(levers),
            widening=any(item.get("upgrade") for item in schedule),
            lapse=any(item.get("lapse") for item in schedule),
            backlash=bool(backlashes),
            events=bool(events),
        ),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=4,
        borderaxespad=2.0 if tall else 0.4,  # above the period labels of a tall roadmap
        handlelength=1.6,
    )


def _negotiation(
    ax: Axes, row: int, start: int, signing: int, colour: str, gid: str, hatch: str | None = None
) -> None:
    """A negotiation bar and its signing diamond."""
    ax.barh(
        row,
        signing - start + 1,
        left=start,
        height=BAR_HEIGHT,
        color=colour,
        edgecolor=darken(colour),
        linewidth=0.8,
        hatch=hatch,
        gid=gid,
    )
    ax.plot(
        signing + 0.5, row, marker="D", markersize=6.5, color=INK, markeredgecolor="white", zorder=4
    )


def _in_force(ax: Axes, row: int, begin: int, end: int, colour: str, gid: str) -> None:
    """A pale band while a measure is in force at one scope (from ``begin`` up to ``end``)."""
    if end > begin:
        ax.barh(
            row,
            end - begin,
            left=begin,
            height=IN_FORCE_HEIGHT,
            color=lighten(colour, 0.6),
            linewidth=0,
            gid=gid,
            zorder=3,  # above a widening's negotiation: the narrower scope is still in force
        )


def _roadmap_key(
    *,
    levers: bool,
    widening: bool = False,
    lapse: bool = False,
    backlash: bool = False,
    events: bool = False,
) -> list[Artist]:
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
    if widening:
        key.append(Patch(facecolor=FAINT, edgecolor=darken(FAINT), hatch="////", label="Widening"))
    if lapse:
        key.append(
            Line2D(
                [], [], linestyle="none", marker="X", color=ALERT, label="Lapses (review failed)"
            )
        )
    if backlash:
        key.append(
            Line2D([], [], linestyle="none", marker="v", color=ALERT, label="Backlash at signing")
        )
    if events:
        key.append(Line2D([], [], linestyle="none", marker="*", color=INK, label="Outside event"))
    return key


def _label_margin(names: Sequence[str]) -> float:
    """Inches to leave left of the roadmap for row labels."""
    longest = max((len(n) for n in distinct_labels(names)), default=10)
    return min(max(1.2, 0.083 * longest + 0.3), 4.2)


def roadmap_figure(document: dict[str, Any]) -> Figure:
    """The roadmap as a figure sized to its rows."""
    schedule = document.get("schedule", [])
    rows = _marker_rows(document)
    headings = len({heading for heading, _ in rows})
    below = len(rows) + headings + 0.2
    plot_height = max(len(schedule), 1) * ROW + below * LEVER_ROW * bool(rows)
    tall = len(schedule) + len(rows) >= TALL_ROWS
    top, bottom = (0.75 if tall else 0.45), 0.6
    height = plot_height + top + bottom
    names = [s["measure_name"] for s in schedule] + [name for _, name in rows]
    left = _label_margin(names)
    with style():
        figure = Figure(figsize=(WIDTH, height))
        figure.subplots_adjust(
            left=left / WIDTH, right=1 - 0.25 / WIDTH, top=1 - top / height, bottom=bottom / height
        )
        plot_roadmap(document, figure.add_subplot())
    return figure
