"""Policies: what to start in each period, from what has been done and seen so far.

- :class:`Fixed` follows a plan made in advance (the base plan, or the robust
  plan) to the letter: in each period it starts what the plan starts then.
- :class:`Replanning` plans again at the start of every period: it pins what
  was done (:func:`seqopt.uncertainty.freeze.freeze`), puts in what it has
  seen (:func:`seqopt.uncertainty.observe.observed`, through the ``see``
  function it is handed, which never shows the future), solves the rest and
  starts what the new plan starts now. The rest is solved on the expected
  future (:attr:`Rule.EXPECTED`: the model's own estimates for everything not
  yet seen, with :func:`seqopt.solve.solve`) or on a small sample of futures
  (:attr:`Rule.SAMPLE`: one schedule for ``K`` draws of what is not yet seen,
  the mean of their values, with :func:`seqopt.uncertainty.robust.robust_plan`).
  Every plan is checked by the evaluator on the problem it was made for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

import numpy as np

from seqopt.data import Force, Problem
from seqopt.plan import Plan
from seqopt.settings import ObjectiveSettings, SolverSettings
from seqopt.solve import Status, solve
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.freeze import carried, decisions, freeze
from seqopt.uncertainty.record import Record
from seqopt.uncertainty.robust import RiskMeasure, robust_plan
from seqopt.uncertainty.sampling import draw, with_events

See = Callable[[Problem], Problem]
"""Puts into a model what the planner has seen so far (and nothing of the future)."""

SAMPLE_STREAM = 11
"""Mixed into the seed of the scenarios a :attr:`Rule.SAMPLE` planner draws."""


class Rule(StrEnum):
    """What a re-planning policy optimises the rest of the horizon on."""

    EXPECTED = "expected"
    """The model's estimates for everything not yet seen (one problem)."""
    SAMPLE = "sample"
    """A small sample of futures drawn for what is not yet seen (one schedule for all)."""


class Policy(Protocol):
    """Says what to start in the period a record has reached."""

    def act(self, record: Record, see: See) -> Plan:
        """The actions of period ``record.now`` (starts, widenings, lever uses)."""
        ...


@dataclass
class Fixed:
    """A plan made in advance, followed to the letter."""

    plan: Plan

    def act(self, record: Record, see: See) -> Plan:
        """What the plan starts in ``record.now``."""
        now = record.now
        return Plan.of(
            [a for a in self.plan.assignments if a.start == now],
            [u for u in self.plan.lever_uses if u.period == now],
            [u for u in self.plan.upgrades if u.start == now],
        )


@dataclass(frozen=True)
class Planner:
    """How a re-planning policy solves: the model, the rule and the solver settings."""

    belief: Problem
    """The planner's model (the base problem: the point estimates)."""
    objective: ObjectiveSettings
    settings: SolverSettings
    rule: Rule = Rule.EXPECTED
    samples: int = 8
    """Futures drawn per re-plan under :attr:`Rule.SAMPLE`."""
    seed: int = 1


@dataclass
class Replanning:
    """Plans again every period on what it has seen; starts what the new plan starts now."""

    planner: Planner
    first: Plan
    """The plan of period 0, the same in every future (nothing is seen yet): made once."""
    future: int = 0
    """Which future it acts in (seeds the scenarios of :attr:`Rule.SAMPLE`)."""
    plan: Plan | None = None
    """The latest plan (its future is the next re-plan's starting plan)."""
    statuses: Counter[str] = field(default_factory=Counter)
    """How each re-plan ended (optimal, feasible, infeasible ...)."""

    def act(self, record: Record, see: See) -> Plan:
        """Plan the rest from ``record.now`` and return what that plan starts now."""
        if record.now == 0:
            self.plan = self.first
            self.statuses["shared"] += 1
            return decisions(self.first, record)
        status, plan = replan(self.planner, record, see, self.plan, self.future)
        self.statuses[status] += 1
        if plan is None:
            return Plan()
        self.plan = plan
        return decisions(plan, record)


def replan(
    planner: Planner, record: Record, see: See, previous: Plan | None, future: int = 0
) -> tuple[str, Plan | None]:
    """The plan of the rest of the horizon from ``record.now``, and how its solve ended.

    Under :attr:`Rule.SAMPLE`, a sample without one schedule that breaks no
    rule in all of its futures falls back to the expected future.
    """
    objective = planner.objective
    # Repeated solves: the previous plan is the start (the greedy plan only if the model asks).
    settings = planner.settings
    model = freeze(see(planner.belief), record, objective)
    starts = [carried(previous, model, record)] if previous is not None else []
    if planner.rule is Rule.SAMPLE and planner.samples > 1:
        problems = [
            freeze(see(s), record, objective)
            for s in scenarios(planner.belief, planner.samples, planner.seed, future, record.now)
        ]
        start = starts[0] if starts else None
        found = robust_plan(problems, objective, settings, RiskMeasure.MEAN, start=start)
        if found.plan is not None:
            return found.status.value, found.plan
    result = solve(model, objective, settings, starts, repeated=True)
    if result.status is Status.INFEASIBLE and _forced_left(model, record):
        # A measure that must be done can no longer be (a window closed, capacity fell):
        # plan the rest without that obligation rather than stop planning.
        released = _released(model, record)
        again = solve(released, objective, settings, starts, repeated=True)
        if again.plan is not None:
            return RELEASED, again.plan
    return result.status.value, result.plan


RELEASED = "optimal without a forced measure"
"""How a re-plan ended that had to give up a measure that must be done (it could not be)."""


def _forced_left(model: Problem, record: Record) -> bool:
    return any(m.force is Force.IN and record.of(m.id) is None for m in model.measures)


def _released(model: Problem, record: Record) -> Problem:
    return replace(
        model,
        measures=tuple(
            replace(m, force=Force.FREE) if m.force is Force.IN and record.of(m.id) is None else m
            for m in model.measures
        ),
    )


def scenarios(belief: Problem, count: int, seed: int, future: int, now: int) -> list[Problem]:
    """``count`` draws of ``belief`` for a :attr:`Rule.SAMPLE` re-plan in ``now``.

    Seeded by the run's seed, the future and the period, so every re-plan has
    its own sample and a run repeats exactly; the plan of period 0 (the same in
    every future) draws with ``future = 0``.
    """
    found = sites(belief)
    state = np.random.SeedSequence([seed, SAMPLE_STREAM, future, now]).generate_state(1)
    samples = with_events(draw(found, count, int(state[0])), belief)
    return [with_values(belief, samples.scenario(k)) for k in range(count)]


def first_plan(planner: Planner) -> tuple[str, Plan | None]:
    """The plan of period 0: nothing done, nothing seen; the same in every future."""
    return replan(planner, Record(0), lambda problem: problem, None)
