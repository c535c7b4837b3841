"""The roadmap diff of ``seqopt compare``: every plan's signings on one timeline, and its page.

A pure function of ``compare.json``. Each measure some plan signs has one lane
per model: a bar while the measure is negotiated, a diamond where it is signed,
a thin line while it is in force (to the end of that model's horizon). A lane
says *not in the input* when that model's input has no such measure. The page
(``report.html`` in the compare folder) shows the chart inline with the tables
of :mod:`seqopt.tradeoffs.compare_files`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from seqopt.atomic import atomic_files
from seqopt.report.html import _environment, inline_svg
from seqopt.report.style import (
    MUTED,
    PALETTE,
    TALL_ROWS,
    WIDTH,
    distinct_labels,
    empty,
    period_axis,
    render,
    style,
)
from seqopt.tradeoffs.compare_files import compare_tables

CHART = "compare_roadmap"
REPORT_FILE = "report.html"


def _signed_measures(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in document["measures"] if any(p["scope"] for p in m["plans"].values())]


def plot_roadmap_diff(document: dict[str, Any], ax: Axes) -> None:
    """Every plan's negotiations, signings and time in force, one lane per model."""
    measures = _signed_measures(document)
    names = [m["name"] for m in document["models"]]
    timeline = document["timeline"]
    if not measures or not timeline:
        empty(ax, "No plan signs anything.")
        return
    at = {label: i for i, label in enumerate(timeline)}
    ends = {m["name"]: at.get(m["last_period"], len(timeline) - 1) for m in document["models"]}
    lanes = len(names)
    height = 0.8 / lanes
    colours = {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}
    for row, measure in enumerate(measures):
        for k, name in enumerate(names):
            plan = measure["plans"][name]
            y = row + 0.1 + k * height + height / 2
            if not plan["in_input"]:
                ax.text(0.2, y, "not in the input", fontsize=7, color=MUTED, va="center")
                continue
            if plan["scope"] is None or plan["signed"] not in at:
                continue
            start = at.get(plan["start"], at[plan["signed"]])
            signed = at[plan["signed"]]
            colour = colours[name]
            ax.barh(
                y, signed + 1 - start, left=start, height=height * 0.8, color=colour, alpha=0.35
            )
            ax.scatter([signed + 0.5], [y], marker="D", s=26, color=colour, zorder=3)
            if plan["in_force"] in at and at[plan["in_force"]] <= ends[name]:
                ax.plot([at[plan["in_force"]], ends[name] + 1], [y, y], color=colour, lw=1.4)
    ax.set_ylim(len(measures), 0)
    labels = distinct_labels([m["measure_name"] for m in measures])
    ax.set_yticks([row + 0.5 for row in range(len(measures))], labels)
    ax.set_yticks(range(len(measures) + 1), minor=True)
    ax.tick_params(axis="y", which="both", length=0)
    ax.grid(axis="y", which="minor", color="#e1e5ea", linewidth=0.7)
    period_axis(ax, timeline, top=len(measures) > TALL_ROWS)
    handles = [Line2D([], [], color=colours[n], marker="D", lw=1.4, label=n) for n in names]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncols=min(len(names), 4),
        frameon=False,
        fontsize=8.5,
    )


def roadmap_diff_figure(document: dict[str, Any]) -> Figure:
    """The roadmap diff of a comparison."""
    rows = max(1, len(_signed_measures(document)))
    lanes = max(1, len(document["models"]))
    with style():
        figure = Figure(figsize=(WIDTH, 1.2 + rows * (0.25 + 0.16 * lanes)), layout="constrained")
        plot_roadmap_diff(document, figure.add_subplot())
    return figure


def compare_html(document: dict[str, Any], svg: str) -> str:
    """``report.html`` of a comparison: the chart inline, and the tables."""
    page = _environment().get_template("compare.html.j2")
    return page.render(
        document=document,
        chart=inline_svg(svg, CHART, "Roadmaps of the plans compared"),
        tables=compare_tables(document),
    )


def write_compare_report(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write report.html and the roadmap diff chart (SVG and PNG) into ``folder``."""
    chart = render(roadmap_diff_figure(document))
    page = compare_html(document, chart.svg)
    targets = [folder / REPORT_FILE, folder / f"{CHART}.svg", folder / f"{CHART}.png"]
    with atomic_files(targets) as (html, svg, png):
        html.write_text(page, encoding="utf-8")
        svg.write_text(chart.svg, encoding="utf-8")
        png.write_bytes(chart.png)
    return targets
