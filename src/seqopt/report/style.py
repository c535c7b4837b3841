"""The house style of seqopt's charts, and the helpers every chart shares.

Figures use matplotlib's object interface (no pyplot, no global backend) and
are written by :func:`render` as SVG and PNG under one fixed style, so the
same plan document always gives the same bytes.

Periods are drawn as cells: period ``t`` spans ``[t, t + 1)`` on the x axis,
with its label at ``t + 0.5``, so the roadmap, support and resource charts line up.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from seqopt.atomic import atomic_files

PALETTE = (
    "#332288",
    "#DDCC77",
    "#44AA99",
    "#CC6677",
    "#88CCEE",
    "#999933",
    "#882255",
    "#117733",
    "#AA4499",
)
"""Paul Tol's 'muted' scheme (colour-blind safe), ordered so that neighbours contrast."""

INK = "#1f2328"
MUTED = "#59636e"
FAINT = "#8c959f"
GRID = "#e1e5ea"
BAR = "#8db4e2"
FULL = "#1f4e8c"
ALERT = "#b42318"
"""Lapses and backlashes: what a plan loses."""
"""Bars at capacity: the same hue as :data:`BAR`, darker (binding, not broken)."""

WIDTH = 10.0
"""Figure width in inches (the report's text column, and a 16:9 slide)."""
PNG_DPI = 200
SVG_METADATA: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}
"""No date, program or Dublin Core block: repeatable bytes, and no URL in the file."""
LABEL_CHARACTERS = 44
"""Longest name drawn in a chart; tables carry the full names."""
TALL_ROWS = 12
"""Rows from which a chart repeats its period labels above the plot: a reader
scrolling down a tall chart keeps the time axis in view."""

CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK SC", "Noto Sans CJK TC")
"""Fallbacks for Japanese, Korean and Chinese names, used when installed."""

STYLE: dict[RcKeyType, Any] = {
    "font.size": 10,
    "axes.edgecolor": FAINT,
    "axes.linewidth": 0.8,
    "axes.labelcolor": MUTED,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "text.color": INK,
    "legend.frameon": False,
    "legend.fontsize": 9.5,
    # Names come from a workbook: never read "$...$" in them as mathematics.
    "text.parse_math": False,
    "text.usetex": False,
    # SVG text stays text: selectable, searchable, drawn by the browser's fonts.
    "svg.fonttype": "none",
    "svg.hashsalt": "seqopt",
    "path.simplify": True,
}
"""The house style of every chart (also fixes the SVG id salt, for identical bytes)."""


@cache
def _font_families() -> tuple[str, ...]:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *(f for f in CJK_FONTS if f in installed), "sans-serif")


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Apply the house style (use it around your own figures that call ``plot_*``)."""
    with matplotlib.rc_context({**STYLE, "font.family": list(_font_families())}):
        yield


@dataclass(frozen=True)
class Rendered:
    """A chart as an SVG document and a PNG image."""

    svg: str
    png: bytes


def render(figure: Figure, known: Rendered | None = None) -> Rendered:
    """Write ``figure`` as SVG and PNG, without dates or program names, so bytes repeat.

    When ``known`` (the chart written last time) has the same SVG, its PNG is
    returned instead of drawing the figure again: the same figure in the same
    style gives the same PNG, and drawing a PNG takes longer than the SVG.
    """
    with style(), warnings.catch_warnings():
        # Without a font for a script (e.g. no CJK font installed) the PNG shows boxes;
        # the SVG keeps the text and the browser draws it, so say nothing per glyph.
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        svg = io.StringIO()
        figure.savefig(svg, format="svg", metadata=SVG_METADATA)
        if known is not None and known.svg == svg.getvalue():
            return known
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return Rendered(svg.getvalue(), png.getvalue())


def write_chart(folder: Path, name: str, figure: Figure) -> list[Path]:
    """Write ``figure`` as ``name.svg`` and ``name.png`` in ``folder``, both or neither."""
    chart = render(figure)
    targets = [folder / f"{name}.svg", folder / f"{name}.png"]
    with atomic_files(targets) as (svg, png):
        svg.write_text(chart.svg, encoding="utf-8")
        png.write_bytes(chart.png)
    return targets


def short(text: str, limit: int = LABEL_CHARACTERS) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis (charts only; tables are whole)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def distinct_labels(texts: Sequence[str], limit: int = LABEL_CHARACTERS) -> list[str]:
    """Labels for rows of a chart, each at most ``limit`` characters and never two alike.

    A long name is cut in the middle (its start and its end stay), since names
    built from parts ("GSOMIA (Full text): benefit", "…: duration") differ at
    the end as often as at the start; names that still read the same are numbered.
    """
    cut = [_middle(text, limit) for text in texts]
    seen: dict[str, int] = {}
    labels = []
    for label in cut:
        count = seen.get(label, 0) + 1
        seen[label] = count
        labels.append(label if count == 1 else f"{_middle(label, limit - 4)} ({count})")
    return labels


def _middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    owner, colon, what = text.rpartition(": ")
    if colon and len(what) <= limit - 14:
        # "Measure (scope): what": the what is kept whole, the owner is shortened.
        return short(owner, limit - len(what) - 2) + ": " + what
    head = (limit - 1) * 3 // 5
    tail = limit - 1 - head
    return text[:head].rstrip() + "…" + text[len(text) - tail :].lstrip()


def lighten(colour: str, amount: float) -> str:
    """Mix ``colour`` with white (``amount`` 0: unchanged, 1: white)."""
    red, green, blue = to_rgb(colour)
    return to_hex(
        (red + (1 - red) * amount, green + (1 - green) * amount, blue + (1 - blue) * amount)
    )


def darken(colour: str, amount: float = 0.35) -> str:
    """Mix ``colour`` with black (``amount`` 0: unchanged, 1: black)."""
    red, green, blue = to_rgb(colour)
    return to_hex((red * (1 - amount), green * (1 - amount), blue * (1 - amount)))


def scope_colours(document: dict[str, Any]) -> dict[str, str]:
    """A colour for each chosen scope, by scope name, in the order the schedule lists them."""
    colours: dict[str, str] = {}
    for item in document.get("schedule", []):
        names = [item["scope_name"]]
        if item.get("upgrade"):
            names.append(item["upgrade"]["scope_name"])  # the scope it is widened to
        for name in names:
            if name not in colours:
                colours[name] = PALETTE[len(colours) % len(PALETTE)]
    return colours


def axes_size(ax: Axes) -> tuple[float, float]:
    """Width and height of the plotting area, in points."""
    box = ax.get_position()
    figure = ax.get_figure(root=True)
    width, height = figure.get_size_inches() if figure is not None else (WIDTH, WIDTH)
    return box.width * width * 72, box.height * height * 72


def period_axis(
    ax: Axes, periods: Sequence[str], *, labels: bool = True, top: bool = False
) -> None:
    """Period cells on the x axis: a light line between periods, labels thinned to fit.

    With ``top``, the labels are repeated above the plot (for tall charts).
    """
    count = len(periods)
    ax.set_xlim(0, count)
    width_points, _ = axes_size(ax)
    longest = max((len(p) for p in periods), default=1)
    needed = longest * 0.62 * float(matplotlib.rcParams["font.size"]) + 8
    step = max(1, math.ceil(needed / (width_points / max(count, 1))))
    ticks = list(range(0, count, step))
    ax.set_xticks([t + 0.5 for t in ticks], [periods[t] for t in ticks] if labels else [])
    ax.set_xticks(range(count + 1), minor=True)
    ax.tick_params(axis="x", which="both", length=0, labeltop=top and labels)
    ax.grid(axis="x", which="minor", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)


def empty(ax: Axes, message: str) -> None:
    """Say ``message`` in the middle of an axes that has nothing to show."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color=MUTED)
    ax.set_yticks([])
