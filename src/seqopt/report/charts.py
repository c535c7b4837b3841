"""Every chart of a report: roadmap, support, resources; and simulation and sensitivity charts.

Each chart module has ``plot_*`` functions that draw one panel on a given
matplotlib ``Axes`` and a ``*_figure`` function that lays out the whole
figure; all are pure functions of the plan document. :func:`charts` renders
the ones that apply, as SVG and PNG.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from matplotlib.figure import Figure

from seqopt.report.cost_frontier import cost_frontier_figure
from seqopt.report.frontier import frontier_figure
from seqopt.report.pathways import pathways_figure
from seqopt.report.resources import resources_figure
from seqopt.report.roadmap import roadmap_figure
from seqopt.report.style import Rendered, render
from seqopt.report.support import support_figure
from seqopt.report.uncertainty import (
    core_index_figure,
    regret_figure,
    signing_figure,
    tornado_figure,
)

CHARTS: dict[str, Callable[[dict[str, Any]], Figure | None]] = {
    "roadmap": roadmap_figure,
    "support": support_figure,
    "resources": resources_figure,
    "frontier": frontier_figure,
    "cost_frontier": cost_frontier_figure,
    "core_index": core_index_figure,
    "signing": signing_figure,
    "regret": regret_figure,
    "tornado": tornado_figure,
    "pathways": pathways_figure,
}
"""Every chart of a report, by file name stem, in reading order."""


def charts(
    document: dict[str, Any], known: Mapping[str, Rendered] | None = None
) -> dict[str, Rendered]:
    """Render every chart that applies to the document (none when it has no plan).

    ``known`` holds charts written before, by name; one whose SVG comes out the
    same keeps its PNG (see :func:`seqopt.report.style.render`).
    """
    if "schedule" not in document:
        return {}
    known = known or {}
    rendered = {}
    for name, make in CHARTS.items():
        figure = make(document)
        if figure is not None:
            rendered[name] = render(figure, known.get(name))
    return rendered
