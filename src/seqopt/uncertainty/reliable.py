"""The plan a solve records, with its reliability: as asked (reliability, margin) or at base values.

Every solve of a model with ranges scores its plan on ``check_samples`` fresh
scenarios (seed ``seed + 1``) with the vectorised evaluator, and ``plan.json``
says in what share it goes through unchanged, which rule breaks most often, and
each signing's margin and how often it clears its gate
(:func:`seqopt.uncertainty.reliability.reliability_part`).

When the model asks for it, the plan recorded is not the one optimal at base
values but:

- with ``margin = m``: the best plan with ``m`` points of support to spare at
  every signing and widening at base values (each gate's threshold raised by
  ``m``: one ordinary solve);
- with ``reliability = r`` (or gates with a ``reliability`` of their own): the
  best plan that reaches it on fresh scenarios, by the ladder of
  :mod:`seqopt.uncertainty.calibrate` (``method = "calibrated"``), or the best
  plan going through in ``r`` of ``samples`` scenarios (``method = "saa"``).

Both at once: the margin applies at base values, the reliability on the scenarios.
The plan optimal at base values is scored on the same fresh scenarios, for comparison.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from seqopt.data import Gate, Problem
from seqopt.evaluate import evaluate
from seqopt.settings import Method, ModelFile
from seqopt.solve import SolveResult, solve
from seqopt.solvers.engines import milp_backend
from seqopt.solvers.result import Status
from seqopt.uncertainty.batch import Scorer
from seqopt.uncertainty.calibrate import Ladder, Rung, cleared, first_reaching, recorded
from seqopt.uncertainty.chance import chance_plan
from seqopt.uncertainty.chance_model import Targets
from seqopt.uncertainty.estimates import sites
from seqopt.uncertainty.reliability import reliability_part
from seqopt.uncertainty.sampling import Samples, draw, with_events


@dataclass(frozen=True)
class Reliable:
    """The plan to record, the plan optimal at base values, and the reliability part."""

    result: SolveResult
    base: SolveResult
    part: dict[str, Any] | None
    """``plan.json``'s ``reliability`` (``None`` when no estimate has a range)."""


def asked(problem: Problem, model: ModelFile) -> Targets:
    """The reliability the model asks for, overall and per gate (sheet gates)."""
    gates = {
        (measure.id, scope.id, gate.series): gate.reliability
        for measure, scope in problem.all_scopes()
        for gate in scope.gates
        if gate.reliability is not None and gate.reliability > 0
    }
    return Targets(model.uncertainty.reliability, gates)


def with_margin(problem: Problem, margin: float) -> Problem:
    """``problem`` with every signing's and widening's threshold raised by ``margin`` points."""
    if margin <= 0:
        return problem

    def raised(gate: Gate) -> Gate:
        return replace(gate, threshold=replace(gate.threshold, base=gate.threshold.base + margin))

    measures = tuple(
        replace(
            m,
            scopes=tuple(replace(s, gates=tuple(raised(g) for g in s.gates)) for s in m.scopes),
            upgrades=tuple(replace(u, gates=tuple(raised(g) for g in u.gates)) for u in m.upgrades),
        )
        for m in problem.measures
    )
    return replace(problem, measures=measures)


def fresh_sample(problem: Problem, model: ModelFile) -> Samples:
    """The fresh scenarios every plan is scored on (seed ``seed + 1``)."""
    settings = model.uncertainty
    return with_events(draw(sites(problem), settings.check_samples, settings.seed + 1), problem)


def choice_sample(problem: Problem, model: ModelFile) -> Samples:
    """The scenarios a reliability-constrained plan is chosen on (seed ``seed``)."""
    settings = model.uncertainty
    return with_events(draw(sites(problem), settings.samples, settings.seed), problem)


def plan_to_record(
    problem: Problem, model: ModelFile, base: SolveResult, *, as_asked: bool = True
) -> Reliable:
    """The plan the model asks for, and how reliable it and the base plan are.

    ``base`` is the solve at base values (without margin or reliability). With
    ``as_asked`` off, the plan recorded is ``base`` whatever the model asks (the
    analyses that judge the base plan: simulate, sensitivity, explain, frontier).

    Raises
    ------
    PlanRejected
        When a plan fails the independent check.
    """
    goal = asked(problem, model) if as_asked else Targets(0.0, {})
    margin = model.uncertainty.margin if as_asked else 0.0
    ranged = bool(sites(problem))
    began = time.perf_counter()
    rungs: list[Rung] = []
    if ranged and goal.any and base.status is not Status.INFEASIBLE:
        result, rungs = _reliable(problem, model, goal)
    elif margin > 0:
        result = margin_plan(problem, model)
    else:
        result = base
    if result is not base:
        result = replace(result, solve_seconds=time.perf_counter() - began - result.build_seconds)
    if not ranged or result.evaluation is None:
        return Reliable(result, base, None)
    fresh = fresh_sample(problem, model)
    scorer = Scorer(problem, model.objective, fresh)
    part = reliability_part(
        problem, result.evaluation, scorer.score(result.evaluation.plan), fresh.seed
    )
    part["asked"] = _asked_part(problem, model, goal, rungs)
    if result is not base and base.evaluation is not None:
        part["unconstrained"] = {
            "value": base.objective,
            "share": scorer.score(base.evaluation.plan).reliability,
        }
    return Reliable(result, base, part)


def margin_plan(problem: Problem, model: ModelFile) -> SolveResult:
    """The best plan with the model's margin at every signing, shown against the thresholds."""
    raised = with_margin(problem, model.uncertainty.margin)
    solved = solve(raised, model.objective, model.solver)
    if solved.evaluation is None:
        return solved
    # The record shows the plan against the thresholds as entered.
    return replace(solved, evaluation=evaluate(problem, solved.evaluation.plan, model.objective))


def _reliable(problem: Problem, model: ModelFile, goal: Targets) -> tuple[SolveResult, list[Rung]]:
    settings = model.uncertainty
    base = with_margin(problem, settings.margin)
    sample = choice_sample(problem, model)
    if settings.method is Method.SAA:
        chance = chance_plan(base, problem, sample, model.objective, model.solver, goal)
        rung = Rung(len(sample), chance, 0.0, {})
        if chance.plan is not None:
            score = Scorer(problem, model.objective, fresh_sample(problem, model)).score(
                chance.plan
            )
            rung = Rung(len(sample), chance, score.reliability, cleared(score, goal))
        rungs = [rung]
    else:
        ladder = Ladder(
            base, problem, model.objective, model.solver, sample, fresh_sample(problem, model), goal
        )
        rungs = first_reaching(ladder, settings.samples)
    chosen = recorded(rungs, goal)
    assert chosen is not None  # a ladder climbs at least one rung
    return _as_result(problem, model, chosen), rungs


def _as_result(problem: Problem, model: ModelFile, rung: Rung) -> SolveResult:
    chance = rung.chance
    evaluation = evaluate(problem, chance.plan, model.objective) if chance.plan else None
    notes = list(chance.notes)
    return SolveResult(
        status=chance.status,
        evaluation=evaluation,
        objective=evaluation.objective if evaluation is not None else None,
        bound=chance.bound,
        gap=chance.gap,
        solver=milp_backend(model.solver.name).name,
        solver_status=(
            f"chance-constrained program on {rung.count} sampled scenarios "
            f"({len(chance.modelled)} modelled, {chance.rounds} rounds)"
        ),
        build_seconds=0.0,
        solve_seconds=0.0,
        variables=chance.variables,
        constraints=chance.constraints,
        notes=tuple(notes),
        solver_reason="a reliability-constrained plan: a program of its ladder",
    )


def _asked_part(
    problem: Problem, model: ModelFile, goal: Targets, rungs: list[Rung]
) -> dict[str, Any]:
    settings = model.uncertainty
    last = recorded(rungs, goal)
    return {
        "reliability": goal.level,
        "margin": settings.margin,
        "method": settings.method.value,
        "reached": last.reaches(goal) if last is not None else None,
        "gates": [
            {
                "measure": m,
                "measure_name": problem.measure_by_id[m].name,
                "scope": s,
                "series": k,
                "reliability": level,
                # A gate of a measure the plan does not sign is cleared in every scenario.
                "cleared": last.cleared.get((m, s, k), 1.0) if last is not None else None,
            }
            for (m, s, k), level in sorted(goal.gates.items())
        ],
        "chosen_on": (
            {
                "scenarios": last.count,
                "seed": settings.seed,
                "held": last.chance.held,
                "modelled": len(last.chance.modelled),
                "rounds": last.chance.rounds,
                "rungs": [
                    {
                        "scenarios": r.count,
                        "status": r.chance.status.value,
                        "value": r.chance.value,
                        "fresh": r.fresh,
                    }
                    for r in rungs
                ],
            }
            if last is not None
            else None
        ),
    }
