"""Reliability on every solve, reliability-constrained plans, margins and the frontier."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.data import Distribution, Estimate, Gate, Measure, Problem, Series
from seqopt.evaluate import evaluate
from seqopt.io.reader import read_problem
from seqopt.io.writer import write_problem
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveSettings, SolverSettings, read_model_file
from seqopt.solve import solve
from seqopt.solvers.result import Status
from seqopt.uncertainty.batch import score_batch
from seqopt.uncertainty.calibrate import Rung, recorded, sizes
from seqopt.uncertainty.chance import Chance
from seqopt.uncertainty.chance_model import Targets
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.frontier import Point, changes, knee
from seqopt.uncertainty.reliable import with_margin
from seqopt.uncertainty.sampling import draw, standard_error, with_events
from seqopt.uncertainty.scenarios import broken_rule

from builders import e, excludes, lever, lever_effect, measure, problem, renewable, scope

OBJECTIVE = ObjectiveSettings()
SETTINGS = SolverSettings(time_limit=30)
runner = CliRunner()

UNIFORM = Distribution.UNIFORM


def fragile() -> Problem:
    """One measure, fragile two ways, independently: its gate and the capacity it needs.

    The threshold is uniform on 45-55 against support 52: cleared with probability
    0.7. Capacity is uniform on 2-4 against a use of 2.5: enough with probability 0.75.
    The plan goes through with probability 0.7 x 0.75 = 0.525.
    """
    gated = replace(
        scope("s", benefit=10.0, horizon=2, use={"cap": 2.5}),
        gates=(Gate("pub", Estimate(50.0, 45.0, 55.0, UNIFORM)),),
    )
    return problem(
        2,
        Measure("a", "a", (gated,)),
        resources=[replace(renewable("cap", 3.0), capacity=Estimate(3.0, 2.0, 4.0, UNIFORM))],
        series=[Series("pub", "Public", (e(52.0), e(52.0)))],
    )


def test_reliability_of_a_plan_is_what_the_hand_calculation_says() -> None:
    p = fragile()
    plan = Plan.of([Assignment("a", "s", 0)])
    samples = with_events(draw(sites(p), 1000, 5), p)
    scored = score_batch(p, plan, OBJECTIVE, samples)
    (gate,) = scored.gates
    # A Latin hypercube puts one point in each thousandth of every range.
    assert gate.cleared.mean() == pytest.approx(0.7, abs=0.002)
    assert scored.broken["capacity: cap"].mean() == pytest.approx(0.25, abs=0.002)
    # Jointly the draws are independent: within three standard errors of 0.525.
    assert abs(scored.reliability - 0.525) < 3 * standard_error(0.525, 1000)
    assert gate.margin[~np.isnan(gate.margin)].min() >= -3.0 - 1e-9


def test_batch_score_is_the_evaluators_in_every_scenario_of_the_fixture() -> None:
    p = fragile()
    plan = Plan.of([Assignment("a", "s", 0)])
    samples = with_events(draw(sites(p), 200, 1), p)
    scored = score_batch(p, plan, OBJECTIVE, samples)
    for k in range(200):
        scenario = with_values(p, samples.scenario(k))
        found = evaluate(scenario, plan, OBJECTIVE)
        assert bool(scored.holds[k]) == found.feasible
        assert {broken_rule(scenario, v) for v in found.violations} == {
            rule for rule, where in scored.broken.items() if where[k]
        }


def bold_or_safe() -> Problem:
    """A bold measure (worth 10, its gate cleared 70 % of the time) or a safe one (worth 6)."""
    bold = replace(
        scope("s", benefit=10.0, horizon=3),
        gates=(Gate("pub", Estimate(50.0, 45.0, 55.0, UNIFORM)),),
    )
    return problem(
        3,
        Measure("bold", "Bold", (bold,)),
        measure("safe", scope("s", benefit=6.0, horizon=3)),
        series=[Series("pub", "Public", (e(52.0),) * 3)],
        dependencies=[excludes("bold", "safe")],
    )


def write_model(folder: Path, p: Problem, extra: str = "") -> Path:
    write_problem(p, folder / "input")
    model = folder / "model.toml"
    model.write_text(
        '[model]\nname = "fixture"\ninput = "input"\noutput = "out"\n\n'
        "[solver]\ntime_limit = 30\n\n[uncertainty]\nsamples = 32\n" + extra,
        encoding="utf-8",
    )
    return model


def plan_json(model: Path) -> dict:
    return json.loads((model.parent / "out" / "plan.json").read_text(encoding="utf-8"))


def test_every_solve_reports_its_reliability(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe())
    result = runner.invoke(app, ["solve", str(model)])
    assert result.exit_code == 0, result.output
    document = plan_json(model)
    assert [s["measure"] for s in document["schedule"]] == ["bold"]
    reliability = document["reliability"]
    assert reliability["scenarios"] == 1000 and reliability["seed"] == 2
    assert reliability["share"] == pytest.approx(0.7, abs=0.002)
    assert reliability["most_broken"] == "support: Bold (Public)"
    (signing,) = reliability["signings"]
    assert signing["margin"] == pytest.approx(2.0)
    assert signing["cleared"] == pytest.approx(reliability["share"])
    assert "Goes through unchanged in 70.0% of 1,000 sampled scenarios" in " ".join(
        result.output.split()
    )
    summary = (model.parent / "out" / "summary.md").read_text(encoding="utf-8")
    assert "## Reliability" in summary and "Signings in 1,000 sampled scenarios" in summary


def test_the_same_share_as_the_evaluator_on_the_same_scenarios(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe())
    assert runner.invoke(app, ["solve", str(model), "--check-samples", "300"]).exit_code == 0
    p = read_problem(tmp_path / "input")
    plan = Plan.of([Assignment("bold", "s", 0)])
    fresh = with_events(draw(sites(p), 300, 2), p)
    held = sum(
        evaluate(with_values(p, fresh.scenario(k)), plan, OBJECTIVE).feasible for k in range(300)
    )
    assert plan_json(model)["reliability"]["held"] == held


def test_a_reliability_constrained_plan_trades_value_for_safety(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe(), "reliability = 0.9\n")
    result = runner.invoke(app, ["solve", str(model)])
    assert result.exit_code == 0, result.output
    document = plan_json(model)
    assert [s["measure"] for s in document["schedule"]] == ["safe"]
    reliability = document["reliability"]
    assert reliability["share"] == 1.0
    asked = reliability["asked"]
    assert asked["reliability"] == 0.9 and asked["reached"] is True
    assert asked["chosen_on"]["held"] == asked["chosen_on"]["scenarios"]
    assert asked["chosen_on"]["rungs"][0]["scenarios"] == 1
    assert reliability["unconstrained"]["share"] == pytest.approx(0.7, abs=0.002)
    assert document["value"] < reliability["unconstrained"]["value"]
    assert "Asked for: at least 90.0% (reached)" in " ".join(result.output.split())


def test_the_command_line_overrides_the_model_file(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe(), "reliability = 0.9\n")
    assert runner.invoke(app, ["solve", str(model), "--reliability", "0"]).exit_code == 0
    assert [s["measure"] for s in plan_json(model)["schedule"]] == ["bold"]


def test_a_gate_with_a_reliability_of_its_own(tmp_path: Path) -> None:
    p = bold_or_safe()
    bold = p.measure_by_id["bold"]
    gate = replace(bold.scopes[0].gates[0], reliability=0.95)
    p = replace(
        p,
        measures=(
            replace(bold, scopes=(replace(bold.scopes[0], gates=(gate,)),)),
            p.measure_by_id["safe"],
        ),
    )
    model = write_model(tmp_path, p)
    assert read_problem(tmp_path / "input").scope("bold", "s").gates[0].reliability == 0.95
    assert runner.invoke(app, ["solve", str(model)]).exit_code == 0
    document = plan_json(model)
    assert [s["measure"] for s in document["schedule"]] == ["safe"]
    (asked,) = document["reliability"]["asked"]["gates"]
    assert asked["reliability"] == 0.95 and asked["cleared"] == 1.0


def test_a_margin_leaves_points_to_spare_at_every_signing() -> None:
    p = problem(
        4,
        measure("a", scope("s", benefit=5.0, horizon=4, gates={"pub": 50.0})),
        levers=[lever("frame", 2, latest=3)],
        series=[Series("pub", "Public", (e(49.0),) * 4)],
        effects=[lever_effect("frame", "pub", 2.0)],
    )
    plain = solve(p, OBJECTIVE, SETTINGS)
    assert plain.evaluation is not None
    assert [u.period for u in plain.evaluation.plan.lever_uses] == [0]
    raised = solve(with_margin(p, 2.5), OBJECTIVE, SETTINGS)
    assert raised.evaluation is not None
    assert len(raised.evaluation.plan.lever_uses) == 2
    at_base = evaluate(p, raised.evaluation.plan, OBJECTIVE)
    signing = at_base.scheduled[0].signing
    assert at_base.support["pub"][signing] - 50.0 >= 2.5


def test_margin_from_the_model_file(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe(), "margin = 3\n")
    assert runner.invoke(app, ["solve", str(model)]).exit_code == 0
    document = plan_json(model)
    assert [s["measure"] for s in document["schedule"]] == ["safe"]  # bold has only 2 to spare
    assert document["reliability"]["asked"]["margin"] == 3


def test_rungs_double_up_to_the_sample() -> None:
    assert sizes(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert sizes(20) == [1, 2, 4, 8, 16, 20]
    assert sizes(1) == [1]


def point(level: float, fresh: float, value: float) -> Point:
    return Point(level, True, 0, Status.OPTIMAL, None, value, fresh)


def test_knee_is_the_point_farthest_from_the_chord() -> None:
    points = [point(0, 0.0, 100), point(0.5, 0.5, 40), point(0.8, 0.8, 35), point(0.9, 0.9, 30)]
    assert knee(points) == 1
    straight = [point(0, 0.0, 100), point(0.5, 0.5, 50), point(1, 1.0, 0)]
    assert knee(straight) is None  # on the chord: no bend
    assert knee(points[:2]) is None


def test_changes_between_plans_in_words() -> None:
    p = problem(
        4,
        measure("a", scope("narrow", benefit=2.0), scope("wide", benefit=5.0)),
        measure("b", scope("s")),
        measure("c", scope("s")),
        levers=[lever("frame", 3)],
        series=[Series("pub", "Public", (e(50.0),) * 4)],
    )
    before = Plan.of([Assignment("a", "wide", 0), Assignment("b", "s", 1)], [LeverUse("frame", 0)])
    after = Plan.of(
        [Assignment("a", "narrow", 2), Assignment("c", "s", 0)],
        [LeverUse("frame", 0), LeverUse("frame", 1), LeverUse("frame", 2)],
    )
    assert changes(p, OBJECTIVE, before, after) == [
        "a: narrow instead of wide (narrower)",
        "a signed 2 periods later (T2)",
        "drops b",
        "adds c (s), signed T0",
        "2 more uses of frame",
    ]


def test_frontier_command(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe())
    result = runner.invoke(app, ["frontier", str(model), "--reliability", "0", "0.5", "0.9"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    document = json.loads((out / "frontier.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.frontier/1"
    levels = [p["level"] for p in document["points"]]
    assert levels == [0.0, 0.5, 0.9]
    values = [p["value"] for p in document["points"]]
    assert values == sorted(values, reverse=True)
    assert all(p["reached"] for p in document["points"])
    assert document["points"][0]["fresh"] == pytest.approx(0.7, abs=0.002)
    assert document["points"][-1]["changes"] or document["points"][1]["changes"]
    assert (out / "frontier.svg").is_file() and (out / "frontier.png").is_file()
    first = (out / "frontier.json").read_bytes()
    for workers in ("1", "2"):
        again = runner.invoke(
            app,
            ["frontier", str(model), "--reliability", "0", "0.5", "0.9", "--workers", workers],
        )
        assert again.exit_code == 0
        assert (out / "frontier.json").read_bytes() == first


def test_frontier_levels_from_the_model_file_and_bad_levels(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe(), "frontier = [0, 0.9]\n")
    assert read_model_file(model).uncertainty.frontier == (0.0, 0.9)
    bad = runner.invoke(app, ["frontier", str(model), "--reliability", "1.5"])
    assert bad.exit_code == 2 and "levels must be shares from 0 to below 1" in bad.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("reliability = 1.2", "uncertainty.reliability: must be a share from 0 to below 1"),
        ("margin = -1", "uncertainty.margin: must be a number of points from 0 to 100"),
        (
            "check_samples = 0",
            "uncertainty.check_samples: must be a whole number from 1 to 100,000",
        ),
        ("seed = -1", "uncertainty.seed: must be a whole number from 0 to 2,147,483,647"),
        ('method = "best"', "uncertainty.method: must be 'calibrated' or 'saa'"),
        ('frontier = "all"', "uncertainty.frontier: must be a list of 1 to 50 reliability levels"),
        ("samplez = 3", "uncertainty.samplez: unknown setting"),
    ],
)
def test_bad_uncertainty_settings_are_reported(tmp_path: Path, setting: str, message: str) -> None:
    model = write_model(tmp_path, bold_or_safe(), setting + "\n")
    result = runner.invoke(app, ["solve", str(model)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_report_headline_of_a_fragile_plan_is_not_green(tmp_path: Path) -> None:
    model = write_model(tmp_path, fragile())
    assert runner.invoke(app, ["solve", str(model), "--report"]).exit_code == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'class="status status-warn"' in page  # holds in about half the scenarios
    assert "Proven optimal at base values, holds in" in page
    assert 'id="reliability"' in page and 'id="reliability-table"' in page


def test_reliability_outputs_are_byte_identical_across_runs(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe(), "reliability = 0.9\n")
    out = tmp_path / "out"
    assert runner.invoke(app, ["solve", str(model), "--report"]).exit_code == 0
    first = {name: (out / name).read_bytes() for name in ("plan.json", "summary.md", "report.html")}
    assert runner.invoke(app, ["solve", str(model), "--report"]).exit_code == 0
    assert {name: (out / name).read_bytes() for name in first} == first


def test_outputs_are_byte_identical_across_worker_counts(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe())
    out = tmp_path / "out"
    found = []
    for workers in ("1", "2"):
        result = runner.invoke(
            app, ["simulate", str(model), "--samples", "6", "--workers", workers]
        )
        assert result.exit_code == 0, result.output
        found.append({n: (out / n).read_bytes() for n in ("plan.json", "simulation.json")})
    assert found[0] == found[1]
    assert b'"reliability"' in found[0]["plan.json"]


def test_report_compares_the_robust_plan_and_leads_with_the_answer(tmp_path: Path) -> None:
    model = write_model(tmp_path, bold_or_safe())
    robust = runner.invoke(app, ["solve", str(model), "--robust", "6", "--check-samples", "200"])
    assert robust.exit_code == 0, robust.output
    document = json.loads((tmp_path / "out" / "robust.json").read_text(encoding="utf-8"))
    assert document["check_scenarios"] == 200 and document["check_seed"] == 2
    assert document["plan_at_base"]["feasible"] is True
    assert runner.invoke(app, ["solve", str(model), "--check-samples", "200"]).exit_code == 0
    assert runner.invoke(app, ["report", str(tmp_path / "out")]).exit_code == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    answer = page.index('id="reliability"')
    assert answer < page.index('id="roadmap"')  # the answer comes before the detail
    assert "Robust (mean, 6 scenarios)" in page
    assert "The robust plan (mean over 6 scenarios) goes through in" in page


def _rung(count: int, fresh: float, status: Status = Status.OPTIMAL, cleared: float = 1.0) -> Rung:
    plan = Plan((Assignment("a", "only", count),))
    chance = Chance(status, plan, 100.0 - count, None, None, count, count)
    return Rung(count, chance, fresh, {("a", "only", "public"): cleared})


def test_the_plan_recorded_short_of_the_goal_is_the_most_reliable_found() -> None:
    # A rung not proven in time can hold a plan less reliable than the rung before it
    # (the reference model: 71.0 % on 16 scenarios, 66.6 % on 32): the first is recorded.
    rungs = [_rung(8, 0.44), _rung(16, 0.71), _rung(32, 0.666, Status.FEASIBLE)]
    assert recorded(rungs, Targets(0.9, {})) is rungs[1]
    # The first rung reaching the goal wins over a more reliable later one.
    assert recorded(rungs, Targets(0.5, {})) is rungs[1]
    assert recorded([_rung(1, 0.6), _rung(2, 0.9)], Targets(0.5, {})).count == 1
    # Gates with targets count in the shortfall: the rung clearing its gate more wins.
    gate = ("a", "only", "public")
    gated = [_rung(4, 0.5, cleared=0.7), _rung(8, 0.4, cleared=0.85)]
    assert recorded(gated, Targets(0.0, {gate: 0.9})) is gated[1]
    # Equal shortfalls and shares: the smaller rung (the higher value).
    assert recorded([_rung(2, 0.3), _rung(4, 0.3)], Targets(0.9, {})).count == 2
    assert recorded([], Targets(0.9, {})) is None
