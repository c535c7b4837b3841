"""The HTML report: one self-contained file, charts inline as SVG, nothing fetched.

The page is rendered by Jinja2 with autoescaping on: measure, scope, lever
and series names come from a planner's workbook and are untrusted text. Only
the charts' SVG is inserted as markup, after :func:`inline_svg` has made it fit
for inlining (matplotlib escapes the text inside it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from seqopt.report import pathways, words
from seqopt.report.cost_frontier import cost_frontier_table
from seqopt.report.frontier import frontier_table
from seqopt.report.style import Rendered
from seqopt.report.tables import Table, inputs_table, plan_tables
from seqopt.report.uncertainty import break_even_table, breakage_table, core_index_table
from seqopt.report.why import why_sections

CHART_TITLES = {
    "roadmap": "Roadmap: what is negotiated, signed and in force when",
    "support": "Public support against the thresholds it must reach at signing",
    "resources": "Resources: use against capacity, and budgets used",
    "frontier": "The price of safety: value against reliability",
    "cost_frontier": "What political capital buys: benefit against cost",
    "core_index": "Under uncertainty: how often each measure is in the optimal plan",
    "signing": "Under uncertainty: when each measure is signed",
    "regret": "Under uncertainty: optimal value and the regret of the base plan",
    "tornado": "Sensitivity: what each estimate's range does to the optimal value",
    "pathways": "Adaptive pathways: the ways re-planning took, and the signposts",
}

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]*)"')
_URL = re.compile(r"url\(#([^)]*)\)")
_HREF = re.compile(r'\bxlink:href="#([^"]*)"')


def inline_svg(svg: str, prefix: str, label: str) -> Markup:
    """Make a standalone SVG document fit to sit inside an HTML page.

    Drops the XML prologue and namespace declarations (the HTML parser supplies
    them, and they are the only URLs in the file), drops the embedded style
    sheet (the page's CSS carries it), and prefixes every id and reference to
    it with ``prefix`` so that ids of several charts never collide.
    """
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _NAMESPACE.sub("", svg)
    svg = _STYLE.sub("", svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    opening = f'<svg role="img" aria-label="{escape(label)}" '
    # Markup: the SVG is matplotlib's, which escapes every text and attribute it writes.
    return Markup(svg.replace("<svg ", opening, 1).strip())


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("seqopt.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _now(adaptive: dict[str, Any]) -> dict[str, Any]:
    """The headline of an adaptive run: the first decision, and the signposts to watch."""
    return {
        "decision": pathways.first_decision_text(adaptive),
        "signposts": pathways.headline_signposts(adaptive),
        "adaptivity": adaptive["adaptivity"],
        "futures": adaptive["futures"],
    }


def report_html(document: dict[str, Any], charts: Mapping[str, Rendered]) -> str:
    """Render ``report.html`` from a plan document and its rendered charts."""
    tables: dict[str, Table] = {t.key: t for t in plan_tables(document)}
    simulation = document.get("simulation")
    sensitivity = document.get("sensitivity")
    analysis: dict[str, Table] = {}
    if simulation:
        analysis["core_index"] = core_index_table(simulation)
        analysis["breakage"] = breakage_table(simulation)
    if sensitivity:
        analysis["break_even"] = break_even_table(sensitivity)
    if document.get("frontier"):
        analysis["frontier"] = frontier_table(document["frontier"])
    if document.get("cost_frontier"):
        analysis["cost_frontier"] = cost_frontier_table(document["cost_frontier"])
    adaptive = document.get("adaptive")
    if adaptive:
        analysis["policies"] = pathways.comparison_table(adaptive)
        analysis["adaptivity"] = pathways.adaptivity_table(adaptive)
        analysis["signposts"] = pathways.signposts_table(adaptive)
        analysis["pathways"] = pathways.pathways_table(adaptive)
    context = {
        "document": document,
        "title": document.get("description") or f"{document['model']}: sequencing plan",
        "status": words.status(document),
        "figures": words.key_figures(document),
        "sentences": words.summary(document),
        "answer": words.answer(document),
        "candidates": words.candidates_table(document),
        "steps": words.steps(document),
        "notes": document.get("notes", []),
        "charts": {
            name: inline_svg(chart.svg, name, CHART_TITLES[name]) for name, chart in charts.items()
        },
        "chart_titles": CHART_TITLES,
        "tables": tables,
        "inputs": inputs_table(document),
        "why": why_sections(document),
        "simulation": simulation,
        "sensitivity": sensitivity,
        "adaptive": adaptive,
        "now": _now(adaptive) if adaptive else None,
        "analysis": analysis,
    }
    return _environment().get_template("report.html.j2").render(context)
