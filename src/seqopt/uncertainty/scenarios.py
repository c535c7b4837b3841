"""Solve many scenarios of one problem, in this process, across processes, or on Dask.

A scenario is the base problem with some estimates replaced by drawn values.
Each is solved by :func:`seqopt.solve.solve` and depends only
on the problem, its own values and the base plan, never on which worker solved
it or what that worker solved before; results are put back in scenario order.
So the same samples give the same results with 1, 2 or 20 workers, locally or
on a Dask cluster.

Work is sent in chunks of scenarios, so that the problem is sent once per chunk
rather than once per scenario.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from seqopt import interrupt
from seqopt.data import Problem
from seqopt.evaluate import Violation, evaluate
from seqopt.heuristics.greedy import greedy_plan
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solve import solve
from seqopt.uncertainty.estimates import objective_with_values, with_values

LOCAL = "local"
"""``--scheduler local``: start a Dask LocalCluster on this machine."""

CHUNK = 2
"""Scenarios per task: solve times vary tenfold between scenarios, so small tasks balance best."""

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class DaskMissing(RuntimeError):
    """A Dask scheduler was asked for but dask.distributed is not installed."""


@dataclass(frozen=True)
class Outcome:
    """One scenario solved, and the base plan scored in it."""

    index: int
    status: str
    value: float | None
    """The scenario's optimal value (the evaluator's), ``None`` without a plan."""
    plan: Plan | None
    signing: dict[str, int]
    """Signing period of each measure done, by measure id."""
    base_value: float | None
    """The base plan's value in this scenario, ``None`` when it breaks a rule there."""
    base_broken: tuple[str, ...]
    """Rules the base plan breaks in this scenario (see :func:`broken_rule`)."""
    maximise: bool = True
    """Whether more is better (value objective) or less (makespan)."""

    @property
    def regret(self) -> float | None:
        """How much better the optimum is than the base plan here, when both exist.

        Value objective: optimal value minus the base plan's value; makespan: the
        base plan's makespan minus the optimal one. Never negative.
        """
        if self.value is None or self.base_value is None:
            return None
        return self.value - self.base_value if self.maximise else self.base_value - self.value


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to solve scenarios of one problem."""

    problem: Problem
    objective: ObjectiveSettings
    settings: SolverSettings
    base_plan: Plan | None
    paths: tuple[str, ...]


def broken_rule(problem: Problem, violation: Violation) -> str:
    """A short, stable name of the rule a violation breaks: ``rule: subject (detail)``."""
    subject = violation.subject
    names = {
        **{m.id: m.name for m in problem.measures},
        **{r.id: r.name for r in problem.resources},
        **{lever.id: lever.name for lever in problem.levers},
    }
    text = f"{violation.rule}: {names.get(subject, subject)}"
    if violation.rule == "support" and violation.detail:
        series = problem.series_by_id.get(violation.detail[0])
        text += f" ({series.name if series is not None else violation.detail[0]})"
    return text


def solve_one(job: Job, index: int, values: Sequence[float]) -> Outcome:
    """Solve scenario ``index`` (its ``values`` follow ``job.paths``) and score the base plan."""
    drawn = dict(zip(job.paths, values, strict=True))
    problem = with_values(job.problem, drawn)
    objective = objective_with_values(job.objective, drawn)
    starts = [greedy_plan(problem, objective)]
    base_value = None
    broken: tuple[str, ...] = ()
    if job.base_plan is not None:
        starts.insert(0, job.base_plan)
        scored = evaluate(problem, job.base_plan, objective, sources=False)
        if scored.feasible:
            base_value = scored.objective
        else:
            broken = tuple(dict.fromkeys(broken_rule(problem, v) for v in scored.violations))
    # The greedy plan is offered whatever the model's warm_start says: scenarios differ
    # from the base problem, and the base plan may break a rule of this one.
    settings = replace(job.settings, warm_start=False)
    solved = solve(problem, objective, settings, starts, repeated=True)
    evaluation = solved.evaluation
    signing = {s.measure: s.signing for s in evaluation.scheduled} if evaluation else {}
    return Outcome(
        index,
        solved.status.value,
        solved.value,
        evaluation.plan if evaluation is not None else None,
        signing,
        base_value,
        broken,
        objective.kind is ObjectiveKind.VALUE,
    )


def solve_chunk(job: Job, chunk: Sequence[tuple[int, Sequence[float]]]) -> list[Outcome]:
    """Solve a chunk of scenarios (``(index, values)`` pairs) in order."""
    return [solve_one(job, index, values) for index, values in chunk]


def run_scenarios(
    job: Job,
    rows: Sequence[Sequence[float]],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Solve every scenario (one row of values each); outcomes come back in scenario order.

    Parameters
    ----------
    job
        The problem, settings, base plan and the paths the values follow.
    rows
        One sequence of values per scenario.
    workers
        Processes to use on this machine (``scheduler`` unset), or workers of
        the LocalCluster started for ``scheduler="local"``.
    scheduler
        ``None`` for this machine's processes; ``"local"`` for a Dask
        LocalCluster; else the address of a Dask scheduler (``tcp://host:8786``).
    done
        Called with the number of scenarios finished each time a chunk finishes.
    """
    chunks = list(_chunks(list(enumerate(rows)), CHUNK))
    results = map_tasks(
        solve_chunk, job, chunks, workers=workers, scheduler=scheduler, done=done, size=len
    )
    outcomes = [outcome for chunk in results for outcome in chunk]
    return sorted(outcomes, key=lambda o: o.index)


def map_tasks(
    task: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int], None] | None = None,
    size: Callable[[T], int] = lambda _: 1,
) -> list[R]:
    """``[task(shared, item) for item in items]`` here, across processes, or on Dask.

    ``shared`` (the problem and settings) is sent to each process or Dask worker
    once, not with every item. Results are in the order of ``items`` whatever ran
    where. ``done`` is called with ``size(item)`` as each item finishes.
    """
    if scheduler is not None:
        return _on_dask(task, shared, items, workers, scheduler, done, size)
    if workers <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(task(shared, item))
            if done is not None:
                done(size(item))
        return results
    found: dict[int, R] = {}
    with (
        ProcessPoolExecutor(
            max_workers=min(workers, len(items)), initializer=_keep, initargs=(shared,)
        ) as pool,
        interrupt.cancel_on_exit(pool),
    ):
        futures = {pool.submit(_with_kept, task, item): k for k, item in enumerate(items)}
        for future in as_completed(futures):
            k = futures[future]
            found[k] = future.result()
            if done is not None:
                done(size(items[k]))
    return [found[k] for k in range(len(items))]


_KEPT: list[Any] = []
"""In a worker process: the shared part of the work, sent once when the process starts."""


def _keep(shared: Any) -> None:
    interrupt.worker_ignores_ctrl_c()
    _KEPT[:] = [shared]


def _with_kept(task: Callable[[Any, T], R], item: T) -> R:
    return task(_KEPT[0], item)


def default_workers() -> int:
    """Processes used when none are asked for: every core of this machine."""
    return os.cpu_count() or 1


def _on_dask(
    task: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    workers: int,
    scheduler: str,
    done: Callable[[int], None] | None,
    size: Callable[[T], int],
) -> list[R]:
    try:
        import distributed
    except ImportError:
        raise DaskMissing(
            "--scheduler needs dask.distributed: pip install 'seqopt[dask]'"
        ) from None
    dask: Any = distributed  # partly typed: used through Any
    cluster: Any = None
    if scheduler == LOCAL:
        cluster = dask.LocalCluster(
            n_workers=max(workers, 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = dask.Client(cluster)
    else:
        client = dask.Client(scheduler)
    try:
        sent = client.scatter(shared, broadcast=True)
        futures = client.map(task, [sent] * len(items), items, pure=False)
        index = {future.key: k for k, future in enumerate(futures)}
        found: dict[int, R] = {}
        for future in dask.as_completed(futures):
            k = index[future.key]
            found[k] = future.result()
            if done is not None:
                done(size(items[k]))
        return [found[k] for k in range(len(items))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
