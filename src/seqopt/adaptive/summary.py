"""What an adaptive run found, as JSON-ready data (``adaptive.json``) and ``futures.csv``.

``adaptive.json`` (schema ``seqopt.adaptive/1``) compares the policies in the
same futures (value, its 5-95 % range, how often a signing fails, rules
broken), gives the value of adaptivity (re-planning minus a fixed plan, future
by future, with its standard error), the first period's decision, the
pathways the re-planning policy took and the signposts at their branch
points. Nothing in it depends on the number of workers or on time: the same
input and seed give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seqopt import __version__
from seqopt.adaptive.execute import Run
from seqopt.adaptive.futures import ADAPTIVE, Future, replan_counts
from seqopt.adaptive.pathways import (
    Line,
    Pathway,
    Step,
    branch_points,
    main_lines,
    pathways,
    taken,
    tree,
)
from seqopt.adaptive.watch import branch, key_decisions
from seqopt.atomic import atomic_files
from seqopt.data import Problem
from seqopt.io.cells import csv_row
from seqopt.plan import Plan
from seqopt.settings import ModelFile
from seqopt.uncertainty.record import Negotiation
from seqopt.uncertainty.results import distribution
from seqopt.uncertainty.sampling import wilson_interval

SCHEMA = "seqopt.adaptive/1"
ADAPTIVE_FILE = "adaptive.json"
FUTURES_FILE = "futures.csv"

POLICY_LABELS = {
    ADAPTIVE: "Re-plan every period",
    "base": "Fixed base plan",
    "robust": "Fixed robust plan",
}
LEAST_SHARE = 0.05
"""A way on counts at a branch point when at least this share of all runs take it."""
Z_95 = 1.96


def adaptive_document(
    problem: Problem,
    model: ModelFile,
    futures: Sequence[Future],
    *,
    seed: int,
    rule: str,
    rule_samples: int,
    first: Plan,
    fixed: Mapping[str, Any],
    input_sha256: str,
) -> dict[str, Any]:
    """The summary of an adaptive run, as written to ``adaptive.json``."""
    names = [
        ADAPTIVE,
        *(n for n in POLICY_LABELS if n != ADAPTIVE and futures and n in futures[0].runs),
    ]
    runs = [
        taken(f.index, problem, f.runs[ADAPTIVE].record, f.runs[ADAPTIVE].value) for f in futures
    ]
    found = pathways(runs)
    least = least_runs(len(futures))
    root = tree(runs)
    ids = {p.steps: f"P{k + 1}" for k, p in enumerate(found)}
    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "model": model.name,
        "input": {"path": model.input.as_posix(), "sha256": input_sha256},
        "objective": {"kind": model.objective.kind.value},
        "periods": list(problem.periods),
        "seed": seed,
        "futures": len(futures),
        "rule": rule,
        "rule_samples": rule_samples if rule == "sample" else None,
        "fixed_plans": dict(fixed),
        "policies": [_policy(problem, name, [f.runs[name] for f in futures]) for name in names],
        "adaptivity": [
            _difference(name, [f.runs[ADAPTIVE].value - f.runs[name].value for f in futures])
            for name in names
            if name != ADAPTIVE
        ],
        "first_decision": first_decision(problem, first),
        "replans": replan_counts(futures),
        "pathways": [_pathway(problem, p, ids[p.steps], len(futures)) for p in found],
        "map": {
            "least_runs": least,
            "lines": [
                _line(problem, line, _pathway_id(k), len(futures))
                for k, line in enumerate(main_lines(root, least))
            ],
        },
        "branches": [
            branch(problem, node, k, futures, ids, least)
            for k, node in enumerate(branch_points(root, least), start=1)
        ],
        "decisions": key_decisions(problem, futures, least),
    }


def least_runs(futures: int) -> int:
    """Runs a way on needs at a branch point: 5 % of all, and two once there are ten futures.

    A way taken by a single run of many is an accident of one future, not a
    signpost; with a handful of hand-made futures every run counts.
    """
    return max(2 if futures >= 10 else 1, math.ceil(LEAST_SHARE * futures))


def _pathway_id(k: int) -> str:
    """Map lines are lettered: A, B, ... Z, then AA, AB ..."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[k] if k < len(letters) else letters[k // 26 - 1] + letters[k % 26]


def _policy(problem: Problem, name: str, runs: Sequence[Run]) -> dict[str, Any]:
    count = len(runs)
    failed = [r for r in runs if r.failures]
    share = len(failed) / count if count else 0.0
    gate = sum(1 for r in runs if any(f.reason == "gate" for f in r.failures))
    by_measure = Counter(
        (f.measure, f.widening)
        for r in runs
        for f in {(x.measure, x.widening): x for x in r.failures}.values()
    )
    broken = Counter(rule for r in runs for rule in r.broken)
    unfinished = sum(1 for r in runs if r.unfinished)
    return {
        "policy": name,
        "label": POLICY_LABELS[name],
        "value": distribution([r.value for r in runs]),
        "failed_futures": len(failed),
        "failed_share": share,
        "failed_interval_95": list(wilson_interval(share, count)),
        "failed_gate_futures": gate,
        "failed_gate_share": gate / count if count else 0.0,
        "failures": [
            {
                "measure": measure,
                "measure_name": problem.measure_by_id[measure].name,
                "widening": widening,
                "futures": n,
                "share": n / count,
            }
            for (measure, widening), n in sorted(by_measure.items(), key=lambda i: (-i[1], i[0]))
        ],
        "rules_broken": [
            {"rule": rule, "futures": n, "share": n / count}
            for rule, n in sorted(broken.items(), key=lambda i: (-i[1], i[0]))
        ],
        "skipped_steps_mean": sum(r.skipped for r in runs) / count if count else 0.0,
        "unfinished_futures": unfinished,
    }


def _difference(name: str, differences: Sequence[float]) -> dict[str, Any]:
    """The value of adaptivity against one fixed plan: the mean paired difference and its SE."""
    count = len(differences)
    mean = sum(differences) / count if count else 0.0
    variance = sum((d - mean) ** 2 for d in differences) / (count - 1) if count > 1 else 0.0
    error = math.sqrt(variance / count) if count else 0.0
    return {
        "versus": name,
        "label": POLICY_LABELS[name],
        "mean": mean,
        "standard_error": error,
        "interval_95": [mean - Z_95 * error, mean + Z_95 * error],
        "better": sum(1 for d in differences if d > 1e-6),
        "worse": sum(1 for d in differences if d < -1e-6),
        "same": sum(1 for d in differences if abs(d) <= 1e-6),
    }


def first_decision(problem: Problem, plan: Plan) -> dict[str, Any]:
    """What the re-planning policy does in the first period (the same in every future)."""
    labels = problem.periods
    starts = []
    for a in plan.assignments:
        if a.start != 0:
            continue
        measure = problem.measure_by_id[a.measure]
        scope = measure.scope(a.scope)
        signing = a.start + scope.length - 1
        starts.append(
            {
                "measure": a.measure,
                "measure_name": measure.name,
                "scope": a.scope,
                "scope_name": scope.name,
                "signing": labels[signing] if signing < len(labels) else None,
            }
        )
    levers = [
        {"lever": u.lever, "lever_name": problem.lever_by_id[u.lever].name}
        for u in plan.lever_uses
        if u.period == 0
    ]
    return {"period": labels[0], "starts": starts, "levers": levers}


def _step(problem: Problem, step: Step, signing: float) -> dict[str, Any]:
    measure = problem.measure_by_id[step.measure]
    labels = problem.periods
    return {
        "measure": step.measure,
        "measure_name": measure.name,
        "scope": step.scope,
        "scope_name": measure.scope(step.scope).name,
        "widening": step.widening,
        "failed": step.failed,
        "signing": labels[min(math.floor(signing), len(labels) - 1)],
        "signing_median": signing,
    }


def _pathway(problem: Problem, pathway: Pathway, id: str, total: int) -> dict[str, Any]:
    return {
        "id": id,
        "runs": len(pathway.runs),
        "share": len(pathway.runs) / total if total else 0.0,
        "value_mean": pathway.value,
        "steps": [
            _step(problem, step, signing)
            for step, signing in zip(pathway.steps, pathway.signings, strict=True)
        ],
    }


def _line(problem: Problem, line: Line, id: str, total: int) -> dict[str, Any]:
    return {
        "id": id,
        "runs": len(line.runs),
        "share": len(line.runs) / total if total else 0.0,
        "value_mean": line.value,
        "ways_on": line.ways_on,
        "steps": [
            _step(problem, step, signing)
            for step, signing in zip(line.steps, line.signings, strict=True)
        ],
    }


# -- futures.csv ------------------------------------------------------------------------

FUTURE_COLUMNS = (
    "future",
    "policy",
    "value",
    "failed_signings",
    "failures",
    "signings",
    "rules_broken",
    "skipped_steps",
    "pathway",
)


def futures_csv(problem: Problem, futures: Sequence[Future], document: dict[str, Any]) -> str:
    """One row per future and policy: value, signings, failures, rules broken, pathway."""
    labels = problem.periods
    ids = {
        tuple(Step(s["measure"], s["scope"], s["widening"], s["failed"]) for s in p["steps"]): p[
            "id"
        ]
        for p in document["pathways"]
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FUTURE_COLUMNS)
    for f in futures:
        for name, run in f.runs.items():
            signed = sorted(
                (n for n in run.record.negotiations if n.signed is not None),
                key=lambda n: (n.signed, n.measure),
            )
            steps = taken(f.index, problem, run.record, run.value).steps
            writer.writerow(
                csv_row(
                    [
                        f.index,
                        name,
                        repr(float(run.value)),
                        len(run.failures),
                        "; ".join(
                            f"{x.measure}/{x.scope}@{labels[x.period]}" for x in run.failures
                        ),
                        "; ".join(_signed(problem, n) for n in signed),
                        "; ".join(run.broken),
                        run.skipped,
                        ids.get(steps, "other") if name == ADAPTIVE else "",
                    ]
                )
            )
    return buffer.getvalue()


def _signed(problem: Problem, n: Negotiation) -> str:
    when = problem.periods[n.signed] if n.signed is not None else "-"
    return f"{n.measure}/{n.scope}@{when}{' failed' if n.failed else ''}"


def write_adaptive(
    folder: Path, document: dict[str, Any], problem: Problem, futures: Sequence[Future]
) -> list[Path]:
    """Write ``adaptive.json`` and ``futures.csv`` together, atomically."""
    targets = [folder / ADAPTIVE_FILE, folder / FUTURES_FILE]
    contents = [
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        futures_csv(problem, futures, document),
    ]
    with atomic_files(targets) as temporaries:
        for temporary, content in zip(temporaries, contents, strict=True):
            temporary.write_text(content, encoding="utf-8")
    return targets


def summary_lines(document: dict[str, Any]) -> list[str]:
    """What ``seqopt adapt`` prints: the first decision, the comparison, the signposts."""
    lines = []
    first = document["first_decision"]
    actions = [f"start {s['measure_name']} — {s['scope_name']}" for s in first["starts"]]
    actions += [f"use {lever['lever_name']}" for lever in first["levers"]]
    lines.append(
        f"What to do now ({first['period']}): {'; '.join(actions) if actions else 'nothing yet'}."
    )
    lines.append(
        f"{document['futures']} futures (seed {document['seed']}), re-planning every period on "
        f"{'the expected future' if document['rule'] == 'expected' else 'a sample of futures'}:"
    )
    for p in document["policies"]:
        value = p["value"]
        spread = value.get("percentiles", {})
        lines.append(
            f"  {p['label']:<22} mean {value.get('mean', 0.0):9,.2f}, 5-95 % "
            f"{spread.get('5', 0.0):,.2f} to {spread.get('95', 0.0):,.2f}; a signing fails in "
            f"{p['failed_share']:.1%} of futures"
        )
    for d in document["adaptivity"]:
        lines.append(
            f"Value of adaptivity against the {d['label'].lower()}: {d['mean']:+,.2f} "
            f"(standard error {d['standard_error']:,.2f}; better in {d['better']}, worse in "
            f"{d['worse']} of {document['futures']} futures)."
        )
    lines.append(
        f"{len(document['pathways'])} distinct pathways ({len(document['map']['lines'])} lines on "
        f"the map); {len(document['branches'])} branch points and {len(document['decisions'])} "
        "key decisions with signposts:"
    )
    for sign in [*document["branches"], *document["decisions"]]:
        what = f", {sign['measure_name']}" if "measure_name" in sign else ""
        lines.append(f"  {sign['id']} ({sign['period']}{what}, {sign['runs']} runs):")
        lines += [f"    {sentence}" for sentence in sign["text"]]
    return lines
