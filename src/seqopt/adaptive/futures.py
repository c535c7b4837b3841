"""Act out every policy in every drawn future, here, across processes or on Dask.

A future is the problem with every estimate drawn and every random event
decided (as :func:`seqopt.uncertainty.analyses.simulate` draws its scenarios).
In each, the fixed plans (the base plan, the robust plan) and the re-planning
policy act period by period (:func:`act_out`). A future's runs depend only on
the problem, the settings, the fixed plans, the shared plan of period 0 and
its own values: never on which worker ran it, so the same seed gives the same
runs with any number of workers, locally or on Dask
(:func:`seqopt.uncertainty.scenarios.map_tasks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from seqopt import interrupt
from seqopt.adaptive.execute import Run, advance, finish
from seqopt.adaptive.policies import Fixed, Planner, Policy, Replanning
from seqopt.data import Problem
from seqopt.plan import Plan
from seqopt.uncertainty.estimates import with_values
from seqopt.uncertainty.observe import observed
from seqopt.uncertainty.record import Record
from seqopt.uncertainty.scenarios import map_tasks

ADAPTIVE = "adaptive"
"""The name of the re-planning policy among the runs of a future."""

CHUNK = 1
"""Futures per task: a future's sixteen re-plans are work enough to send alone."""


@dataclass(frozen=True)
class Future:
    """Every policy acted out in one drawn future."""

    index: int
    runs: Mapping[str, Run]
    """By policy: ``adaptive``, and the fixed plans (``base``, ``robust``)."""
    replans: Mapping[str, int]
    """How the re-plans of the adaptive policy ended, counted by status."""
    happened: Mapping[str, tuple[int, ...]]
    """Periods in which each event happened in this future."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to act out futures of one problem."""

    planner: Planner
    fixed: Mapping[str, Plan]
    """Plans made in advance, by policy name."""
    first: Plan
    """The re-planning policy's plan of period 0 (the same in every future)."""
    paths: tuple[str, ...]
    """Paths of the drawn values (estimates and event happenings), as the rows follow them."""


def act_out(truth: Problem, policy: Policy, planner: Planner) -> Run:
    """Act ``policy`` out in ``truth`` from the first period to the last."""
    record = Record(0)
    skipped = 0
    for _ in range(truth.horizon):
        interrupt.check()
        seen = record  # what the planner knows at the start of this period

        def see(belief: Problem, seen: Record = seen) -> Problem:
            return observed(belief, truth, seen)

        actions = policy.act(record, see)
        record, missed = advance(truth, record, actions, planner.objective)
        skipped += missed
    return finish(truth, record, planner.objective, skipped)


def run_future(job: Job, index: int, values: Sequence[float]) -> Future:
    """Every policy in future ``index`` (its ``values`` follow ``job.paths``)."""
    truth = with_values(job.planner.belief, dict(zip(job.paths, values, strict=True)))
    runs: dict[str, Run] = {}
    adaptive = Replanning(job.planner, job.first, index)
    runs[ADAPTIVE] = act_out(truth, adaptive, job.planner)
    for name, plan in job.fixed.items():
        runs[name] = act_out(truth, Fixed(plan), job.planner)
    happened = {e.id: e.periods for e in truth.events}
    return Future(index, runs, dict(sorted(adaptive.statuses.items())), happened)


def run_chunk(job: Job, chunk: Sequence[tuple[int, Sequence[float]]]) -> list[Future]:
    """Act out a chunk of futures (``(index, values)`` pairs) in order."""
    return [run_future(job, index, values) for index, values in chunk]


def run_futures(
    job: Job,
    rows: Sequence[Sequence[float]],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Future]:
    """Act out every future (one row of values each); results come back in future order."""
    items = list(enumerate(rows))
    chunks = [items[k : k + CHUNK] for k in range(0, len(items), CHUNK)]
    results = map_tasks(
        run_chunk, job, chunks, workers=workers, scheduler=scheduler, done=done, size=len
    )
    return sorted((f for chunk in results for f in chunk), key=lambda f: f.index)


def replan_counts(futures: Sequence[Future]) -> dict[str, int]:
    """How the re-plans of every future ended, by status."""
    total: Counter[str] = Counter()
    for f in futures:
        total.update(f.replans)
    return dict(sorted(total.items()))
