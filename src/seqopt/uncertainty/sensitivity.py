"""One-at-a-time sensitivity: swing each estimate to its low and high end, and break-even values.

Every uncertain estimate is set to its low value, then to its high value, all
others at base, and the model is re-solved (the same engine as simulations, so
the same speed and checks). The change in the optimal value is a tornado; a
swing whose optimal plan differs from the base plan is flagged with what moves.

For the inputs with the widest swings that change which measures are done,
the *break-even value* is the value between base and that end at which a
measure enters or leaves the optimal plan, found by bisection on re-solves
(whole numbers, for durations, are tried one by one). When fewer inputs than
asked change which measures are done within their ranges (a plan whose
measures all hold across every single swing), the search goes on beyond the
range for the benefits with the widest swings: how far the benefit of a
measure in the plan may fall, towards zero, before the measure leaves.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqopt import __version__
from seqopt.atomic import atomic_files
from seqopt.data import Problem
from seqopt.io.cells import csv_row
from seqopt.plan import Plan
from seqopt.settings import ModelFile
from seqopt.uncertainty.estimates import Site, all_sites
from seqopt.uncertainty.scenarios import Job, Outcome, map_tasks, run_scenarios, solve_one

SCHEMA = "seqopt.sensitivity/1"
SENSITIVITY_FILE = "sensitivity.json"
SENSITIVITY_CSV = "sensitivity.csv"
BISECTION_STEPS = 10


@dataclass(frozen=True)
class End:
    """The model re-solved with one estimate at one end of its range."""

    value: float
    """The estimate's value at this end."""
    outcome: Outcome
    enters: tuple[str, ...]
    """Measures done here but not in the base plan."""
    leaves: tuple[str, ...]
    """Measures in the base plan but not done here."""
    plan_changes: bool


@dataclass(frozen=True)
class Swing:
    """One estimate swung to its low and its high end."""

    site: Site
    low: End
    high: End

    def change(self, end: End, base_value: float) -> float | None:
        """Change of the optimal value against the base optimum."""
        return None if end.outcome.value is None else end.outcome.value - base_value

    def width(self, base_value: float) -> float:
        """Tornado bar length: the larger distance between the two ends' optimal values."""
        changes = [
            c
            for c in (self.change(self.low, base_value), self.change(self.high, base_value))
            if c is not None
        ]
        return max(changes, default=0.0) - min(changes, default=0.0)


@dataclass(frozen=True)
class BreakEven:
    """Where a measure enters or leaves the optimal plan as one estimate moves."""

    site: Site
    measure: str
    enters: bool
    """True: the measure comes in past the threshold; False: it leaves."""
    threshold: float | None
    """The first value (from base towards ``towards``) at which the change is seen;
    ``None`` when the measure stays as it is even at ``towards`` (searched beyond the
    range only)."""
    towards: float
    beyond_range: bool = False
    """Whether the threshold lies outside the estimate's low-high range."""


def swings(
    job: Job,
    found: Sequence[Site],
    base_plan: Plan,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Swing]:
    """Every site in ``found`` swung to low and to high (``job.paths`` are those sites' paths)."""
    bases = [s.estimate.base for s in found]
    rows: list[list[float]] = []
    for k, site in enumerate(found):
        for end in (site.estimate.low, site.estimate.high):
            row = list(bases)
            row[k] = end
            rows.append(row)
    outcomes = run_scenarios(job, rows, workers=workers, scheduler=scheduler, done=done)
    result = []
    for k, site in enumerate(found):
        low, high = outcomes[2 * k], outcomes[2 * k + 1]
        result.append(
            Swing(
                site,
                _end(site.estimate.low, low, base_plan),
                _end(site.estimate.high, high, base_plan),
            )
        )
    return result


def _end(value: float, outcome: Outcome, base_plan: Plan) -> End:
    before = {a.measure for a in base_plan.assignments}
    after = {a.measure for a in outcome.plan.assignments} if outcome.plan is not None else set()
    return End(
        value,
        outcome,
        tuple(sorted(after - before)),
        tuple(sorted(before - after)),
        outcome.plan != base_plan,
    )


def tornado(found: Sequence[Swing], base_value: float) -> list[Swing]:
    """Swings widest first (ties in input order)."""
    return sorted(found, key=lambda s: -s.width(base_value))


def break_evens(
    job: Job,
    ordered: Sequence[Swing],
    count: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[BreakEven]:
    """Break-even values for ``count`` inputs, widest swings first.

    First the swings that change which measures are done within the range; then,
    if fewer than ``count`` do, the benefits of measures in the base plan searched
    beyond their range, down to zero (``threshold`` is ``None`` where the measure
    stays in even at zero).
    """
    searches: list[Search] = []
    chosen = 0
    for swing in ordered:
        if chosen >= count:
            break
        ends = [end for end in (swing.low, swing.high) if end.enters or end.leaves]
        if not ends:
            continue
        chosen += 1
        index = job.paths.index(swing.site.path)
        for end in ends:
            searches += [Search(index, swing.site, end.value, m, True, True) for m in end.enters]
            searches += [Search(index, swing.site, end.value, m, False, True) for m in end.leaves]
    for swing in ordered:
        if chosen >= count:
            break
        measure = _benefit_of_chosen_scope(job, swing)
        if measure is None or swing.site.estimate.low <= 0 or swing.low.leaves:
            continue
        chosen += 1
        index = job.paths.index(swing.site.path)
        searches.append(Search(index, swing.site, 0.0, measure, False, False))
    every = {
        s.path: s.estimate.base for s in all_sites(job.problem, job.objective, uncertain_only=False)
    }
    bases = tuple(every[path] for path in job.paths)
    return map_tasks(_break_even, (job, bases), searches, workers=workers, scheduler=scheduler)


@dataclass(frozen=True)
class Search:
    """One break-even search: move one estimate from base towards ``towards``."""

    index: int
    """Position of the estimate among the job's paths."""
    site: Site
    towards: float
    measure: str
    enters: bool
    known: bool
    """Whether the change is known to be seen at ``towards`` (a swing's end)."""


def _benefit_of_chosen_scope(job: Job, swing: Swing) -> str | None:
    """The measure whose chosen scope's benefit ``swing`` moves, if it is one."""
    kind, _, rest = swing.site.path.partition(":")
    key, _, column = rest.rpartition(":")
    if kind != "scopes" or column != "benefit" or job.base_plan is None:
        return None
    measure, _, scope = key.partition("/")
    chosen = job.base_plan.assignment(measure)
    return measure if chosen is not None and chosen.scope == scope else None


def _break_even(shared: tuple[Job, tuple[float, ...]], search: Search) -> BreakEven:
    job, bases = shared
    site, measure, enters = search.site, search.measure, search.enters
    base = site.estimate.base

    def changed(value: float) -> bool:
        row = list(bases)
        row[search.index] = value
        plan = solve_one(job, 0, row).plan
        inside = plan is not None and plan.assignment(measure) is not None
        return inside == enters

    if not search.known and not changed(search.towards):
        # The measure stays even at the far end: worth saying (its place in the plan
        # does not hang on this estimate), with no threshold.
        return BreakEven(site, measure, enters, None, search.towards, True)
    if site.integer:
        step = 1.0 if search.towards > base else -1.0
        value = base + step
        while (value - search.towards) * step < 0 and not changed(value):
            value += step
        return BreakEven(site, measure, enters, value, search.towards)
    near, far = base, search.towards  # near: as at base (known); far: changed (known)
    for _ in range(BISECTION_STEPS):
        middle = (near + far) / 2
        if changed(middle):
            far = middle
        else:
            near = middle
    outside = not site.estimate.low <= far <= site.estimate.high
    return BreakEven(site, measure, enters, far, search.towards, outside)


def sensitivity_document(
    problem: Problem,
    model: ModelFile,
    base_value: float,
    ordered: Sequence[Swing],
    found: Sequence[BreakEven],
    input_sha256: str,
) -> dict[str, Any]:
    """The results as JSON-ready data (``sensitivity.json``)."""
    names = {m.id: m.name for m in problem.measures}

    def end(swing: Swing, e: End) -> dict[str, Any]:
        return {
            "value": e.value,
            "status": e.outcome.status,
            "objective": e.outcome.value,
            "change": swing.change(e, base_value),
            "plan_changes": e.plan_changes,
            "enters": [names[m] for m in e.enters],
            "leaves": [names[m] for m in e.leaves],
        }

    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": input_sha256},
        "objective": {"kind": model.objective.kind.value},
        "base_value": base_value,
        "swings": [
            {
                "path": s.site.path,
                "subject": s.site.subject,
                "base": s.site.estimate.base,
                "width": s.width(base_value),
                "low": end(s, s.low),
                "high": end(s, s.high),
            }
            for s in ordered
        ],
        "break_even": [
            {
                "path": b.site.path,
                "subject": b.site.subject,
                "base": b.site.estimate.base,
                "measure": b.measure,
                "measure_name": names[b.measure],
                "enters": b.enters,
                "threshold": b.threshold,
                "towards": b.towards,
                "beyond_range": b.beyond_range,
                "text": _break_even_text(b, names[b.measure]),
            }
            for b in found
        ],
    }


def _break_even_text(b: BreakEven, name: str) -> str:
    way = "enters" if b.enters else "leaves"
    direction = "rises" if b.towards > b.site.estimate.base else "falls"
    subject = b.site.subject
    scope, _, what = subject.removeprefix(f"{name} (").partition("): ")
    if subject.startswith(f"{name} (") and what:
        subject = f"its {what} (scope {scope})"  # not the measure's name twice
    if b.threshold is None:
        where = "in" if not b.enters else "out of"
        return (
            f"{name} stays {where} the optimal plan even when {subject} {direction} from "
            f"{b.site.estimate.base:g} to {b.towards:g}."
        )
    text = (
        f"{name} {way} the optimal plan when {subject} {direction} from "
        f"{b.site.estimate.base:g} to {b.threshold:.4g}"
    )
    if b.beyond_range:
        low, high = b.site.estimate.low, b.site.estimate.high
        return f"{text}, outside its estimated range {low:g}–{high:g}."
    return f"{text}."


CSV_COLUMNS = (
    "path",
    "subject",
    "low",
    "base",
    "high",
    "objective_low",
    "objective_high",
    "change_low",
    "change_high",
    "plan_changes_low",
    "plan_changes_high",
    "enters_low",
    "leaves_low",
    "enters_high",
    "leaves_high",
)


def write_sensitivity(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write ``sensitivity.json`` and ``sensitivity.csv`` (one row per estimate) atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in document["swings"]:
        low, high = s["low"], s["high"]
        writer.writerow(
            csv_row(
                [
                    s["path"],
                    s["subject"],
                    low["value"],
                    s["base"],
                    high["value"],
                    _cell(low["objective"]),
                    _cell(high["objective"]),
                    _cell(low["change"]),
                    _cell(high["change"]),
                    int(low["plan_changes"]),
                    int(high["plan_changes"]),
                    "; ".join(low["enters"]),
                    "; ".join(low["leaves"]),
                    "; ".join(high["enters"]),
                    "; ".join(high["leaves"]),
                ]
            )
        )
    targets = [folder / SENSITIVITY_FILE, folder / SENSITIVITY_CSV]
    contents = [json.dumps(document, indent=2, ensure_ascii=False) + "\n", buffer.getvalue()]
    with atomic_files(targets) as temporaries:
        for temporary, content in zip(temporaries, contents, strict=True):
            temporary.write_text(content, encoding="utf-8")
    return targets


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))
