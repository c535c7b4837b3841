"""The Japan–ROK reference model: valid, sourced, solved to proof, and explainable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seqopt.io.reader import read_problem
from seqopt.io.tables import read_tables
from seqopt.settings import read_model_file
from seqopt.solve import Status, solve

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT.parent / "shared" / "seed" / "000_39557f306a3e4056.txt"
ARTICLE_COPY = Path(__file__).parent / "data" / "article.txt"
QUOTE = re.compile(r"(?:(?<=\s)|(?<=\()|^)'([^']{12,}?)'(?=[\s,;.)]|$)")


@pytest.fixture(scope="module")
def model_and_problem():  # type: ignore[no-untyped-def]
    model = read_model_file(ROOT / "models" / "japan_rok.toml")
    return model, read_problem(model.input)


def test_reference_model_carries_the_article(model_and_problem) -> None:  # type: ignore[no-untyped-def]
    _, problem = model_and_problem
    ids = {m.id for m in problem.measures}
    assert {
        "acsa",
        "gsomia",
        "naval_exercises",
        "air_exercises",
        "nk_coordination",
        "missile_defense",
        "counter_piracy",
        "energy_security",
        "parliamentary_ties",
    } <= ids
    assert {s.id for s in problem.measure_by_id["gsomia"].scopes} == {"narrow", "full"}
    assert 12 <= problem.horizon <= 16
    assert len(problem.levers) >= 4
    assert any(d.measure == "gsomia" and d.other == "acsa" for d in problem.dependencies)
    gsomia_series = problem.series_by_id["kr_gsomia"]
    assert gsomia_series.baseline[0].base == 60  # September 2013 poll


def test_every_row_has_a_source_and_estimates_say_so() -> None:
    tables = read_tables(ROOT / "inputs" / "japan_rok")
    for name, table in tables.sheets.items():
        for row in table.rows:
            if name == "periods":
                continue  # one source row describes the horizon
            source = row.cells.get("source")
            assert source, f"{name} row {row.number} has no source"
            ranged = any(
                row.cells.get(f"{h[:-4]}_low") != row.cells.get(f"{h[:-4]}_high")
                for h in table.headers
                if h.endswith("_low")
            )
            if ranged:
                text = str(source).lower()
                assert "estimate" in text or "article" in text, (name, row.number, source)


def test_every_quotation_is_word_for_word_in_the_article() -> None:
    article = ARTICLE_COPY.read_text(encoding="utf-8")
    article = article.replace("’", "'").replace("—", "-")
    tables = read_tables(ROOT / "inputs" / "japan_rok")
    quotes = []
    for table in tables.sheets.values():
        for row in table.rows:
            # A quotation opens after a space or a bracket and closes before punctuation,
            # so apostrophes ("editor's", "series'") are not taken for quotation marks.
            quotes += QUOTE.findall(str(row.cells.get("source") or ""))
    assert len(quotes) >= 15
    for quote in quotes:
        assert quote in article, quote


def test_article_copy_matches_the_shared_seed() -> None:
    if not ARTICLE.exists():
        pytest.skip("../shared is not beside this checkout")
    assert ARTICLE_COPY.read_bytes() == ARTICLE.read_bytes()


def test_reference_plan_is_proven_optimal_and_follows_the_article(model_and_problem) -> None:  # type: ignore[no-untyped-def]
    model, problem = model_and_problem
    result = solve(problem, model.objective, model.solver)
    assert result.status is Status.OPTIMAL
    assert result.evaluation is not None and result.evaluation.feasible
    plan = {a.measure: a for a in result.evaluation.plan.assignments}
    acsa, gsomia = plan["acsa"], plan["gsomia"]
    # ACSA first: GSOMIA starts only once ACSA is in force.
    assert gsomia.start >= acsa.start + problem.scope("acsa", acsa.scope).length
    # GSOMIA waits until its support series reaches the threshold.
    signing = gsomia.start + problem.scope("gsomia", gsomia.scope).length - 1
    threshold = next(
        g for g in problem.scope("gsomia", gsomia.scope).gates if g.series == "kr_gsomia"
    )
    support = result.evaluation.support["kr_gsomia"]
    assert support[signing] >= threshold.threshold.base - 1e-6
    assert all(support[t] < threshold.threshold.base for t in range(signing))
    # Framing is part of the plan.
    assert {u.lever for u in result.evaluation.plan.lever_uses} & {"nk_threat", "humanitarian_acsa"}


def test_same_plan_with_cbc(model_and_problem) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from seqopt.settings import SolverName

    model, problem = model_and_problem
    highs = solve(problem, model.objective, model.solver)
    cbc = solve(problem, model.objective, dataclasses.replace(model.solver, name=SolverName.CBC))
    assert cbc.status is Status.OPTIMAL
    assert cbc.plan == highs.plan
