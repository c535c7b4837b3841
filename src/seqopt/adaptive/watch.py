"""What to watch: signposts at the branch points of the pathways, and for each key decision.

Two kinds of signpost, both a shallow tree (:mod:`seqopt.adaptive.signposts`)
on what the re-planning policy had seen when a decision came:

- at a **branch point** of the pathways (``S1`` ...): the runs that share a
  prefix of signings and then go on in different ways;
- for a **key decision** (``K1`` ...): how and when a measure is first
  negotiated (at which scope; in the first period any run starts it, or
  later; or not at all), or whether it is widened, over all runs, whatever
  came before. This is where "sign the full text now if the poll holds, else
  wait" shows, even when the runs got there by different orders of smaller
  steps.

What the policy had seen before period ``p``: every series' level in every
period before ``p``, how often each random event had happened, and which
signings had failed, by ``p - 1``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from seqopt.adaptive.futures import ADAPTIVE, Future
from seqopt.adaptive.pathways import Node, Step, Taken, decisions, parting
from seqopt.adaptive.signposts import Feature, Leaf, Question, Sample, fit
from seqopt.data import Problem
from seqopt.uncertainty.record import Negotiation

OTHER_WAY = "another way"
"""The label of runs whose way too few runs took to be told apart."""


def step_label(problem: Problem, step: Step | None) -> str:
    """A step in words: "sign GSOMIA (...): Full text", "widen ...", "... (fails)", or the end.

    The scope is named for measures with more than one.
    """
    if step is None:
        return "no further signing"
    measure = problem.measure_by_id[step.measure]
    scope = measure.scope(step.scope).name
    if step.widening:
        what = f"widen {measure.name} to {scope}"
    elif len(measure.scopes) > 1:
        what = f"sign {measure.name}: {scope}"
    else:
        what = f"sign {measure.name}"
    return f"{what} (fails)" if step.failed else what


def features(future: Future, period: int) -> dict[Feature, float]:
    """What the re-planning policy had seen before ``period`` in a future."""
    seen: dict[Feature, float] = {}
    run = future.runs[ADAPTIVE]
    for series, values in run.support.items():
        for t in range(min(period, len(values))):
            seen[Feature("support", series, t)] = values[t]
    if period > 0:
        for event, periods in future.happened.items():
            seen[Feature("event", event, period - 1)] = float(sum(1 for p in periods if p < period))
        for n in run.record.negotiations:
            if n.failed and not n.widening and n.signed is not None and n.signed < period:
                seen[Feature("failed", n.measure, period - 1)] = 1.0
    return seen


def _sample(future: Future, period: int, measures: set[str]) -> dict[Feature, float]:
    """:func:`features`, with "not failed" made explicit for measures that fail somewhere."""
    seen = features(future, period)
    if period > 0:
        for measure in measures:
            seen.setdefault(Feature("failed", measure, period - 1), 0.0)
    return seen


def branch(
    problem: Problem,
    node: Node,
    number: int,
    futures: Sequence[Future],
    ids: Mapping[tuple[Step, ...], str],
    least: int,
) -> dict[str, Any]:
    """The signpost of a branch point of the pathways, as ``adaptive.json`` holds it."""
    period = parting(node)
    counts = decisions(node)
    kept = {d for d, n in counts.items() if n >= least}
    by_index = {f.index: f for f in futures}
    failing = _failing(futures)

    def label(run: Taken) -> str:
        decision = node.decision(run)
        return step_label(problem, decision) if decision in kept else OTHER_WAY

    ways = []
    for decision, n in sorted(counts.items(), key=lambda i: (-i[1], str(i[0]))):
        if decision not in kept:
            continue
        runs = [r for r in node.runs if node.decision(r) == decision]
        ways.append(
            {
                "way": step_label(problem, decision),
                "runs": n,
                "share": n / len(node.runs),
                "value_mean": sum(r.value for r in runs) / n,
                "pathways": sorted({ids[r.steps] for r in runs if r.steps in ids}),
            }
        )
    prefix = node.runs[0].steps[: node.depth] if node.runs else ()
    samples = [(_sample(by_index[r.index], period, failing), label(r)) for r in node.runs]
    return {
        "id": f"S{number}",
        "after": [step_label(problem, s) for s in prefix],
        "after_steps": [
            {"measure": s.measure, "scope": s.scope, "widening": s.widening, "failed": s.failed}
            for s in prefix
        ],
        **_signpost(problem, period, samples, ways),
    }


def key_decisions(problem: Problem, futures: Sequence[Future], least: int) -> list[dict[str, Any]]:
    """A signpost for every measure whose first negotiation (or widening) differs between runs."""
    found: list[dict[str, Any]] = []
    failing = _failing(futures)
    for measure in problem.measures:
        for widening in (False, True):
            if widening and not measure.upgrades:
                continue
            entry = _decision(problem, measure.id, widening, futures, least, failing)
            if entry is not None:
                found.append({"id": f"K{len(found) + 1}", **entry})
    return found


def _decision(
    problem: Problem,
    measure_id: str,
    widening: bool,
    futures: Sequence[Future],
    least: int,
    failing: set[str],
) -> dict[str, Any] | None:
    measure = problem.measure_by_id[measure_id]
    chosen: list[tuple[Future, Negotiation | None]] = []
    for f in futures:
        record = f.runs[ADAPTIVE].record
        if widening:
            signed = record.of(measure_id)
            if signed is None or signed.failed:
                continue  # only runs that could widen it
        chosen.append((f, record.of(measure_id, widening=widening)))
    starts = [n.start for _, n in chosen if n is not None]
    if not starts:
        return None
    period = min(starts)

    def way(n: Negotiation | None) -> str:
        # When as well as how: the runs that start it first decide "now", the others "later".
        if n is None:
            return f"do not widen {measure.name}" if widening else f"leave {measure.name} out"
        when = f"in {problem.periods[period]}" if n.start == period else "later"
        return f"{step_label(problem, Step(measure_id, n.scope, widening))} {when}"

    counts = Counter(way(n) for _, n in chosen)
    kept = {w for w, n in counts.items() if n >= least}
    if len(kept) < 2:
        return None
    ways = []
    for label, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])):
        if label in kept:
            runs = [f for f, x in chosen if way(x) == label]
            ways.append(
                {
                    "way": label,
                    "runs": n,
                    "share": n / len(chosen),
                    "value_mean": sum(f.runs[ADAPTIVE].value for f in runs) / n,
                }
            )
    samples = [
        (_sample(f, period, failing), way(n) if way(n) in kept else OTHER_WAY) for f, n in chosen
    ]
    return {
        "measure": measure_id,
        "measure_name": measure.name,
        "widening": widening,
        "after": [],
        "after_steps": [],
        **_signpost(problem, period, samples, ways),
    }


def _failing(futures: Sequence[Future]) -> set[str]:
    """Measures whose signing fails in some run (their failure is worth watching)."""
    return {
        n.measure
        for f in futures
        for n in f.runs[ADAPTIVE].record.negotiations
        if n.failed and not n.widening
    }


def _signpost(
    problem: Problem, period: int, samples: Sequence[Sample], ways: list[dict[str, Any]]
) -> dict[str, Any]:
    labels = problem.periods
    signpost = fit(samples)
    values = [w["value_mean"] for w in ways]
    return {
        "period": labels[period],
        "seen_up_to": labels[period - 1] if period > 0 else None,
        "runs": len(samples),
        "ways": ways,
        "stakes": max(values) - min(values) if values else 0.0,
        "accuracy": signpost.accuracy,
        "leaves": [_leaf(problem, leaf) for leaf in signpost.leaves],
        "text": signpost_text(problem, labels[period], signpost.leaves, signpost.accuracy),
    }


def _leaf(problem: Problem, leaf: Leaf) -> dict[str, Any]:
    return {
        "conditions": [_question(problem, q, yes) for q, yes in leaf.answers],
        "way": leaf.way,
        "runs": leaf.runs,
        "right": leaf.right,
    }


def _question(problem: Problem, question: Question, yes: bool) -> dict[str, Any]:
    f = question.feature
    return {
        "kind": f.kind,
        "subject": f.subject,
        "subject_name": _subject(problem, f),
        "period": problem.periods[f.period],
        "threshold": question.threshold,
        "at_least": yes,
        "text": condition(problem, question, yes),
    }


def _subject(problem: Problem, f: Feature) -> str:
    names: Mapping[str, Callable[[str], str | None]] = {
        "support": lambda i: s.name if (s := problem.series_by_id.get(i)) else None,
        "event": lambda i: e.name if (e := problem.event_by_id.get(i)) else None,
        "failed": lambda i: m.name if (m := problem.measure_by_id.get(i)) else None,
    }
    return names[f.kind](f.subject) or f.subject


def condition(problem: Problem, question: Question, yes: bool) -> str:
    """A question and its answer in words."""
    f = question.feature
    when = problem.periods[f.period]
    name = _subject(problem, f)
    if f.kind == "support":
        return f"{name} is {'at least' if yes else 'below'} {question.threshold:g} in {when}"
    if f.kind == "failed":
        return f"the signing of {name} {'has failed' if yes else 'has not failed'} by {when}"
    times = question.threshold
    if times <= 1:
        return f"{name} {'has happened' if yes else 'has not happened'} by {when}"
    relation = "at least" if yes else "fewer than"
    return f"{name} has happened {relation} {times:g} times by {when}"


def signpost_text(
    problem: Problem, period: str, leaves: Sequence[Leaf], accuracy: float
) -> list[str]:
    """The signpost in sentences: one per leaf, "if ...: way (right of runs)"."""
    if len(leaves) == 1:
        leaf = leaves[0]
        return [
            f"Nothing seen by {period} tells the ways apart; most runs "
            f"({leaf.right} of {leaf.runs}) {leaf.way}."
        ]
    sentences = []
    for leaf in leaves:
        conditions = " and ".join(condition(problem, q, yes) for q, yes in leaf.answers)
        sentences.append(f"If {conditions}: {leaf.way} ({leaf.right} of {leaf.runs} runs).")
    if accuracy < 1.0:
        sentences.append(
            f"These rules send {accuracy:.0%} of the runs the way they went; the rest "
            "turned on more than two observations."
        )
    return sentences
