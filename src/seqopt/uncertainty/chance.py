"""A reliability-constrained plan: the best plan at base values that holds in enough scenarios.

:func:`reliable_plan` solves the chance-constrained program of
:mod:`seqopt.uncertainty.chance_model` on given scenarios and checks its plan
with the evaluator in each of them. :func:`chance_plan` solves it on a sample;
when no failure is allowed (a robust plan), without building all of it: it
starts from a few, scores each plan in all ``n`` with the vectorised evaluator,
adds scenarios the plan fails in, and stops when the plan reaches the targets on
all ``n``. The
program on a subset lets the other scenarios' rules go, so its optimum is an
upper bound for the whole sample, and a plan that reaches the targets on the
whole sample at that bound is optimal for it (scenario generation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.milp import Built, Sink, StartKey, UpgradeKey
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers.backend import Request, run_milp
from seqopt.solvers.engines import milp_backend
from seqopt.solvers.result import AGREEMENT, PlanRejected, Status, relative_gap
from seqopt.uncertainty.batch import BatchScore, Scorer
from seqopt.uncertainty.chance_model import (
    Targets,
    allowed_failures,
    chance_model,
    possibilities,
)
from seqopt.uncertainty.estimates import with_values
from seqopt.uncertainty.reliability import GateKey, gate_cleared
from seqopt.uncertainty.sampling import Samples

ADDED = 4
"""Scenarios added to the program each round (more when fewer cannot cut the plan off)."""


@dataclass(frozen=True)
class Chance:
    """A plan chosen to reach its targets on a sample, and how it fares there."""

    status: Status
    plan: Plan | None
    value: float | None
    """The plan's value (or makespan) at base values (the evaluator's)."""
    bound: float | None
    gap: float | None
    held: int
    """Scenarios of the sample in which the plan goes through unchanged."""
    scenarios: int
    modelled: tuple[int, ...] = ()
    """Scenarios of the sample whose rows the final program held (scenario generation)."""
    rounds: int = 1
    notes: tuple[str, ...] = ()
    variables: int = 0
    constraints: int = 0
    """Size of the last program solved."""


def reliable_plan(
    base: Problem,
    scenarios: Sequence[Problem],
    objective: ObjectiveSettings,
    settings: SolverSettings,
    goal: Targets,
    start: Plan | None = None,
    possible: Sequence[tuple[set[StartKey], set[UpgradeKey]]] | None = None,
) -> Chance:
    """The best plan that breaks no rule of ``base`` and reaches ``goal`` on ``scenarios``.

    ``start``, when it does both, is handed to the solver as its first solution.

    Raises
    ------
    PlanRejected
        When the solver's plan breaks a rule of ``base``, reaches less than asked
        on the scenarios (each scored again by the evaluator), or its value
        differs from the evaluator's.
    """
    if start is not None and _shortfalls(base, scenarios, objective, goal, start):
        start = None
    # Many small programs in a row: HiGHS's settings for repeated solves (on 21 reference
    # scenarios, 8 s instead of 23 s; with a starting plan, no primal heuristics: 5 s).
    request = Request(base, objective, settings, start, repeated=True)

    def build(sink: Sink) -> Built:
        return chance_model(sink, base, scenarios, objective, goal, possible)

    run = run_milp(milp_backend(settings.name), request, build)
    notes = list(run.notes)
    if not run.status.has_plan or run.plan is None:
        return Chance(
            run.status,
            None,
            None,
            run.bound,
            None,
            0,
            len(scenarios),
            notes=tuple(notes),
            variables=run.variables,
            constraints=run.constraints,
        )
    short = _shortfalls(base, scenarios, objective, goal, run.plan)
    if short:
        raise PlanRejected("the reliability-constrained plan " + "; ".join(short))
    value = evaluate(base, run.plan, objective).objective
    if run.value is not None and abs(value - run.value) > AGREEMENT * max(1.0, abs(value)):
        raise PlanRejected(
            f"the solver values the reliability-constrained plan at {run.value:.9g} "
            f"but the evaluator at {value:.9g}"
        )
    held = sum(evaluate(p, run.plan, objective).feasible for p in scenarios)
    gap = relative_gap(value, run.bound) if run.bound is not None else None
    return Chance(
        run.status,
        run.plan,
        value,
        run.bound,
        gap,
        held,
        len(scenarios),
        notes=tuple(notes),
        variables=run.variables,
        constraints=run.constraints,
    )


def _shortfalls(
    base: Problem,
    scenarios: Sequence[Problem],
    objective: ObjectiveSettings,
    goal: Targets,
    plan: Plan,
) -> list[str]:
    """What ``plan`` fails to reach, scored by the evaluator (nothing: it reaches everything)."""
    at_base = evaluate(base, plan, objective)
    if not at_base.feasible:
        return ["breaks rules at base values: " + "; ".join(v.message for v in at_base.violations)]
    scored: list[Evaluation] = [evaluate(p, plan, objective) for p in scenarios]
    count = len(scored)
    found = []
    held = sum(s.feasible for s in scored)
    if goal.level > 0 and held < count - allowed_failures(goal.level, count):
        found.append(f"goes through in {held} of {count} scenarios, below {goal.level:g}")
    for gate, level in goal.gates.items():
        cleared = sum(gate_cleared(p, s, gate) for p, s in zip(scenarios, scored, strict=True))
        if cleared < count - allowed_failures(level, count):
            found.append(f"clears gate {gate} in {cleared} of {count} scenarios, below {level:g}")
    return found


Flags = NDArray[np.bool_]


def failures(score: BatchScore, goal: Targets) -> tuple[Flags, dict[GateKey, Flags]]:
    """Where a plan fails ``goal``'s joint requirement, and each gate with a requirement."""
    joint = ~score.holds if goal.level > 0 else np.zeros(score.count, dtype=bool)
    gates = {}
    for gate in score.gates:
        key = (gate.measure, gate.scope, gate.series)
        if not gate.widening and key in goal.gates:
            gates[key] = ~gate.cleared
    return joint, gates


def chance_plan(
    base: Problem,
    truth: Problem,
    sample: Samples,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    goal: Targets,
    *,
    known: Chance | None = None,
) -> Chance:
    """The optimum of the chance-constrained program on every scenario of ``sample``.

    ``base`` is the problem the plan must meet outright (``truth`` tightened by a
    margin, or ``truth`` itself); the scenarios are ``truth`` with the sample's
    values. When ``goal`` lets the plan fail nowhere, scenarios are added to the
    program round by round until the plan reaches ``goal`` on the whole sample;
    otherwise the program holds every scenario from the start. ``known``, the answer
    on fewer scenarios of the same sample, gives the first round: its modelled
    scenarios and plan.
    Each later round starts the solver from the previous plan, repaired (measures
    taken out) until it holds where the program asks. The time limit of
    ``settings`` is for each round's program.

    Raises
    ------
    PlanRejected
        As :func:`reliable_plan`.
    """
    count = len(sample)
    chosen = sorted(set(known.modelled)) if known is not None else []
    if _allows_failures(goal, count):
        # Failures allowed: a program on a subset may give up scenarios the whole sample
        # cannot, and rounds multiply (20 reference scenarios at 90 %: 270 s by rounds,
        # 233 s at once). Only a program that gives up nothing is built by rounds.
        chosen = list(range(count))
    problems: dict[int, Problem] = {}
    scorer = Scorer(truth, objective, sample)

    fits: dict[int, tuple[set[StartKey], set[UpgradeKey]]] = {}

    def scenario(k: int) -> Problem:
        if k not in problems:
            problems[k] = with_values(truth, sample.scenario(k))
            fits[k] = possibilities(problems[k])
        return problems[k]

    rounds = 0
    start: Plan | None = None
    while True:
        rounds += 1
        if rounds == 1 and known is not None and known.status is Status.OPTIMAL:
            solved = known  # the same program, already solved
        else:
            solved = reliable_plan(
                base,
                [scenario(k) for k in chosen],
                objective,
                settings,
                _on(goal, len(chosen), count),
                start,
                [fits[k] for k in chosen],
            )
        if solved.plan is None:
            return replace(solved, scenarios=count, modelled=tuple(chosen), rounds=rounds)
        score = scorer.score(solved.plan)
        joint, gates = failures(score, goal)
        missing = _missing(joint, gates, goal, _severity(score), set(chosen))
        if not missing or solved.status is not Status.OPTIMAL:
            held = int(score.holds.sum())
            notes = solved.notes
            if missing:
                notes += (
                    "The time limit struck before the plan was proven to reach the targets "
                    f"on all {count} scenarios: it is the best plan on {len(chosen)} of them.",
                )
            return replace(
                solved,
                status=solved.status if not missing else Status.FEASIBLE,
                held=held,
                scenarios=count,
                modelled=tuple(chosen),
                rounds=rounds,
                notes=notes,
            )
        chosen = sorted(set(chosen) | set(missing))
        rows = Samples(sample.paths, sample.values[chosen], sample.seed)
        start = _repaired(base, solved.plan, objective, Scorer(truth, objective, rows), goal)


def _repaired(
    base: Problem, plan: Plan, objective: ObjectiveSettings, scorer: Scorer, goal: Targets
) -> Plan | None:
    """``plan`` with measures taken out, one at a time, until it reaches ``goal`` on ``scorer``.

    Each step takes out the measure (with its widening) whose removal leaves the
    plan reaching the most, then worth the most at base values; ``None`` when no
    removal keeps it within the base problem's rules. A starting solution only:
    the program decides.
    """
    count = scorer.values.count
    current = plan
    for _ in range(len(plan.assignments) + 1):
        joint, gates = failures(scorer.score(current), goal)
        short = [(joint, allowed_failures(goal.level, count))] if goal.level > 0 else []
        short += [(where, allowed_failures(goal.gates[key], count)) for key, where in gates.items()]
        if all(int(where.sum()) <= allowed for where, allowed in short):
            return current
        best: tuple[tuple[int, float], Plan] | None = None
        for a in current.assignments:
            trial = Plan.of(
                [x for x in current.assignments if x != a],
                current.lever_uses,
                [u for u in current.upgrades if u.measure != a.measure],
            )
            at_base = evaluate(base, trial, objective)
            if not at_base.feasible:
                continue
            joint, gates = failures(scorer.score(trial), goal)
            misses = int(joint.sum()) + sum(int(where.sum()) for where in gates.values())
            value = (
                at_base.objective if objective.kind is ObjectiveKind.VALUE else -at_base.objective
            )
            key = (-misses, value)
            if best is None or key > best[0]:
                best = (key, trial)
        if best is None:
            return None
        current = best[1]
    return None


def _allows_failures(goal: Targets, count: int) -> bool:
    """Whether ``goal`` lets a plan fail in some of ``count`` scenarios."""
    levels = [goal.level] if goal.level > 0 else []
    levels += [level for level in goal.gates.values() if level > 0]
    return any(allowed_failures(level, count) > 0 for level in levels)


def _on(goal: Targets, chosen: int, count: int) -> Targets:
    """``goal`` on ``chosen`` of ``count`` scenarios: the same number of failures allowed."""
    if chosen == count:
        return goal

    def level(share: float) -> float:
        if share <= 0:
            return 0.0
        allowed = min(allowed_failures(share, count), chosen)
        return 1.0 - allowed / chosen if chosen else 1.0

    return Targets(level(goal.level), {g: level(r) for g, r in goal.gates.items()})


def _severity(score: BatchScore) -> NDArray[np.int64]:
    """How many rules and gates a plan breaks in each scenario."""
    severity = np.zeros(score.count, dtype=np.int64)
    for where in score.broken.values():
        severity += where
    for gate in score.gates:
        severity += ~gate.cleared
    return severity


def _missing(
    joint: Flags,
    gates: dict[GateKey, Flags],
    goal: Targets,
    severity: NDArray[np.int64],
    chosen: set[int],
) -> list[int]:
    """Scenarios to add so that the plan can no longer reach the targets on those modelled.

    The plan's failures outside the program, most rules broken first: at least
    enough that it fails more than it may among those modelled. Empty when the
    plan reaches the targets on the whole sample.
    """
    count = len(severity)
    needs: list[tuple[Flags, int]] = []
    if goal.level > 0:
        needs.append((joint, allowed_failures(goal.level, count)))
    for key, where in gates.items():
        needs.append((where, allowed_failures(goal.gates[key], count)))
    added: set[int] = set()
    for where, allowed in needs:
        failing = [int(k) for k in np.flatnonzero(where)]
        if len(failing) <= allowed:
            continue
        inside = sum(k in chosen for k in failing)
        outside = sorted((k for k in failing if k not in chosen), key=lambda k: (-severity[k], k))
        added |= set(outside[: max(ADDED, allowed - inside + 1)])
    return sorted(added)


__all__ = ["Chance", "Targets", "allowed_failures", "chance_plan", "reliable_plan"]
