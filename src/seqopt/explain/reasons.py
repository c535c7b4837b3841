"""Why each measure starts when it does, or is left out, found by evaluating moves.

For a measure that starts later than its window allows, the plan is evaluated
with that measure moved to each earlier period, everything else unchanged:
the rules the move breaks (support below threshold, a prerequisite not yet in
force, a capacity or budget exceeded, an exclusion) are the reasons, with
their numbers. Where support is the reason, the support at the actual signing
is broken down into its causes (baseline, levers used, measures in force), so
the reader sees what made the signing possible. A left-out measure is tried
at every start of every scope in the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from seqopt.data import Measure, Problem, ResourceKind, Scope
from seqopt.evaluate import Evaluation, Violation, evaluate
from seqopt.plan import Assignment, Plan, UpgradeStart
from seqopt.settings import ObjectiveKind, ObjectiveSettings

MOVE_RULES = ("excludes", "together", "window", "upgrade", "renewal")
"""Rules a move of a measure can break that name it in their message."""


@dataclass(frozen=True)
class Blocker:
    """A rule an earlier (or any) start would break."""

    rule: str
    period: int
    """The start tried."""
    message: str


@dataclass(frozen=True)
class Reason:
    """Why one measure is where it is in the plan."""

    measure: str
    status: str
    """``on time``, ``late`` or ``left out``."""
    earliest: int
    start: int | None
    text: str
    blockers: tuple[Blocker, ...] = field(default=())


def support_breakdown(
    problem: Problem,
    plan: Plan,
    series_id: str,
    period: int,
    objective: ObjectiveSettings | None = None,
) -> list[tuple[str, float]]:
    """The baseline and each cause's contribution to a series in a period, largest first.

    Causes are lever uses, outside events, backlashes and measures in force (a
    measure that has lapsed no longer counts), as the evaluator splits support.
    """
    sources = evaluate(problem, plan, objective or ObjectiveSettings()).sources[series_id]
    return _breakdown(sources, period)


def _breakdown(sources: Mapping[str, Sequence[float]], period: int) -> list[tuple[str, float]]:
    """The baseline, then every other cause with a share in ``period``, largest first."""
    parts = sorted(
        ((k, v[period]) for k, v in sources.items() if k != "baseline" and abs(v[period]) > 1e-9),
        key=lambda kv: -abs(kv[1]),
    )
    return [("baseline", sources["baseline"][period]), *parts]


def explain_plan(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation
) -> list[Reason]:
    """A reason for every measure of the problem, in input order."""
    return [explain_measure(problem, objective, evaluation, m.id) for m in problem.measures]


def explain_measure(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation, measure_id: str
) -> Reason:
    """Why ``measure_id`` starts when it does in the evaluated plan, or is left out."""
    measure = problem.measure_by_id[measure_id]
    plan = evaluation.plan
    chosen = plan.assignment(measure_id)
    if chosen is None:
        return _left_out(problem, objective, evaluation, measure)
    scope = measure.scope(chosen.scope)
    earliest = scope.earliest_start
    after = _dynamics_text(problem, objective, evaluation, measure)
    if chosen.start <= earliest:
        text = (
            f"{measure.name} ({scope.name}) starts in {problem.periods[chosen.start]}, "
            "the first period its window allows."
        )
        return Reason(measure_id, "on time", earliest, chosen.start, text + after)
    blockers = [
        b
        for t in range(earliest, chosen.start)
        for b in _blockers(problem, objective, evaluation, measure, scope, t)
    ]
    return Reason(
        measure_id,
        "late",
        earliest,
        chosen.start,
        _late_text(problem, evaluation, measure, scope, chosen, earliest, blockers) + after,
        tuple(blockers),
    )


def _dynamics_text(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation, measure: Measure
) -> str:
    """What happens to a measure after its signing: widening, reviews, backlash, overlap."""
    labels = problem.periods
    parts = []
    for up in evaluation.upgrades:
        if up.measure != measure.id:
            continue
        wide = measure.scope(up.scope).name
        when = f"from {labels[up.in_force]}" if up.in_force < problem.horizon else "after it"
        parts.append(
            f" It is widened to {wide}, in force {when} (negotiated from {labels[up.start]})."
        )
        earlier = UpgradeStart(measure.id, up.scope, up.start - 1)
        rest = [u for u in evaluation.plan.upgrades if u.measure != measure.id]
        plan = Plan.of(evaluation.plan.assignments, evaluation.plan.lever_uses, [*rest, earlier])
        broken = [v.message for v in evaluate(problem, plan, objective).violations]
        if up.start > 0 and broken:
            parts.append(f" Widening a period earlier would break: {'; '.join(broken)}.")
    kept = [labels[r.period] for r in evaluation.reviews if r.measure == measure.id and r.passed]
    if kept:
        parts.append(
            f" It is renewed at its review{'s' if len(kept) > 1 else ''} in {', '.join(kept)}."
        )
    for review in evaluation.lapses:
        if review.measure == measure.id:
            short = "; ".join(
                f"{problem.series_by_id[k].name} {level:.1f} < {bar:g}"
                for k, level, bar in review.levels
                if level < bar
            )
            parts.append(
                f" It lapses after its review in {labels[review.period]} ({short}): out of "
                "force from the next period on."
            )
    for hit in evaluation.backlashes:
        if hit.measure == measure.id:
            lever = problem.lever_by_id[hit.lever].name
            parts.append(f" It is signed without {lever}, at the price of a backlash.")
    for overlap in evaluation.overlaps:
        if measure.id in (overlap.measure, overlap.other):
            other = overlap.other if overlap.measure == measure.id else overlap.measure
            name = problem.measure_by_id[other].name
            parts.append(f" It overlaps {name}: {overlap.value:.2f} value units are counted once.")
    return "".join(parts)


def _moved(plan: Plan, measure_id: str, scope: Scope, start: int) -> Plan:
    others = [a for a in plan.assignments if a.measure != measure_id]
    moved = Assignment(measure_id, scope.id, start)
    return Plan.of([*others, moved], plan.lever_uses, plan.upgrades)


def _blockers(
    problem: Problem,
    objective: ObjectiveSettings,
    evaluation: Evaluation,
    measure: Measure,
    scope: Scope,
    start: int,
) -> list[Blocker]:
    """Rules the plan would break with the measure at ``start`` (everything else unchanged)."""
    moved = _moved(evaluation.plan, measure.id, scope, start)
    trial = evaluate(problem, moved, objective)
    new = [v for v in trial.violations if v not in set(evaluation.violations)]
    labels = problem.periods
    signing = start + scope.length - 1
    blockers: list[Blocker] = []
    for gate in scope.gates:
        level = trial.support[gate.series][signing] if signing < problem.horizon else 0.0
        if level < gate.threshold.base - 1e-6:
            series = problem.series_by_id[gate.series].name
            text = f"{series} would be {level:.1f} at signing, below {gate.threshold.base:g}"
            blockers.append(Blocker("support", start, text))
    for v in new:
        if v.rule == "requires" and v.subject == measure.id:
            blockers.append(Blocker("requires", start, _requires_text(problem, moved, measure, v)))
        elif v.rule in MOVE_RULES and measure.name in v.message:
            blockers.append(Blocker(v.rule, start, v.message))
    for resource in problem.resources:
        used = trial.resource_use[resource.id]
        if resource.id not in scope.use:
            continue
        if resource.kind is ResourceKind.NONRENEWABLE:
            if sum(used) > resource.capacity.base + 1e-6:
                others = _users(problem, evaluation.plan, resource.id, None)
                total = f"{sum(used):g} of {resource.capacity.base:g}"
                text = f"{resource.name} would be exceeded ({total}; already used by {others})"
                blockers.append(Blocker("budget", start, text))
            continue
        full = [
            t
            for t in range(start, min(start + scope.length, problem.horizon))
            if used[t] > trial.capacity[resource.id][t] + 1e-6
        ]
        if full:
            others = _users(problem, evaluation.plan, resource.id, full[0])
            text = (
                f"{resource.name} is full in {', '.join(labels[t] for t in full)} "
                f"(in {labels[full[0]]}: {others})"
            )
            blockers.append(Blocker("capacity", start, text))
    return blockers


def _requires_text(problem: Problem, plan: Plan, measure: Measure, violation: Violation) -> str:
    for dep in problem.dependencies:
        if dep.measure != measure.id:
            continue
        other = plan.assignment(dep.other)
        name = problem.measure_by_id[dep.other].name
        if other is None:
            return f"it needs {name}, which is not in the plan"
        in_force = other.start + problem.scope(other.measure, other.scope).length
        if in_force < problem.horizon and violation.period is not None:
            return (
                f"it needs {name} in force first, which it is only from {problem.periods[in_force]}"
            )
    return violation.message


def _users(problem: Problem, plan: Plan, resource_id: str, period: int | None) -> str:
    """Who uses a resource in a period (or at all), largest first, for the reader."""
    use: dict[str, float] = defaultdict(float)
    for a in plan.assignments:
        scope = problem.scope(a.measure, a.scope)
        amount = scope.use.get(resource_id)
        active = period is None or a.start <= period < a.start + scope.length
        if amount is not None and active:
            use[problem.measure_by_id[a.measure].name] += amount.base
    for u in plan.lever_uses:
        amount = problem.lever_by_id[u.lever].use.get(resource_id)
        if amount is not None and (period is None or u.period == period):
            use[problem.lever_by_id[u.lever].name] += amount.base
    parts = sorted(use.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {value:g}" for name, value in parts) or "nothing else"


def _late_text(
    problem: Problem,
    evaluation: Evaluation,
    measure: Measure,
    scope: Scope,
    chosen: Assignment,
    earliest: int,
    blockers: list[Blocker],
) -> str:
    labels = problem.periods
    signing = chosen.start + scope.length - 1
    head = (
        f"{measure.name} ({scope.name}) starts in {labels[chosen.start]} (signed "
        f"{labels[signing]}), not {labels[earliest]}."
    )
    if not blockers:
        return head + (
            " It could start earlier without breaking any rule; starting later is worth more "
            "to the whole plan (see the price of forcing it earlier)."
        )
    by_period: dict[int, list[str]] = defaultdict(list)
    for blocker in blockers:
        by_period[blocker.period].append(blocker.message)
    first = min(by_period)
    lines = [head, f" Starting in {labels[first]}, " + "; ".join(by_period[first]) + "."]
    last = max(by_period)
    if last != first:
        lines.append(f" Starting in {labels[last]}, " + "; ".join(by_period[last]) + ".")
    blocked = {b.message.split(" would be ")[0] for b in blockers if b.rule == "support"}
    gates = [g for g in scope.gates if problem.series_by_id[g.series].name in blocked]
    for gate in gates:
        series = problem.series_by_id[gate.series]
        parts = _breakdown(evaluation.sources[gate.series], signing)
        total = evaluation.support[gate.series][signing]
        causes = ", ".join(f"{name} {value:+.1f}" for name, value in parts[1:])
        lines.append(
            f" In {labels[signing]} {series.name} is {total:.1f} against {gate.threshold.base:g}: "
            f"baseline {parts[0][1]:.1f}" + (f", {causes}" if causes else "") + "."
        )
    return "".join(lines)


def _left_out(
    problem: Problem, objective: ObjectiveSettings, evaluation: Evaluation, measure: Measure
) -> Reason:
    """Try every start of every scope; report the closest miss."""
    earliest = min(s.earliest_start for s in measure.scopes)
    best: tuple[int, int, Scope, list[Blocker]] | None = None
    for scope in measure.scopes:
        for start in range(scope.earliest_start, scope.latest_finish - scope.length + 2):
            blockers = _blockers(problem, objective, evaluation, measure, scope, start)
            kinds = len({b.rule for b in blockers})
            if best is None or kinds < best[0]:
                best = (kinds, start, scope, blockers)
            if kinds == 0:
                break
    labels = problem.periods
    if best is None:
        text = f"{measure.name} is left out: no start fits within the horizon."
        return Reason(measure.id, "left out", earliest, None, text)
    _, start, scope, blockers = best
    if not blockers:
        trial = evaluate(problem, _moved(evaluation.plan, measure.id, scope, start), objective)
        gain = trial.objective - evaluation.objective
        if objective.kind is ObjectiveKind.MAKESPAN:
            text = (
                f"{measure.name} is left out: it is not required, and doing it ({scope.name}, "
                f"from {labels[start]}) would end the plan in period {trial.makespan} instead "
                f"of {evaluation.makespan}."
            )
        else:
            text = (
                f"{measure.name} is left out: it fits ({scope.name}, from {labels[start]}), but "
                f"its cost outweighs its benefit (net {gain:+.2f})."
            )
        return Reason(measure.id, "left out", earliest, None, text)
    reasons = "; ".join(dict.fromkeys(b.message for b in blockers))
    text = (
        f"{measure.name} is left out. Its closest fit, {scope.name} from {labels[start]}, "
        f"would break: {reasons}."
    )
    return Reason(measure.id, "left out", earliest, None, text, tuple(blockers))
