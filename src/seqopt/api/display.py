"""Rich display in notebooks: a plan's headline and roadmap, a model's summary, as HTML.

Built from the report's own parts (status words, key figures, the roadmap
figure, :func:`~seqopt.report.html.inline_svg`), so a notebook shows what the
report shows. Every name from the input is escaped: it is untrusted text.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

from markupsafe import Markup, escape

from seqopt.data import Problem
from seqopt.outputs import headline
from seqopt.settings import ModelFile

_charts = itertools.count(1)
"""Numbers each inline chart, so that the ids of charts in one notebook never collide."""

BOX = "font-family:sans-serif;line-height:1.4;max-width:60em"
TONES = {"good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e"}


def roadmap_svg(document: dict[str, Any]) -> Markup:
    """The report's roadmap chart as inline SVG (empty when the document has no plan)."""
    if "schedule" not in document:
        return Markup("")
    # Imported here: matplotlib is slow to import, and `import seqopt` must stay quick.
    from seqopt.report.html import CHART_TITLES, inline_svg
    from seqopt.report.roadmap import roadmap_figure
    from seqopt.report.style import SVG_METADATA, style

    figure = roadmap_figure(document)
    text = io.StringIO()
    with style():
        figure.savefig(text, format="svg", metadata=SVG_METADATA)
    svg = inline_svg(text.getvalue(), f"seqopt-roadmap-{next(_charts)}", CHART_TITLES["roadmap"])
    return Markup(str(svg).replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1))


def plan_html(document: dict[str, Any], chart: bool = True) -> str:
    """A plan for a notebook: the status in words, the key figures, the roadmap."""
    from seqopt.report import words

    status = words.status(document)
    colour = TONES.get(status.tone, "inherit")
    parts = [
        f'<div class="seqopt-plan" style="{BOX}">',
        f"<h4 style='margin:0 0 .3em 0'>{escape(document['model'])}: sequencing plan</h4>",
        f"<p><strong style='color:{colour}'>{escape(status.label)}</strong>: "
        f"{escape(status.sentence)}</p>",
        f"<p>{_bold(headline(document))}</p>",
    ]
    figures = words.key_figures(document)
    if figures:
        cells = "".join(
            f"<tr><th style='text-align:left'>{escape(f.label)}</th><td>{escape(f.value)}</td>"
            f"<td style='color:#57606a'>{escape(f.note)}</td></tr>"
            for f in figures
        )
        parts.append(f"<table>{cells}</table>")
    if chart:
        parts.append(str(roadmap_svg(document)))
    parts.append("</div>")
    return "\n".join(parts)


def _bold(text: str) -> Markup:
    """Markdown ``**bold**`` (the headline's) as HTML, everything else escaped."""
    pieces = str(escape(text)).split("**")
    return Markup("".join(f"<strong>{p}</strong>" if k % 2 else p for k, p in enumerate(pieces)))


def model_html(model: ModelFile, problem: Problem) -> str:
    """A model for a notebook: its input, horizon, size and settings."""
    scopes = sum(len(m.scopes) for m in problem.measures)
    periods = problem.periods
    objective = model.objective
    rows = [
        ("Model file", str(model.path)),
        ("Input", str(model.input)),
        ("Horizon", f"{periods[0]} to {periods[-1]} ({problem.horizon} periods)"),
        (
            "Size",
            f"{len(problem.measures)} measures ({scopes} scopes), {len(problem.levers)} levers, "
            f"{len(problem.series)} support series, {len(problem.resources)} resources, "
            f"{len(problem.dependencies)} dependencies",
        ),
        (
            "Objective",
            f"{objective.kind.value}, discount rate {objective.discount_rate:g} per period, "
            f"terminal {objective.terminal}",
        ),
        (
            "Solver",
            f"{model.solver.name.value}, time limit {model.solver.time_limit} s, "
            f"gap {model.solver.gap:g}",
        ),
        ("Outputs", str(model.output)),
    ]
    scenario = model.scenario
    if scenario.files or scenario.changes_input:
        changes = [f"extends {path}" for path in scenario.files[:-1]]
        changes += [f"{o.cell} = {o.value}" for o in scenario.overrides]
        changes += [f"overlay {o.path}" for o in scenario.overlays]
        if scenario.horizon is not None:
            first, last = scenario.horizon.first, scenario.horizon.last
            changes.append(f"horizon {first or 'the first period'} to {last or 'the last'}")
        rows.append(("Scenario", "; ".join(changes)))
    cells = "".join(
        f"<tr><th style='text-align:left;vertical-align:top'>{escape(k)}</th>"
        f"<td>{escape(v)}</td></tr>"
        for k, v in rows
    )
    title = escape(model.description or model.name)
    return f'<div class="seqopt-model" style="{BOX}"><h4>{title}</h4><table>{cells}</table></div>'
