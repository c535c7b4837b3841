"""The plan in plain words: status, key figures, what is done when, what is left out.

Pure functions of a plan document; the HTML report and ``summary.md`` both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from seqopt.report.tables import Cell, Column, Table

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


SOUND = 0.9
"""A plan holding in at least this share of sampled scenarios is not called fragile."""

FRAGILE = 0.5
"""Below this share of sampled scenarios a plan is called fragile (shown in red)."""


def share(fraction: float) -> str:
    """A share of scenarios as a percentage (one decimal)."""
    return f"{100 * fraction:.1f}%"


def status(document: dict[str, Any]) -> StatusText:
    """How sure the plan is, in words: proven or not, and how often it goes through."""
    found = _status(document)
    reliability = document.get("reliability")
    if not reliability or found.tone == "bad":
        return found
    held = reliability["share"]
    chosen = (reliability.get("asked") or {}).get("chosen_on")
    if chosen and found.tone == "good":
        found = replace(
            found,
            sentence=(
                "No plan scores better at base values among those that break no rule in the "
                f"{chosen['scenarios']} sampled scenarios it was chosen on: proven. It goes "
                f"through unchanged in {share(held)} of {reliability['scenarios']:,} fresh ones."
            ),
        )
    if held >= SOUND:
        return found
    tone = "bad" if held < FRAGILE else "warn"
    label = f"{found.label} at base values, holds in {share(held)} of scenarios"
    sentence = (
        f"{found.sentence[:-1]} at their base values. But the estimates have ranges: in "
        f"{reliability['scenarios']:,} sampled scenarios the plan goes through unchanged in "
        f"only {share(held)}"
    )
    if reliability.get("most_broken"):
        top = reliability["rules"][0]
        sentence += f"; most often it breaks {top['rule']} ({share(top['share'])})"
    return StatusText(label, tone, sentence + ". " + SAFER)


SAFER = (
    "A safer plan: set reliability (or margin) in the model file, or see the price of "
    "safety with seqopt frontier."
)


def reliability_sentences(document: dict[str, Any]) -> list[str]:
    """How reliable the plan is, and what it was asked to be (empty without ranges)."""
    reliability = document.get("reliability")
    if not reliability:
        return []
    held, count = reliability["share"], reliability["scenarios"]
    sentences = [
        f"Reliability: the plan goes through unchanged in {share(held)} of {count:,} sampled "
        f"scenarios (seed {reliability['seed']})."
    ]
    rules = reliability["rules"]
    if rules:
        top = "; ".join(f"{r['rule']} in {share(r['share'])}" for r in rules[:3])
        sentences.append(f"Rules it breaks most often: {top}.")
    asked = reliability.get("asked") or {}
    level, margin = asked.get("reliability", 0), asked.get("margin", 0)
    chosen = asked.get("chosen_on")
    if level and chosen:
        verdict = "reached" if asked.get("reached") else "NOT reached"
        sentences.append(
            f"Asked for: at least {share(level)} ({verdict}). Chosen as the best plan that "
            f"breaks no rule in {chosen['held']} of the first {chosen['scenarios']} scenarios "
            f"of another sample (seed {chosen['seed']}), proven optimal there."
        )
    for gate in asked.get("gates", []):
        cleared = gate.get("cleared")
        got = share(cleared) if cleared is not None else "n/a"
        sentences.append(
            f"{gate['measure_name']} must clear its gate on {gate['series']} in "
            f"{share(gate['reliability'])} of scenarios: it does in {got}."
        )
    if margin:
        sentences.append(f"Every signing keeps at least {margin:g} points of support to spare.")
    other = reliability.get("unconstrained")
    if other is not None and other["value"] is not None:
        value = document.get("value")
        cost = f" (gives up {number(other['value'] - value)})" if value is not None else ""
        sentences.append(
            f"The plan optimal at base values is worth {number(other['value'])}{cost} and goes "
            f"through in {share(other['share'])}."
        )
    return sentences


def _status(document: dict[str, Any]) -> StatusText:
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
    reliability = document.get("reliability")
    if reliability:
        figures.append(
            KeyFigure(
                "Goes through",
                share(reliability["share"]),
                f"of {reliability['scenarios']:,} sampled scenarios",
            )
        )
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


def answer(document: dict[str, Any]) -> list[str]:
    """Which plan to take under the estimates' ranges, and how reliable it is (first, in words)."""
    reliability = document.get("reliability")
    frontier = document.get("frontier")
    robust = document.get("robust")
    if not reliability:
        return []
    held, count = reliability["share"], reliability["scenarios"]
    value = document.get("value")
    asked = reliability.get("asked") or {}
    level = asked.get("reliability") or 0
    other = reliability.get("unconstrained")
    found = []
    if level or asked.get("gates") or asked.get("margin"):
        text = (
            f"Take this plan: it goes through unchanged in {share(held)} of {count:,} fresh "
            f"sampled scenarios, for a value of {number(value)} at base values"
        )
        if level:
            text += (
                f" (asked: at least {share(level)}, reached)"
                if asked.get("reached")
                else f" (asked: at least {share(level)}, NOT reached: the most reliable plan "
                "found in time)"
            )
        found.append(text + ".")
        if other is not None and other["value"] is not None and value is not None:
            found.append(
                f"The plan optimal at base values is worth {number(other['value'])} "
                f"({number(other['value'] - value)} more) but goes through in only "
                f"{share(other['share'])}."
            )
    elif frontier and frontier.get("knee") is not None:
        knee = frontier["points"][frontier["knee"]]
        loss = _loss(frontier["base_value"], knee["value"])
        found.append(
            f"The plan optimal at base values goes through unchanged in only {share(held)} of "
            f"{count:,} fresh scenarios. At the knee of the price of safety, a plan chosen for "
            f"{share(knee['level'])} goes through in {share(knee['fresh'])} for a value of "
            f"{number(knee['value'])}{loss}: to take it, set reliability = {knee['level']:g} "
            "under [uncertainty] in the model file and solve again."
        )
    elif held < SOUND:
        found.append(
            f"This plan is the best at base values but goes through unchanged in only "
            f"{share(held)} of {count:,} fresh scenarios. {SAFER}"
        )
    else:
        found.append(
            f"Take this plan: it goes through unchanged in {share(held)} of {count:,} fresh "
            "scenarios."
        )
    if robust and robust.get("out_of_sample", {}).get("robust"):
        scored = robust["out_of_sample"]["robust"]
        found.append(
            f"The robust plan ({robust['risk_measure']} over {robust['scenarios']} scenarios) "
            f"goes through in {share(1 - scored['broken_share'])} of {scored['scenarios']:,} "
            "fresh scenarios."
        )
    return found


def _loss(base: float | None, value: float | None) -> str:
    if base is None or value is None or not base:
        return ""
    return f", {number(base - value)} ({100 * (base - value) / abs(base):.0f}%) less than at base"


def candidates_table(document: dict[str, Any]) -> Table | None:
    """The plans to choose between: this one, the one optimal at base values, the frontier's."""
    reliability = document.get("reliability")
    if not reliability:
        return None
    rows: list[tuple[Cell, ...]] = [
        ("This plan", document.get("value"), 100 * reliability["share"])
    ]
    other = reliability.get("unconstrained")
    if other is not None:
        rows.append(("Optimal at base values", other["value"], 100 * other["share"]))
    frontier = document.get("frontier") or {}
    for index, point in enumerate(frontier.get("points", [])):
        if point["level"] <= 0:
            continue
        name = f"Frontier: asked {share(point['level'])}"
        if index == frontier.get("knee"):
            name += " (knee)"
        rows.append((name, point["value"], 100 * point["fresh"]))
    robust = document.get("robust")
    if robust and robust.get("out_of_sample", {}).get("robust"):
        scored = robust["out_of_sample"]["robust"]
        at_base = robust.get("plan_at_base") or {}
        rows.append(
            (
                f"Robust ({robust['risk_measure']}, {robust['scenarios']} scenarios)",
                at_base.get("value"),
                100 * (1 - scored["broken_share"]),
            )
        )
    return Table(
        "candidates",
        "Plans to choose between",
        (
            Column("Plan"),
            Column("Value at base values", ",.2f"),
            Column(f"Goes through in {reliability['scenarios']:,} fresh scenarios (%)", ".1f"),
        ),
        tuple(rows),
        "",
    )
