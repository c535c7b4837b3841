"""Drawn futures of tiny problems: every number moved, every random event decided.

The planner's model is the tiny problem itself (its numbers are its point
estimates); a future moves every estimate (baselines, thresholds, effect
sizes, durations, capacities, uses ...) by a seeded random amount and decides
each random event in each period, which is what
:func:`seqopt.uncertainty.estimates.with_values` turns into the truth.
"""

from __future__ import annotations

import random

from seqopt.data import Problem
from seqopt.uncertainty.estimates import happens_path, sites, with_values


def future_values(problem: Problem, seed: int, spread: float = 0.15) -> dict[str, float]:
    """Values for every estimate of ``problem`` (and every random event's periods)."""
    rng = random.Random(seed)
    values: dict[str, float] = {}
    for site in sites(problem, uncertain_only=False):
        base = site.estimate.base
        if site.integer:
            values[site.path] = float(max(1, round(base) + rng.choice([-1, 0, 0, 1])))
        elif site.path.endswith((":decay", ":probability")):
            values[site.path] = min(1.0, max(0.0, base + rng.uniform(-0.2, 0.2)))
        elif site.path.startswith(("baseline:", "gates:", "upgrade_gates:", "maintain:")):
            values[site.path] = base + rng.uniform(-4, 4)
        else:
            values[site.path] = (
                max(0.0, base * (1 + rng.uniform(-spread, spread)))
                if base >= 0
                else (base * (1 + rng.uniform(-spread, spread)))
            )
    for event in problem.events:
        if event.probability is not None:
            for t in event.window(problem.horizon):
                values[happens_path(problem, event, t)] = float(rng.random() < 0.4)
    return values


def future(problem: Problem, seed: int, spread: float = 0.15) -> Problem:
    """One drawn future of ``problem``."""
    return with_values(problem, future_values(problem, seed, spread))
