"""Support over the horizon against the thresholds of the measures each series gates."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from seqopt.report.style import (
    ALERT,
    FAINT,
    GRID,
    INK,
    MUTED,
    WIDTH,
    axes_size,
    period_axis,
    scope_colours,
    short,
    style,
)

THRESHOLD_CHARACTERS = 60
"""Longest threshold label, value included, that fits right of the support panels."""
MOST_LABELS = 16
"""Above this many thresholds on a series, only those of the plan's scopes are labelled."""


@dataclass(frozen=True)
class Threshold:
    """One threshold line on a support series: a measure's gate, for one or more scopes."""

    value: float
    measure: str
    name: str
    """The measure's name."""
    scope: str
    """The scope or scopes concerned, or ``""`` where the measure alone says it."""
    colour: str
    note: str = ""
    """Why no signing of the plan needs it: ``left out``, or the scope is ``not chosen``."""
    review: bool = False
    """A maintain threshold of a renewing measure (checked at reviews, not at signing)."""

    @property
    def label(self) -> str:
        """``Measure: scope`` (or the measure alone)."""
        return f"{self.name}: {self.scope}" if self.scope else self.name

    @property
    def chosen(self) -> bool:
        """Whether a signing in the plan must reach this threshold."""
        return not self.note


def _gates(document: dict[str, Any], series: str) -> list[dict[str, Any]]:
    gates = document["support"][series].get("gates")
    if gates is not None:
        return list(gates)
    # A document written before gates were listed per series: the plan's own gates.
    return [
        {
            "measure": s["measure"],
            "measure_name": s["measure_name"],
            "scope": s["scope"],
            "scope_name": s["scope_name"],
            "threshold": g["threshold"],
            "chosen": True,
        }
        for s in document.get("schedule", [])
        for g in s["gates"]
        if g["series"] == series
    ]


def thresholds(document: dict[str, Any], series: str) -> list[Threshold]:
    """The thresholds on ``series``, highest first: of chosen scopes, then of the others.

    Scopes of one measure with the same threshold share a line. A chosen
    scope's line has its colour in the roadmap (and names the scope where the
    measure's scopes need different support); the others are grey, name their
    scopes and say why they do not apply: the measure is left out, or another
    scope is chosen.
    """
    colours = scope_colours(document)
    chosen_scope = {s["measure"]: s["scope_name"] for s in document.get("schedule", [])}
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    levels: dict[str, set[float]] = {}
    for gate in _gates(document, series):
        groups.setdefault((gate["measure"], gate["threshold"]), []).append(gate)
        levels.setdefault(gate["measure"], set()).add(gate["threshold"])
    lines = []
    for (measure, value), group in groups.items():
        name = group[0]["measure_name"]
        scopes = " / ".join(g["scope_name"] for g in group)
        if any(g["chosen"] for g in group):
            scope = chosen_scope.get(measure, scopes)
            named = scope if len(levels[measure]) > 1 else ""
            lines.append(Threshold(value, measure, name, named, colours.get(scope, FAINT)))
        else:
            note = "not chosen" if measure in chosen_scope else "left out"
            lines.append(Threshold(value, measure, name, scopes, FAINT, note))
    for item in document.get("schedule", []):
        upgrade = item.get("upgrade")
        for gate in upgrade["gates"] if upgrade else []:
            if gate["series"] == series:
                wide = upgrade["scope_name"]
                scope = f"widening to {wide}"
                lines.append(
                    Threshold(
                        gate["threshold"],
                        item["measure"],
                        item["measure_name"],
                        scope,
                        colours.get(wide, FAINT),
                    )
                )
    for keep in document["support"][series].get("maintain", []):
        scope = chosen_scope.get(keep["measure"])
        colour = colours.get(scope, FAINT) if scope is not None else FAINT
        note = "" if keep["chosen"] else "left out"
        lines.append(
            Threshold(
                keep["threshold"],
                keep["measure"],
                keep["measure_name"],
                "to stay in force",
                colour,
                note,
                review=True,
            )
        )
    return sorted(lines, key=lambda t: (-t.value, not t.chosen, t.label))


def labelled(lines: Sequence[Threshold]) -> list[Threshold]:
    """The thresholds that get a label: all, or only the plan's when there are too many."""
    if len(lines) <= MOST_LABELS:
        return list(lines)
    return [line for line in lines if line.chosen]


def spread_labels(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Place labels near ``wanted`` (ascending axes fractions), ``gap`` apart, within bounds.

    Overlapping labels form a block centred on the mean of what they want;
    blocks that then overlap merge, until none do.
    """
    blocks: list[tuple[float, int, float]] = []  # first position, labels, sum of wanted
    for want in wanted:
        blocks.append((want, 1, want))
        while len(blocks) > 1:
            (below, below_count, below_sum), (above, above_count, above_sum) = blocks[-2:]
            if below + below_count * gap <= above:
                break
            count, total = below_count + above_count, below_sum + above_sum
            blocks[-2:] = [(total / count - (count - 1) * gap / 2, count, total)]
    placed = [first + k * gap for first, count, _ in blocks for k in range(count)]
    if placed and placed[-1] > high:
        placed = [p - (placed[-1] - high) for p in placed]
    if placed and placed[0] < low:
        placed = [p + (low - placed[0]) for p in placed]
    return placed


def plot_support(document: dict[str, Any], series: str, ax: Axes) -> None:
    """Draw one support series over the horizon against the thresholds of the measures it gates.

    Every signing gated by the series is a diamond on the line, in the colour
    of the chosen scope, so a reader sees each signing wait until support
    reaches its threshold. Threshold labels stand right of the plot; when a
    series gates more than :data:`MOST_LABELS` scopes, only the plan's own
    thresholds are labelled and the others are drawn fainter.
    """
    periods = document["periods"]
    index = {label: t for t, label in enumerate(periods)}
    values = document["support"][series]["values"]
    lines = thresholds(document, series)
    colours = scope_colours(document)
    period_axis(ax, periods)
    xs = [t + 0.5 for t in range(len(periods))]
    everything = list(values) + [line.value for line in lines]
    low, high = min(everything), max(everything)
    pad = max(2.0, 0.08 * (high - low))
    ax.set_ylim(low - pad, high + pad)
    named = labelled(lines)
    for line in lines:
        chosen_style = (0, (6, 2, 1, 2)) if line.review else (0, (5, 3))
        ax.axhline(
            line.value,
            color=line.colour,
            linestyle=chosen_style if line.chosen else (0, (1, 2)),
            linewidth=1.5 if line.chosen else 1.0,
            alpha=1.0 if line in named else 0.5,
            zorder=1,
        )
    ax.plot(xs, values, color=INK, linewidth=2.2, marker="o", markersize=3, zorder=3)
    for item in document.get("schedule", []):
        for gate in item["gates"]:
            if gate["series"] != series:
                continue
            ax.plot(
                index[item["signing"]] + 0.5,
                gate["support_at_signing"],
                marker="D",
                markersize=8,
                color=colours[item["scope_name"]],
                markeredgecolor=INK,
                markeredgewidth=1.0,
                zorder=4,
                gid=f"signing-{item['measure']}-{series}",
            )
    _dynamics_marks(document, series, ax, index, colours)
    ax.grid(axis="y", color=GRID, linewidth=0.7)
    ax.set_title(short(document["support"][series]["name"], 90))
    ax.set_ylabel("Support (%)")
    _threshold_labels(ax, named, low - pad, high + pad)


def _dynamics_marks(
    document: dict[str, Any],
    series: str,
    ax: Axes,
    index: dict[str, int],
    colours: dict[str, str],
) -> None:
    """Widenings signed, renewal reviews (kept or lapsed), and outside events, on one series."""
    values = document["support"][series]["values"]
    for item in document.get("schedule", []):
        upgrade = item.get("upgrade")
        for gate in upgrade["gates"] if upgrade else []:
            if gate["series"] == series:
                ax.plot(
                    index[upgrade["signing"]] + 0.5,
                    gate["support_at_signing"],
                    marker="D",
                    markersize=8,
                    color=colours.get(upgrade["scope_name"], FAINT),
                    markeredgecolor=INK,
                    zorder=4,
                    gid=f"widening-{item['measure']}-{series}",
                )
    for review in document.get("reviews", []):
        if any(level["series"] == series for level in review["levels"]):
            t = index[review["period"]]
            ax.plot(
                t + 0.5,
                values[t],
                marker="o" if review["passed"] else "X",
                markersize=9,
                markerfacecolor="white" if review["passed"] else ALERT,
                markeredgecolor=INK if review["passed"] else "white",
                zorder=5,
                gid=f"review-{review['measure']}-{series}-{t}",
            )
    for event in document.get("events", []):
        t = index[event["period"]]
        ax.axvline(t + 0.5, color=FAINT, linewidth=0.8, linestyle=(0, (2, 2)), zorder=0)


def _threshold_labels(ax: Axes, lines: Sequence[Threshold], low: float, high: float) -> None:
    if not lines:
        return
    _, height_points = axes_size(ax)
    gap = 12 / height_points
    wanted = [(line.value - low) / (high - low) for line in reversed(lines)]
    placed = spread_labels(wanted, gap, -0.08, 1.1)
    for line, want, at in zip(reversed(lines), wanted, placed, strict=True):
        ax.plot(
            [1.0, 1.02, 1.045],
            [want, at, at],
            transform=ax.transAxes,
            clip_on=False,
            color=line.colour,
            linewidth=1.2 if line.chosen else 0.9,
            linestyle="-" if line.chosen else (0, (1, 1.5)),
        )
        ax.text(
            1.05,
            at,
            _threshold_text(line),
            transform=ax.transAxes,
            va="center",
            ha="left",
            fontsize=8.5,
            color=INK if line.chosen else MUTED,
        )


def _threshold_text(line: Threshold) -> str:
    """``67  Measure: scope (note)``, shortened to fit: the measure's remarks go first."""
    value = f"{line.value:g}  "
    suffix = f" ({line.note})" if line.note else ""
    room = THRESHOLD_CHARACTERS - len(value) - len(suffix)
    name, scope = line.name, line.scope
    if len(line.label) > room:
        name = re.sub(r"\s*\([^()]*\)", "", name).strip() or name
    if scope and len(name) + 2 + len(scope) > room:
        name = short(name, max(room - 2 - len(scope), 16))
    label = f"{name}: {scope}" if scope else name
    return value + short(label, room) + suffix


def _dynamics_key(document: dict[str, Any]) -> list[Line2D]:
    """Legend entries for what only models with renewals or events show."""
    key = []
    if any(s.get("maintain") for s in document.get("support", {}).values()):
        key.append(
            Line2D([], [], color=FAINT, linestyle=(0, (6, 2, 1, 2)), label="Maintain threshold")
        )
    if document.get("reviews"):
        key.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                markeredgecolor=INK,
                label="Review passed",
            )
        )
    if any(not r["passed"] for r in document.get("reviews", [])):
        key.append(
            Line2D([], [], linestyle="none", marker="X", color=ALERT, label="Review failed: lapses")
        )
    if document.get("events"):
        key.append(Line2D([], [], color=FAINT, linestyle=(0, (2, 2)), label="Outside event"))
    return key


def support_figure(document: dict[str, Any]) -> Figure | None:
    """One panel per support series, sharing the period axis (``None`` without series)."""
    series = list(document.get("support", {}))
    if not series:
        return None
    panel = [max(1.9, 1.0 + 0.17 * len(labelled(thresholds(document, s)))) for s in series]
    extra = _dynamics_key(document)
    legend_rows = math.ceil((4 + len(extra)) / 4)
    # Every panel has its own period labels: a reader of a tall chart keeps the time axis.
    gap, top, bottom = 0.8, 0.55 + 0.3 * (legend_rows - 1), 0.6
    height = sum(panel) + gap * (len(series) - 1) + top + bottom
    with style():
        figure = Figure(figsize=(WIDTH, height))
        y = height - top
        axes: list[Axes] = []
        for number, (key, size) in enumerate(zip(series, panel, strict=True)):
            y -= size
            ax = figure.add_axes(
                (0.85 / WIDTH, y / height, (WIDTH - 0.85 - 3.9) / WIDTH, size / height),
                sharex=axes[0] if axes else None,
            )
            axes.append(ax)
            plot_support(document, key, ax)
            if number == len(series) - 1:
                ax.set_xlabel("Period")
            y -= gap
        figure.legend(
            handles=[
                Line2D([], [], color=INK, linewidth=2.2, marker="o", markersize=3, label="Support"),
                Line2D(
                    [],
                    [],
                    color=FAINT,
                    linestyle=(0, (5, 3)),
                    linewidth=1.5,
                    label="Threshold of a chosen scope (its colour)",
                ),
                Line2D(
                    [], [], color=FAINT, linestyle=(0, (1, 2)), label="Threshold not in the plan"
                ),
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="D",
                    color=FAINT,
                    markeredgecolor=INK,
                    label="Signing",
                ),
                *extra,
            ],
            loc="upper left",
            bbox_to_anchor=(0.85 / WIDTH - 0.005, 1 - 0.04 / height),
            ncols=4,
            handlelength=2.2,
        )
    return figure
