"""The policy dynamics through the stack: input sheets, errors, plan files, reports, examples.

``tests/data/dynamics`` is the minimal input with every optional sheet filled:
alpha renews every two periods (maintain 48), beta can be widened from narrow
to full, a scheduled court ruling and a random missile test, alpha and beta's
full scope overlap, and signing beta without framing costs a backlash.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.errors import InputError
from seqopt.generate import synthetic_problem
from seqopt.io.convert import convert
from seqopt.io.plan_file import read_plan_file
from seqopt.io.reader import read_problem
from seqopt.io.tables import read_tables
from seqopt.io.writer import problem_grids, write_problem
from seqopt.plan import UpgradeStart
from seqopt.schema import SHEETS
from seqopt.settings import ObjectiveSettings, SolverSettings, read_model_file
from seqopt.solve import Status, solve
from seqopt.uncertainty.estimates import event_draws, sites, with_values
from seqopt.uncertainty.robust import robust_plan
from seqopt.uncertainty.sampling import draw, with_events
from seqopt.uncertainty.scenarios import Job, run_scenarios
from seqopt.validate import problem_issues

ROOT = Path(__file__).resolve().parents[1]
DYNAMICS = Path(__file__).parent / "data" / "dynamics"
MINIMAL = Path(__file__).parent / "data" / "minimal"
EXAMPLES = ("staged_scope", "renewal", "events", "substitutes", "backlash")
runner = CliRunner()


def _grids(folder: Path) -> dict[str, list[list[str]]]:
    grids = {}
    for file in sorted(folder.glob("*.csv")):
        with file.open(newline="", encoding="utf-8") as handle:
            grids[file.stem] = list(csv.reader(handle))
    return grids


def _edit(folder: Path, sheet: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` as a spreadsheet counts it (the header is row 1)."""
    rows = _grids(folder)[sheet]
    rows[row - 1][rows[0].index(column)] = value
    with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


# -- reading and writing -------------------------------------------------------------------


def test_the_dynamics_sheets_are_read_into_the_problem() -> None:
    problem = read_problem(DYNAMICS)
    alpha, beta = problem.measures
    assert alpha.renew_every == 2 and [g.threshold.base for g in alpha.maintain] == [48]
    (upgrade,) = beta.upgrades
    assert (upgrade.from_scope, upgrade.to_scope, upgrade.length, upgrade.earliest_start) == (
        "narrow",
        "full",
        1,
        1,
    )
    assert dict(upgrade.use)["capital"].base == 1 and upgrade.gates[0].threshold.base == 53
    ruling, test = problem.events
    assert ruling.periods == (1,) and not ruling.random
    assert test.random and test.probability is not None and test.probability.high == 0.3
    assert test.earliest == 1 and test.latest is None
    assert problem.capacity_shifts[0].amount.base == -1
    assert problem.substitutes[0].other_scope == "full"
    assert problem.backlashes[0].lever == "framing" and problem.backlashes[0].amount.low == -5
    assert problem.uses_dynamics


def test_an_input_without_the_optional_sheets_reads_as_before() -> None:
    problem = read_problem(MINIMAL)
    assert not problem.uses_dynamics
    assert {s.name for s in SHEETS if s.optional} == {
        "maintain",
        "upgrades",
        "upgrade_use",
        "upgrade_gates",
        "events",
        "event_capacity",
        "substitutes",
        "backlash",
    }


def test_writing_a_problem_and_reading_it_back_loses_nothing(tmp_path: Path) -> None:
    problem = read_problem(DYNAMICS)
    write_problem(problem, tmp_path / "again")
    again = read_problem(tmp_path / "again")
    assert problem_grids(again) == problem_grids(problem)
    write_problem(problem, tmp_path / "again.xlsx")
    assert problem_grids(read_problem(tmp_path / "again.xlsx")) == problem_grids(problem)


def test_convert_keeps_every_cell_of_the_new_sheets(tmp_path: Path) -> None:
    convert(DYNAMICS, tmp_path / "w.xlsx")
    assert {"maintain", "upgrades", "events", "backlash"} <= set(
        read_tables(tmp_path / "w.xlsx").sheets
    )
    convert(tmp_path / "w.xlsx", tmp_path / "back")
    assert _grids(tmp_path / "back") == _grids(DYNAMICS)


def test_a_scheduled_event_may_happen_in_several_periods(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(DYNAMICS, folder)
    with (folder / "events.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["ruling", "", "P4", "", "", "", "", "", ""]
        )
    problem = read_problem(folder)
    assert problem.event_by_id["ruling"].periods == (1, 3)
    write_problem(problem, tmp_path / "written")
    assert read_problem(tmp_path / "written").event_by_id["ruling"].periods == (1, 3)


# -- bad input: one cell, one message ------------------------------------------------------

BROKEN = [
    (
        "maintain",
        2,
        "measure",
        "gamma",
        "maintain.csv, sheet maintain, row 2, column measure",
        "must name a measure listed in sheet measures",
    ),
    (
        "measures",
        2,
        "renew_every",
        "0",
        "sheet measures, row 2, column renew_every",
        "must be a whole number >= 1",
    ),
    (
        "measures",
        3,
        "renew_every",
        "2",
        "sheet measures, row 3, column renew_every",
        "a measure that renews needs at least one row in sheet maintain",
    ),
    (
        "events",
        3,
        "period",
        "P3",
        "sheet events, row 3, column period",
        "a random event has a probability or a period, not both",
    ),
    (
        "events",
        3,
        "probability",
        "1.5",
        "sheet events, row 3, column probability",
        "must be a number from 0 to 1",
    ),
    (
        "upgrade_use",
        2,
        "to_scope",
        "huge",
        "sheet upgrade_use, row 2, column to_scope",
        "must name an upgrade (measure, from_scope, to_scope) of sheet upgrades",
    ),
    (
        "upgrades",
        2,
        "to_scope",
        "huge",
        "sheet upgrades, row 2, column to_scope",
        "must name a scope of measure 'beta'",
    ),
    (
        "upgrades",
        2,
        "to_scope",
        "narrow",
        "sheet upgrades, row 2, column to_scope",
        "an upgrade must lead to another scope",
    ),
    (
        "backlash",
        2,
        "lever",
        "secrecy",
        "sheet backlash, row 2, column lever",
        "must name a lever listed in sheet levers",
    ),
    (
        "substitutes",
        2,
        "overlap",
        "-1",
        "sheet substitutes, row 2, column overlap",
        "must be a number >= 0",
    ),
    (
        "substitutes",
        2,
        "other_measure",
        "alpha",
        "sheet substitutes, row 2, column other_measure",
        "a measure cannot substitute for itself",
    ),
    (
        "event_capacity",
        2,
        "resource",
        "reserve",
        "sheet event_capacity, row 2, column resource",
        "events move the capacity of renewable resources only",
    ),
    (
        "effects",
        4,
        "cause",
        "quake",
        "sheet effects, row 4, column cause",
        "must name an event listed in sheet events",
    ),
    ("scopes", 3, "scope", "a→b", "sheet scopes, row 3, column scope", "must not contain '→'"),
]


@pytest.mark.parametrize(
    ("sheet", "row", "column", "value", "where", "rule"),
    BROKEN,
    ids=[f"{b[0]}-{b[2]}-{b[3]}" for b in BROKEN],
)
def test_a_bad_cell_of_a_dynamics_sheet_is_reported_at_that_cell(
    tmp_path: Path, sheet: str, row: int, column: str, value: str, where: str, rule: str
) -> None:
    folder = tmp_path / "input"
    shutil.copytree(DYNAMICS, folder)
    _edit(folder, sheet, row, column, value)
    with pytest.raises(InputError) as caught:
        read_problem(folder)
    messages = [str(issue) for issue in caught.value.issues]
    assert any(where in m and rule in m for m in messages), messages


def test_every_problem_is_listed_at_once_and_the_command_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(DYNAMICS, folder)
    _edit(folder, "maintain", 2, "threshold", "120")
    _edit(folder, "backlash", 2, "series", "mood")
    _edit(folder, "events", 2, "period", "P9")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "column threshold" in result.output and "column series" in result.output
    assert "column period" in result.output and "Traceback" not in result.output


# -- plans: files, solving, reports ----------------------------------------------------------


def _model(tmp_path: Path, input_path: Path, objective: str = "") -> Path:
    model = tmp_path / "model.toml"
    model.write_text(
        f'[model]\nname = "dyn"\ninput = "{input_path.as_posix()}"\n'
        f'output = "{(tmp_path / "out").as_posix()}"\n[objective]\nterminal = 1\n{objective}',
        encoding="utf-8",
    )
    return model


def test_a_hand_made_plan_can_widen_a_measure(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.csv"
    plan_file.write_text(
        "kind,id,scope,period\nmeasure,alpha,,P1\nmeasure,beta,narrow,P2\nupgrade,beta,,P3\n"
        "lever,framing,,P2\n",
        encoding="utf-8",
    )
    problem = read_problem(DYNAMICS)
    plan = read_plan_file(plan_file, problem)
    assert plan.upgrades == (UpgradeStart("beta", "full", 2),)
    result = runner.invoke(
        app, ["check", str(plan_file), "--model", str(_model(tmp_path, DYNAMICS))]
    )
    assert "widened" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,id,scope,period\nmeasure,alpha,,P1\nupgrade,alpha,,P3\n", encoding="utf-8")
    with pytest.raises(InputError, match="can be widened to"):
        read_plan_file(bad, problem)


def test_plan_json_keeps_upgrades_reviews_and_dynamics_for_the_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(_model(tmp_path, DYNAMICS)), "--report"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    for key in ("upgrades", "reviews", "backlashes", "overlaps", "events"):
        assert key in document
    widened = [s for s in document["schedule"] if s["upgrade"]]
    assert widened and widened[0]["upgrade"]["scope"] == "full"
    assert document["reviews"] and document["support"]["public"]["maintain"]
    again = read_plan_file(tmp_path / "out" / "plan.json", read_problem(DYNAMICS))
    assert again.upgrades == tuple(
        UpgradeStart(u["measure"], u["scope"], document["periods"].index(u["start"]))
        for u in document["upgrades"]
    )
    roadmap = (tmp_path / "out" / "roadmap.svg").read_text(encoding="utf-8")
    assert 'id="widening-beta"' in roadmap
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "widening Beta to Full" in summary and "Review of Alpha" in summary


def test_random_events_count_only_when_the_model_file_asks(tmp_path: Path) -> None:
    problem = read_problem(DYNAMICS)
    ignored = solve(problem, ObjectiveSettings(terminal=1), SolverSettings())
    assert ignored.evaluation is not None
    assert {h.event for h in ignored.evaluation.happenings} == {"ruling"}
    model = read_model_file(_model(tmp_path, DYNAMICS, 'random_events = "expected"\n'))
    assert model.objective.random_events.value == "expected"
    expected = solve(problem, model.objective, SolverSettings())
    assert expected.evaluation is not None
    assert {h.event for h in expected.evaluation.happenings} == {"ruling", "test"}
    bad = _model(tmp_path, DYNAMICS, 'random_events = "sometimes"\n')
    with pytest.raises(InputError, match="must be 'ignore' or 'expected'"):
        read_model_file(bad)


# -- uncertainty ------------------------------------------------------------------------------


def test_every_new_estimate_is_a_site_that_can_be_varied() -> None:
    problem = read_problem(DYNAMICS)
    paths = {s.path for s in sites(problem)}
    assert {
        "maintain:alpha/public:threshold",
        "upgrades:beta/narrow/full:duration",
        "events:test:probability",
        "substitutes:alpha/*/beta/full:overlap",
        "backlash:beta/*/framing/public:amount",
    } <= paths
    varied = with_values(
        problem,
        {"substitutes:alpha/*/beta/full:overlap": 2.0, "upgrades:beta/narrow/full:duration": 2},
    )
    assert varied.substitutes[0].overlap.base == 2.0
    assert varied.measure_by_id["beta"].upgrades[0].length == 2


def test_random_events_are_drawn_per_scenario_from_their_probability() -> None:
    problem = read_problem(DYNAMICS)
    paths, rows = event_draws(problem, {}, 400, seed=3)
    assert paths == tuple(f"events:test/P{t}:happens" for t in range(2, 5))
    share = sum(map(sum, rows)) / (400 * len(paths))
    assert 0.15 < share < 0.25  # probability 0.2 per period
    assert event_draws(problem, {}, 400, seed=3) == (paths, rows)
    never = {"events:test:probability": [0.0] * 5}
    assert all(v == 0.0 for row in event_draws(problem, never, 5, 1)[1] for v in row)
    row = next(r for r in rows if sum(r) > 0)
    drawn = with_values(problem, dict(zip(paths, row, strict=True)))
    assert not drawn.event_by_id["test"].random
    # P2, P3, P4 are periods 1, 2, 3.
    assert drawn.event_by_id["test"].periods == tuple(
        t for t, v in enumerate(row, start=1) if v == 1.0
    )
    assert drawn.event_by_id["test"].periods


def test_simulated_events_give_the_same_results_on_any_number_of_workers() -> None:
    problem = read_problem(DYNAMICS)
    objective = ObjectiveSettings(terminal=1)
    samples = with_events(draw(sites(problem), 6, seed=5), problem)
    assert any(path.endswith(":happens") for path in samples.paths)
    job = Job(problem, objective, SolverSettings(), None, samples.paths)
    one = run_scenarios(job, samples.values.tolist(), workers=1)
    two = run_scenarios(job, samples.values.tolist(), workers=2)
    assert [(o.status, o.value, o.plan) for o in one] == [(o.status, o.value, o.plan) for o in two]


# -- the example models -------------------------------------------------------------------------


DOCUMENTED = {
    # name: (net value with, net value without), as docs/examples.md gives them
    "staged_scope": (46.03, 32.14),
    "renewal": (65.58, 66.51),
    "events": (22.98, 34.24),
    "substitutes": (36.65, 64.30),
    "backlash": (71.49, 72.47),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_changes_the_optimal_plan(name: str) -> None:
    """docs/examples.md: with its dynamic the plan differs from the one without it."""
    plans = {}
    for variant, documented in zip((name, f"{name}_without"), DOCUMENTED[name], strict=True):
        model = read_model_file(ROOT / "models" / "examples" / f"{variant}.toml")
        problem = read_problem(model.input)
        result = solve(problem, model.objective, model.solver)
        assert result.status is Status.OPTIMAL, variant
        assert result.objective == pytest.approx(documented, abs=0.005), variant
        plans[variant] = result.plan
    with_it, without = plans[name], plans[f"{name}_without"]
    assert with_it is not None and without is not None and with_it != without
    if name == "staged_scope":
        assert [u.scope for u in with_it.upgrades] == ["full"]
    if name == "substitutes":
        assert [a.measure for a in with_it.assignments] == ["tisa"]
    if name in ("renewal", "backlash"):
        assert with_it.lever_uses and not without.lever_uses


# -- synthetic problems ---------------------------------------------------------------------------


def test_synthetic_problems_can_have_every_dynamic_on_the_same_core(tmp_path: Path) -> None:
    plain = synthetic_problem(20, 3, 24, 1)
    dynamic = synthetic_problem(20, 3, 24, 1, dynamics=True)
    assert problem_issues(dynamic) == []
    assert not plain.uses_dynamics
    flags = ("uses_upgrades", "uses_renewals", "uses_events", "uses_substitutes", "uses_backlash")
    assert all(getattr(dynamic, flag) for flag in flags)
    assert [m.scopes for m in dynamic.measures] == [m.scopes for m in plain.measures]
    assert dynamic.dependencies == plain.dependencies and dynamic.levers == plain.levers
    result = runner.invoke(
        app, ["generate", str(tmp_path / "gen"), "--measures", "6", "--dynamics"]
    )
    assert result.exit_code == 0, result.output
    written = read_problem(tmp_path / "gen" / "input")
    assert written.uses_events and written.uses_substitutes


def test_a_robust_plan_can_widen_a_measure() -> None:
    """The upgrade variables are shared by the scenarios, like the starts."""
    model = read_model_file(ROOT / "models" / "examples" / "staged_scope.toml")
    problem = read_problem(model.input)
    longer = with_values(problem, {"scopes:gsomia/narrow:benefit": 3.5})
    chosen = robust_plan([problem, longer], model.objective, SolverSettings())
    assert chosen.status is Status.OPTIMAL and chosen.plan is not None
    assert [u.scope for u in chosen.plan.upgrades] == ["full"]
