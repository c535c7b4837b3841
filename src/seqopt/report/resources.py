"""Resource use per period against capacity, and budgets used over the horizon."""

from __future__ import annotations

from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from seqopt.report.style import BAR, FULL, GRID, INK, WIDTH, period_axis, short, style


def _capacity_key() -> list[Artist]:
    return [
        Patch(color=BAR, label="Used in the period"),
        Patch(color=FULL, label="At capacity (binding)"),
        Line2D([], [], color=INK, linestyle="--", label="Capacity"),
    ]


def _budget_key() -> list[Artist]:
    return [
        Line2D([], [], color=FULL, linewidth=1.6, label="Budget used so far"),
        Line2D([], [], color=INK, linestyle=(0, (1.5, 1.5)), label="Budget"),
    ]


def plot_resource(
    document: dict[str, Any], resource: str, ax: Axes, *, legend: bool = True
) -> None:
    """Draw one resource: use per period against capacity, or a budget's use adding up.

    A renewable resource shows a bar per period and its capacity as a dashed
    step; bars at capacity stand out. A nonrenewable budget shows what is
    booked each period and the running total against the budget.
    """
    periods = document["periods"]
    data = document["resources"][resource]
    use, capacity = data["use"], data["capacity"]
    xs = [t + 0.5 for t in range(len(periods))]
    period_axis(ax, periods)
    unit = f" ({data['unit']})" if data["unit"] else ""
    if isinstance(capacity, list):
        full = [u > 0 and u >= c - 1e-9 for u, c in zip(use, capacity, strict=True)]
        ax.bar(xs, use, width=0.68, color=[FULL if f else BAR for f in full], zorder=2)
        edges = list(range(len(periods) + 1))
        ax.step(
            edges,
            [*capacity, capacity[-1]],
            where="post",
            color=INK,
            linestyle="--",
            linewidth=1.3,
            zorder=3,
        )
        ax.set_ylim(0, max([*capacity, *use, 0.0]) * 1.18 or 1)
        ax.set_title(f"{short(data['name'], 80)}{unit}")
        handles = _capacity_key()
    else:
        running = [sum(use[: t + 1]) for t in range(len(use))]
        ax.bar(xs, use, width=0.68, color=BAR, zorder=2)
        edges = list(range(len(periods) + 1))
        ax.step(edges, [*running, running[-1]], where="post", color=FULL, linewidth=1.6, zorder=3)
        ax.axhline(capacity, color=INK, linestyle=(0, (1.5, 1.5)), linewidth=1.3, zorder=3)
        ax.set_ylim(0, max(capacity, running[-1] if running else 0.0) * 1.18 or 1)
        total = running[-1] if running else 0.0
        ax.set_title(f"{short(data['name'], 80)}{unit}: {total:g} of {capacity:g} used")
        handles = [_capacity_key()[0], *_budget_key()]
    ax.grid(axis="y", color=GRID, linewidth=0.7)
    ax.set_ylabel(data["unit"] or "units")
    if legend:
        ax.legend(handles=handles, loc="upper right", frameon=True, framealpha=0.9)


def resources_figure(document: dict[str, Any]) -> Figure | None:
    """One panel per resource, sharing the period axis, under one key (``None`` without any)."""
    resources = document.get("resources", {})
    if not resources:
        return None
    # Every panel has its own period labels: a reader of a tall chart keeps the time axis.
    panel, gap, top, bottom = 1.6, 0.85, 0.75, 0.6
    height = panel * len(resources) + gap * (len(resources) - 1) + top + bottom
    with style():
        figure = Figure(figsize=(WIDTH, height))
        y = height - top
        first: Axes | None = None
        for number, key in enumerate(resources):
            y -= panel
            ax = figure.add_axes(
                (0.85 / WIDTH, y / height, (WIDTH - 0.85 - 0.3) / WIDTH, panel / height),
                sharex=first,
            )
            first = first or ax
            plot_resource(document, key, ax, legend=False)
            if number == len(resources) - 1:
                ax.set_xlabel("Period")
            y -= gap
        budgets = any(not isinstance(r["capacity"], list) for r in resources.values())
        figure.legend(
            handles=_capacity_key() + (_budget_key() if budgets else []),
            loc="upper left",
            bbox_to_anchor=(0.85 / WIDTH - 0.005, 1 - 0.04 / height),
            ncols=5,
            handlelength=2.0,
        )
    return figure
