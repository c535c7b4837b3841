"""The adaptive run in a report: the pathways map, what to do now, and the comparison tables.

``seqopt adapt`` writes ``adaptive.json`` beside ``plan.json``;
:func:`seqopt.report.write.write_report` reads it into the document under
``adaptive``. Everything here is a pure function of that part.

The **pathways map** is drawn in the manner of the metro maps of Dynamic
Adaptive Policy Pathways (Haasnoot et al., 2013, *Global Environmental
Change* 23(2): 485-498): each line is a pathway the re-planning policy took
(its share of runs and mean value at its end), each station a signing, placed
at the median period it happened in; lines run together while their runs
share their signings and part at branch points, marked with the signpost
(``S1`` ...) that tells the ways apart. A station with a cross is a signing
that failed its gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from seqopt.report.style import (
    ALERT,
    INK,
    MUTED,
    PALETTE,
    WIDTH,
    darken,
    empty,
    period_axis,
    short,
    style,
)
from seqopt.report.tables import Column, Table
from seqopt.report.words import number

LANE = 0.62
"""Height of one pathway's lane, inches."""
BUNDLE = 0.13
"""Distance between lines that run together, in lanes."""
TURN = 0.55
"""Periods a line takes to move to another lane."""
HEADLINE_SIGNPOSTS = 3
"""Signposts named in the report's headline (those most runs pass)."""

StepKey = tuple[str, str, bool, bool]
"""A station: measure, scope, widening, failed."""


@dataclass
class _Station:
    key: StepKey
    label: str
    lines: list[int] = field(default_factory=list)
    """Indices of the pathways through it."""
    x: float = 0.0
    runs: int = 0
    lane: int = 0
    ends: list[int] = field(default_factory=list)
    """Pathways whose last station it is."""
    children: dict[StepKey, _Station] = field(default_factory=dict)


def _key(step: dict[str, Any]) -> StepKey:
    return (step["measure"], step["scope"], bool(step["widening"]), bool(step["failed"]))


def _label(step: dict[str, Any], scoped: bool) -> str:
    name = short(step["measure_name"].split(" (")[0], 18)
    if step["widening"]:
        return f"widen {name} to {short(step['scope_name'], 14)}"
    return f"{name} · {short(step['scope_name'], 14)}" if scoped else name


def _stations(pathways: Sequence[dict[str, Any]]) -> tuple[_Station, list[list[_Station]]]:
    """The trie of the pathways shown, with a lane and a position for every station.

    Lanes follow the tree (its most taken branch first at every station), so
    lines never cross; a station sits at the median period of its signing over
    the runs through it, and at least :data:`GAP` after the one before it.
    """
    scopes: dict[str, set[str]] = {}
    for pathway in pathways:
        for step in pathway["steps"]:
            scopes.setdefault(step["measure"], set()).add(step["scope"])
    root = _Station(("", "", False, False), "", x=START)
    routes: list[list[_Station]] = []
    for index, pathway in enumerate(pathways):
        node = root
        route = [root]
        node.lines.append(index)
        node.runs += pathway["runs"]
        for step in pathway["steps"]:
            key = _key(step)
            child = node.children.get(key)
            if child is None:
                label = _label(step, len(scopes[step["measure"]]) > 1)
                child = node.children[key] = _Station(key, label)
            child.lines.append(index)
            child.x += pathway["runs"] * (step["signing_median"] + 0.5)
            child.runs += pathway["runs"]
            node = child
            route.append(node)
        node.ends.append(index)
        routes.append(route)
    lanes: dict[int, int] = {}

    def place(node: _Station, before: float) -> None:
        if node is not root:
            node.x = max(node.x / node.runs, before + GAP)
        # The most taken way on goes straight; the others take the lanes below, in turn.
        ways: list[tuple[int, int, _Station | int]] = [
            (child.runs, min(child.lines), child) for child in node.children.values()
        ]
        ways += [(pathways[line]["runs"], line, line) for line in node.ends]
        for _, _, way in sorted(ways, key=lambda w: (-w[0], w[1])):
            if isinstance(way, _Station):
                place(way, node.x)
            else:
                lanes[way] = len(lanes)
        node.lane = min(lanes[line] for line in node.lines)

    place(root, START - GAP)
    return root, routes


START = 0.1
"""Where every line starts, in periods."""
GAP = 0.42
"""Least distance between two stations of a line, in periods (signings in one period)."""


def _y(station: _Station, line: int) -> float:
    """Where ``line`` passes ``station``: its lane, with lines that run together side by side."""
    rank = sorted(station.lines).index(line)
    return station.lane + (rank - (len(station.lines) - 1) / 2) * BUNDLE


def _path(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """A metro line through ``points``: level, then a short slant into the next lane."""
    xs: list[float] = []
    ys: list[float] = []
    for k, (x, y) in enumerate(points):
        if k and abs(y - ys[-1]) > 1e-9:
            turn = min(TURN, (x - xs[-1]) * 0.8)
            if x - turn > xs[-1]:
                xs.append(x - turn)
                ys.append(ys[-1])
        xs.append(x)
        ys.append(y)
    return xs, ys


def plot_pathways(adaptive: dict[str, Any], ax: Axes) -> None:
    """The metro map of the pathways the re-planning policy took (see the module docstring)."""
    periods = adaptive["periods"]
    pathways = adaptive["map"]["lines"]
    if not pathways:
        empty(ax, "No run signed anything.")
        return
    root, routes = _stations(pathways)
    colours = [PALETTE[k % len(PALETTE)] for k in range(len(pathways))]
    for index, route in enumerate(routes):
        xs, ys = _path([(s.x, _y(s, index)) for s in route])
        share = pathways[index]["share"]
        ax.plot(
            xs,
            ys,
            color=colours[index],
            linewidth=2.0 + 6 * share,
            solid_capstyle="round",
            solid_joinstyle="round",
            zorder=2,
        )
        ways_on = pathways[index]["ways_on"]
        then = f" → {ways_on} ways" if ways_on > 1 else (" → 1 way" if ways_on else "")
        ax.text(
            route[-1].x + 0.3,
            route[-1].lane,
            f"{pathways[index]['id']}  {share:.0%} · {number(pathways[index]['value_mean'], 0)}"
            f"{then}",
            va="center",
            fontsize=8.5,
            color=darken(colours[index], 0.2),
            fontweight="bold",
        )
    _draw_stations(ax, root)
    _draw_branches(ax, root, adaptive.get("branches", []))
    period_axis(ax, periods)
    lanes = 1 + max(s.lane for route in routes for s in route)
    ax.set_ylim(lanes - 0.45, -0.95)
    ax.set_xlim(0, max(len(periods), max(r[-1].x for r in routes) + 0.5) + 1.6)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Period (each station at the median period of its signing)")


def _draw_stations(ax: Axes, root: _Station) -> None:
    stack = list(root.children.values())
    while stack:
        station = stack.pop()
        stack.extend(station.children.values())
        ys = [_y(station, line) for line in station.lines]
        low, high = min(ys), max(ys)
        failed = station.key[3]
        ax.add_patch(
            FancyBboxPatch(
                (station.x - 0.1, low - 0.1),
                0.2,
                high - low + 0.2,
                boxstyle="round,pad=0,rounding_size=0.1",
                facecolor="#ffffff",
                edgecolor=ALERT if failed else INK,
                linewidth=1.2,
                zorder=4,
            )
        )
        if failed:
            ax.plot(station.x, (low + high) / 2, marker="x", color=ALERT, markersize=4.5, zorder=5)
        ax.text(
            station.x - 0.05,
            low - 0.16,
            station.label + (" ✗" if failed else ""),
            ha="left",
            va="bottom",
            rotation=32,
            rotation_mode="anchor",
            fontsize=6.5,
            color=ALERT if failed else MUTED,
            zorder=6,
        )


def _draw_branches(ax: Axes, root: _Station, branches: Sequence[dict[str, Any]]) -> None:
    """A diamond with the signpost's name above the station after which the ways part."""
    for branch in branches:
        node: _Station | None = root
        for step in branch.get("after_steps", []):
            node = node.children.get(_key(step)) if node is not None else None
        if node is None or len(node.children) < 2:
            continue
        top = min(_y(node, line) for line in node.lines) if node is not root else node.lane
        ax.plot(node.x + 0.21, top - 0.42, marker="D", color=INK, markersize=6, zorder=7)
        ax.text(
            node.x + 0.21,
            top - 0.56,
            branch["id"],
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color=INK,
            zorder=7,
        )


def pathways_figure(document: dict[str, Any]) -> Figure | None:
    """The pathways map (``None`` without an adaptive run)."""
    adaptive = document.get("adaptive")
    if not adaptive:
        return None
    lanes = max(len(adaptive["map"]["lines"]), 1)
    with style():
        figure = Figure(figsize=(WIDTH, 1.6 + LANE * lanes), layout="constrained")
        ax = figure.add_subplot()
        plot_pathways(adaptive, ax)
        figure.legend(
            handles=[
                Line2D([], [], color=PALETTE[0], linewidth=3, label="a pathway (width: its share)"),
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor="#ffffff",
                    markeredgecolor=INK,
                    label="a signing",
                ),
                Line2D([], [], marker="X", linestyle="", color=ALERT, label="a signing that fails"),
                Line2D([], [], marker="D", linestyle="", color=INK, label="a signpost (S1 …)"),
            ],
            loc="outside upper center",
            ncols=4,
        )
    return figure


# -- words and tables ------------------------------------------------------------------


def first_decision_text(adaptive: dict[str, Any]) -> str:
    """The first period's decision in one sentence (the same in every future)."""
    first = adaptive["first_decision"]
    parts = [
        f"open negotiations on {s['measure_name']} — {s['scope_name']}" for s in first["starts"]
    ]
    parts += [f"use the lever “{lever['lever_name']}”" for lever in first["levers"]]
    if not parts:
        return f"In {first['period']}: start nothing yet; wait and watch the signposts."
    return f"In {first['period']}: " + "; ".join(parts) + "."


def headline_signposts(adaptive: dict[str, Any]) -> list[dict[str, Any]]:
    """The signposts to watch: those with the most value at stake that tell their ways apart.

    Stakes are the spread of the ways' mean values times the runs that face
    the decision; the chosen ones are listed in the order their decisions come.
    """
    signs = [*adaptive.get("branches", []), *adaptive.get("decisions", [])]
    telling = [s for s in signs if len(s["leaves"]) > 1]
    chosen = sorted(telling, key=lambda s: (-s["stakes"] * s["runs"], s["id"]))
    periods = {p: k for k, p in enumerate(adaptive["periods"])}
    return sorted(chosen[:HEADLINE_SIGNPOSTS], key=lambda s: (periods[s["period"]], s["id"]))


def comparison_table(adaptive: dict[str, Any]) -> Table:
    """Each policy in the same futures: value, its range, failed signings, rules broken."""
    rows = []
    for p in adaptive["policies"]:
        value = p["value"]
        spread = value.get("percentiles", {})
        top = p["rules_broken"][0] if p["rules_broken"] else None
        rows.append(
            (
                p["label"],
                value.get("mean"),
                spread.get("5"),
                spread.get("95"),
                100 * p["failed_share"],
                f"{top['rule']} ({100 * top['share']:.0f} %)" if top else "",
            )
        )
    return Table(
        "policies",
        "The policies in the same futures",
        (
            Column("Policy"),
            Column("Mean value", ",.2f"),
            Column("5 %", ",.2f"),
            Column("95 %", ",.2f"),
            Column("Futures with a failed signing (%)", ".1f"),
            Column("Rule most often broken"),
        ),
        tuple(rows),
        "No policy.",
    )


def adaptivity_table(adaptive: dict[str, Any]) -> Table:
    """The value of adaptivity: re-planning minus each fixed plan, future by future."""
    return Table(
        "adaptivity",
        "The value of adaptivity",
        (
            Column("Re-planning against"),
            Column("Mean difference", "+,.2f"),
            Column("Standard error", ",.2f"),
            Column("95 % interval"),
            Column("Better / worse / same"),
        ),
        tuple(
            (
                d["label"].lower(),
                d["mean"],
                d["standard_error"],
                "{:+,.2f} to {:+,.2f}".format(*d["interval_95"]),
                f"{d['better']} / {d['worse']} / {d['same']}",
            )
            for d in adaptive["adaptivity"]
        ),
        "No fixed plan to compare with.",
    )


def signposts_table(adaptive: dict[str, Any]) -> Table:
    """Every signpost: when its decision comes, what it is about, the rule that tells the ways."""
    rows = []
    for sign in [*adaptive.get("branches", []), *adaptive.get("decisions", [])]:
        if "measure_name" in sign:
            about = f"how and when to sign {sign['measure_name']}"
            if sign["widening"]:
                about = f"whether to widen {sign['measure_name']}"
        else:
            about = f"next step after: {sign['after'][-1]}" if sign["after"] else "the first step"
        rows.append(
            (
                sign["id"],
                sign["period"],
                about,
                sign["runs"],
                " ".join(sign["text"]),
                100 * sign["accuracy"],
            )
        )
    return Table(
        "signposts",
        "Signposts: branch points (S) and key decisions (K)",
        (
            Column("Signpost"),
            Column("Decided in"),
            Column("About"),
            Column("Runs", "d"),
            Column("What sends a run which way"),
            Column("Right (%)", ".0f"),
        ),
        tuple(rows),
        "No signpost: the runs part nowhere that many of them share.",
    )


def pathways_table(adaptive: dict[str, Any]) -> Table:
    """Each line of the map: its runs, value, signings in order, and how its runs go on."""
    total = adaptive["futures"]
    rows: list[tuple[Any, ...]] = [
        (
            line["id"],
            line["runs"],
            100 * line["share"],
            line["value_mean"],
            " → ".join(
                f"{s['measure_name']} ({s['scope_name']}, {s['signing']}"
                f"{', fails' if s['failed'] else ''})"
                for s in line["steps"]
            ),
            f"{line['ways_on']} ways, each taken by fewer than {adaptive['map']['least_runs']} runs"
            if line["ways_on"]
            else "no further signing",
        )
        for line in adaptive["map"]["lines"]
    ]
    shown = sum(line["runs"] for line in adaptive["map"]["lines"])
    if shown < total:
        rows.append(("others", total - shown, 100 * (total - shown) / total, None, "", ""))
    return Table(
        "pathways",
        f"Lines of the map ({len(adaptive['pathways'])} distinct pathways in all)",
        (
            Column("Line"),
            Column("Runs", "d"),
            Column("Share (%)", ".0f"),
            Column("Mean value", ",.2f"),
            Column("Signings in order (median period)"),
            Column("Then"),
        ),
        tuple(rows),
        "No run signed anything.",
    )
