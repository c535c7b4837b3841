"""What a simulation found, as JSON-ready data and CSV tables.

``simulation.json`` (schema ``seqopt.simulation/1``) holds the summary: the
core index of every measure, its signing-period distribution and most common
scope, the distribution of the optimal value, the regret of the base plan and
how often it breaks a rule (which one). ``scenarios.csv`` has one row per
scenario and measure; ``samples.csv`` one row per scenario with every drawn
value (and, for every random event and period, 1 if it happened). Nothing
depends on how many workers ran, or where: the same samples give
byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqopt import __version__
from seqopt.atomic import atomic_files
from seqopt.data import Measure, Problem
from seqopt.io.cells import csv_row
from seqopt.settings import ModelFile, ObjectiveKind
from seqopt.uncertainty.estimates import Site
from seqopt.uncertainty.sampling import Samples, standard_error, wilson_interval
from seqopt.uncertainty.scenarios import Outcome

SCHEMA = "seqopt.simulation/1"
SIMULATION_FILE = "simulation.json"
SCENARIOS_FILE = "scenarios.csv"
SAMPLES_FILE = "samples.csv"
PERCENTILES = (5, 25, 50, 75, 95)
HISTOGRAM_BINS = 20


def distribution(values: Sequence[float]) -> dict[str, Any]:
    """Count, mean, standard deviation, extremes and percentiles of ``values``."""
    if not values:
        return {"count": 0}
    array = np.asarray(values, dtype=np.float64)
    return {
        "count": len(values),
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(values) > 1 else 0.0,
        "min": float(array.min()),
        "max": float(array.max()),
        "percentiles": {str(p): float(np.percentile(array, p)) for p in PERCENTILES},
    }


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> dict[str, list[float]]:
    """Bin edges and counts of ``values`` (for the report's charts)."""
    if not values:
        return {"edges": [], "counts": []}
    low, high = min(values), max(values)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(np.asarray(values), bins=bins, range=(low, high))
    return {"edges": [float(e) for e in edges], "counts": [float(c) for c in counts]}


def simulation_document(
    problem: Problem,
    model: ModelFile,
    found: Sequence[Site],
    samples: Samples,
    outcomes: Sequence[Outcome],
    base_value: float | None,
    input_sha256: str,
) -> dict[str, Any]:
    """The summary of a simulation, as written to ``simulation.json``."""
    labels = problem.periods
    solved = [o for o in outcomes if o.plan is not None]
    count = len(solved)
    measures = []
    for measure in problem.measures:
        chosen = [o for o in solved if o.plan is not None and o.plan.assignment(measure.id)]
        share = len(chosen) / count if count else 0.0
        scopes = Counter(
            a.scope for o in chosen if o.plan is not None and (a := o.plan.assignment(measure.id))
        )
        signings = Counter(o.signing[measure.id] for o in chosen if measure.id in o.signing)
        top = min(
            scopes.items(), key=lambda item: (-item[1], _rank(measure, item[0])), default=None
        )
        measures.append(
            {
                "measure": measure.id,
                "measure_name": measure.name,
                "core_index": share,
                "standard_error": standard_error(share, count),
                "interval_95": list(wilson_interval(share, count)),
                "chosen": len(chosen),
                "most_common_scope": top[0] if top else None,
                "most_common_scope_name": measure.scope(top[0]).name if top else None,
                "most_common_scope_share": top[1] / len(chosen) if top else None,
                "scopes": {s.id: scopes.get(s.id, 0) for s in measure.scopes},
                "signing": {labels[t]: signings.get(t, 0) for t in range(problem.horizon)},
            }
        )
    values = [o.value for o in solved if o.value is not None]
    regrets = [r for o in outcomes if (r := o.regret) is not None]
    broken = [o for o in outcomes if o.base_broken]
    rules = Counter(rule for o in broken for rule in o.base_broken)
    statuses = Counter(o.status for o in outcomes)
    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": input_sha256},
        "objective": {
            "kind": model.objective.kind.value,
            "discount_rate": model.objective.discount_rate,
            "terminal": model.objective.terminal,
        },
        "periods": list(labels),
        "seed": samples.seed,
        "samples": len(samples),
        "sampling": "Latin hypercube (scipy.stats.qmc), independent draws",
        "estimates": [_site(s) for s in found],
        "random_events": _random_events(problem, samples),
        "statuses": dict(sorted(statuses.items())),
        "solved": count,
        "base_value": base_value,
        "value": {**distribution(values), "histogram": histogram(values)},
        "measures": measures,
        "regret": {
            "unit": "value" if model.objective.kind is ObjectiveKind.VALUE else "periods",
            **distribution(regrets),
            "zero": sum(1 for r in regrets if abs(r) <= 1e-6 * max(1.0, abs(base_value or 1))),
            "histogram": histogram(regrets),
        },
        "base_plan": {
            "feasible": len(outcomes) - len(broken),
            "broken": len(broken),
            "broken_share": len(broken) / len(outcomes) if outcomes else 0.0,
            "rules": [
                {"rule": rule, "scenarios": n, "share": n / len(outcomes)}
                for rule, n in sorted(rules.items(), key=lambda item: (-item[1], item[0]))
            ],
        },
    }


def _random_events(problem: Problem, samples: Samples) -> list[dict[str, Any]]:
    """How often each random event happened in the scenarios (drawn per period)."""
    found = []
    for event in problem.events:
        if event.probability is None:
            continue
        prefix = f"events:{event.id}/"
        columns = [
            k
            for k, path in enumerate(samples.paths)
            if path.startswith(prefix) and path.endswith(":happens")
        ]
        if not columns or not len(samples):
            continue
        counts = samples.values[:, columns].sum(axis=1)
        found.append(
            {
                "event": event.id,
                "event_name": event.name,
                "periods": len(columns),
                "mean_happenings": float(counts.mean()),
                "share_with_any": float((counts > 0).mean()),
            }
        )
    return found


def _rank(measure: Measure, scope_id: str) -> int:
    return [s.id for s in measure.scopes].index(scope_id)


def _site(site: Site) -> dict[str, Any]:
    return {
        "path": site.path,
        "subject": site.subject,
        "low": site.estimate.low,
        "base": site.estimate.base,
        "high": site.estimate.high,
        "distribution": site.estimate.distribution.value,
        "integer": site.integer,
    }


SCENARIO_COLUMNS = (
    "scenario",
    "status",
    "value",
    "base_value",
    "regret",
    "base_broken",
    "measure",
    "chosen",
    "scope",
    "start",
    "signing",
)


def scenarios_csv(problem: Problem, outcomes: Sequence[Outcome]) -> str:
    """One row per scenario and measure: the scenario's optimal plan and the base plan's fate."""
    labels = problem.periods
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCENARIO_COLUMNS)
    for o in outcomes:
        shared = [
            o.index,
            o.status,
            _number(o.value),
            _number(o.base_value),
            _number(o.regret),
            "; ".join(o.base_broken),
        ]
        for measure in problem.measures:
            a = o.plan.assignment(measure.id) if o.plan is not None else None
            signing = o.signing.get(measure.id)
            writer.writerow(
                csv_row(
                    [
                        *shared,
                        measure.id,
                        int(a is not None),
                        a.scope if a else "",
                        labels[a.start] if a else "",
                        labels[signing] if signing is not None else "",
                    ]
                )
            )
    return buffer.getvalue()


def samples_csv(samples: Samples) -> str:
    """One row per scenario, one column per estimate (by path): every drawn value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_row(["scenario", *samples.paths]))
    for index, row in enumerate(samples.values):
        writer.writerow(csv_row([index, *(repr(float(v)) for v in row)]))
    return buffer.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def write_simulation(
    folder: Path,
    document: dict[str, Any],
    problem: Problem,
    samples: Samples,
    outcomes: Sequence[Outcome],
) -> list[Path]:
    """Write ``simulation.json``, ``scenarios.csv`` and ``samples.csv`` together, atomically."""
    targets = [folder / SIMULATION_FILE, folder / SCENARIOS_FILE, folder / SAMPLES_FILE]
    contents = [
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        scenarios_csv(problem, outcomes),
        samples_csv(samples),
    ]
    with atomic_files(targets) as temporaries:
        for temporary, content in zip(temporaries, contents, strict=True):
            temporary.write_text(content, encoding="utf-8")
    return targets
