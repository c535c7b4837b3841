"""Acting in one drawn future, period by period: what is taken, signed, failed and worth.

A policy (a fixed plan, or a planner that re-plans) says in each period what
to start then. :func:`advance` takes those actions in the *truth* (the problem
with every estimate drawn and random events decided) and judges the period:

- **Taken or skipped.** An action is taken unless it has become impossible:
  a measure already started, one whose prerequisite is not in force in time
  (for example because its signing failed or took longer), one excluded by a
  measure started before, a widening of a measure not in force, a lever used up
  or outside its window. Resources are not a reason to skip: political capital
  and bandwidth are planning estimates, and a policy that overruns them in a
  future is reported as breaking that rule there (see :class:`Run`).
- **Signings** falling in the period (start plus the *true* duration) are
  checked against the truth's gates, with the truth's support (baseline,
  events, and the effects of everything done so far). A gate not met, or a
  window closed, fails the signing: the measure is on hold for the rest of the
  horizon; its negotiation was paid for and brings nothing. A widening whose
  gate fails leaves the measure at its scope.
- **Reviews** of renewing measures are the evaluator's; a failed one is
  recorded as a lapse (the planner sees it).

At the end, :func:`finish` scores what was done with the evaluator on the
world as it turned out (:func:`executed`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from seqopt.data import CauseKind, DependencyKind, Estimate, Force, Gate, Measure, Problem, Scope
from seqopt.evaluate import TOLERANCE, Evaluation, evaluate
from seqopt.plan import Assignment, Plan, UpgradeStart
from seqopt.settings import ObjectiveSettings
from seqopt.uncertainty.freeze import GHOST_SCOPE, ghost_measure
from seqopt.uncertainty.record import Negotiation, Record
from seqopt.uncertainty.scenarios import broken_rule


@dataclass(frozen=True)
class Failure:
    """A signing (or widening) that did not go through, and why."""

    measure: str
    scope: str
    period: int
    widening: bool
    reason: str
    """``gate`` (support below a threshold) or ``window`` (signed after its latest finish)."""


@dataclass(frozen=True)
class Run:
    """One policy acted out in one future, scored by the evaluator."""

    record: Record
    """Everything done, with every outcome (``record.now`` is the horizon)."""
    value: float
    """The evaluator's value of what was done, in the world as it turned out."""
    failures: tuple[Failure, ...]
    skipped: int
    """Actions the policy wanted that had become impossible."""
    broken: tuple[str, ...]
    """Rules broken by what was done (resource overruns, a forced measure never done ...)."""
    unfinished: tuple[str, ...]
    """Measures still negotiated when the horizon ends (their negotiation ran long)."""
    support: dict[str, tuple[float, ...]]
    """Support as it was in each period (what the planner saw)."""


def executed(truth: Problem, record: Record, *, final: bool = False) -> tuple[Problem, Plan]:
    """The world as it turned out, and what was done in it, for the evaluator.

    Failed signings keep their negotiation (its cost, its backlash) and yield
    nothing: no benefit, effect, widening, review or overlap, and no gate (its
    failure is recorded, not a broken rule). A failed widening becomes the
    negotiation of a measure of its own (:func:`seqopt.uncertainty.freeze.ghost_measure`,
    with the widening's duration and resource use), and the measure stays at its
    scope. With ``final``, negotiations that run past the horizon are treated the
    same way: they were paid for and never concluded.
    """
    failed = {n.measure: n for n in record.negotiations if not n.widening and n.failed}
    if final:
        failed |= {
            n.measure: n
            for n in record.negotiations
            if not n.widening and not n.concluded and n.measure not in failed
        }
    dead_widenings = [
        n for n in record.negotiations if n.widening and (n.failed or (final and not n.concluded))
    ]
    measures = []
    ghosts = []
    for measure in truth.measures:
        n = failed.get(measure.id)
        if n is not None:
            measure = _on_hold(measure, n.scope)
        widening = next((w for w in dead_widenings if w.measure == measure.id), None)
        if widening is not None:
            ghosts.append(_widening_negotiation(truth, record, widening))
        measures.append(measure)
    world = replace(
        truth,
        measures=(*measures, *ghosts),
        effects=tuple(
            e
            for e in truth.effects
            if not (e.cause_kind is CauseKind.MEASURE and e.cause in failed)
        ),
        substitutes=tuple(
            s for s in truth.substitutes if s.measure not in failed and s.other not in failed
        ),
    )
    plan = record.plan()
    dead = {(w.measure, w.scope, w.start) for w in dead_widenings}
    plan = Plan.of(
        [
            *plan.assignments,
            *(Assignment(ghost_measure(m, s), GHOST_SCOPE, t) for m, s, t in sorted(dead)),
        ],
        plan.lever_uses,
        [u for u in plan.upgrades if (u.measure, u.scope, u.start) not in dead],
    )
    return world, plan


def _on_hold(measure: Measure, scope_id: str) -> Measure:
    nothing = Estimate.exact(0.0)
    scopes = tuple(
        replace(s, benefit=nothing, gates=(), latest_finish=10**9) if s.id == scope_id else s
        for s in measure.scopes
    )
    return replace(measure, scopes=scopes, upgrades=(), renew_every=None, maintain=())


def _widening_negotiation(truth: Problem, record: Record, n: Negotiation) -> Measure:
    measure = truth.measure_by_id[n.measure]
    signed = record.of(n.measure)
    assert signed is not None
    upgrade = measure.upgrade(signed.scope, n.scope)
    assert upgrade is not None
    return Measure(
        ghost_measure(n.measure, n.scope),
        f"{measure.name}: widening to {measure.scope(n.scope).name} (failed)",
        (
            Scope(
                GHOST_SCOPE,
                "widening",
                Estimate.exact(0.0),
                upgrade.duration,
                0,
                10**9,
                upgrade.use,
            ),
        ),
        Force.IN,
    )


def advance(
    truth: Problem, record: Record, actions: Plan, objective: ObjectiveSettings
) -> tuple[Record, int]:
    """Take the actions of period ``record.now`` in the truth and judge that period.

    Returns the record of the next period, and how many actions were skipped.
    """
    now = record.now
    taken, skipped = _take(truth, record, actions)
    world, plan = executed(truth, taken)
    scored = evaluate(world, plan, objective, sources=False)
    for n in taken.negotiations:
        if n.concluded:
            continue
        length, latest, gates = _signing_terms(truth, taken, n)
        if n.start + length - 1 != now:
            continue
        met = all(scored.support[g.series][now] >= g.threshold.base - TOLERANCE for g in gates)
        taken = taken.with_negotiation(replace(n, signed=now, failed=not (met and now <= latest)))
    for review in scored.reviews:
        signed = taken.of(review.measure)
        if review.period == now and not review.passed and signed is not None:
            taken = taken.with_negotiation(replace(signed, lapsed=now + 1))
    return replace(taken, now=now + 1), skipped


def failure_reason(truth: Problem, record: Record, n: Negotiation) -> str:
    """Why a signing failed: its window had closed, or a gate was not met."""
    length, latest, _ = _signing_terms(truth, record, n)
    return "window" if n.start + length - 1 > latest else "gate"


def _signing_terms(
    truth: Problem, record: Record, n: Negotiation
) -> tuple[int, int, tuple[Gate, ...]]:
    """True length, latest signing period and gates of a negotiation."""
    measure = truth.measure_by_id[n.measure]
    if not n.widening:
        scope = measure.scope(n.scope)
        return scope.length, min(scope.latest_finish, truth.horizon - 1), scope.gates
    signed = record.of(n.measure)
    assert signed is not None
    upgrade = measure.upgrade(signed.scope, n.scope)
    assert upgrade is not None
    return upgrade.length, min(upgrade.latest_finish, truth.horizon - 1), upgrade.gates


def finish(truth: Problem, record: Record, objective: ObjectiveSettings, skipped: int) -> Run:
    """Score everything done in ``truth`` with the evaluator."""
    world, plan = executed(truth, record, final=True)
    scored: Evaluation = evaluate(world, plan, objective, sources=False)
    failures = tuple(
        Failure(n.measure, n.scope, n.signed, n.widening, failure_reason(truth, record, n))
        for n in record.negotiations
        if n.failed and n.signed is not None
    )
    unfinished = tuple(n.measure for n in record.negotiations if not n.concluded)
    broken = tuple(dict.fromkeys(broken_rule(world, v) for v in scored.violations))
    return Run(record, scored.objective, failures, skipped, broken, unfinished, scored.support)


# -- what can still be done --------------------------------------------------------------


def _take(truth: Problem, record: Record, actions: Plan) -> tuple[Record, int]:
    taken = record
    skipped = 0
    for a in actions.assignments:
        if _can_start(truth, taken, a):
            taken = taken.with_negotiation(Negotiation(a.measure, a.scope, a.start))
        else:
            skipped += 1
    for u in actions.upgrades:
        if _can_widen(truth, taken, u):
            taken = taken.with_negotiation(Negotiation(u.measure, u.scope, u.start, widening=True))
        else:
            skipped += 1
    for use in actions.lever_uses:
        lever = truth.lever_by_id.get(use.lever)
        used = [u for u in taken.lever_uses if u.lever == use.lever]
        if (
            lever is not None
            and use.period == record.now
            and lever.earliest <= use.period <= lever.latest
            and len(used) < lever.max_uses
            and use not in used
        ):
            taken = taken.with_lever_use(use)
        else:
            skipped += 1
    return taken, skipped


def _can_start(truth: Problem, record: Record, a: Assignment) -> bool:
    measure = truth.measure_by_id.get(a.measure)
    if measure is None or measure.force is Force.OUT or record.of(a.measure) is not None:
        return False
    if a.start != record.now or not any(s.id == a.scope for s in measure.scopes):
        return False
    if a.start < measure.scope(a.scope).earliest_start:
        return False
    for dep in truth.dependencies:
        if dep.kind is DependencyKind.REQUIRES and dep.measure == a.measure:
            if dep.scope not in (None, a.scope):
                continue
            other = record.of(dep.other)
            if (
                other is None
                or other.in_force_from is None
                or dep.other_scope not in (None, other.scope)
                or other.in_force_from + dep.lag > a.start
            ):
                return False
        elif dep.kind is DependencyKind.EXCLUDES and a.measure in (dep.measure, dep.other):
            mine, theirs = (
                (dep.scope, dep.other_scope)
                if dep.measure == a.measure
                else (dep.other_scope, dep.scope)
            )
            other_id = dep.other if dep.measure == a.measure else dep.measure
            other = record.of(other_id)
            if other is not None and mine in (None, a.scope) and theirs in (None, other.scope):
                return False
    return True


def _can_widen(truth: Problem, record: Record, u: UpgradeStart) -> bool:
    signed = record.of(u.measure)
    if signed is None or signed.in_force_from is None or u.start != record.now:
        return False
    if record.of(u.measure, widening=True) is not None:
        return False
    if signed.lapsed is not None and signed.lapsed <= u.start:
        return False
    upgrade = truth.measure_by_id[u.measure].upgrade(signed.scope, u.scope)
    return (
        upgrade is not None
        and u.start >= signed.in_force_from + upgrade.lag
        and u.start >= upgrade.earliest_start
    )


def actions_at(plan: Plan, period: int) -> Plan:
    """What ``plan`` starts or uses in ``period``."""
    return Plan.of(
        [a for a in plan.assignments if a.start == period],
        [u for u in plan.lever_uses if u.period == period],
        [u for u in plan.upgrades if u.start == period],
    )
