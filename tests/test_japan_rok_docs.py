"""docs/japan_rok.md and docs/backtest.md say what the three Japan–ROK models produce.

The tables between fact markers are recomputed from the models (``japan_rok_facts``);
the numbers quoted in the prose around them are recomputed here. And the article's
recommendations stay findings: no input rule may hard-code one.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from japan_rok_facts import BLOCKS, DOCS, MODELS, SIMULATION, blocks_in, scheduled, solved
from seqopt.data import DependencyKind, Force
from seqopt.evaluate import evaluate
from seqopt.explain.reasons import explain_measure
from seqopt.plan import Plan
from seqopt.solve import Status, solve


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {page.name: page.read_text(encoding="utf-8") for page in DOCS}


def prose(text: str) -> str:
    """A page with its line breaks and indents as single spaces, to find sentences in."""
    return " ".join(text.split())


def test_every_fact_block_is_on_a_page_once(pages: dict[str, str]) -> None:
    found = [name for text in pages.values() for name in blocks_in(text)]
    assert sorted(found) == sorted(BLOCKS)


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_each_fact_block_matches_the_models(pages: dict[str, str], name: str) -> None:
    (body,) = [blocks_in(text)[name] for text in pages.values() if name in blocks_in(text)]
    assert body == BLOCKS[name](), (
        f"the {name!r} block no longer matches the models: run "
        "'.venv/bin/python tests/japan_rok_facts.py --write' and read the prose around it again"
    )


def test_the_numbers_in_the_prose_are_the_models(pages: dict[str, str]) -> None:
    doc, backtest = prose(pages["japan_rok.md"]), prose(pages["backtest.md"])
    late, replay, history = (solved(n) for n in MODELS)
    # Late 2013: GSOMIA at once, in secret, back above 60 two quarters on, far above the
    # review bar.
    gsomia = scheduled(late, "gsomia")
    assert gsomia is not None and gsomia.signing == 0
    support = late.evaluation.support["kr_gsomia"]
    back = next(t for t in range(gsomia.signing + 1, late.problem.horizon) if support[t] >= 60)
    assert f"back above 60 by {late.label(back)}" in doc
    margin = min(r.levels[0][1] - r.levels[0][2] for r in late.evaluation.reviews)
    assert f"at least {margin:.1f} points above the review bar" in doc
    # 2012: 11 points short in June; 49.0 with the plan's framing; 55.2 when signed.
    replay_gsomia = scheduled(replay, "gsomia")
    assert replay_gsomia is not None
    signed = replay.evaluation.support["kr_gsomia"][replay_gsomia.signing]
    assert f"at {signed:.1f} against 55" in doc
    moved = Plan.of(
        [
            replace(a, start=0) if a.measure == "gsomia" else a
            for a in replay.evaluation.plan.assignments
        ],
        replay.evaluation.plan.lever_uses,
    )
    early = evaluate(replay.problem, moved, replay.model.objective).support["kr_gsomia"][0]
    explain_page = prose((DOCS[0].parent / "explain.md").read_text(encoding="utf-8"))
    for page in (doc, explain_page):
        assert f"would be {early:.1f} at signing, below 55" in page
    assert f"is {signed:.1f} against 55" in explain_page
    reason = explain_measure(
        replay.problem, replay.model.objective, replay.evaluation, "gsomia"
    ).text
    assert f"would be {early:.1f} at signing, below 55" in reason
    assert f"starts in {replay.label(replay_gsomia.start)}" in reason
    assert "not 2012Q2" in reason
    # Counterfactual values quoted in the prose.
    rows = BLOCKS["counterfactuals"]()
    for quoted in ("8.84", "0.99"):
        assert f"(-{quoted})" in rows and quoted in doc
    # History: the Yasukuni visit's quarter, and the last review.
    first = history.evaluation.support["kr_gsomia"][0]
    assert f"support to {first:.0f}, still above the bar of 55" in doc
    assert f"support to {first:.0f}, still above the bar of 55" in backtest
    last = history.evaluation.reviews[-1]
    assert f"in {history.label(last.period)} at {last.levels[0][1]:.1f} against a bar of 45" in (
        backtest
    )
    # The simulation's latest signing of GSOMIA.
    latest = BLOCKS["simulation"]().split("quarter GSOMIA is first signed | ")[1]
    last_quarter = latest.split(" |")[0].split(", ")[-1].split(" ")[0]
    assert f"signs it later than {last_quarter}" in backtest
    assert f"{SIMULATION[0]} scenarios, seed {SIMULATION[1]}" in doc


def test_no_recommendation_is_typed_into_the_input() -> None:
    """A rule that would hard-code one of the article's recommendations fails this test.

    ACSA first would be a ``requires`` row from GSOMIA to ACSA; narrow first, a full
    text closed at the start (or GSOMIA forced); framing and public negotiation, levers
    that cost nothing. Each recommendation is left to the optimiser, and its mechanism
    (an effect, a lower bar, a backlash) is what the input says instead.
    """
    for name in MODELS:
        problem = solved(name).problem
        assert not [
            d
            for d in problem.dependencies
            if d.kind is DependencyKind.REQUIRES and {d.measure, d.other} & {"gsomia", "acsa"}
        ], name
        gsomia = problem.measure_by_id["gsomia"]
        assert gsomia.force is Force.FREE and problem.measure_by_id["acsa"].force is Force.FREE
        assert all(s.earliest_start == 0 for s in gsomia.scopes), name
        assert gsomia.upgrade("narrow", "full") is not None
        for lever_id in ("nk_threat", "transparent_talks", "humanitarian_acsa"):
            lever = problem.lever_by_id[lever_id]
            assert lever.use["capital"].base > 0 and lever.max_uses >= problem.horizon, lever_id
        assert any(
            b.measure == "gsomia" and b.lever == "transparent_talks" for b in problem.backlashes
        )
        assert any(e.cause == "acsa" and e.series == "kr_gsomia" for e in problem.effects)


def test_the_2012_replay_cannot_sign_in_june_2012() -> None:
    """On the 2012 poll no plan signs GSOMIA in 2012Q2: forced to, the model is infeasible."""
    replay = solved("japan_rok_2012")
    gsomia = scheduled(replay, "gsomia")
    assert gsomia is not None and gsomia.signing > 0
    measure = replay.problem.measure_by_id["gsomia"]
    june = replace(
        measure,
        force=Force.IN,
        scopes=tuple(replace(s, latest_finish=0) for s in measure.scopes),
        upgrades=(),
    )
    problem = replace(
        replay.problem,
        measures=tuple(june if m.id == "gsomia" else m for m in replay.problem.measures),
    )
    result = solve(problem, replay.model.objective, replay.model.solver)
    assert result.status is Status.INFEASIBLE
