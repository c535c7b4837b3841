"""The chance-constrained program equals enumeration on tiny problems, on every engine.

Every plan of a tiny random problem (with ranges on its numbers) is scored by
the evaluator at base values and in each of a handful of drawn scenarios; the
best plan that breaks no rule at base values and reaches the targets (go through
in enough scenarios; clear a gate in enough) must be worth what the program's
optimum is worth, on HiGHS (arrays and PuLP) and CBC, and with scenario
generation (:func:`seqopt.uncertainty.chance.chance_plan`).
"""

from __future__ import annotations

from functools import cache
from itertools import product

import pytest

from random_dynamics import dynamic_problem
from random_ranges import with_ranges
from seqopt.data import Force, Problem
from seqopt.evaluate import evaluate
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve
from seqopt.uncertainty.chance import chance_plan, reliable_plan
from seqopt.uncertainty.chance_model import Targets, allowed_failures
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.reliability import GateKey, gate_cleared
from seqopt.uncertainty.sampling import Samples, draw, with_events

from brute_force import lever_options, measure_options
from random_problems import tiny_problem

SCENARIOS = 6
ENGINES = [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@cache
def case(kind: str, seed: int) -> tuple[Problem, ObjectiveSettings, Samples, tuple[Problem, ...]]:
    problem, objective = tiny_problem(seed) if kind == "core" else dynamic_problem(seed, kind)
    ranged = with_ranges(problem, seed, share=1.0, scale=2.0)
    sample = with_events(draw(sites(ranged), SCENARIOS, seed), ranged)
    scenarios = tuple(with_values(ranged, sample.scenario(k)) for k in range(SCENARIOS))
    return ranged, objective, sample, scenarios


def goal_for(problem: Problem, seed: int) -> Targets:
    """A joint level and, for every other seed, a gate with a level of its own."""
    level = (0.5, 0.8, 1.0, 0.0)[seed % 4]
    gates: dict[GateKey, float] = {}
    if seed % 2 == 1 or level == 0.0:
        found = [(m.id, s.id, g.series) for m, s in problem.all_scopes() for g in s.gates]
        if found:
            gates[found[seed % len(found)]] = (0.5, 0.75, 1.0)[seed % 3]
    return Targets(level, gates)


def enumerate_best(
    base: Problem, scenarios: tuple[Problem, ...], objective: ObjectiveSettings, goal: Targets
) -> float | None:
    maximise = objective.kind is ObjectiveKind.VALUE
    best: float | None = None
    count = len(scenarios)
    for measures in product(*measure_options(base)):
        done = [option for option in measures if option is not None]
        signed = [a for a, _ in done]
        if any(
            m.force is Force.IN and all(a.measure != m.id for a in signed) for m in base.measures
        ):
            continue
        for levers in product(*lever_options(base)):
            plan = Plan.of(signed, [u for g in levers for u in g], [w for _, w in done if w])
            at_base = evaluate(base, plan, objective)
            if not at_base.feasible:
                continue
            if best is not None and (
                at_base.objective <= best if maximise else at_base.objective >= best
            ):
                continue
            if _reaches(plan, scenarios, objective, goal, count):
                best = at_base.objective
    return best


def _reaches(plan, scenarios, objective, goal: Targets, count: int) -> bool:
    scored = [evaluate(p, plan, objective) for p in scenarios]
    if goal.level > 0 and sum(not s.feasible for s in scored) > allowed_failures(goal.level, count):
        return False
    for gate, level in goal.gates.items():
        misses = sum(not gate_cleared(p, s, gate) for p, s in zip(scenarios, scored, strict=True))
        if misses > allowed_failures(level, count):
            return False
    return True


@cache
def expected(kind: str, seed: int) -> float | None:
    base, objective, _, scenarios = case(kind, seed)
    return enumerate_best(base, scenarios, objective, goal_for(base, seed))


def _check(result_status: Status, value: float | None, best: float | None) -> None:
    if best is None:
        assert result_status is Status.INFEASIBLE
        return
    assert result_status is Status.OPTIMAL
    assert value is not None and _close(value, best), (value, best)


def _fragile(kind: str, seed: int) -> bool:
    """Whether the plan optimal at base values fails in some scenario (targets can bind)."""
    base, objective, _, scenarios = case(kind, seed)
    plan = solve(base, objective, SolverSettings(gap=0.0, time_limit=60)).plan
    return plan is not None and not all(evaluate(p, plan, objective).feasible for p in scenarios)


def _kinds(kind: str, fragile: int, steady: int) -> list[tuple[str, int]]:
    """The first ``fragile`` seeds whose base plan fails somewhere, and ``steady`` others."""
    chosen: list[tuple[str, int]] = []
    counts = [0, 0]
    for seed in range(200):
        which = 0 if _fragile(kind, seed) else 1
        if counts[which] < (fragile, steady)[which]:
            counts[which] += 1
            chosen.append((kind, seed))
        if counts == [fragile, steady]:
            break
    return chosen


KINDS = _kinds("core", 30, 6) + [
    case_
    for concept in ("upgrade", "renewal", "event", "backlash", "mixed")
    for case_ in _kinds(concept, 6, 1)
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("kind", "seed"), KINDS)
def test_program_equals_enumeration(kind: str, seed: int, engine: SolverName) -> None:
    base, objective, _, scenarios = case(kind, seed)
    goal = goal_for(base, seed)
    settings = SolverSettings(name=engine, gap=0.0, time_limit=60)
    result = reliable_plan(base, list(scenarios), objective, settings, goal)
    _check(result.status, result.value, expected(kind, seed))


@pytest.mark.parametrize(("kind", "seed"), KINDS)
def test_scenario_generation_equals_enumeration(kind: str, seed: int) -> None:
    base, objective, sample, _ = case(kind, seed)
    goal = goal_for(base, seed)
    settings = SolverSettings(name=SolverName.HIGHS, gap=0.0, time_limit=60)
    result = chance_plan(base, base, sample, objective, settings, goal)
    _check(result.status, result.value, expected(kind, seed))
