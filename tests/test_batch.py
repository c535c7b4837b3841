"""The vectorised evaluator agrees with the evaluator in every scenario, dynamics included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from random_dynamics import CONCEPTS, dynamic_problem
from random_ranges import random_plans, with_ranges
from seqopt.evaluate import TOLERANCE, evaluate
from seqopt.uncertainty.batch import score_batch
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.reliability import gate_cleared, on_schedule
from seqopt.uncertainty.sampling import draw, with_events
from seqopt.uncertainty.scenarios import broken_rule

from random_problems import tiny_problem

SCENARIOS = 6
PLANS = 6


def _agree(problem, objective, seed: int) -> None:
    ranged = with_ranges(problem, seed)
    samples = with_events(draw(sites(ranged), SCENARIOS, seed), ranged)
    for plan in random_plans(ranged, seed, PLANS):
        batch = score_batch(ranged, plan, objective, samples)
        for k in range(SCENARIOS):
            scenario = with_values(ranged, samples.scenario(k))
            scored = evaluate(scenario, plan, objective)
            expected = {broken_rule(scenario, v) for v in scored.violations}
            found = {rule for rule, where in batch.broken.items() if where[k]}
            assert found == expected, (k, plan)
            assert bool(batch.holds[k]) == scored.feasible
            assert math.isclose(batch.values[k], scored.objective, rel_tol=1e-9, abs_tol=1e-9)
            assert bool(batch.on_schedule[k]) == on_schedule(scored)
            for gate in batch.gates:
                course = next(s for s in scored.scheduled if s.measure == gate.measure)
                widening = next((w for w in scored.upgrades if w.measure == gate.measure), None)
                signing = widening.signing if gate.widening and widening else course.signing
                if 0 <= signing < scenario.horizon:
                    level = scored.support[gate.series][signing]
                    assert math.isclose(gate.support[k], level, rel_tol=1e-9, abs_tol=1e-9)
                else:
                    assert np.isnan(gate.support[k])
                if not gate.widening:
                    key = (gate.measure, gate.scope, gate.series)
                    assert bool(gate.cleared[k]) == gate_cleared(scenario, scored, key)


@pytest.mark.parametrize("seed", range(40))
def test_batch_agrees_with_the_evaluator_on_core_problems(seed: int) -> None:
    problem, objective = tiny_problem(seed)
    _agree(problem, objective, seed)


@pytest.mark.parametrize("concept", [*CONCEPTS, "mixed"])
@pytest.mark.parametrize("seed", range(25))
def test_batch_agrees_with_the_evaluator_with_dynamics(concept: str, seed: int) -> None:
    problem, objective = dynamic_problem(seed, concept)
    _agree(problem, objective, seed)


def test_tolerance_is_the_evaluators() -> None:
    assert TOLERANCE == 1e-6
