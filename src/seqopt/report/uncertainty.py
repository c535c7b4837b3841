"""Charts and tables of simulations and sensitivity analyses, when a result folder has them.

``seqopt simulate`` writes ``simulation.json`` and ``seqopt sensitivity`` writes
``sensitivity.json`` beside ``plan.json``; :func:`seqopt.report.write.write_report`
reads them into the document under ``simulation`` and ``sensitivity``. The
charts here are pure functions of those parts (each returns ``None`` when its
part is absent), drawn in the house style:

- core index: a bar per measure, the share of scenarios in which it is in the
  optimal plan, with a 95 % sampling interval;
- signing periods: a heatmap of the share of scenarios in which each measure is
  signed in each period;
- values and regret: the distribution of the optimal value against the base
  plan's, and of the regret of the base plan where it still holds;
- tornado: the change of the optimal value when each estimate goes to its low
  and its high end, widest first, with the swings that change the plan marked.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from seqopt.report.style import (
    BAR,
    FULL,
    GRID,
    INK,
    MUTED,
    PALETTE,
    WIDTH,
    empty,
    lighten,
    period_axis,
    short,
    style,
)
from seqopt.report.tables import Column, Table

TORNADO_BARS = 15
"""Estimates shown in the tornado (the widest swings); the CSV has them all."""

LOW_COLOUR = PALETTE[0]
HIGH_COLOUR = PALETTE[1]


def plot_core_index(simulation: dict[str, Any], ax: Axes) -> None:
    """Bars: the share of scenarios in which each measure is in the optimal plan (input order)."""
    measures = simulation["measures"]
    names = [short(m["measure_name"]) for m in measures]
    shares = [m["core_index"] for m in measures]
    errors = [1.96 * m["standard_error"] for m in measures]
    ys = list(range(len(measures)))
    ax.barh(ys, shares, height=0.6, color=BAR, zorder=2)
    ax.errorbar(shares, ys, xerr=errors, fmt="none", ecolor=INK, elinewidth=0.9, capsize=2.5)
    for y, share in zip(ys, shares, strict=True):
        ax.text(min(share, 1.0) + 0.012, y, f"{share:.0%}", va="center", fontsize=9, color=MUTED)
    ax.set_yticks(ys, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="x", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"Share of {simulation['solved']} scenarios in which it is in the optimal plan")


def core_index_figure(document: dict[str, Any]) -> Figure | None:
    """The core index of every measure (``None`` without a simulation)."""
    simulation = document.get("simulation")
    if not simulation or not simulation["measures"]:
        return None
    height = 0.9 + 0.34 * len(simulation["measures"])
    with style():
        figure = Figure(figsize=(WIDTH, height), layout="constrained")
        plot_core_index(simulation, figure.add_subplot())
    return figure


def plot_signing(simulation: dict[str, Any], ax: Axes) -> None:
    """Heatmap: share of scenarios in which each measure is signed in each period."""
    periods = simulation["periods"]
    measures = simulation["measures"]
    solved = max(simulation["solved"], 1)
    grid = [[m["signing"][p] / solved for p in periods] for m in measures]
    colours = LinearSegmentedColormap.from_list("signing", ["#ffffff", FULL])
    image = ax.imshow(
        grid,
        aspect="auto",
        cmap=colours,
        vmin=0,
        vmax=1,
        extent=(0, len(periods), len(measures), 0),
        interpolation="nearest",
    )
    period_axis(ax, periods)
    ax.grid(False)
    ax.set_yticks(
        [k + 0.5 for k in range(len(measures))], [short(m["measure_name"]) for m in measures]
    )
    for k, row in enumerate(grid):
        for t, share in enumerate(row):
            if share >= 0.05:
                colour = "#ffffff" if share > 0.55 else INK
                ax.text(
                    t + 0.5,
                    k + 0.5,
                    f"{share:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=colour,
                )
    bar = ax.get_figure(root=True).colorbar(image, ax=ax, fraction=0.025, pad=0.01)  # type: ignore[union-attr]
    bar.set_label("share of scenarios", color=MUTED)
    bar.outline.set_visible(False)


def signing_figure(document: dict[str, Any]) -> Figure | None:
    """When each measure is signed across scenarios (``None`` without a simulation)."""
    simulation = document.get("simulation")
    if not simulation or not simulation["measures"]:
        return None
    height = 1.0 + 0.34 * len(simulation["measures"])
    with style():
        figure = Figure(figsize=(WIDTH, height), layout="constrained")
        plot_signing(simulation, figure.add_subplot())
    return figure


def _histogram(ax: Axes, part: dict[str, Any], colour: str) -> None:
    edges, counts = part["histogram"]["edges"], part["histogram"]["counts"]
    widths = [b - a for a, b in pairwise(edges)]
    ax.bar(
        edges[:-1], counts, width=widths, align="edge", color=colour, edgecolor="#ffffff", zorder=2
    )
    ax.grid(axis="y", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_ylabel("scenarios")


def plot_values(simulation: dict[str, Any], ax: Axes) -> None:
    """The distribution of the optimal value, with the base plan's value at base values."""
    value = simulation["value"]
    if not value.get("count"):
        empty(ax, "No scenario has a plan.")
        return
    _histogram(ax, value, BAR)
    base = simulation.get("base_value")
    if base is not None:
        ax.axvline(base, color=INK, linestyle="--", linewidth=1.3, zorder=3)
        ax.annotate(
            "base optimum",
            (base, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color=INK,
            fontsize=9,
        )
    ax.set_title("Optimal value across scenarios")


def plot_regret(simulation: dict[str, Any], ax: Axes) -> None:
    """The regret of the base plan, in the scenarios where it still breaks no rule."""
    regret = simulation["regret"]
    broken = simulation["base_plan"]["broken"]
    ax.set_title("Regret of the base plan where it still holds")
    if not regret.get("count"):
        empty(ax, f"The base plan breaks a rule in all {broken} scenarios: no regret to show.")
        return
    _histogram(ax, regret, lighten(PALETTE[3], 0.2))
    what = (
        "optimal value minus the base plan's value"
        if regret.get("unit", "value") == "value"
        else "the base plan's makespan minus the optimal makespan (periods)"
    )
    ax.set_xlabel(f"{what} ({regret['count']} scenarios; the base plan breaks a rule in {broken})")


def regret_figure(document: dict[str, Any]) -> Figure | None:
    """Value distribution and regret histogram (``None`` without a simulation)."""
    simulation = document.get("simulation")
    if not simulation:
        return None
    with style():
        figure = Figure(figsize=(WIDTH, 5.6), layout="constrained")
        top, bottom = figure.subplots(2, 1)
        plot_values(simulation, top)
        plot_regret(simulation, bottom)
    return figure


def plot_tornado(sensitivity: dict[str, Any], ax: Axes, bars: int = TORNADO_BARS) -> None:
    """Bars from 0: the change in optimal value at each estimate's low and high end."""
    swings = sensitivity["swings"][:bars]
    if not swings:
        empty(ax, "No estimate has a range.")
        return
    ys = list(range(len(swings)))
    for y, swing in zip(ys, swings, strict=True):
        for end, colour in (("low", LOW_COLOUR), ("high", HIGH_COLOUR)):
            change = swing[end]["change"]
            if change is None:
                continue
            hatch = "///" if swing[end]["plan_changes"] else None
            ax.barh(
                y,
                change,
                height=0.62,
                color=colour,
                alpha=0.85,
                hatch=hatch,
                edgecolor="#ffffff",
                zorder=2,
            )
    ax.axvline(0, color=INK, linewidth=0.9, zorder=3)
    ax.set_yticks(ys, [short(s["subject"], 60) for s in swings])
    ax.invert_yaxis()
    ax.grid(axis="x", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"Change in the optimal value (base optimum {sensitivity['base_value']:,.2f})")
    ax.legend(
        handles=[
            Patch(color=LOW_COLOUR, label="estimate at its low end"),
            Patch(color=HIGH_COLOUR, label="estimate at its high end"),
            Patch(facecolor="#ffffff", edgecolor=MUTED, hatch="///", label="the plan changes"),
        ],
        loc="lower right",
        frameon=True,
        framealpha=0.9,
    )


def tornado_figure(document: dict[str, Any]) -> Figure | None:
    """The tornado of one-at-a-time swings (``None`` without a sensitivity analysis)."""
    sensitivity = document.get("sensitivity")
    if not sensitivity:
        return None
    count = min(len(sensitivity["swings"]), TORNADO_BARS)
    with style():
        figure = Figure(figsize=(WIDTH, 1.1 + 0.34 * max(count, 1)), layout="constrained")
        plot_tornado(sensitivity, figure.add_subplot())
    return figure


def core_index_table(simulation: dict[str, Any]) -> Table:
    """Core index, most common scope and most common signing period of every measure."""
    rows = []
    for m in simulation["measures"]:
        signing = max(m["signing"].items(), key=lambda item: item[1], default=(None, 0))
        rows.append(
            (
                m["measure_name"],
                m["core_index"] * 100,
                m["standard_error"] * 100,
                m["most_common_scope_name"] or "",
                (m["most_common_scope_share"] or 0) * 100 if m["most_common_scope"] else None,
                signing[0] if signing[1] else "",
            )
        )
    return Table(
        "core_index",
        "Core index",
        (
            Column("Measure"),
            Column("In the optimal plan (%)", ".1f"),
            Column("± standard error (points)", ".1f"),
            Column("Most common scope"),
            Column("Its share when done (%)", ".0f"),
            Column("Most common signing"),
        ),
        tuple(rows),
        "No measure.",
    )


def breakage_table(simulation: dict[str, Any]) -> Table:
    """Rules the base plan breaks, and in how many scenarios."""
    return Table(
        "breakage",
        "Rules the base plan breaks",
        (Column("Rule"), Column("Scenarios", "d"), Column("Share (%)", ".1f")),
        tuple(
            (r["rule"], r["scenarios"], r["share"] * 100) for r in simulation["base_plan"]["rules"]
        ),
        "None: the base plan holds in every scenario.",
    )


def _break_even_change(b: dict[str, Any]) -> str:
    if b["threshold"] is None:
        return f"stays {'out of' if b['enters'] else 'in'} the plan even at {b['towards']:g}"
    return "enters the plan" if b["enters"] else "leaves the plan"


def break_even_table(sensitivity: dict[str, Any]) -> Table:
    """Break-even values: where a measure enters or leaves the optimal plan."""
    return Table(
        "break_even",
        "Break-even values",
        (
            Column("Estimate"),
            Column("Base", ",.4g"),
            Column("Measure"),
            Column("Change"),
            Column("Threshold", ",.4g"),
            Column("Where"),
        ),
        tuple(
            (
                b["subject"],
                b["base"],
                b["measure_name"],
                _break_even_change(b),
                b["threshold"],
                "beyond the estimated range" if b.get("beyond_range") else "within the range",
            )
            for b in sensitivity["break_even"]
        ),
        "No single estimate within its range changes which measures are done.",
    )
