"""The frozen past: what a planner has seen (observed) and done (freeze), as a problem to solve."""

from __future__ import annotations

from dataclasses import replace

import pytest

from random_dynamics import CONCEPTS, dynamic_problem
from seqopt.data import CauseKind, Effect, Estimate, Event, Force, Problem, Series
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveSettings, SolverName, SolverSettings
from seqopt.solve import solve
from seqopt.uncertainty.estimates import happens_path, with_values
from seqopt.uncertainty.freeze import GHOST, carried, decisions, freeze, ghost_scope, pinned_plan
from seqopt.uncertainty.observe import SEEN, observed
from seqopt.uncertainty.record import Negotiation, Record

from builders import (
    budget,
    e,
    lever,
    lever_effect,
    measure,
    problem,
    renewable,
    requires,
    scope,
)
from random_problems import tiny_problem

OBJECTIVE = ObjectiveSettings()
SETTINGS = SolverSettings(name=SolverName.HIGHS, time_limit=30, warm_start=False)


def carried_series(*runs: tuple[int, float]) -> Series:
    """A series whose values carry forward: ``(first period, value)`` for each poll."""
    values: list[Estimate] = []
    for (first, value), following in zip(runs, [*runs[1:], (6, 0.0)], strict=True):
        estimate = Estimate(value, value - 5, value + 5)
        values += [estimate] * (following[0] - first)
    return Series("s", "support", tuple(values))


def gated(horizon: int = 6, threshold: float = 55.0) -> Problem:
    """``a`` (two periods, gated), then ``b`` (requires ``a``); a lever lifts support."""
    return problem(
        horizon,
        measure("a", scope("s", 10, 2, horizon=horizon, use={"cap": 1}, gates={"s": threshold})),
        measure("b", scope("s", 4, 1, horizon=horizon, use={"cap": 1})),
        resources=[renewable("cap", 2, price=0.5)],
        levers=[lever("push", 2, latest=horizon - 1, use={"cap": 1})],
        series=[carried_series((0, 52.0), (3, 50.0))],
        effects=[lever_effect("push", "s", 4, decay=0.5)],
        dependencies=[requires("b", "a")],
    )


# -- what the planner sees -----------------------------------------------------------------


def test_a_poll_is_seen_for_every_period_it_covers_and_the_next_one_is_not() -> None:
    belief = gated()
    truth = with_values(belief, {"baseline:s/T0:value": 56.0, "baseline:s/T3:value": 44.0})
    seen = observed(belief, truth, Record(1))
    assert [v.base for v in seen.series[0].baseline] == [56, 56, 56, 50, 50, 50]
    later = observed(belief, truth, Record(4))
    assert [v.base for v in later.series[0].baseline] == [56, 56, 56, 44, 44, 44]
    assert observed(belief, truth, Record(0)) == belief


def test_an_effect_is_seen_once_it_has_begun() -> None:
    belief = gated()
    truth = with_values(belief, {"effects:lever:push/*/s:amount": 2.0})
    used = Record(1, lever_uses=(LeverUse("push", 0),))
    assert observed(belief, truth, used).effects[0].amount.base == 2.0
    not_yet = Record(1)
    assert observed(belief, truth, not_yet).effects[0].amount.base == 4.0


def test_durations_are_seen_when_concluded_and_bounded_while_running() -> None:
    belief = gated()
    running = Record(3, (Negotiation("a", "s", 0),))
    assert observed(belief, belief, running).measure_by_id["a"].scope("s").length == 4
    concluded = Record(4, (Negotiation("a", "s", 0, signed=2),))
    assert observed(belief, belief, concluded).measure_by_id["a"].scope("s").length == 3


def test_random_events_seen_become_a_scheduled_copy_and_the_future_stays_random() -> None:
    belief = replace(
        gated(),
        events=(Event("shock", "shock", probability=e(0.3)),),
        effects=(*gated().effects, Effect(CauseKind.EVENT, "shock", "s", e(-3))),
    )
    event = belief.events[0]
    truth = with_values(belief, {happens_path(belief, event, t): float(t == 1) for t in range(6)})
    seen = observed(belief, truth, Record(3))
    random, copy = seen.events
    assert random.probability is not None and random.earliest == 3
    assert copy.id == f"shock{SEEN}" and copy.periods == (1,)
    assert sum(1 for x in seen.effects if x.cause == copy.id) == 1


# -- what is done, pinned --------------------------------------------------------------------


def test_nothing_done_and_nothing_seen_leaves_the_problem_as_it_is() -> None:
    for seed in range(10):
        p, objective = tiny_problem(seed)
        assert freeze(p, Record(0), objective) == p
    for concept in (*CONCEPTS, "mixed"):
        p, objective = dynamic_problem(3, concept)
        assert freeze(p, Record(0), objective) == p


def test_a_negotiation_under_way_is_forced_at_its_start_with_a_failing_ghost() -> None:
    record = Record(1, (Negotiation("a", "s", 0),))
    frozen = freeze(gated(), record, OBJECTIVE)
    a = frozen.measure_by_id["a"]
    assert a.force is Force.IN
    assert [(s.id, s.earliest_start, s.latest_finish) for s in a.scopes] == [
        ("s", 0, 1),
        (ghost_scope("s"), 0, 1),
    ]
    assert not a.scope(ghost_scope("s")).gates
    # b needs a in force: only the real signing brings it in.
    assert frozen.dependencies[0].other_scope == "s"
    result = solve(frozen, OBJECTIVE, SETTINGS)
    assert result.plan is not None
    # Support 52 plus the lever (4) reaches 55 at the signing in T1: the real scope, and b.
    assert result.plan.assignment("a") == Assignment("a", "s", 0)
    assert result.plan.assignment("b") == Assignment("b", "s", 2)
    # What to do now (T1): frame, so that the signing in T1 goes through.
    assert decisions(result.plan, record) == Plan.of([], [LeverUse("push", 1)])


def test_the_ghost_is_taken_when_the_gate_is_out_of_reach_and_nothing_is_built_on_it() -> None:
    belief = gated(threshold=70)
    record = Record(1, (Negotiation("a", "s", 0),))
    result = solve(freeze(belief, record, OBJECTIVE), OBJECTIVE, SETTINGS)
    assert result.plan is not None
    assert result.plan.assignment("a") == Assignment("a", ghost_scope("s"), 0)
    assert result.plan.assignment("b") is None
    assert not result.plan.lever_uses  # no support bought for a signing that fails anyway


def test_a_failed_signing_is_paid_for_brings_nothing_and_blocks_what_requires_it() -> None:
    record = Record(3, (Negotiation("a", "s", 0, signed=1, failed=True),))
    frozen = freeze(gated(), record, OBJECTIVE)
    a = frozen.measure_by_id["a"]
    assert a.force is Force.IN and a.scopes[0].benefit.base == 0 and not a.scopes[0].gates
    assert frozen.measure_by_id["b"].force is Force.OUT
    result = solve(frozen, OBJECTIVE, SETTINGS)
    assert result.plan is not None and result.plan.assignment("b") is None


def test_the_past_is_not_judged_again() -> None:
    # a was signed in T1 although the model's threshold (70) says support (52) was short.
    record = Record(2, (Negotiation("a", "s", 0, signed=1),))
    frozen = freeze(gated(threshold=70), record, OBJECTIVE)
    result = solve(frozen, OBJECTIVE, SETTINGS)
    assert result.plan is not None
    assert result.plan.assignment("a") == Assignment("a", "s", 0)
    assert result.plan.assignment("b") == Assignment("b", "s", 2)  # a is in force: b follows


def test_lever_uses_made_become_events_that_keep_lifting_support() -> None:
    belief = gated()
    record = Record(2, (Negotiation("a", "s", 0, signed=1),), (LeverUse("push", 1),))
    frozen = freeze(belief, record, OBJECTIVE)
    assert frozen.lever_by_id["push"].max_uses == 1
    assert frozen.lever_by_id["push"].earliest == 2
    (used,) = [x for x in frozen.events if GHOST in x.id or "used" in x.id]
    assert used.periods == (1,)
    later = Plan.of([Assignment("a", "s", 0)])
    frozen_support = evaluate(frozen, later, OBJECTIVE).support["s"]
    truth_support = evaluate(belief, record.plan(), OBJECTIVE).support["s"]
    assert frozen_support[2:] == pytest.approx(truth_support[2:])


def test_commitments_beyond_what_a_period_offers_raise_its_capacity() -> None:
    belief = replace(gated(), resources=(renewable("cap", 2, price=0.5, t2=0.5), budget("fund", 1)))
    belief = replace(
        belief,
        measures=(
            replace(
                belief.measures[0],
                scopes=(replace(belief.measures[0].scopes[0], use={"cap": e(1), "fund": e(3)}),),
            ),
            belief.measures[1],
        ),
    )
    record = Record(2, (Negotiation("a", "s", 0),))
    running = observed(belief, with_values(belief, {"scopes:a/s:duration": 3}), record)
    frozen = freeze(running, record, OBJECTIVE)
    cap, fund = frozen.resources
    assert cap.capacity_in(2) == pytest.approx(1.0)
    assert fund.capacity.base == pytest.approx(3.0)
    assert solve(frozen, OBJECTIVE, SETTINGS).plan is not None


def test_the_previous_plan_carries_over_as_a_start() -> None:
    record = Record(1, (Negotiation("a", "s", 0),), (LeverUse("push", 0),))
    earlier = Plan.of(
        [Assignment("a", "s", 0), Assignment("b", "s", 2)],
        [LeverUse("push", 0), LeverUse("push", 1)],
    )
    frozen = freeze(gated(), record, OBJECTIVE)
    start = carried(earlier, frozen, record)
    assert start == Plan.of(
        [Assignment("a", "s", 0), Assignment("b", "s", 2)], [LeverUse("push", 1)]
    )
    assert evaluate(frozen, start, OBJECTIVE).feasible
    assert pinned_plan(frozen, record) == Plan.of([Assignment("a", "s", 0)])
