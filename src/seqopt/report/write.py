"""Write a report beside its plan: ``report.html`` and every chart as SVG and PNG.

Everything is rendered in memory first, then written with
:func:`seqopt.atomic.atomic_files`, so a failure leaves the previous report intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqopt.atomic import atomic_files
from seqopt.report.charts import CHARTS, charts
from seqopt.report.document import plan_path, read_plan
from seqopt.report.html import report_html
from seqopt.report.style import Rendered

REPORT_FILE = "report.html"
CHART_FORMATS = ("svg", "png")


ANALYSES = {
    "simulation": "simulation.json",
    "sensitivity": "sensitivity.json",
    "frontier": "frontier.json",
    "cost_frontier": "cost_frontier.json",
    "robust": "robust.json",
    "adaptive": "adaptive.json",
}
"""Analyses a report shows when their file lies beside ``plan.json``, by document key."""


def with_analyses(folder: Path, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the simulation and sensitivity results found in ``folder``, if any.

    Results of another model or input (a different input SHA-256) are left out.
    """
    found = dict(document)
    for key, name in ANALYSES.items():
        path = folder / name
        if not path.is_file():
            continue
        try:
            part = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        same_input = part.get("input", {}).get("sha256") == document.get("input", {}).get("sha256")
        if isinstance(part, dict) and part.get("model") == document.get("model") and same_input:
            found[key] = part
    return found


def write_report(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write ``report.html`` and the charts of ``document`` into ``folder``.

    A ``simulation.json`` or ``sensitivity.json`` of the same model and input in
    ``folder`` adds its charts and tables.

    Returns
    -------
    list of Path
        The files written, the page first.
    """
    document = with_analyses(folder, document)
    rendered = charts(document, written_charts(folder))
    page = report_html(document, rendered)
    targets = [folder / REPORT_FILE]
    contents: list[str | bytes] = [page]
    for name, chart in rendered.items():
        targets += [folder / f"{name}.svg", folder / f"{name}.png"]
        contents += [chart.svg, chart.png]
    with atomic_files(targets) as temporaries:
        for temporary, content in zip(temporaries, contents, strict=True):
            if isinstance(content, str):
                temporary.write_text(content, encoding="utf-8")
            else:
                temporary.write_bytes(content)
    # A chart that no longer applies (say, the plan is now infeasible) must not
    # linger beside a report that does not show it.
    for name in CHARTS:
        if name not in rendered:
            for extension in CHART_FORMATS:
                (folder / f"{name}.{extension}").unlink(missing_ok=True)
    return targets


def written_charts(folder: Path) -> dict[str, Rendered]:
    """The charts in ``folder`` written by an earlier report (both SVG and PNG present)."""
    found = {}
    for name in CHARTS:
        svg, png = folder / f"{name}.svg", folder / f"{name}.png"
        if svg.is_file() and png.is_file():
            try:
                found[name] = Rendered(svg.read_text(encoding="utf-8"), png.read_bytes())
            except (OSError, UnicodeDecodeError):
                continue  # unreadable: draw it again
    return found


def report_result(result: Path) -> list[Path]:
    """Read the ``plan.json`` in a result folder and write its report there (nothing is solved).

    Raises
    ------
    InputError
        When the folder has no ``plan.json`` or it is not a seqopt plan.
    """
    document = read_plan(result)
    return write_report(plan_path(result).parent, document)
