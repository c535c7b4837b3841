"""The benefit–cost frontier: every point optimal for its budget, and the points are all there is.

On seeded tiny random problems (the brute-force generators, with and without
the policy dynamics) every plan is enumerated and scored by the evaluator; the
non-dominated (cost, benefit) pairs among them must be exactly the frontier's
points, on every integer-programming back end, for both ways of counting cost.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from random_dynamics import dynamic_problem
from seqopt.cli import app
from seqopt.data import Problem
from seqopt.evaluate import evaluate
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.solvers.result import Status
from seqopt.tradeoffs.cost_frontier import (
    COST_STEP,
    CostFrontier,
    capital,
    cost_frontier,
    split,
    supported_flags,
)

from brute_force import feasible_plans
from builders import budget, measure, problem, scope
from random_problems import tiny_problem

ENGINES = [SolverName.HIGHS, SolverName.HIGHS_PULP, SolverName.CBC]
SEEDS = range(40)


def _settings(engine: SolverName) -> SolverSettings:
    return SolverSettings(name=engine, gap=0.0, time_limit=60)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 10 * COST_STEP * max(1.0, abs(a), abs(b))


def _enumerated(
    problem: Problem, objective: ObjectiveSettings, discounted: bool
) -> list[tuple[float, float]]:
    """The non-dominated (cost, benefit) pairs of every feasible plan, cheapest first."""
    pairs = []
    for evaluation in feasible_plans(problem, objective):
        benefit, cost = split(evaluation)
        pairs.append((cost if discounted else capital(problem, evaluation.plan), benefit))
    best: list[tuple[float, float]] = []
    for cost, benefit in sorted(pairs, key=lambda p: (p[0], -p[1])):
        if best and _close(cost, best[-1][0]):
            continue  # the same cost: the first has the most benefit
        if best and benefit <= best[-1][1] + 10 * COST_STEP * max(1.0, abs(benefit)):
            continue  # dearer and no better
        best.append((cost, benefit))
    return best


def _value(objective: ObjectiveSettings) -> ObjectiveSettings:
    return replace(objective, kind=ObjectiveKind.VALUE)


def _agrees(problem: Problem, objective: ObjectiveSettings, engine: SolverName, discounted: bool):
    frontier = cost_frontier(problem, objective, _settings(engine), discounted=discounted)
    expected = _enumerated(problem, objective, discounted)
    found = [(p.cost, p.benefit) for p in frontier.points]
    assert frontier.complete
    assert len(found) == len(expected), (found, expected)
    for (cost, benefit), (want_cost, want_benefit) in zip(found, expected, strict=True):
        assert _close(cost, want_cost) and _close(benefit, want_benefit), (found, expected)
    for point in frontier.points:
        assert point.status is Status.OPTIMAL
        # Each plan, scored again from the plan alone, gives the point.
        again = evaluate(problem, point.plan, objective)
        assert again.feasible
        assert _close(split(again)[0], point.benefit)
        assert _close(again.objective, point.value)
        assert point.cost <= point.budget + COST_STEP * max(1.0, point.budget)
    return frontier


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", SEEDS)
def test_frontier_equals_enumerated_non_dominated_plans(seed: int, engine: SolverName) -> None:
    problem, objective = tiny_problem(seed)
    _agrees(problem, _value(objective), engine, discounted=seed % 2 == 0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", range(12))
def test_frontier_with_policy_dynamics_equals_enumeration(seed: int, engine: SolverName) -> None:
    problem, objective = dynamic_problem(seed, "mixed")
    _agrees(problem, _value(objective), engine, discounted=seed % 3 == 0)


@pytest.mark.parametrize("warm", [True, False])
def test_warm_and_cold_sweeps_find_the_same_points(warm: bool) -> None:
    problem, objective = tiny_problem(7)
    frontier = cost_frontier(problem, _value(objective), _settings(SolverName.HIGHS), warm=warm)
    expected = _enumerated(problem, _value(objective), discounted=False)
    assert [round(p.cost, 6) for p in frontier.points] == [round(c, 6) for c, _ in expected]


def _unsupported_case() -> Problem:
    # X: 1 unit of capital for 1 unit of benefit; Y: 2 units for 5; the budget fits one.
    # The frontier is (0, 0), (1, 1), (2, 5): (1, 1) lies below the line from (0, 0) to
    # (2, 5), so no weight w makes benefit - w * cost best there, yet nothing beats it.
    return problem(
        2,
        measure("x", scope("s", benefit=1, use={"pc": 1}, latest=0, horizon=2)),
        measure("y", scope("s", benefit=5, use={"pc": 2}, latest=0, horizon=2)),
        resources=[budget("pc", 2, price=1)],
    )


def test_unsupported_point_found_that_no_weighted_sum_reaches() -> None:
    found = _agrees(_unsupported_case(), ObjectiveSettings(), SolverName.HIGHS, False)
    assert [(p.cost, p.benefit) for p in found.points] == [(0, 0), (1, 1), (2, 5)]
    assert [p.supported for p in found.points] == [True, False, True]
    # Weighted sums over a fine grid of weights reach only the supported points.
    reached = {
        max(found.points, key=lambda p: p.benefit - w / 100 * p.cost).cost for w in range(1000)
    }
    assert reached == {0, 2}
    assert found.best_value == 2  # value = benefit - cost: 0, 0 and 3


def test_supported_flags_by_hand() -> None:
    assert supported_flags([0, 1, 2], [0, 1, 5]) == [True, False, True]
    assert supported_flags([0, 1, 2], [0, 3, 5]) == [True, True, True]
    assert supported_flags([0, 1, 2], [0, 2.5, 5]) == [True, True, True]  # on the hull
    assert supported_flags([0], [0]) == [True]


def test_infeasible_model_has_no_point() -> None:
    infeasible = problem(
        2,
        measure("x", scope("s", use={"pc": 3}, latest=0, horizon=2), force=measure("x").force),
        resources=[budget("pc", 2, price=1)],
    )
    forced = replace(
        infeasible,
        measures=tuple(replace(m, force=type(m.force).IN) for m in infeasible.measures),
    )
    frontier = cost_frontier(forced, ObjectiveSettings(), _settings(SolverName.HIGHS))
    assert frontier.points == ()
    assert frontier.complete and frontier.ended == "no plan breaks no rule"


def test_makespan_objective_is_refused() -> None:
    problem_, _ = tiny_problem(1)
    with pytest.raises(ValueError, match="value objective"):
        cost_frontier(
            problem_,
            ObjectiveSettings(kind=ObjectiveKind.MAKESPAN),
            _settings(SolverName.HIGHS),
        )


def test_knee_and_best_value_on_the_frontier() -> None:
    frontier: CostFrontier = cost_frontier(
        _unsupported_case(), ObjectiveSettings(), _settings(SolverName.HIGHS)
    )
    assert frontier.knee == 1  # the unsupported point is farthest from the chord
    # Two programs a point; the last point spends nothing, so no budget is left to try.
    assert frontier.dropped == 0 and frontier.solves == 2 * 3


# -- the command -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_frontier_cost_command_writes_the_record_chart_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    model = str(ROOT / "models/examples/substitutes.toml")
    result = runner.invoke(app, ["frontier", model, "--cost", "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "cost_frontier.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.cost_frontier/1"
    assert document["complete"] and document["cost"] == "capital"
    points = document["points"]
    assert points and all(p["proven"] for p in points)
    assert [p["cost"] for p in points] == sorted(p["cost"] for p in points)
    # The dearest point with the most net value is the plan seqopt solve records.
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    best = points[document["best_value"]]
    assert abs(best["value"] - plan["value"]) <= 1e-6 * max(1.0, abs(plan["value"]))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="cost-frontier"' in page and 'id="cost-frontier-table"' in page
    assert (out / "cost_frontier.svg").is_file() and (out / "cost_frontier.png").is_file()
    # The same model gives the same bytes.
    again = tmp_path / "again"
    runner.invoke(app, ["frontier", model, "--cost", "--out", str(again)])
    assert (again / "cost_frontier.json").read_bytes() == (out / "cost_frontier.json").read_bytes()


def test_frontier_cost_discounted_has_at_least_as_many_points(tmp_path: Path) -> None:
    model = str(ROOT / "models/examples/substitutes.toml")
    counts = []
    for flags in ([], ["--discounted-cost"]):
        out = tmp_path / str(len(flags))
        result = runner.invoke(app, ["frontier", model, "--cost", *flags, "--out", str(out)])
        assert result.exit_code == 0, result.output
        counts.append(len(json.loads((out / "cost_frontier.json").read_text())["points"]))
    assert counts[1] >= counts[0]


def test_frontier_cost_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    model = str(ROOT / "models/examples/substitutes.toml")
    both = runner.invoke(app, ["frontier", model, "--cost", "--reliability", "0.5"])
    assert both.exit_code == 2 and "leave out the reliability levels" in both.output
    alone = runner.invoke(app, ["frontier", model, "--discounted-cost"])
    assert alone.exit_code == 2 and "needs --cost" in alone.output
    makespan = tmp_path / "makespan.toml"
    text = (ROOT / "models/examples/substitutes.toml").read_text(encoding="utf-8")
    text = text.replace('kind = "value"', 'kind = "makespan"').replace(
        "../../inputs", str(ROOT / "inputs")
    )
    makespan.write_text(text, encoding="utf-8")
    refused = runner.invoke(
        app, ["frontier", str(makespan), "--cost", "--out", str(tmp_path / "o")]
    )
    assert refused.exit_code == 2 and "needs the value objective" in refused.output
    assert not (tmp_path / "o").exists()
