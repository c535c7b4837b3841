"""The activity-list search gives valid, short, repeatable plans for pure scheduling problems."""

from __future__ import annotations

import functools
import random
from dataclasses import replace
from pathlib import Path

import pytest

from seqopt.data import (
    Dependency,
    DependencyKind,
    Estimate,
    Force,
    Gate,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
    Series,
)
from seqopt.evaluate import evaluate
from seqopt.heuristics.schedule_search import applies, search_plan
from seqopt.io.psplib import read_instance, to_problem
from seqopt.io.reader import read_problem
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solve import SolveResult, Status, solve

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "psplib"
MAKESPAN = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
SEEDS = range(60)


def exact(value: float) -> Estimate:
    return Estimate.exact(value)


def psplib(name: str) -> Problem:
    suffix = ".sm" if name.startswith("j30") else ".mm"
    return to_problem(read_instance(DATA / f"{name}{suffix}"))


def scheduling_problem(seed: int) -> Problem:
    """4-6 forced jobs, 1-3 scopes each, two renewable resources (one with a dip), a budget."""
    rng = random.Random(seed)
    horizon = 14
    jobs = []
    for i in range(rng.randint(4, 6)):
        scopes = []
        for j in range(rng.randint(1, 3)):
            earliest = rng.choice([0, 0, 0, 1, 2])
            scopes.append(
                Scope(
                    id=f"s{j}",
                    name=f"scope {j}",
                    benefit=exact(0),
                    duration=exact(rng.randint(1, 4)),
                    earliest_start=earliest,
                    latest_finish=rng.choice([horizon - 1, horizon - 1, horizon - 3]),
                    use={
                        "a": exact(rng.randint(0, 3)),
                        "b": exact(rng.randint(0, 2)),
                        "money": exact(rng.randint(0, 4)),
                    },
                )
            )
        jobs.append(Measure(f"m{i}", f"job {i}", tuple(scopes), Force.IN))
    links = []
    for later in range(1, len(jobs)):
        for earlier in rng.sample(range(later), rng.randint(0, min(2, later))):
            links.append(
                Dependency(
                    DependencyKind.REQUIRES, f"m{later}", f"m{earlier}", lag=rng.choice([0, 0, 1])
                )
            )
    resources = (
        Resource(
            "a", "a", ResourceKind.RENEWABLE, exact(3), overrides={2: exact(rng.randint(1, 3))}
        ),
        Resource("b", "b", ResourceKind.RENEWABLE, exact(2)),
        Resource("money", "money", ResourceKind.NONRENEWABLE, exact(rng.randint(6, 14))),
    )
    return Problem(
        periods=tuple(f"t{t}" for t in range(horizon)),
        measures=tuple(jobs),
        resources=resources,
        levers=(),
        series=(),
        effects=(),
        dependencies=tuple(links),
        name=f"sched{seed}",
    )


def test_it_applies_to_pure_scheduling_with_the_makespan_objective_only() -> None:
    problem = psplib("j301_1")
    reference_problem = read_problem(ROOT / "inputs" / "japan_rok.xlsx")
    assert applies(problem, MAKESPAN)
    assert not applies(problem, ObjectiveSettings())  # the value objective
    assert not applies(reference_problem, MAKESPAN)  # levers and support gates
    gated = replace(
        problem,
        series=(Series("s", "support", tuple(exact(50) for _ in problem.periods)),),
        measures=(
            replace(
                problem.measures[0],
                scopes=(replace(problem.measures[0].scopes[0], gates=(Gate("s", exact(40)),)),),
            ),
            *problem.measures[1:],
        ),
    )
    assert not applies(gated, MAKESPAN)
    optional = replace(
        problem, measures=(replace(problem.measures[0], force=Force.FREE), *problem.measures[1:])
    )
    assert not applies(optional, MAKESPAN)


def test_it_finds_the_optimum_the_priority_rules_miss() -> None:
    """j1037_10 (multi-mode, two budgets): the priority rules alone reach 44, the optimum is 40."""
    problem = psplib("j1037_10")
    plan = search_plan(problem, MAKESPAN)
    assert plan is not None
    result = evaluate(problem, plan, MAKESPAN)
    assert result.feasible, result.violations
    assert result.makespan == 40


def test_the_same_problem_gives_the_same_plan() -> None:
    problem = psplib("j1010_2")
    assert search_plan(problem, MAKESPAN) == search_plan(problem, MAKESPAN)


@functools.cache
def optimum_and_search(seed: int) -> tuple[Problem, SolveResult, Plan | None]:
    """The problem of ``seed``, its proven optimum and the search's plan (computed once)."""
    problem = scheduling_problem(seed)
    optimum = solve(problem, MAKESPAN, SolverSettings(gap=0.0))
    return problem, optimum, search_plan(problem, MAKESPAN)


@pytest.mark.parametrize("seed", SEEDS)
def test_plans_break_no_rule_and_are_never_shorter_than_the_optimum(seed: int) -> None:
    problem, optimum, plan = optimum_and_search(seed)
    if optimum.status is Status.INFEASIBLE:
        assert plan is None or not evaluate(problem, plan, MAKESPAN).feasible
        return
    assert optimum.status is Status.OPTIMAL and optimum.objective is not None
    assert plan is not None
    result = evaluate(problem, plan, MAKESPAN)
    assert result.feasible, result.violations
    assert result.makespan >= optimum.objective


def test_it_reaches_the_proven_optimum_of_nearly_every_small_problem() -> None:
    """Not a guarantee (it is a heuristic), but on problems this small it should rarely miss."""
    reached = solvable = 0
    for seed in SEEDS:
        problem, optimum, plan = optimum_and_search(seed)
        if optimum.status is not Status.OPTIMAL:
            continue
        solvable += 1
        if plan is not None and evaluate(problem, plan, MAKESPAN).makespan == optimum.objective:
            reached += 1
    assert solvable >= 40
    assert reached >= 0.95 * solvable, (reached, solvable)


def test_no_plan_when_a_job_has_no_scope_that_can_run() -> None:
    problem = scheduling_problem(0)
    job = problem.measures[0]
    too_big = replace(job.scopes[0], use={"b": exact(5)})  # capacity of b is 2
    problem = replace(problem, measures=(replace(job, scopes=(too_big,)), *problem.measures[1:]))
    assert search_plan(problem, MAKESPAN) is None


def test_no_plan_and_no_endless_search_when_no_scopes_fit_the_budgets() -> None:
    problem = scheduling_problem(3)
    broke = replace(problem.resource_by_id["money"], capacity=exact(0))
    expensive = tuple(
        replace(m, scopes=tuple(replace(s, use={**s.use, "money": exact(1)}) for s in m.scopes))
        for m in problem.measures
    )
    problem = replace(
        problem,
        measures=expensive,
        resources=tuple(broke if r.id == "money" else r for r in problem.resources),
    )
    assert search_plan(problem, MAKESPAN) is None
