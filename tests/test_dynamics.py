"""Hand-checkable fixtures, one per policy dynamic, with the plan and value worked out.

Every fixture has no discounting, so a benefit of ``b`` in force for ``n``
periods is worth ``b * n``; each docstring gives the candidate plans and why
the expected one is best. The fixtures are solved by the PuLP model (HiGHS)
and by the array engine, and hand-made plans are scored by the evaluator.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Effect,
    Event,
    Gate,
    Measure,
    Problem,
    Substitute,
    Upgrade,
)
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, LeverUse, Plan, UpgradeStart
from seqopt.settings import ObjectiveSettings, RandomEvents, SolverName, SolverSettings
from seqopt.solve import Status, solve

from builders import (
    e,
    lever,
    lever_effect,
    measure,
    problem,
    renewable,
    requires,
    scope,
    series,
)

EXACT = SolverSettings(gap=0.0, time_limit=60)
PLAIN = ObjectiveSettings()


def _solved(p: Problem, objective: ObjectiveSettings = PLAIN) -> tuple[Plan, float]:
    """The optimal plan and value, the same from HiGHS on arrays and through PuLP."""
    result = solve(p, objective, EXACT)
    pulp = solve(p, objective, replace(EXACT, name=SolverName.HIGHS_PULP))
    assert result.status is Status.OPTIMAL and pulp.status is Status.OPTIMAL
    assert result.plan is not None and result.objective is not None
    assert pulp.plan == result.plan and pulp.objective == pytest.approx(result.objective)
    return result.plan, result.objective


# -- staged scope ----------------------------------------------------------------------


def staged() -> Problem:
    """Periods T0-T3; GSOMIA narrow (benefit 1, 1 period) or wide (benefit 3, 1 period,
    needs support 60 that the flat baseline 50 never reaches); the upgrade narrow -> wide
    takes 1 period and has no gate."""
    narrow = scope("narrow", 1.0)
    wide = scope("wide", 3.0, gates={"s": 60})
    upgrade = Upgrade("narrow", "wide", e(1), 0, 3)
    gsomia = replace(measure("m", narrow, wide), upgrades=(upgrade,))
    return problem(4, gsomia, series=[series("s", 50, 50, 50, 50)])


def test_staged_scope_signs_narrow_then_widens() -> None:
    """Wide directly: never (support 50 < 60). Narrow from T0, in force T1-T3: 3.
    Narrow from T0, widened from T1 (in force since T1; signed T1; wide from T2):
    1 (T1) + 3 + 3 (T2, T3) = 7. Widening later loses 2 per period: 7 is best."""
    plan, value = _solved(staged())
    assert plan.assignments == (Assignment("m", "narrow", 0),)
    assert plan.upgrades == (UpgradeStart("m", "wide", 1),)
    assert value == pytest.approx(7.0)
    unwidened = evaluate(staged(), Plan.of(plan.assignments), PLAIN)
    assert unwidened.feasible and unwidened.objective == pytest.approx(3.0)


def test_an_upgrade_before_entry_into_force_breaks_a_rule() -> None:
    """Narrow from T0 is in force from T1: an upgrade starting in T0 is too early."""
    plan = Plan.of([Assignment("m", "narrow", 0)], upgrades=[UpgradeStart("m", "wide", 0)])
    result = evaluate(staged(), plan, PLAIN)
    assert [v.rule for v in result.violations] == ["upgrade"]
    assert "before the measure is in force" in result.violations[0].message


# -- renewal and lapse -----------------------------------------------------------------


def renewing() -> Problem:
    """Periods T0-T3; one measure (benefit 2, 1 period) reviewed every period in force
    against support 50; baseline 55, 55, 49, 55; a framing lever (+3 for one period)
    used at most once, costing 1 (one unit of capital at price 1)."""
    agreement = replace(
        measure("m", scope("s", 2.0, use={"capital": 0})),
        renew_every=1,
        maintain=(Gate("p", e(50)),),
    )
    return problem(
        4,
        agreement,
        series=[series("p", 55, 55, 49, 55)],
        resources=[renewable("capital", 10, price=1.0)],
        levers=[lever("frame", 1, use={"capital": 1})],
        effects=[lever_effect("frame", "p", 3.0, decay=1.0)],
    )


def test_framing_at_the_review_keeps_an_agreement_in_force() -> None:
    """Signed T0, in force from T1, reviewed in T1 (55), T2 (49) and T3 (55).
    Without framing it fails in T2 and is out of force from T3: 2 + 2 = 4.
    Framing in T2 lifts support to 52: in force T1-T3, 6 - 1 = 5. Best: 5."""
    plan, value = _solved(renewing())
    assert plan.assignments == (Assignment("m", "s", 0),)
    assert plan.lever_uses == (LeverUse("frame", 2),)
    assert value == pytest.approx(5.0)
    lapsing = evaluate(renewing(), Plan.of(plan.assignments), PLAIN)
    assert lapsing.feasible and lapsing.objective == pytest.approx(4.0)
    assert lapsing.scheduled[0].lapse == 3
    assert [(r.period, r.passed) for r in lapsing.reviews] == [(1, True), (2, False)]


def test_a_lapse_ends_in_force_effects() -> None:
    """The agreement now lowers support by 10 while in force (baseline 60, 60, 49, 60) and
    two periods are counted after the horizon; a second measure (benefit 5, signed in T3
    at the earliest, in force after the horizon) needs support 55. Signed T0, the
    agreement is reviewed in T1 (50: kept) and T2 (39: short), so it is out of force
    from T3, its effect stops, support in T3 is back at 60 and the second measure can be
    signed: 2 + 2 (T1, T2) + 5 * 2 (after the horizon) = 14. Had the agreement been kept,
    support in T3 would be 50 and the second measure could not be signed."""
    agreement = replace(measure("m", scope("s", 2.0)), renew_every=1, maintain=(Gate("p", e(50)),))
    second = measure("n", scope("s", 5.0, earliest=3, gates={"p": 55}))
    p = problem(
        4,
        agreement,
        second,
        series=[series("p", 60, 60, 49, 60)],
        effects=[Effect(CauseKind.MEASURE, "m", "p", e(-10))],
    )
    two = ObjectiveSettings(terminal=2)
    plan = Plan.of([Assignment("m", "s", 0), Assignment("n", "s", 3)])
    scored = evaluate(p, plan, two)
    assert scored.feasible and scored.objective == pytest.approx(14.0)
    assert scored.support["p"] == (60.0, 50.0, 39.0, 60.0)
    assert [(r.period, r.passed) for r in scored.reviews] == [(1, True), (2, False)]
    best, value = _solved(p, two)
    assert best == plan and value == pytest.approx(14.0)


def test_support_just_below_a_maintain_threshold_is_too_close_to_call() -> None:
    """Support 49.9995 against 50 at a review: neither clearly kept nor clearly short."""
    p = renewing()
    p = replace(p, series=(series("p", 55, 55, 49.9995, 55),))
    result = evaluate(p, Plan.of([Assignment("m", "s", 0)]), PLAIN)
    assert [v.rule for v in result.violations] == ["renewal"]


# -- outside events ----------------------------------------------------------------------


def eventful() -> Problem:
    """Periods T0-T2, one period beyond counted (terminal 1); one measure (benefit 1,
    1 period, one negotiating team, needs support 50); baseline 52. A court ruling in T0
    lowers support by 5 for one period and takes the team in T1; a random missile test
    (probability 0.5 in every period) adds 6 for one period."""
    m = measure("m", scope("s", 1.0, horizon=3, use={"team": 1}, gates={"p": 50}))
    ruling = Event("ruling", "ruling", periods=(0,))
    test = Event("test", "test", probability=e(0.5))
    return problem(
        3,
        m,
        series=[series("p", 52, 52, 52)],
        resources=[renewable("team", 1)],
        effects=[
            Effect(CauseKind.EVENT, "ruling", "p", e(-5), decay=e(1.0)),
            Effect(CauseKind.EVENT, "test", "p", e(6), decay=e(1.0)),
        ],
        events=[ruling, test],
        capacity_shifts=[CapacityShift("ruling", "team", e(-1), delay=1, decay=e(1.0))],
    )


TERMINAL = ObjectiveSettings(terminal=1)


def test_scheduled_events_move_support_and_capacity() -> None:
    """Support is 47, 52, 52 and the team is away in T1. Signing in T0: support 47 < 50.
    Starting in T1: no team. Starting in T2: in force after the horizon, worth the
    terminal period only: 1. Without the events: signed T0, in force T1, T2 and after: 3."""
    plan, value = _solved(eventful(), TERMINAL)
    assert plan.assignments == (Assignment("m", "s", 2),)
    assert value == pytest.approx(1.0)
    calm = replace(eventful(), events=(), capacity_shifts=(), effects=())
    assert _solved(calm, TERMINAL)[1] == pytest.approx(3.0)


def test_random_events_count_by_their_expected_value_when_asked() -> None:
    """Expected value: the test adds 0.5 * 6 = 3 in every period, so support in T0 is
    47 + 3 = 50 and the measure is signed in T0: 3."""
    expected = replace(TERMINAL, random_events=RandomEvents.EXPECTED)
    plan, value = _solved(eventful(), expected)
    assert plan.assignments == (Assignment("m", "s", 0),)
    assert value == pytest.approx(3.0)
    happenings = evaluate(eventful(), plan, expected).happenings
    assert {(h.event, h.period, h.weight) for h in happenings} >= {("test", 0, 0.5)}


# -- substitutes -------------------------------------------------------------------------


def overlapping(overlap: float) -> Problem:
    """Periods T0-T2; A (benefit 3) and B (benefit 2), each 1 period, overlapping by
    ``overlap`` per period while both are in force."""
    return problem(
        3,
        measure("a", scope("s", 3.0, horizon=3)),
        measure("b", scope("s", 2.0, horizon=3)),
        substitutes=[Substitute("a", "b", e(overlap))],
    )


def test_substitutes_share_their_benefit() -> None:
    """Both from T0 (in force T1, T2): (3 + 2 - 2.5) * 2 = 5. A alone: 6. B alone: 4.
    A from T0 and B from T1 (in force T2 only): 6 + 2 - 2.5 = 5.5. Best: A alone, 6.
    With an overlap of 1 both pay: (3 + 2 - 1) * 2 = 8."""
    plan, value = _solved(overlapping(2.5))
    assert plan.assignments == (Assignment("a", "s", 0),)
    assert value == pytest.approx(6.0)
    plan, value = _solved(overlapping(1.0))
    assert [a.measure for a in plan.assignments] == ["a", "b"]
    assert value == pytest.approx(8.0)
    both = evaluate(
        overlapping(2.5), Plan.of([Assignment("a", "s", 0), Assignment("b", "s", 0)]), PLAIN
    )
    assert both.overlap == pytest.approx(5.0) and both.objective == pytest.approx(5.0)


# -- backlash ----------------------------------------------------------------------------


def backlashing() -> Problem:
    """Periods T0-T3; A (benefit 1, 1 period) then B (benefit 2, 1 period, requires A in
    force, needs support 50); baseline 52. Signing A without the transparency lever in
    its negotiation lowers support by 5 for good from the next period. The lever moves
    no support and costs 0.5."""
    return problem(
        4,
        measure("a", scope("s", 1.0, use={"capital": 0})),
        measure("b", scope("s", 2.0, gates={"p": 50})),
        series=[series("p", 52, 52, 52, 52)],
        resources=[renewable("capital", 10, price=0.5)],
        levers=[lever("open", 1, use={"capital": 1})],
        dependencies=[requires("b", "a")],
        backlashes=[Backlash("a", "open", "p", e(-5))],
    )


def test_transparency_averts_a_backlash_that_would_block_the_next_step() -> None:
    """A from T0 without the lever: support 47 from T1, B never signs: 3. A from T0 with
    the lever in T0: B from T1 (in force T2, T3): 3 + 4 - 0.5 = 6.5. Best: 6.5. Without
    the backlash rule the lever is not worth its price: 7."""
    plan, value = _solved(backlashing())
    assert plan.assignments == (Assignment("a", "s", 0), Assignment("b", "s", 1))
    assert plan.lever_uses == (LeverUse("open", 0),)
    assert value == pytest.approx(6.5)
    secret = evaluate(backlashing(), Plan.of([Assignment("a", "s", 0)]), PLAIN)
    assert [b.measure for b in secret.backlashes] == ["a"]
    assert secret.support["p"] == (52.0, 47.0, 47.0, 47.0)
    assert _solved(replace(backlashing(), backlashes=()))[1] == pytest.approx(7.0)


# -- which dynamics a problem uses ---------------------------------------------------------


def test_problems_say_which_dynamics_they_use() -> None:
    plain = problem(2, measure("m"))
    assert not plain.uses_dynamics
    cases = {
        "uses_upgrades": staged(),
        "uses_renewals": renewing(),
        "uses_events": eventful(),
        "uses_substitutes": overlapping(1.0),
        "uses_backlash": backlashing(),
    }
    flags = ("uses_upgrades", "uses_renewals", "uses_events", "uses_substitutes", "uses_backlash")
    for name, p in cases.items():
        assert p.uses_dynamics
        assert [getattr(p, flag) for flag in flags] == [flag == name for flag in flags], name
    assert not replace(
        renewing(), measures=(replace(renewing().measures[0], maintain=()),)
    ).uses_renewals
    assert isinstance(staged().measures[0], Measure)
