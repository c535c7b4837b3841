"""Hand-checkable fixtures, one per constraint kind: the optimal plan is obvious by reading."""

from __future__ import annotations

import pytest

from seqopt.data import Force, Problem
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import Status, solve

from builders import (
    budget,
    excludes,
    lever,
    lever_effect,
    measure,
    measure_effect,
    problem,
    renewable,
    requires,
    scope,
    series,
    together,
)

VALUE = ObjectiveSettings()
EXACT = SolverSettings(gap=0.0)


def best(p: Problem, objective: ObjectiveSettings = VALUE) -> Plan:
    result = solve(p, objective, EXACT)
    assert result.status is Status.OPTIMAL, result.status
    assert result.plan is not None
    return result.plan


def starts(plan: Plan) -> dict[str, tuple[str, int]]:
    return {a.measure: (a.scope, a.start) for a in plan.assignments}


def test_earliest_start_holds_a_measure_back() -> None:
    p = problem(5, measure("a", scope(benefit=1, earliest=2, horizon=5)))
    assert starts(best(p)) == {"a": ("s", 2)}


def test_latest_finish_and_horizon_leave_room_for_the_duration() -> None:
    # Value is earned after signing; the window forces signing by T2 at the latest.
    p = problem(5, measure("a", scope(benefit=1, duration=2, earliest=1, latest=2, horizon=5)))
    assert starts(best(p)) == {"a": ("s", 1)}


def test_force_in_takes_a_losing_measure_and_force_out_drops_a_winning_one() -> None:
    costly = scope(benefit=0.1, use={"cap": 5})
    p = problem(
        4,
        measure("loser", costly, force=Force.IN),
        measure("winner", scope(benefit=10), force=Force.OUT),
        resources=[renewable("cap", 10, price=1)],
    )
    assert starts(best(p)) == {"loser": ("s", 0)}


def test_one_scope_per_measure_the_better_one() -> None:
    p = problem(4, measure("a", scope("narrow", 2), scope("full", 3)))
    assert starts(best(p)) == {"a": ("full", 0)}


def test_requires_with_lag_waits_for_entry_into_force_plus_lag() -> None:
    # b requires a, lag 1: a starts T0, signs T0, in force T1; b may start T2.
    p = problem(
        5,
        measure("a", scope(horizon=5)),
        measure("b", scope(horizon=5)),
        dependencies=[requires("b", "a", lag=1)],
    )
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 2)}


def test_requires_binds_only_the_named_scope() -> None:
    # Only b's full scope needs a; a is not worth doing on its own (cost 2 > benefit).
    p = problem(
        4,
        measure("a", scope(benefit=0.5, use={"cap": 1})),
        measure("b", scope("narrow", 2), scope("full", 2.2)),
        resources=[renewable("cap", 5, price=2)],
        dependencies=[requires("b", "a", scope="full")],
    )
    assert starts(best(p)) == {"b": ("narrow", 0)}


def test_requires_pulls_in_a_prerequisite_worth_less_than_it_costs() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=0.5, use={"cap": 1})),
        measure("b", scope(benefit=10)),
        resources=[renewable("cap", 5, price=1)],
        dependencies=[requires("b", "a")],
    )
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 1)}


def test_excludes_keeps_the_better_of_two() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=2)),
        measure("b", scope(benefit=3)),
        dependencies=[excludes("a", "b")],
    )
    assert starts(best(p)) == {"b": ("s", 0)}


def test_together_takes_both_when_the_pair_pays() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=0.1, use={"cap": 1})),
        measure("b", scope(benefit=5)),
        measure("c", scope(benefit=0.1, use={"cap": 3})),
        measure("d", scope(benefit=0.2)),
        resources=[renewable("cap", 5, price=1)],
        dependencies=[together("a", "b"), together("c", "d")],
    )
    # a+b is worth 15.3 - 1; c+d is worth 0.9 - 3 < 0, so neither c nor d.
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 0)}


def test_renewable_capacity_sequences_negotiations() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=3, use={"cap": 1})),
        measure("b", scope(benefit=2, use={"cap": 1})),
        resources=[renewable("cap", 1)],
    )
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 1)}


def test_capacity_override_blocks_one_period() -> None:
    p = problem(
        4, measure("a", scope(benefit=1, use={"cap": 1})), resources=[renewable("cap", 1, t0=0)]
    )
    assert starts(best(p)) == {"a": ("s", 1)}


def test_budget_allows_only_one_of_two() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=2, use={"money": 2})),
        measure("b", scope(benefit=3, use={"money": 2})),
        resources=[budget("money", 3)],
    )
    assert starts(best(p)) == {"b": ("s", 0)}


def test_support_gate_waits_for_the_baseline() -> None:
    p = problem(4, measure("a", scope(gates={"pub": 55})), series=[series("pub", 50, 50, 56, 56)])
    assert starts(best(p)) == {"a": ("s", 2)}


def test_lever_buys_support_in_the_signing_period() -> None:
    # Without the lever a waits until T3; a use in T0 (+5, lasting) lets it sign at once.
    p = problem(
        4,
        measure("a", scope(benefit=10, gates={"pub": 55})),
        levers=[lever("frame", 1)],
        series=[series("pub", 50, 50, 50, 56)],
        effects=[lever_effect("frame", "pub", 5)],
    )
    plan = best(p)
    assert starts(plan) == {"a": ("s", 0)}
    assert plan.lever_uses == (LeverUse("frame", 0),)


def test_lever_delay_means_using_it_a_period_ahead() -> None:
    # Effect starts one period after use and lasts one period (decay 1): use T1, sign T2.
    p = problem(
        4,
        measure("a", scope(benefit=10, gates={"pub": 55}, earliest=2)),
        levers=[lever("frame", 1)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[lever_effect("frame", "pub", 5, delay=1, decay=1.0)],
    )
    plan = best(p)
    assert starts(plan) == {"a": ("s", 2)}
    assert plan.lever_uses == (LeverUse("frame", 1),)


def test_decay_makes_one_use_too_weak_later() -> None:
    # +6 decaying by half: 56, 53, 51.5... A needs 55 at signing: only T0 or the period of use.
    p = problem(
        4,
        measure("a", scope(benefit=1, gates={"pub": 55}, earliest=2)),
        levers=[lever("frame", 1)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[lever_effect("frame", "pub", 6, decay=0.5)],
    )
    plan = best(p)
    assert starts(plan) == {"a": ("s", 2)}
    assert plan.lever_uses == (LeverUse("frame", 2),)


def test_max_uses_limits_a_lever() -> None:
    # a (worth 9) and b (worth 10) each need +5 in their own period; the one-period effect
    # and a single use allow only one of them.
    p = problem(
        4,
        measure("a", scope(benefit=3, gates={"pub": 55}, latest=0)),
        measure("b", scope(benefit=10, gates={"pub": 55}, earliest=2, latest=2)),
        levers=[lever("frame", 1)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[lever_effect("frame", "pub", 5, decay=1.0)],
    )
    plan = best(p)
    assert starts(plan) == {"b": ("s", 2)}


def test_measure_in_force_paves_the_way() -> None:
    # ACSA-like a in force (from T1, effect after delay 1: T2) lifts support for b.
    p = problem(
        5,
        measure("a", scope(benefit=1, horizon=5)),
        measure("b", scope(benefit=5, gates={"pub": 55}, horizon=5)),
        series=[series("pub", 50, 50, 50, 50, 50)],
        effects=[measure_effect("a", "pub", 5, delay=1)],
    )
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 2)}


def test_negative_effect_makes_b_sign_before_a_bites() -> None:
    # a in force lowers support by 10 from T2; b must sign while support is still 60.
    p = problem(
        4,
        measure("a", scope(benefit=3)),
        measure("b", scope(benefit=1, gates={"pub": 55}, earliest=1)),
        series=[series("pub", 60, 60, 60, 60)],
        effects=[measure_effect("a", "pub", -10, delay=1)],
    )
    assert starts(best(p)) == {"a": ("s", 0), "b": ("s", 1)}


def test_scope_specific_effect_applies_only_to_that_scope() -> None:
    p = problem(
        4,
        measure("a", scope("narrow", 1.0), scope("full", 0.9)),
        measure("b", scope(benefit=5, gates={"pub": 55})),
        series=[series("pub", 50, 50, 50, 50)],
        effects=[measure_effect("a", "pub", 5, scope="full")],
    )
    assert starts(best(p)) == {"a": ("full", 0), "b": ("s", 1)}


def test_discounting_and_terminal_value_by_hand() -> None:
    # Benefit 10 in force T1..T3 at 10 % a period, plus 2 terminal periods (T4, T5).
    p = problem(4, measure("a", scope(benefit=10)))
    objective = ObjectiveSettings(discount_rate=0.1, terminal=2)
    evaluation = evaluate(p, Plan.of([Assignment("a", "s", 0)]), objective)
    expected = sum(10 / 1.1**t for t in (1, 2, 3, 4, 5))
    assert evaluation.benefit == pytest.approx(expected, rel=1e-12)
    perpetuity = ObjectiveSettings(discount_rate=0.1, terminal="perpetuity")
    evaluation = evaluate(p, Plan.of([Assignment("a", "s", 0)]), perpetuity)
    assert evaluation.benefit == pytest.approx(
        sum(10 / 1.1**t for t in (1, 2, 3)) + 10 / 1.1**4 / (1 - 1 / 1.1)
    )


def test_costs_are_discounted_where_the_resource_is_used() -> None:
    p = problem(
        4,
        measure("a", scope(benefit=0, duration=2, use={"cap": 1, "money": 3})),
        resources=[renewable("cap", 5, price=2), budget("money", 5, price=1)],
    )
    objective = ObjectiveSettings(discount_rate=0.1)
    evaluation = evaluate(p, Plan.of([Assignment("a", "s", 1)]), objective)
    assert evaluation.cost == pytest.approx(2 / 1.1 + 2 / 1.21 + 3 / 1.1)


def test_makespan_of_two_forced_measures_sharing_capacity() -> None:
    p = problem(
        8,
        measure("a", scope(duration=2, use={"cap": 1}, horizon=8), force=Force.IN),
        measure("b", scope(duration=3, use={"cap": 1}, horizon=8), force=Force.IN),
        measure("c", scope(duration=1, horizon=8)),
        resources=[renewable("cap", 1)],
    )
    result = solve(p, ObjectiveSettings(kind=ObjectiveKind.MAKESPAN), EXACT)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(5)
    assert result.plan is not None and {a.measure for a in result.plan.assignments} == {"a", "b"}


def test_equally_priced_levers_tie_towards_the_one_listed_first() -> None:
    # Either lever lifts support enough and costs the same: the first listed is used,
    # whichever solver runs.
    p = problem(
        4,
        measure("a", scope(benefit=10, gates={"pub": 55}, use={"cap": 1})),
        levers=[lever("first", 1, use={"cap": 1}), lever("second", 1, use={"cap": 1})],
        resources=[renewable("cap", 2, price=1)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[lever_effect("second", "pub", 5), lever_effect("first", "pub", 5)],
    )
    for solver in (EXACT, SolverSettings(name=SolverName.CBC, gap=0.0)):
        result = solve(p, VALUE, solver)
        assert result.plan is not None
        assert result.plan.lever_uses == (LeverUse("first", 0),)


def test_a_gratuitous_lever_use_is_dropped() -> None:
    # A free lever changes nothing: the plan does not use it.
    p = problem(
        4,
        measure("a", scope(benefit=1, gates={"pub": 40})),
        levers=[lever("free", 2)],
        series=[series("pub", 50, 50, 50, 50)],
        effects=[lever_effect("free", "pub", 5)],
    )
    assert best(p).lever_uses == ()


def test_a_forced_measure_that_support_never_allows_is_infeasible_with_a_note() -> None:
    p = problem(
        4,
        measure("a", scope(gates={"pub": 90}), force=Force.IN),
        series=[series("pub", 50, 50, 50, 50)],
    )
    result = solve(p, VALUE, EXACT)
    assert result.status is Status.INFEASIBLE
    assert result.plan is None
    assert any("must be done" in note for note in result.notes)
