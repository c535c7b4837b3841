"""Adaptive plans: re-planning checked against exhaustive search, signposts, runs and outputs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from brute_replan import best_continuations
from seqopt.adaptive.futures import Job, act_out, run_future
from seqopt.adaptive.policies import Planner, Replanning, See, first_plan
from seqopt.adaptive.signposts import Feature, fit, roundest
from seqopt.adaptive.summary import adaptive_document
from seqopt.data import Estimate, Problem, Series
from seqopt.evaluate import evaluate
from seqopt.plan import Plan
from seqopt.settings import (
    ModelFile,
    ObjectiveKind,
    ObjectiveSettings,
    SolverName,
    SolverSettings,
)
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.freeze import decisions, freeze
from seqopt.uncertainty.record import Record

from builders import measure, problem, scope
from random_problems import tiny_problem

SETTINGS = SolverSettings(name=SolverName.HIGHS, time_limit=30, warm_start=False)


def uncertain_futures(seed: int) -> tuple[Problem, ObjectiveSettings, list[Problem]] | None:
    """A tiny problem (value objective) and two or three futures of its polls and thresholds."""
    problem, objective = tiny_problem(seed)
    if objective.kind is not ObjectiveKind.VALUE:
        return None
    rng = random.Random(seed)
    futures = []
    for _ in range(rng.choice([2, 3])):
        values = {}
        for site in sites(problem, uncertain_only=False):
            if site.path.startswith("baseline:"):
                values[site.path] = site.estimate.base + rng.choice([-4, -2, 0, 2, 4])
            elif site.path.startswith("gates:"):
                values[site.path] = site.estimate.base + rng.choice([-2, 0, 2])
        futures.append(with_values(problem, values))
    return problem, objective, futures


class Checked(Replanning):
    """The re-planning policy, each of whose plans is held against exhaustive search."""

    checks: int = 0

    def act(self, record: Record, see: See) -> Plan:
        actions = super().act(record, see)
        assert self.plan is not None
        if record.now == 0 and self.future > 0:
            return actions  # the first plan is shared: checked in the first future
        model = see(self.planner.belief)
        objective = self.planner.objective
        best, plans = best_continuations(model, objective, record)
        frozen = freeze(model, record, objective)
        value = evaluate(frozen, self.plan, objective).objective
        # Lever uses already made are events in the frozen problem: their cost is sunk.
        sunk = evaluate(model, Plan.of([], record.lever_uses), objective).lever_cost
        assert value - sunk == pytest.approx(best, abs=1e-6)
        assert actions in {decisions(plan, record) for plan in plans}
        Checked.checks += 1
        return actions


@pytest.mark.parametrize("seed", range(40))
def test_replanning_decides_as_exhaustive_search_over_the_same_information(seed: int) -> None:
    found = uncertain_futures(seed)
    if found is None:
        pytest.skip("makespan objective: adapt compares values")
    problem, objective, futures = found
    planner = Planner(problem, objective, SETTINGS)
    _, first = first_plan(planner)
    assert first is not None
    for index, truth in enumerate(futures):
        act_out(truth, Checked(planner, first, index), planner)


# -- signposts -----------------------------------------------------------------------------


def signpost_problem(earliest: int) -> Problem:
    """Sign the full text if support allows (62), else the narrow one; the two exclude each other.

    Support on the gated series is one poll carried forward over the horizon
    (50 to 70, 60 expected); a second series is watched by nothing. Nothing can
    start before ``earliest``, so the ways part there.
    """
    poll = Estimate(60, 50, 70)
    other = Estimate(50, 45, 55)
    return problem(
        4,
        measure(
            "gsomia",
            scope("full", 10, 1, earliest=earliest, gates={"g": 62}),
            scope("narrow", 6, 1, earliest=earliest, gates={"g": 50}),
        ),
        series=[Series("g", "GSOMIA support", (poll,) * 4), Series("h", "other", (other,) * 4)],
    )


@pytest.mark.parametrize("earliest", [1, 2])
def test_a_signpost_known_by_construction_is_recovered(earliest: int) -> None:
    """Two futures differ only in the gated series' poll: 65 (full text) or 55 (narrow)."""
    belief = signpost_problem(earliest)
    planner = Planner(belief, ObjectiveSettings(), SETTINGS)
    _, first = first_plan(planner)
    assert first is not None
    paths = ("baseline:g/T0:value",)
    job = Job(planner, {}, first, paths)
    futures = [run_future(job, 0, [65.0]), run_future(job, 1, [55.0])]
    assert [f.runs["adaptive"].record.negotiations[0].scope for f in futures] == ["full", "narrow"]
    model = ModelFile(Path("model.toml"), "fixture", Path("input"), Path("out"))
    document = adaptive_document(
        belief,
        model,
        futures,
        seed=0,
        rule="expected",
        rule_samples=0,
        first=first,
        fixed={},
        input_sha256="0",
    )
    (branch,) = document["branches"]
    assert branch["period"] == f"T{earliest}" and branch["accuracy"] == 1.0
    high, low = branch["leaves"]
    (question,) = high["conditions"]
    # The most recent poll before the decision, and the roundest level between 55 and 65.
    assert question["subject"] == "g" and question["period"] == f"T{earliest - 1}"
    assert question["threshold"] == 60 and question["at_least"]
    assert high["way"] == "sign gsomia: full" and low["way"] == "sign gsomia: narrow"
    assert "GSOMIA support is at least 60" in branch["text"][0]


def test_the_signpost_tree_asks_at_most_two_questions_and_says_how_right_it_is() -> None:
    x, y = Feature("support", "x", 0), Feature("support", "y", 0)
    samples = [({x: 1.0, y: 1.0}, "a"), ({x: 1.0, y: 5.0}, "b"), ({x: 5.0, y: 1.0}, "c")] * 4
    samples.append(({x: 5.0, y: 5.0}, "a"))
    signpost = fit(samples)
    assert len(signpost.leaves) == 3
    assert all(len(leaf.answers) <= 2 for leaf in signpost.leaves)
    assert signpost.accuracy == pytest.approx(12 / 13)
    # Nothing to tell the ways apart: one leaf, the most common way.
    same = fit([({x: 1.0}, "a"), ({x: 1.0}, "b"), ({x: 1.0}, "a")])
    assert [(leaf.way, leaf.right, leaf.runs) for leaf in same.leaves] == [("a", 2, 3)]


def test_roundest_thresholds() -> None:
    assert roundest(55, 65) == 60
    assert roundest(63.48, 63.52) == 63.5
    assert roundest(0, 1) == 1
    assert roundest(-3, -1) == -2
