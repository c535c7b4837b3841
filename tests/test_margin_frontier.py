"""Value against the least support margin: the sweep's points are the non-dominated plans."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.data import Problem
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.tradeoffs.margin_frontier import least_margin, margin_frontier

from brute_force import feasible_plans
from random_problems import tiny_problem


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _enumerated(problem: Problem, objective: ObjectiveSettings) -> list[tuple[float, float]]:
    """Non-dominated (least margin, value) pairs of every feasible plan, least margin first."""
    pairs = []
    for evaluation in feasible_plans(problem, objective):
        margin = least_margin(problem, evaluation)
        pairs.append((math.inf if margin is None else margin, evaluation.objective))
    best: list[tuple[float, float]] = []
    for margin, value in sorted(pairs, key=lambda p: (-p[0], -p[1])):
        if best and value <= best[-1][1] + 1e-6 * max(1.0, abs(value)):
            continue  # less margin and no more value
        best.append((margin, value))
    return best[::-1]


@pytest.mark.parametrize("engine", [SolverName.HIGHS, SolverName.CBC])
@pytest.mark.parametrize("seed", range(30))
def test_margin_frontier_equals_enumeration(seed: int, engine: SolverName) -> None:
    problem, objective = tiny_problem(seed)
    objective = replace(objective, kind=ObjectiveKind.VALUE)
    frontier = margin_frontier(problem, objective, SolverSettings(name=engine, gap=0.0))
    expected = _enumerated(problem, objective)
    found = [
        (math.inf if p.least_margin is None else p.least_margin, p.value) for p in frontier.points
    ]
    assert frontier.complete
    assert len(found) == len(expected), (found, expected)
    for (margin, value), (want_margin, want_value) in zip(found, expected, strict=True):
        assert _close(value, want_value), (found, expected)
        assert margin == want_margin or _close(margin, want_margin), (found, expected)


def test_least_margin_command_writes_its_record(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    model = str(root / "models/examples/staged_scope.toml")
    result = CliRunner().invoke(app, ["frontier", model, "--least-margin", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "margin_frontier.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.margin_frontier/1" and document["complete"]
    points = document["points"]
    assert len(points) >= 3 and all(p["proven"] for p in points)
    # Safer plans are worth less: values fall as the least margin rises.
    values = [p["value"] for p in points]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    both = CliRunner().invoke(app, ["frontier", model, "--least-margin", "--cost"])
    assert both.exit_code == 2 and "frontier of its own" in both.output
