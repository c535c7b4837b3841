"""The Japan–ROK reference model: three model files over one input, true to its sources.

What the models conclude is tested against docs/japan_rok.md and docs/backtest.md in
tests/test_japan_rok_docs.py; here: the files, the sources of every number, the calendar,
and the proof of the reference plan on two solvers.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from seqopt.data import Problem
from seqopt.io.scenario_files import load_problem
from seqopt.io.tables import Table, read_tables
from seqopt.settings import ModelFile, SolverName, read_model_file
from seqopt.solve import Status, solve
from seqopt.uncertainty.estimates import all_sites

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT.parent / "shared" / "seed" / "000_39557f306a3e4056.txt"
ARTICLE_COPY = Path(__file__).parent / "data" / "article.txt"
SOURCES_PAGE = ROOT / "docs" / "japan_rok.md"
INPUTS = (ROOT / "inputs" / "japan_rok", ROOT / "inputs" / "japan_rok_history")
QUOTE = re.compile(r"(?:(?<=\s)|(?<=\()|^)'([^']{12,}?)'(?=[\s,;.)]|$)")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
TAG = re.compile(r"\[(S\d+(?:, S\d+)*)\]")


def article() -> str:
    return ARTICLE_COPY.read_text(encoding="utf-8").replace("’", "'").replace("—", "-")


@pytest.fixture(scope="module")
def models() -> dict[str, tuple[ModelFile, Problem]]:
    found = {}
    for name in ("japan_rok", "japan_rok_2012", "japan_rok_history"):
        model = read_model_file(ROOT / "models" / f"{name}.toml")
        found[name] = (model, load_problem(model))
    return found


def rows() -> list[tuple[Table, int, dict[str, object]]]:
    """Every row of the input and of the history overlay, with its table."""
    found = []
    for folder in INPUTS:
        for table in read_tables(folder).sheets.values():
            found += [(table, row.number, dict(row.cells)) for row in table.rows]
    return found


def test_three_model_files_over_one_input(models: dict[str, tuple[ModelFile, Problem]]) -> None:
    late, replay, history = (
        models[n][0] for n in ("japan_rok", "japan_rok_2012", "japan_rok_history")
    )
    assert late.input == replay.input == history.input == ROOT / "inputs" / "japan_rok.xlsx"
    assert replay.scenario.files[0] == history.scenario.files[0] == late.path
    assert [o.path for o in history.scenario.overlays] == [INPUTS[1]]
    spans = {n: (p.periods[0], p.periods[-1]) for n, (_, p) in models.items()}
    assert spans == {
        "japan_rok": ("2013Q4", "2017Q4"),
        "japan_rok_2012": ("2012Q2", "2013Q1"),
        "japan_rok_history": ("2013Q4", "2019Q4"),
    }


def test_the_calendar_is_the_records(models: dict[str, tuple[ModelFile, Problem]]) -> None:
    """2013Q4 is the first quarter after the September 2013 poll; Park's term ran to 2018."""
    periods = {r[2]["period"]: r[2].get("source") for r in rows() if r[0].sheet == "periods"}
    assert "first quarter after the article's september 2013 poll" in str(periods["2013Q4"]).lower()
    assert "February 2018" in str(periods["2017Q4"]) and "removed" in str(periods["2017Q4"])
    _, late = models["japan_rok"]
    assert late.periods[0] == "2013Q4"
    elections = {
        late.periods[t]: v.base for t, v in late.resource_by_id["capital"].overrides.items()
    }
    assert elections == {"2014Q2": 1.5, "2016Q2": 1.5, "2017Q4": 1.5}
    _, history = models["japan_rok_history"]
    moved = {
        history.periods[t]: v.base for t, v in history.resource_by_id["capital"].overrides.items()
    }
    assert moved["2017Q2"] == 1.5 and moved["2017Q4"] == 3  # the snap election of May 2017


def test_the_model_carries_the_article_and_the_dynamics(
    models: dict[str, tuple[ModelFile, Problem]],
) -> None:
    _, problem = models["japan_rok"]
    assert {m.id for m in problem.measures} == {
        "acsa",
        "gsomia",
        "tisa",
        "naval_exercises",
        "air_exercises",
        "nk_coordination",
        "counter_piracy",
        "energy_security",
        "parliamentary_ties",
    }
    gsomia = problem.measure_by_id["gsomia"]
    assert {s.id for s in gsomia.scopes} == {"narrow", "full"}
    assert gsomia.upgrade("narrow", "full") is not None  # staged: narrow, then full
    assert gsomia.renew_every == 4 and gsomia.maintain  # a year at a time
    assert {(s.measure, s.other) for s in problem.substitutes} == {("gsomia", "tisa")}
    assert not problem.dependencies  # TISA does not need GSOMIA; ACSA first is no rule
    assert {b.lever for b in problem.backlashes if b.measure == "gsomia"} == {"transparent_talks"}
    assert {e.id for e in problem.events if e.random} == {"nk_provocation", "history_flareup"}
    assert [s.id for s in problem.series] == ["kr_gsomia", "kr_coop"]  # one public: Korea's
    assert problem.series_by_id["kr_gsomia"].baseline[0].base == 60  # September 2013 poll
    assert models["japan_rok_2012"][1].series_by_id["kr_gsomia"].baseline[0].base == 44
    scheduled = {e.id for e in models["japan_rok_history"][1].events if not e.random}
    assert "nk_nuclear_test" in scheduled and "export_controls" in scheduled


def test_every_row_has_a_source_and_every_estimate_a_reason() -> None:
    for table, number, cells in rows():
        where = f"{table.file} row {number}"
        source = str(cells.get("source") or "")
        if table.sheet == "periods":
            continue  # the calendar: its notable rows say why
        assert source, f"{where} has no source"
        ranged = any(
            cells.get(h) != cells.get(f"{h[:-4]}_high")
            for h in table.headers
            if h.endswith("_low") and cells.get(h) is not None
        )
        if ranged:
            assert "estimate" in source.lower(), (where, source)
        if source.lower().startswith("estimate"):
            reason = source.split(":", 1)[-1] if ":" in source else ""
            assert len(reason.split()) >= 4, f"{where}: an estimate needs a reason: {source!r}"


def test_what_claims_the_article_quotes_it() -> None:
    text = article()
    quotes = []
    for table, number, cells in rows():
        source = str(cells.get("source") or "")
        found = QUOTE.findall(source)
        if source.startswith("Article") or source.startswith("Article's"):
            assert found, f"{table.file} row {number} cites the article without quoting it"
        quotes += found
    assert len(quotes) >= 30
    for quote in quotes:
        assert quote in text, quote


def test_facts_from_outside_the_article_cite_a_listed_source() -> None:
    """A year the article does not give comes with a tag of docs/japan_rok.md's sources."""
    text = article()
    listed = set(re.findall(r"^\| (S\d+) \|", SOURCES_PAGE.read_text(encoding="utf-8"), re.M))
    assert listed == {f"S{k}" for k in range(1, len(listed) + 1)}
    for table, number, cells in rows():
        source = str(cells.get("source") or "")
        tags = {t for group in TAG.findall(source) for t in group.split(", ")}
        assert tags <= listed, (table.file, number, tags - listed)
        outside = [y for y in YEAR.findall(source) if y not in text]
        if outside:
            assert tags, f"{table.file} row {number}: {outside} needs a source tag: {source!r}"
    assert "2010" not in text  # the article dates nothing by 2010 (Yeonpyeong Island)
    assert all("2010" not in str(c.get("source") or "") for _, _, c in rows())


def test_lever_counts_are_no_claim_of_the_article(
    models: dict[str, tuple[ModelFile, Problem]],
) -> None:
    """The article gives no counts: a lever's uses are limited by its cost, not by a cap."""
    for _, problem in models.values():
        for lever in problem.levers:
            assert lever.max_uses >= problem.horizon
            assert "no cap" in lever.source.lower()


def test_the_discount_rate_and_terminal_are_estimates_with_ranges(
    models: dict[str, tuple[ModelFile, Problem]],
) -> None:
    for model, problem in models.values():
        objective = model.objective
        assert objective.discount_rate_range == (0.0, 0.05)
        assert objective.terminal_range == (4, 16)
        paths = [s.path for s in all_sites(problem, objective)]
        assert "objective:discount_rate" in paths and "objective:terminal" in paths


def test_the_reference_plan_is_proven_optimal_and_the_same_on_cbc(
    models: dict[str, tuple[ModelFile, Problem]],
) -> None:
    model, problem = models["japan_rok"]
    highs = solve(problem, model.objective, model.solver)
    assert highs.status is Status.OPTIMAL
    assert highs.evaluation is not None and highs.evaluation.feasible
    cbc = solve(problem, model.objective, dataclasses.replace(model.solver, name=SolverName.CBC))
    assert cbc.status is Status.OPTIMAL
    assert cbc.plan == highs.plan


def test_article_copy_matches_the_shared_seed() -> None:
    if not ARTICLE.exists():
        pytest.skip("../shared is not beside this checkout")
    assert ARTICLE_COPY.read_bytes() == ARTICLE.read_bytes()


def test_every_delay_and_lag_says_when() -> None:
    """Delays and lags cannot carry a range: their rows say what they are and why."""
    for table, number, cells in rows():
        source = str(cells.get("source") or "").lower()
        for column in ("delay", "lag"):
            if column in table.headers:
                assert column in source, f"{table.file} row {number}: say why {column} is as it is"
