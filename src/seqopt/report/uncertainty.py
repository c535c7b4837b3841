"""Charts and tables of simulations and sensitivity analyses, when a result folder has them.

``seqopt simulate`` writes ``simulation.json`` and ``seqopt sensitivity`` writes
``sensitivity.json`` beside ``plan.json``; :func:`seqopt.report.write.write_report`
reads them into the document under ``simulation`` and ``sensitivity``. The
charts here are pure functions of those parts (each returns ``None`` when its
part is absent), drawn in the house style:

- core index: a bar per measure, the share of scenarios in which it is in the
  optimal plan, with its 95 % Wilson interval (which stays within 0 to 100 %);
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
    TALL_ROWS,
    WIDTH,
    distinct_labels,
    empty,
    lighten,
    period_axis,
    style,
)
from seqopt.report.tables import Column, Table
from seqopt.uncertainty.sampling import wilson_interval

TORNADO_BARS = 15
"""Estimates shown in the tornado (the widest swings); the CSV has them all."""

LOW_COLOUR = PALETTE[0]
HIGH_COLOUR = PALETTE[1]


def interval(measure: dict[str, Any], solved: int) -> tuple[float, float]:
    """A measure's 95 % interval of its core index (Wilson; computed for older files)."""
    if "interval_95" in measure:
        low, high = measure["interval_95"]
        return float(low), float(high)
    return wilson_interval(measure["core_index"], solved)


def plot_core_index(simulation: dict[str, Any], ax: Axes) -> None:
    """Bars: the share of scenarios in which each measure is in the optimal plan (input order).

    Whiskers show the 95 % Wilson interval, which stays within 0 to 100 %; the
    shares are written in a column right of 100 %, clear of the whiskers.
    """
    measures = simulation["measures"]
    names = distinct_labels([m["measure_name"] for m in measures])
    shares = [m["core_index"] for m in measures]
    bounds = [interval(m, simulation["solved"]) for m in measures]
    below = [max(share - low, 0.0) for share, (low, _) in zip(shares, bounds, strict=True)]
    above = [max(high - share, 0.0) for share, (_, high) in zip(shares, bounds, strict=True)]
    ys = list(range(len(measures)))
    ax.barh(ys, shares, height=0.6, color=BAR, zorder=2)
    ax.errorbar(
        shares, ys, xerr=[below, above], fmt="none", ecolor=INK, elinewidth=0.9, capsize=2.5
    )
    for y, share in zip(ys, shares, strict=True):
        ax.text(1.025, y, f"{share:.0%}", va="center", fontsize=9, color=MUTED)
    ax.set_yticks(ys, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="x", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(
        f"Share of {simulation['solved']} scenarios in which it is in the optimal plan "
        "(whiskers: 95 % interval)"
    )
    ax.set_ylabel("Measure")


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
    period_axis(ax, periods, top=len(measures) >= TALL_ROWS)
    ax.grid(False)
    ax.set_yticks(
        [k + 0.5 for k in range(len(measures))],
        distinct_labels([m["measure_name"] for m in measures]),
    )
    ax.set_xlabel("Signing period")
    ax.set_ylabel("Measure")
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
    makespan = simulation.get("regret", {}).get("unit", "value") != "value"
    ax.set_xlabel(
        "optimal makespan (periods)" if makespan else "optimal value (discounted value units)"
    )
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
    """Value distribution and regret histogram (``None`` without a simulation).

    Without regret to show (the base plan breaks a rule in every scenario) the
    figure is the value distribution alone, with that fact under it, rather
    than an empty panel.
    """
    simulation = document.get("simulation")
    if not simulation:
        return None
    regret = simulation["regret"]
    with style():
        if regret.get("count"):
            figure = Figure(figsize=(WIDTH, 5.6), layout="constrained")
            top, bottom = figure.subplots(2, 1)
            plot_values(simulation, top)
            plot_regret(simulation, bottom)
            return figure
        figure = Figure(figsize=(WIDTH, 3.2), layout="constrained")
        plot_values(simulation, figure.add_subplot())
        broken = simulation["base_plan"]["broken"]
        figure.supxlabel(
            f"No regret to show: the base plan breaks a rule in all {broken} scenarios.",
            fontsize=9.5,
            color=MUTED,
        )
    return figure


def tornado_key() -> list[Patch]:
    """The tornado's legend: low end, high end, and the hatching of swings that change the plan."""
    return [
        Patch(color=LOW_COLOUR, label="estimate at its low end"),
        Patch(color=HIGH_COLOUR, label="estimate at its high end"),
        Patch(facecolor="#ffffff", edgecolor=MUTED, hatch="///", label="the plan changes"),
    ]


def plot_tornado(
    sensitivity: dict[str, Any], ax: Axes, bars: int = TORNADO_BARS, *, legend: bool = True
) -> None:
    """Bars from 0: the change in optimal value at each estimate's low and high end.

    With ``legend``, the key stands below the axis title, clear of the bars
    (:func:`tornado_figure` puts it above the plot instead).
    """
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
    ax.set_yticks(ys, distinct_labels([s["subject"] for s in swings], 60))
    ax.invert_yaxis()
    ax.grid(axis="x", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"Change in the optimal value (base optimum {sensitivity['base_value']:,.2f})")
    ax.set_ylabel("Estimate (widest swing first)")
    if legend:
        ax.legend(handles=tornado_key(), loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3)


def tornado_figure(document: dict[str, Any]) -> Figure | None:
    """The tornado of one-at-a-time swings (``None`` without a sensitivity analysis)."""
    sensitivity = document.get("sensitivity")
    if not sensitivity:
        return None
    count = min(len(sensitivity["swings"]), TORNADO_BARS)
    with style():
        figure = Figure(figsize=(WIDTH, 1.5 + 0.34 * max(count, 1)), layout="constrained")
        plot_tornado(sensitivity, figure.add_subplot(), legend=False)
        # Outside the plot, so it can never cover a bar (it covered the bottom two).
        figure.legend(handles=tornado_key(), loc="outside upper center", ncols=3)
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
                "{:.1f}–{:.1f}".format(*(100 * b for b in interval(m, simulation["solved"]))),
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
            Column("95 % interval (%)"),
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
