"""Ranges for the exact numbers of random test problems, and random plans to score.

The random problems of :mod:`random_problems` and :mod:`random_dynamics` have
exact numbers; scoring plans under uncertainty needs ranges. :func:`with_ranges`
gives most estimates one (durations by a period either way, shares within 0 to 1,
thresholds by a few points, other numbers by up to 30 %), so that drawn
scenarios move signings, supports, capacities and values.
"""

from __future__ import annotations

import random

from seqopt.data import Distribution, Estimate, Problem
from seqopt.plan import Plan
from seqopt.uncertainty.estimates import _walk

from brute_force import lever_options, measure_options

DISTRIBUTIONS = list(Distribution)


def with_ranges(problem: Problem, seed: int, share: float = 0.7, scale: float = 1.0) -> Problem:
    """``problem`` with a range on about ``share`` of its estimates, ``scale`` times as wide."""
    rng = random.Random(f"ranges-{seed}")

    def widen(path: str, subject: str, estimate: Estimate, integer: bool) -> Estimate:
        if rng.random() > share:
            return estimate
        base = estimate.base
        distribution = rng.choice(DISTRIBUTIONS)
        if integer:
            return Estimate(base, max(1.0, base - rng.choice([0, 1])), base + 1, distribution)
        if path.endswith((":probability", ":decay")):
            low, high = max(0.0, base - 0.2), min(1.0, base + 0.2)
        elif path.endswith(":threshold") or path.startswith("baseline:"):
            low = max(0.0, base - scale * rng.uniform(1, 5))
            high = min(100.0, base + scale * rng.uniform(1, 5))
        else:
            spread = scale * (abs(base) * rng.uniform(0.1, 0.3) + 0.1)
            low, high = base - spread, base + spread
            if base >= 0:
                low = max(0.0, low)
        return Estimate(base, min(low, base), max(high, base), distribution)

    return _walk(problem, widen)


def random_plans(problem: Problem, seed: int, count: int) -> list[Plan]:
    """``count`` plans of valid form (each measure at most once), drawn at random."""
    rng = random.Random(f"plans-{seed}")
    measures = measure_options(problem)
    levers = lever_options(problem)
    plans = []
    for _ in range(count):
        done = [rng.choice(options) for options in measures]
        chosen = [option for option in done if option is not None]
        uses = [use for sets in levers for use in rng.choice(sets)]
        plans.append(
            Plan.of(
                [signed for signed, _ in chosen],
                uses,
                [widened for _, widened in chosen if widened is not None],
            )
        )
    return plans
