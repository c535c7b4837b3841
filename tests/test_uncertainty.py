"""Decisions under uncertainty: estimates, sampling, scenarios, robust plans, sensitivity."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.data import Distribution, Estimate, Force, Gate, Measure, Problem, Series
from seqopt.errors import InputError
from seqopt.evaluate import evaluate
from seqopt.generate import synthetic_problem
from seqopt.io.reader import read_problem
from seqopt.io.writer import write_problem
from seqopt.settings import ObjectiveSettings, SolverSettings
from seqopt.solve import solve
from seqopt.uncertainty.estimates import all_sites, objective_with_values, sites, with_values
from seqopt.uncertainty.robust import RiskMeasure, risk, robust_plan, score
from seqopt.uncertainty.sampling import (
    draw,
    inverse_cdf,
    latin_hypercube,
    mean,
    probability_below,
    standard_error,
)
from seqopt.uncertainty.scenarios import Job, run_scenarios
from seqopt.uncertainty.sensitivity import break_evens, swings, tornado

from builders import budget, e, measure, measure_effect, problem, renewable, scope, series

ROOT = Path(__file__).resolve().parents[1]
OBJECTIVE = ObjectiveSettings()
SETTINGS = SolverSettings(time_limit=30)
runner = CliRunner()


def ranged(value: float, low: float, high: float, dist: Distribution = Distribution.TRIANGULAR):
    return Estimate(value, low, high, dist)


# -- fixtures whose answer is known by hand ------------------------------------------------


def threshold_problem(dist: Distribution = Distribution.UNIFORM) -> Problem:
    """Measure ``a`` is worth its benefit (one period in force) and costs 4: chosen iff benefit > 4.

    Measure ``b`` is worth 5 and costs its capital use (price 1): chosen iff use < 5.
    Both are independent; nothing else binds.
    """
    a = Measure(
        "a",
        "a",
        (replace(scope("s", horizon=2, use={"cap_a": 4.0}), benefit=ranged(6, 0, 10, dist)),),
    )
    b = Measure(
        "b",
        "b",
        (
            replace(
                scope("s", benefit=5.0, horizon=2),
                use={"cap_b": ranged(4, 2, 7, dist)},
            ),
        ),
    )
    return problem(
        2,
        a,
        b,
        resources=[renewable("cap_a", 10, price=1), renewable("cap_b", 10, price=1)],
    )


def analytic_shares(p: Problem) -> dict[str, float]:
    benefit = p.measure_by_id["a"].scopes[0].benefit
    use = p.measure_by_id["b"].scopes[0].use["cap_b"]
    return {"a": 1 - probability_below(benefit, 4.0), "b": probability_below(use, 5.0)}


# -- estimates -----------------------------------------------------------------------------


def reference_model_problem() -> Problem:
    """The reference model's problem: its input over its horizon (2013Q4 to 2017Q4)."""
    from seqopt.io.scenario_files import load_problem
    from seqopt.settings import read_model_file

    return load_problem(read_model_file(ROOT / "models" / "japan_rok.toml"))


def shared_gate_problem() -> Problem:
    """Two scopes sharing one measure-wide gate row, and a baseline carried forward."""
    wide = Gate("pub", ranged(50, 45, 55))
    both = tuple(
        replace(scope(s, benefit=b, horizon=4), gates=(wide,)) for s, b in (("n", 1), ("f", 2))
    )
    poll, later = ranged(50, 40, 60), ranged(52, 50, 54)  # carried forward: the same object
    return problem(
        4, Measure("m", "m", both), series=[Series("pub", "pub", (poll, poll, later, later))]
    )


def test_reference_sites_have_stable_paths_and_shared_rows() -> None:
    reference = reference_model_problem()
    found = sites(reference)
    paths = [s.path for s in found]
    assert len(paths) == len(set(paths))
    assert "scopes:gsomia/narrow:benefit" in paths
    # A poll carried forward from before the horizon is one estimate, named by the
    # first period it applies to.
    baseline = [p for p in paths if p.startswith("baseline:kr_gsomia/")]
    assert baseline == ["baseline:kr_gsomia/2013Q4:value"]
    assert all(s.uncertain for s in found)
    assert [s.path for s in sites(reference)] == paths  # stable
    # A measure-wide gate row is one estimate, not one per scope.
    shared = [s.path for s in sites(shared_gate_problem())]
    assert "gates:m/*/pub:threshold" in shared
    assert not any(p.startswith("gates:m/n/") or p.startswith("gates:m/f/") for p in shared)
    assert [p for p in shared if p.startswith("baseline:")] == [
        "baseline:pub/T0:value",
        "baseline:pub/T2:value",
    ]


def test_with_values_replaces_every_place_a_row_applies() -> None:
    shared = shared_gate_problem()
    changed = with_values(shared, {"gates:m/*/pub:threshold": 51.5, "baseline:pub/T0:value": 55.0})
    for s in changed.measure_by_id["m"].scopes:
        assert s.gates[0].threshold.base == 51.5
    baseline = changed.series_by_id["pub"].baseline
    assert [v.base for v in baseline] == [55.0, 55.0, 52, 52]
    reference = reference_model_problem()
    assert with_values(reference, {s.path: s.estimate.base for s in sites(reference)}) == reference
    # Shared rows stay shared: the changed problem has the same sites.
    assert [s.path for s in sites(changed)] == [s.path for s in sites(shared)]


def test_whole_number_sites_refuse_fractions() -> None:
    p = problem(3, measure("m", replace(scope(), duration=ranged(1, 1, 2))))
    (site,) = [s for s in sites(p) if s.integer]
    assert site.path == "scopes:m/s:duration"
    assert with_values(p, {site.path: 2.0}).measure_by_id["m"].scopes[0].length == 2
    with pytest.raises(ValueError, match="whole numbers"):
        with_values(p, {site.path: 1.5})


# -- distribution column -------------------------------------------------------------------


def test_distribution_column_reads_and_writes(tmp_path: Path) -> None:
    p = threshold_problem(Distribution.PERT)
    write_problem(p, tmp_path / "input")
    text = (tmp_path / "input" / "scopes.csv").read_text(encoding="utf-8")
    assert "distribution" in text.splitlines()[0]
    assert "pert" in text
    again = read_problem(tmp_path / "input")
    assert again.measure_by_id["a"].scopes[0].benefit.distribution is Distribution.PERT
    assert again.measure_by_id["b"].scopes[0].use["cap_b"].distribution is Distribution.PERT
    assert again.measure_by_id["a"].scopes[0].duration.distribution is Distribution.PERT


def test_blank_distribution_is_triangular_and_a_bad_one_is_reported(tmp_path: Path) -> None:
    p = threshold_problem(Distribution.TRIANGULAR)
    write_problem(p, tmp_path / "input")
    again = read_problem(tmp_path / "input")
    assert again.measure_by_id["a"].scopes[0].benefit.distribution is Distribution.TRIANGULAR
    scopes = tmp_path / "input" / "scopes.csv"
    lines = scopes.read_text(encoding="utf-8").splitlines()
    headers = lines[0].split(",")
    cells = lines[1].split(",")
    cells[headers.index("distribution")] = "normal"
    lines[1] = ",".join(cells)
    scopes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"distribution.*must be one of triangular, uniform, pert"):
        read_problem(tmp_path / "input")


# -- sampling ------------------------------------------------------------------------------


def test_latin_hypercube_puts_one_point_in_every_slice() -> None:
    points = latin_hypercube(5, 40, seed=3)
    assert points.shape == (40, 5)
    for column in points.T:
        assert sorted(np.floor(column * 40).astype(int)) == list(range(40))


@pytest.mark.parametrize("dist", list(Distribution))
@pytest.mark.parametrize("shape", [(2.0, 5.0, 10.0), (0.0, 0.0, 4.0), (1.0, 3.0, 3.0)])
def test_inverse_cdf_inverts_the_cdf(dist: Distribution, shape: tuple[float, float, float]) -> None:
    low, base, high = shape
    estimate = Estimate(base, low, high, dist)
    u = np.linspace(0.01, 0.99, 25)
    values = inverse_cdf(estimate, u)
    assert np.all((values >= low) & (values <= high))
    assert [probability_below(estimate, float(v)) for v in values] == pytest.approx(list(u))


@pytest.mark.parametrize("dist", list(Distribution))
def test_sample_means_match_the_distribution(dist: Distribution) -> None:
    estimate = Estimate(3.0, 1.0, 10.0, dist)
    p = problem(2, measure("m", replace(scope(horizon=2), benefit=estimate)))
    samples = draw(sites(p), 2000, seed=11)
    assert float(samples.values[:, 0].mean()) == pytest.approx(mean(estimate), abs=0.02)


def test_durations_are_rounded_half_up_within_their_range() -> None:
    p = problem(6, measure("m", replace(scope(horizon=6), duration=ranged(2, 1, 3))))
    samples = draw(sites(p), 400, seed=5)
    drawn = samples.values[:, 0]
    assert set(drawn.tolist()) == {1.0, 2.0, 3.0}
    # Triangular(1, 2, 3): P(x < 1.5) = 0.125, P(x >= 2.5) = 0.125.
    assert float((drawn == 1.0).mean()) == pytest.approx(0.125, abs=0.01)
    assert float((drawn == 3.0).mean()) == pytest.approx(0.125, abs=0.01)


def test_the_same_seed_gives_the_same_samples() -> None:
    found = sites(threshold_problem())
    first, again, other = draw(found, 30, 4), draw(found, 30, 4), draw(found, 30, 5)
    assert np.array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)


# -- scenarios -----------------------------------------------------------------------------


@pytest.mark.parametrize("dist", [Distribution.UNIFORM, Distribution.TRIANGULAR, Distribution.PERT])
def test_core_index_matches_the_analytic_probability(dist: Distribution) -> None:
    p = threshold_problem(dist)
    found = sites(p)
    samples = draw(found, 200, seed=2)
    base = solve(p, OBJECTIVE, SETTINGS)
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, samples.paths)
    outcomes = run_scenarios(job, samples.values.tolist())
    assert len(outcomes) == 200
    expected = analytic_shares(p)
    for measure_id, probability in expected.items():
        share = sum(
            o.plan is not None and o.plan.assignment(measure_id) is not None for o in outcomes
        )
        share /= len(outcomes)
        # Latin hypercube sampling is at least as tight as independent draws.
        assert abs(share - probability) <= 3 * standard_error(probability, 200) + 1e-9, measure_id


def test_the_core_index_test_can_fail() -> None:
    """The same fixture with the cost moved: the old probability no longer matches."""
    p = threshold_problem()
    moved = replace(p, resources=(renewable("cap_a", 10, price=1.5), p.resources[1]))
    samples = draw(sites(moved), 200, seed=2)
    job = Job(moved, OBJECTIVE, SETTINGS, None, samples.paths)
    outcomes = run_scenarios(job, samples.values.tolist())
    share = sum(o.plan is not None and o.plan.assignment("a") is not None for o in outcomes) / 200
    assert abs(share - analytic_shares(p)["a"]) > 3 * standard_error(0.6, 200)


def with_duration_ranges(p: Problem) -> Problem:
    measures = tuple(
        replace(
            m,
            scopes=tuple(
                replace(s, duration=ranged(s.length, max(1, s.length - 1), s.length + 1))
                for s in m.scopes
            ),
        )
        for m in p.measures
    )
    return replace(p, measures=measures)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_repeated_solve_path_equals_a_plain_solve_on_many_scenarios(seed: int) -> None:
    p = with_duration_ranges(synthetic_problem(4, 2, 8, seed))
    samples = draw(sites(p), 8, seed)
    base = solve(p, OBJECTIVE, SETTINGS)
    for k in range(len(samples)):
        scenario = with_values(p, samples.scenario(k))
        plain = solve(scenario, OBJECTIVE, SETTINGS)
        fast = solve(
            scenario,
            OBJECTIVE,
            SETTINGS,
            [base.plan] if base.plan else [],
            repeated=True,
        )
        assert fast.status is plain.status
        assert fast.value == pytest.approx(plain.objective, rel=1e-6, abs=1e-9)
        assert fast.evaluation is not None
        # The scenario's value is the evaluator's, on the scenario's own problem.
        checked = evaluate(scenario, fast.evaluation.plan, OBJECTIVE)
        assert checked.feasible
        assert checked.objective == fast.value


def test_scenarios_with_other_durations_are_solved_with_them() -> None:
    p = problem(
        4,
        measure("a", replace(scope("s", benefit=10.0, horizon=4), duration=ranged(1, 1, 3))),
        measure("b", scope("s", benefit=2.0, horizon=4)),
        resources=[renewable("team", 1)],
    )
    p = replace(
        p,
        measures=tuple(
            replace(m, scopes=tuple(replace(s, use={"team": e(1)}) for s in m.scopes))
            for m in p.measures
        ),
    )
    for length in (1.0, 2.0, 3.0):
        scenario = with_values(p, {"scopes:a/s:duration": length})
        fast = solve(scenario, OBJECTIVE, SETTINGS, repeated=True)
        assert fast.value == pytest.approx(solve(scenario, OBJECTIVE, SETTINGS).objective)
        assert fast.evaluation is not None
        signing = {s.measure: s.signing for s in fast.evaluation.scheduled}
        assert signing["a"] - fast.evaluation.plan.assignment("a").start == length - 1


def test_results_are_identical_across_workers_and_on_dask() -> None:
    pytest.importorskip("distributed")
    p = with_duration_ranges(synthetic_problem(4, 2, 8, 1))
    samples = draw(sites(p), 12, seed=9)
    base = solve(p, OBJECTIVE, SETTINGS)
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, samples.paths)
    rows = samples.values.tolist()
    one = run_scenarios(job, rows, workers=1)
    two = run_scenarios(job, rows, workers=2)
    dask = run_scenarios(job, rows, workers=2, scheduler="local")
    assert [o.index for o in one] == list(range(12))
    assert one == two == dask


def test_base_plan_breakage_is_named() -> None:
    p = problem(
        3,
        measure("a", scope("s", benefit=5.0, horizon=3, gates={"pub": 50.0})),
        series=[Series("pub", "Public", (ranged(55, 40, 60),) * 3)],
    )
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None and base.plan.assignment("a") is not None
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, ("baseline:pub/T0:value",))
    low, high = run_scenarios(job, [[45.0], [58.0]])
    assert low.base_broken == ("support: a (Public)",)
    assert low.base_value is None and low.regret is None
    assert high.base_broken == () and high.regret == pytest.approx(0.0)


# -- robust plans --------------------------------------------------------------------------


def test_risk_measures() -> None:
    values = [1.0, 2.0, 3.0, 10.0]
    assert risk(values, RiskMeasure.MEAN, 0.5, True) == 4.0
    assert risk(values, RiskMeasure.WORST, 0.5, True) == 1.0
    assert risk(values, RiskMeasure.CVAR, 0.5, True) == pytest.approx(1.5)
    assert risk(values, RiskMeasure.CVAR, 1.0, True) == pytest.approx(4.0)
    assert risk(values, RiskMeasure.CVAR, 0.25, True) == pytest.approx(1.0)
    assert risk(values, RiskMeasure.CVAR, 0.5, False) == pytest.approx(6.5)


def gated_problem() -> Problem:
    """A gated measure whose threshold is uncertain, and a sure but smaller one."""
    return problem(
        4,
        measure("big", scope("s", benefit=6.0, horizon=4, gates={"pub": 50.0})),
        measure("small", scope("s", benefit=2.0, horizon=4)),
        resources=[budget("reserve", 1.0)],
        series=[Series("pub", "Public", (ranged(52, 45, 56),) * 4)],
    )


@pytest.mark.parametrize("how", list(RiskMeasure))
def test_robust_plan_holds_everywhere_and_beats_the_base_plan(how: RiskMeasure) -> None:
    p = gated_problem()
    p = replace(
        p,
        measures=tuple(
            replace(m, scopes=tuple(replace(s, use={"reserve": e(1)}) for s in m.scopes))
            for m in p.measures
        ),
    )
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None and base.plan.assignment("big") is not None
    samples = draw(sites(p), 12, seed=1)
    scenarios = [with_values(p, samples.scenario(k)) for k in range(12)]
    result = robust_plan(scenarios, OBJECTIVE, SETTINGS, how, 0.25, base.plan)
    assert result.plan is not None
    robust_score = score(result.plan, scenarios, OBJECTIVE)
    assert robust_score.feasible == 12
    base_score = score(base.plan, scenarios, OBJECTIVE)
    assert base_score.feasible < 12  # the base plan breaks its gate in some scenarios
    assert result.plan.assignment("small") is not None
    values = [v for v in robust_score.values if v is not None]
    assert result.objective == pytest.approx(risk(values, how, 0.25, True))


def test_robust_plan_is_never_worse_than_the_base_plan_on_its_sample() -> None:
    # Only benefits are uncertain: the base plan holds in every scenario, so it is a
    # candidate, and the robust plan must be at least as good on the SAA sample.
    p = synthetic_problem(4, 2, 8, 2)
    p = replace(
        p,
        series=tuple(
            replace(s, baseline=tuple(Estimate.exact(v.base) for v in s.baseline)) for s in p.series
        ),
    )
    found = [s for s in sites(p) if s.path.startswith("scopes:") and s.path.endswith(":benefit")]
    samples = draw(found, 6, seed=3)
    scenarios = [with_values(p, samples.scenario(k)) for k in range(6)]
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None
    base_values = score(base.plan, scenarios, OBJECTIVE).values
    assert all(v is not None for v in base_values)
    for how in RiskMeasure:
        result = robust_plan(scenarios, OBJECTIVE, SETTINGS, how, 0.5, base.plan)
        assert result.objective is not None
        base_risk = risk([v for v in base_values if v is not None], how, 0.5, True)
        assert result.objective >= base_risk - 1e-6 * max(1.0, abs(base_risk))


# -- sensitivity ---------------------------------------------------------------------------


def test_tornado_and_break_even_match_the_hand_calculation() -> None:
    p = threshold_problem(Distribution.TRIANGULAR)
    found = sites(p)
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None and base.objective is not None
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, tuple(s.path for s in found))
    ordered = tornado(swings(job, found, base.plan), base.objective)
    benefit = next(s for s in ordered if s.site.path == "scopes:a/s:benefit")
    # Benefit 0 .. 10 around 6, cost 4: at 0 the measure leaves (value 2 lost), at 10 it gains 4.
    assert benefit.low.leaves == ("a",) and benefit.low.plan_changes
    assert benefit.change(benefit.low, base.objective) == pytest.approx(-2.0)
    assert benefit.change(benefit.high, base.objective) == pytest.approx(4.0)
    assert not benefit.high.plan_changes
    assert ordered[0].width(base.objective) >= ordered[-1].width(base.objective)
    thresholds = break_evens(job, ordered, 5)
    found_a = [b for b in thresholds if b.measure == "a"]
    assert len(found_a) == 1 and not found_a[0].enters
    assert found_a[0].threshold == pytest.approx(4.0, abs=0.01)
    found_b = [b for b in thresholds if b.measure == "b"]
    assert len(found_b) == 1 and found_b[0].threshold == pytest.approx(5.0, abs=0.01)


def test_break_even_beyond_the_range_when_no_swing_drops_a_measure() -> None:
    # a's benefit ranges 5..10 around 6 and it costs 4: it stays at every end of its range,
    # and leaves only when its benefit falls below 4, outside the range.
    p = threshold_problem()
    a = p.measure_by_id["a"]
    narrowed = replace(a, scopes=(replace(a.scopes[0], benefit=ranged(6, 5, 10)),))
    p = replace(p, measures=(narrowed, p.measure_by_id["b"]))
    found = [s for s in sites(p) if s.path == "scopes:a/s:benefit"]
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None and base.objective is not None
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, tuple(s.path for s in found))
    ordered = tornado(swings(job, found, base.plan), base.objective)
    assert not ordered[0].low.leaves and not ordered[0].high.leaves
    (beyond,) = break_evens(job, ordered, 5)
    assert beyond.measure == "a" and not beyond.enters and beyond.beyond_range
    assert beyond.threshold == pytest.approx(4.0, abs=0.01) and beyond.threshold < 4.0
    assert break_evens(job, ordered, 0) == []


def test_a_measure_others_need_stays_in_even_at_zero_benefit() -> None:
    # a costs 1 and lifts support by 10 points once in force; b (worth 20) needs 55 %
    # support, which only a brings. So a stays in at any benefit, down to zero.
    a = Measure(
        "a",
        "a",
        (replace(scope("s", horizon=4, use={"cap": 1.0}), benefit=ranged(6, 5, 10)),),
    )
    b = measure("b", scope("s", benefit=20.0, horizon=4, earliest=1, gates={"pub": 55}))
    p = problem(
        4,
        a,
        b,
        resources=[renewable("cap", 10, price=1)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[measure_effect("a", "pub", 10)],
    )
    found = [s for s in sites(p) if s.path == "scopes:a/s:benefit"]
    base = solve(p, OBJECTIVE, SETTINGS)
    assert base.plan is not None and base.objective is not None
    assert {x.measure for x in base.plan.assignments} == {"a", "b"}
    job = Job(p, OBJECTIVE, SETTINGS, base.plan, tuple(s.path for s in found))
    ordered = tornado(swings(job, found, base.plan), base.objective)
    (stays,) = break_evens(job, ordered, 5)
    assert stays.measure == "a" and stays.threshold is None and stays.towards == 0.0


# -- command line --------------------------------------------------------------------------


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    write_problem(threshold_problem(), tmp_path / "input")
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "tiny"\ninput = "input"\noutput = "out"\n\n[solver]\ntime_limit = 30\n',
        encoding="utf-8",
    )
    return model


def test_simulate_writes_its_outputs_and_report(tiny_model: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            str(tiny_model),
            "--samples",
            "20",
            "--seed",
            "3",
            "--workers",
            "1",
            "--report",
        ],
    )
    assert result.exit_code == 0, result.output
    out = tiny_model.parent / "out"
    document = json.loads((out / "simulation.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.simulation/1"
    assert document["samples"] == 20 and document["seed"] == 3
    assert {m["measure"] for m in document["measures"]} == {"a", "b"}
    rows = (out / "scenarios.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 20 * 2
    assert len((out / "samples.csv").read_text(encoding="utf-8").splitlines()) == 21
    page = (out / "report.html").read_text(encoding="utf-8")
    for part in ('id="core_index-chart"', 'id="signing-chart"', 'id="regret-chart"', "Core index"):
        assert part in page
    assert "Core index" in result.output
    first = (out / "simulation.json").read_bytes()
    again = runner.invoke(
        app, ["simulate", str(tiny_model), "--samples", "20", "--seed", "3", "--workers", "2"]
    )
    assert again.exit_code == 0, again.output
    assert (out / "simulation.json").read_bytes() == first


def test_scheduler_without_dask_is_refused_plainly(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = runner.invoke(app, ["simulate", str(tiny_model), "--scheduler", "local"])
    assert result.exit_code == 2
    assert "needs Dask" in result.output
    assert not (tiny_model.parent / "out").exists()


def test_sensitivity_command(tiny_model: Path) -> None:
    result = runner.invoke(app, ["sensitivity", str(tiny_model), "--workers", "1", "--report"])
    assert result.exit_code == 0, result.output
    out = tiny_model.parent / "out"
    document = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.sensitivity/1"
    assert len(document["swings"]) == 2
    assert any("leaves the optimal plan" in b["text"] for b in document["break_even"])
    assert len((out / "sensitivity.csv").read_text(encoding="utf-8").splitlines()) == 3
    assert 'id="tornado-chart"' in (out / "report.html").read_text(encoding="utf-8")


def test_solve_robust_command(tiny_model: Path) -> None:
    result = runner.invoke(
        app,
        [
            "solve",
            str(tiny_model),
            "--robust",
            "8",
            "--robust-measure",
            "cvar",
            "--cvar-level",
            "0.25",
            "--check-samples",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tiny_model.parent / "out" / "robust.json").read_text(encoding="utf-8"))
    assert document["schema"] == "seqopt.robust/1"
    assert document["risk_measure"] == "cvar" and document["scenarios"] == 8
    assert document["out_of_sample"]["robust"]["scenarios"] == 30
    assert set(document["in_sample"]) == {"robust", "base"}
    assert math.isfinite(document["value"])


def test_makespan_models_simulate_and_get_a_robust_plan() -> None:
    from seqopt.data import Force
    from seqopt.settings import ObjectiveKind

    makespan = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
    p = problem(
        8,
        measure("a", replace(scope("s", horizon=8), duration=ranged(2, 1, 3)), force=Force.IN),
        measure("b", replace(scope("s", horizon=8), duration=ranged(2, 1, 4)), force=Force.IN),
        resources=[renewable("team", 1)],
    )
    p = replace(
        p,
        measures=tuple(
            replace(m, scopes=tuple(replace(s, use={"team": e(1)}) for s in m.scopes))
            for m in p.measures
        ),
    )
    base = solve(p, makespan, SETTINGS)
    assert base.objective == 4
    samples = draw(sites(p), 10, seed=1)
    job = Job(p, makespan, SETTINGS, base.plan, samples.paths)
    for outcome, row in zip(
        run_scenarios(job, samples.values.tolist()), samples.values, strict=True
    ):
        assert outcome.value == sum(row)  # one team: the durations add up
        assert outcome.regret is None or outcome.regret >= 0
    scenarios = [with_values(p, samples.scenario(k)) for k in range(10)]
    result = robust_plan(scenarios, makespan, SETTINGS, RiskMeasure.WORST, 1.0, base.plan)
    assert result.plan is not None
    assert result.objective == max(v or 0 for v in score(result.plan, scenarios, makespan).values)


def test_report_leaves_out_a_simulation_of_another_input(tiny_model: Path) -> None:
    result = runner.invoke(
        app, ["simulate", str(tiny_model), "--samples", "5", "--workers", "1", "--report"]
    )
    assert result.exit_code == 0, result.output
    out = tiny_model.parent / "out"
    assert (out / "core_index.svg").exists()
    path = out / "simulation.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["input"]["sha256"] = "0" * 64
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert 'id="core_index-chart"' not in (out / "report.html").read_text(encoding="utf-8")
    assert not (out / "core_index.svg").exists()


def test_a_forced_measure_that_support_never_allows_makes_a_scenario_infeasible() -> None:
    # Nothing is left to decide, so the model has no variables: HiGHS calls such a
    # model "empty" and would return an empty plan unless the 0 = 1 row is caught.
    p = problem(
        4,
        measure("a", scope(gates={"pub": 90}), force=Force.IN),
        series=[series("pub", 50, 50, 50, 60)],
    )
    fast = solve(p, OBJECTIVE, SETTINGS, repeated=True)
    assert fast.status.value == solve(p, OBJECTIVE, SETTINGS).status.value == "infeasible"
    assert fast.plan is None


# -- the objective's estimates: discount rate and terminal ---------------------------------


def test_the_discount_rate_and_terminal_are_swung_like_the_inputs_estimates() -> None:
    """``a`` costs 4 in T0 and yields 1 a period from T1 plus ``terminal`` periods beyond.

    Undiscounted its value is ``1 + n - 4``: chosen iff more than 3 periods count
    beyond the horizon. Terminal 4 (range 0-8): +1 at base, left out at 0 (value 0),
    +5 at 8. At a discount rate of 20 % it is worth ``sum(1.2 ** -t, t = 1..5) - 4``.
    """
    p = problem(
        2,
        measure("a", scope("s", 1.0, 1, horizon=2, use={"cap": 4.0})),
        resources=[renewable("cap", 10, price=1)],
    )
    objective = ObjectiveSettings(terminal=4, terminal_range=(0, 8), discount_rate_range=(0.0, 0.2))
    found = all_sites(p, objective)
    assert [s.path for s in found] == ["objective:discount_rate", "objective:terminal"]
    base = solve(p, objective, SETTINGS)
    assert base.plan is not None and base.objective == pytest.approx(1.0)
    job = Job(p, objective, SETTINGS, base.plan, tuple(s.path for s in found))
    by_path = {s.site.path: s for s in swings(job, found, base.plan)}
    terminal = by_path["objective:terminal"]
    assert terminal.low.leaves == ("a",) and terminal.low.outcome.value == pytest.approx(0.0)
    assert terminal.change(terminal.high, 1.0) == pytest.approx(4.0)
    rate = by_path["objective:discount_rate"]
    worth = sum(1.2**-t for t in range(1, 6)) - 4  # below zero: left out
    assert worth < 0 and rate.high.leaves == ("a",)
    assert objective_with_values(objective, {"objective:terminal": 6.0}).terminal == 6
    with pytest.raises(ValueError, match="whole numbers"):
        objective_with_values(objective, {"objective:terminal": 6.5})
    (beyond,) = [
        b
        for b in break_evens(job, tornado(list(by_path.values()), 1.0), 5)
        if b.site.path == "objective:terminal"
    ]
    assert beyond.threshold == 3.0 and not beyond.enters  # at 3 periods it is worth 0: out


def test_objective_ranges_are_read_from_the_model_file_and_checked(tmp_path: Path) -> None:
    from seqopt.settings import read_model_file

    write_problem(threshold_problem(), tmp_path / "input")
    model = tmp_path / "model.toml"
    body = '[model]\ninput = "input"\n\n[objective]\n'
    model.write_text(
        body + "discount_rate = 0.02\ndiscount_rate_low = 0.01\ndiscount_rate_high = 0.05\n"
        'terminal = 8\nterminal_low = 4\nterminal_high = 16\ndistribution = "uniform"\n',
        encoding="utf-8",
    )
    read = read_model_file(model).objective
    assert read.discount_rate_range == (0.01, 0.05) and read.terminal_range == (4, 16)
    assert read.distribution is Distribution.UNIFORM
    model.write_text(
        body + "discount_rate = 0.02\ndiscount_rate_low = 0.03\nterminal = 'perpetuity'\n"
        "terminal_high = 9\ndistribution = 'normal'\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_model_file(model)
    found = [str(i).split(", setting ")[1] for i in caught.value.issues]
    assert found == [
        "objective.distribution: must be one of 'triangular', 'uniform', 'pert', got 'normal'.",
        "objective.discount_rate_low: must be a number from 0 to objective.discount_rate, "
        "got 0.03.",
        "objective.terminal_high: a range needs objective.terminal as a whole number of periods, "
        "got 9.",
    ]


def test_simulate_draws_the_objectives_estimates(tiny_model: Path) -> None:
    text = tiny_model.read_text(encoding="utf-8")
    tiny_model.write_text(
        text + "\n[objective]\ndiscount_rate = 0.02\ndiscount_rate_high = 0.05\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["simulate", str(tiny_model), "--samples", "8", "--workers", "1"])
    assert result.exit_code == 0, result.output
    out = tiny_model.parent / "out"
    header = (out / "samples.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "objective:discount_rate" in header
    rates = [
        float(line.split(",")[header.index("objective:discount_rate")])
        for line in (out / "samples.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    assert min(rates) >= 0.02 and max(rates) <= 0.05 and len(set(rates)) == 8
