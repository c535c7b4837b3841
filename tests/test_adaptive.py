"""Adaptive plans: re-planning checked against exhaustive search, signposts, runs and outputs."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brute_replan import best_continuations
from random_dynamics import CONCEPTS, dynamic_problem
from random_futures import future
from seqopt.adaptive.futures import Job, act_out, run_future, run_futures
from seqopt.adaptive.policies import (
    RELEASED,
    Fixed,
    Planner,
    Replanning,
    Rule,
    See,
    first_plan,
)
from seqopt.adaptive.signposts import Feature, fit, roundest
from seqopt.adaptive.summary import adaptive_document
from seqopt.cli import app
from seqopt.data import CauseKind, Effect, Estimate, Event, Gate, Problem, Series
from seqopt.evaluate import evaluate
from seqopt.io.writer import write_problem
from seqopt.plan import Assignment, Plan
from seqopt.settings import (
    ModelFile,
    ObjectiveKind,
    ObjectiveSettings,
    RandomEvents,
    SolverName,
    SolverSettings,
)
from seqopt.uncertainty.estimates import happens_path, sites, with_values
from seqopt.uncertainty.freeze import decisions, freeze
from seqopt.uncertainty.record import Record
from seqopt.uncertainty.sampling import draw, with_events

from builders import e, lever, lever_effect, measure, problem, renewable, requires, scope
from random_problems import tiny_problem

SETTINGS = SolverSettings(name=SolverName.HIGHS, time_limit=30, warm_start=False)
runner = CliRunner()


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


# -- acting out: the rules of execution ----------------------------------------------------


def chain_problem() -> Problem:
    """``a`` (needs 55, in T0) then ``b`` (requires ``a``); support is one poll (50 to 60)."""
    return problem(
        3,
        measure("a", scope("s", 5, 1, horizon=3, use={"cap": 1}, gates={"g": 55})),
        measure("b", scope("s", 3, 1, horizon=3, use={"cap": 1})),
        resources=[renewable("cap", 2, price=0.5)],
        series=[Series("g", "support", (Estimate(56, 50, 60),) * 3)],
        dependencies=[requires("b", "a")],
    )


def test_a_failed_signing_is_paid_for_and_what_requires_it_is_skipped() -> None:
    belief = chain_problem()
    planner = Planner(belief, ObjectiveSettings(), SETTINGS)
    _, first = first_plan(planner)
    assert first == Plan.of([Assignment("a", "s", 0), Assignment("b", "s", 1)])
    low = with_values(belief, {"baseline:g/T0:value": 52.0})
    fixed = act_out(low, Fixed(first), planner)
    (failure,) = fixed.failures
    assert (failure.measure, failure.period, failure.reason) == ("a", 0, "gate")
    assert fixed.skipped == 1  # b needs a in force
    # Nothing in force; a's negotiation was paid for (capital at price 0.5).
    assert fixed.value == pytest.approx(-0.5)
    adaptive = act_out(low, Replanning(planner, first, 0), planner)
    assert adaptive.value == pytest.approx(-0.5) and adaptive.skipped == 0
    high = act_out(with_values(belief, {"baseline:g/T0:value": 58.0}), Fixed(first), planner)
    # a in force in T1 and T2, b in T2; two negotiations paid for.
    assert not high.failures and high.value == pytest.approx(5 * 2 + 3 * 1 - 1.0)


@pytest.mark.parametrize("concept", [*CONCEPTS, "mixed"])
def test_in_the_future_it_expects_replanning_keeps_to_its_first_plan(concept: str) -> None:
    """Bellman: when nothing surprises the planner, every re-plan continues the first plan."""
    for seed in range(8):
        belief, objective = dynamic_problem(seed, concept)
        if objective.kind is not ObjectiveKind.VALUE:
            continue
        objective = replace(objective, random_events=RandomEvents.IGNORE)
        never = {
            happens_path(belief, e, t): 0.0
            for e in belief.events
            if e.probability is not None
            for t in e.window(belief.horizon)
        }
        truth = with_values(belief, never)
        planner = Planner(belief, objective, SETTINGS)
        _, first = first_plan(planner)
        assert first is not None
        best = evaluate(truth, first, objective).objective
        run = act_out(truth, Replanning(planner, first, 0), planner)
        assert not run.failures
        assert run.value == pytest.approx(best, abs=1e-6)
        assert run.record.plan() == Plan.of(
            [a for a in first.assignments], first.lever_uses, first.upgrades
        )


@pytest.mark.parametrize("concept", [*CONCEPTS, "mixed"])
def test_every_replan_in_drawn_futures_has_a_checked_plan(concept: str) -> None:
    """Futures that move every number: re-plans stay solvable and every plan is verified."""
    for seed in range(6):
        belief, objective = dynamic_problem(seed, concept)
        if objective.kind is not ObjectiveKind.VALUE:
            continue
        planner = Planner(belief, objective, SETTINGS)
        _, first = first_plan(planner)
        assert first is not None
        for k in range(2):
            policy = Replanning(planner, first, k)
            run = act_out(future(belief, 100 * seed + k), policy, planner)
            assert set(policy.statuses) <= {"shared", "optimal", RELEASED}
            allowed = ("capacity", "budget", "force")
            assert all(rule.startswith(allowed) for rule in run.broken), run.broken


# -- the command, its files, its report, and the same results however it runs ----------------


def ranged_problem() -> Problem:
    """Two measures, a lever, one poll and one threshold with ranges, and a random event."""
    base = chain_problem()
    a, b = base.measures
    gated = replace(a.scopes[0], gates=(Gate("g", Estimate(55, 52, 58)),))
    return replace(
        base,
        periods=("2020Q1", "2020Q2", "2020Q3"),
        measures=(replace(a, scopes=(gated,)), b),
        levers=(lever("push", 1, latest=2, use={"cap": 1}),),
        effects=(
            lever_effect("push", "g", 2, decay=0.5),
            Effect(CauseKind.EVENT, "shock", "g", e(-3)),
        ),
        events=(Event("shock", "shock", probability=Estimate(0.3, 0.1, 0.5)),),
    )


@pytest.fixture
def adapt_model(tmp_path: Path) -> Path:
    write_problem(ranged_problem(), tmp_path / "input")
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "tiny"\ninput = "input"\noutput = "out"\n\n[solver]\ntime_limit = 30\n',
        encoding="utf-8",
    )
    return model


def test_adapt_writes_its_files_and_a_report_with_the_map(adapt_model: Path) -> None:
    arguments = ["adapt", str(adapt_model), "--futures", "12", "--seed", "4"]
    result = runner.invoke(app, [*arguments, "--workers", "1", "--report"])
    assert result.exit_code == 0, result.output
    out = adapt_model.parent / "out"
    document = json.loads((out / "adaptive.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.adaptive/1" and document["futures"] == 12
    assert [p["policy"] for p in document["policies"]] == ["adaptive", "base", "robust"]
    assert [d["versus"] for d in document["adaptivity"]] == ["base", "robust"]
    assert document["first_decision"]["period"] == "2020Q1"
    assert sum(document["replans"].values()) == 12 * 3
    rows = (out / "futures.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 12 * 3
    page = (out / "report.html").read_text(encoding="utf-8")
    for part in ('id="what-to-do-now"', 'id="pathways-chart"', 'id="policies-table"', "<svg"):
        assert part in page
    assert (out / "pathways.svg").is_file() and (out / "pathways.png").is_file()
    assert "What to do now (2020Q1)" in result.output
    assert "Value of adaptivity" in result.output
    first = (out / "adaptive.json").read_bytes(), (out / "futures.csv").read_bytes()
    again = runner.invoke(app, [*arguments, "--workers", "2"])
    assert again.exit_code == 0, again.output
    assert ((out / "adaptive.json").read_bytes(), (out / "futures.csv").read_bytes()) == first


def test_runs_are_identical_across_workers_and_on_dask() -> None:
    pytest.importorskip("distributed")
    belief = ranged_problem()
    planner = Planner(belief, ObjectiveSettings(), SETTINGS, Rule.EXPECTED)
    _, first = first_plan(planner)
    assert first is not None
    samples = with_events(draw(sites(belief), 6, 2), belief)
    job = Job(planner, {"base": first}, first, samples.paths)
    rows = samples.values.tolist()
    one = run_futures(job, rows, workers=1)
    two = run_futures(job, rows, workers=2)
    dask = run_futures(job, rows, workers=2, scheduler="local")
    assert [f.index for f in one] == list(range(6))
    assert one == two == dask


def test_adapt_needs_the_value_objective(tmp_path: Path) -> None:
    write_problem(ranged_problem(), tmp_path / "input")
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "m"\ninput = "input"\noutput = "out"\n\n[objective]\nkind = "makespan"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["adapt", str(model), "--futures", "2"])
    assert result.exit_code == 2
    assert "needs the value objective" in result.output
    assert not (tmp_path / "out").exists()


def test_the_sample_rule_replans_on_a_sample_of_futures() -> None:
    belief = ranged_problem()
    planner = Planner(belief, ObjectiveSettings(), SETTINGS, Rule.SAMPLE, samples=4, seed=3)
    status, first = first_plan(planner)
    assert status == "optimal" and first is not None
    truth = with_values(belief, {"baseline:g/2020Q1:value": 51.0})
    policy = Replanning(planner, first, 0)
    run = act_out(truth, policy, planner)
    assert set(policy.statuses) <= {"shared", "optimal"}
    # One schedule for every sampled future: never a signing whose gate some future misses.
    assert not run.failures
