"""The plan in plain words: status, key figures, what is done when, what is left out.

Pure functions of a plan document; the HTML report and ``summary.md`` both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIGHT = 1.0
"""A signing with less than this many points of support to spare waited for support."""


@dataclass(frozen=True)
class StatusText:
    """The status of a plan for a reader: a short label, a tone and a sentence."""

    label: str
    tone: str
    """``good`` (proven optimal), ``warn`` (a plan, not proven optimal) or ``bad`` (no plan)."""
    sentence: str


@dataclass(frozen=True)
class KeyFigure:
    """A key figure: what it is, its value as text, and a note under it."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Step:
    """What happens in one period."""

    period: str
    events: tuple[str, ...]


NO_PLAN = {
    "infeasible": "No plan meets every rule of the model; the notes say what stands in the way.",
    "no solution in time": "The solver found no plan within its time limit; nothing is proven.",
}
"""What a status without a plan means for a reader."""


def number(value: float | None, digits: int = 2) -> str:
    """Format a number with thousands separators, or ``n/a`` when unknown."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def percent(fraction: float) -> str:
    """Format a relative gap as a percentage with enough digits to show small gaps."""
    value = 100 * fraction
    return f"{value:.2f}%" if value >= 0.01 or value == 0 else f"{value:.2g}%"


def status(document: dict[str, Any]) -> StatusText:
    """How sure the plan is, in words."""
    code = document["status"]
    if code == "optimal":
        return StatusText(
            "Proven optimal",
            "good",
            "The solver proved that no plan scores better under the model's estimates.",
        )
    if code == "feasible":
        gap = document.get("gap")
        bound = document.get("bound")
        label = "Not proven optimal" + (f": gap {percent(gap)}" if gap is not None else "")
        sentence = "This plan meets every rule, but the solver stopped before proving it best"
        if bound is not None:
            sentence += f": no plan can score better than {number(bound)}"
        return StatusText(label, "warn", sentence + ".")
    words = document.get("status_words", code)
    sentence = NO_PLAN.get(code, "The solver gave no usable answer; the notes say what is known.")
    return StatusText(words[:1].upper() + words[1:], "bad", sentence)


def key_figures(document: dict[str, Any]) -> list[KeyFigure]:
    """The handful of numbers a reader looks at first."""
    if "totals" not in document:
        return []
    totals = document["totals"]
    periods = document["periods"]
    done = len(document["schedule"])
    total = done + len(document["left_out"])
    figures = []
    if document["objective"]["kind"] == "value":
        figures += [
            KeyFigure("Net value", number(totals["net_value"]), "discounted value units"),
            KeyFigure("Benefit", number(totals["benefit"]), "of measures in force"),
            *(
                [KeyFigure("Overlap", number(totals["overlap"]), "benefit substitutes share")]
                if totals.get("overlap")
                else []
            ),
            KeyFigure(
                "Political cost",
                number(totals["cost"]),
                f"of which framing {number(totals['lever_cost'])}",
            ),
        ]
    figures.append(KeyFigure("Measures done", f"{done} of {total}"))
    if done:
        makespan = totals["makespan_periods"]
        when = periods[makespan] if makespan < len(periods) else "after the horizon"
        after = f"{makespan} period{'s' if makespan != 1 else ''} from the start"
        figures.append(KeyFigure("All in force from", when, after))
    uses = len(document["lever_uses"])
    levers = len({use["lever"] for use in document["lever_uses"]})
    note = f"of {levers} lever{'s' if levers != 1 else ''}" if uses else "no lever used"
    figures.append(KeyFigure("Framing uses", str(uses), note))
    return figures


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def summary(document: dict[str, Any]) -> list[str]:
    """A few sentences: what is done, from when to when, what moves support, what is left out."""
    if "schedule" not in document:
        return []
    schedule = document["schedule"]
    sentences = []
    total = len(schedule) + len(document["left_out"])
    if schedule:
        last = max(schedule, key=lambda s: document["periods"].index(s["signing"]))
        sentences.append(
            f"The plan does {len(schedule)} of the {total} measures. Negotiations start in "
            f"{schedule[0]['start']}; the last signing, {last['measure_name']}, "
            f"is in {last['signing']}."
        )
    else:
        sentences.append(f"The plan does none of the {total} measures.")
    tight = [
        (s, g)
        for s in schedule
        for g in s["gates"]
        if g["support_at_signing"] - g["threshold"] < TIGHT
    ]
    if tight:
        support = document["support"]
        parts = [
            f"{s['measure_name']} in {s['signing']} ({support[g['series']]['name']} at "
            f"{g['support_at_signing']:.1f}, needs {g['threshold']:g})"
            for s, g in tight
        ]
        sentences.append(
            "Signed as soon as support allows, with less than one point to spare: "
            + "; ".join(parts)
            + "."
        )
    uses: dict[str, list[str]] = {}
    for use in document["lever_uses"]:
        uses.setdefault(use["lever_name"], []).append(use["period"])
    if uses:
        sentences.append(
            "Framing levers: "
            + "; ".join(f"{name} ({', '.join(periods)})" for name, periods in uses.items())
            + "."
        )
    else:
        sentences.append("No framing lever is used.")
    left_out = [m["measure_name"] for m in document["left_out"]]
    sentences.append(f"Left out: {_names(left_out)}." if left_out else "Nothing is left out.")
    return sentences + dynamics_summary(document)


def dynamics_summary(document: dict[str, Any]) -> list[str]:
    """Sentences on widenings, lapses, backlashes, overlaps and outside events (if any)."""
    sentences = []
    for s in document.get("schedule", []):
        upgrade = s.get("upgrade")
        if upgrade:
            when = f"from {upgrade['in_force']}" if upgrade["in_force"] else "after the horizon"
            sentences.append(
                f"{s['measure_name']} is signed at {s['scope_name']} first and widened to "
                f"{upgrade['scope_name']}, in force at it {when} "
                f"(negotiated {upgrade['start']} to {upgrade['signing']})."
            )
    kept = [r for r in document.get("reviews", []) if r["passed"]]
    lapsed = [r for r in document.get("reviews", []) if not r["passed"]]
    if kept:
        sentences.append(
            "Renewed at every review while in force: "
            + "; ".join(f"{r['measure_name']} in {r['period']}" for r in kept)
            + "."
        )
    for r in lapsed:
        short = [
            f"{level['series_name']} at {level['support']:.1f}, needs {level['threshold']:g}"
            for level in r["levels"]
            if level["support"] < level["threshold"]
        ]
        sentences.append(
            f"{r['measure_name']} lapses after its review in {r['period']} "
            f"({'; '.join(short)}): the plan accepts the loss."
        )
    for b in document.get("backlashes", []):
        sentences.append(
            f"{b['measure_name']} is signed in {b['signing']} without {b['lever_name']}, "
            f"which costs a backlash on {_names(b['series'])}."
        )
    for o in document.get("overlaps", []):
        count = len(o["periods"])
        when = f"{count} period{'s' if count != 1 else ''} of the horizon" if count else "after it"
        sentences.append(
            f"{o['measure_name']} and {o['other_name']} overlap while both are in force "
            f"({when}): {number(o['value'])} value units counted once, not twice."
        )
    happened = sorted({e["event_name"] for e in document.get("events", []) if e["weight"] >= 1})
    expected = sorted({e["event_name"] for e in document.get("events", []) if e["weight"] < 1})
    if happened:
        sentences.append(f"Outside events planned around: {_names(happened)}.")
    if expected:
        sentences.append(f"Random events counted at their expected value: {_names(expected)}.")
    return sentences


def steps(document: dict[str, Any]) -> list[Step]:
    """What happens when, period by period (only periods in which something happens)."""
    actions: dict[str, list[str]] = {}
    for s in document.get("schedule", []):
        what = f"{s['measure_name']} — {s['scope_name']}"
        if s["start"] == s["signing"]:
            actions.setdefault(s["start"], []).append(f"Negotiate and sign {what}")
        else:
            actions.setdefault(s["start"], []).append(f"Open negotiations on {what}")
            actions.setdefault(s["signing"], []).append(f"Sign {s['measure_name']}")
        upgrade = s.get("upgrade")
        if upgrade:
            wide = f"{s['measure_name']} to {upgrade['scope_name']}"
            if upgrade["start"] == upgrade["signing"]:
                actions.setdefault(upgrade["start"], []).append(
                    f"Negotiate and sign widening {wide}"
                )
            else:
                actions.setdefault(upgrade["start"], []).append(
                    f"Open negotiations to widen {wide}"
                )
                actions.setdefault(upgrade["signing"], []).append(f"Sign widening {wide}")
    for review in document.get("reviews", []):
        verdict = "renewed" if review["passed"] else "not renewed: lapses after this period"
        actions.setdefault(review["period"], []).append(
            f"Review of {review['measure_name']}: {verdict}"
        )
    for b in document.get("backlashes", []):
        actions.setdefault(b["signing"], []).append(
            f"Backlash: {b['measure_name']} signed without {b['lever_name']}"
        )
    framing: dict[str, list[str]] = {}
    for use in document.get("lever_uses", []):
        framing.setdefault(use["period"], []).append(f"Framing: {use['lever_name']}")
    outside: dict[str, list[str]] = {}
    for event in document.get("events", []):
        if event["weight"] >= 1:  # random events counted by expectation happen nowhere in full
            outside.setdefault(event["period"], []).append(f"Event: {event['event_name']}")
    # Events and framing first: both move support in time for that period's signing.
    return [
        Step(p, (*outside.get(p, []), *framing.get(p, []), *actions.get(p, [])))
        for p in document["periods"]
        if p in actions or p in framing or p in outside
    ]
