"""Counterfactual re-solves: the price of forcing, and what it would take.

- **Price of forcing**: re-solve with a measure forced in (if left out), forced
  to start at its earliest feasible period (if late), or forced out (if
  chosen); report the change in value and what else in the plan moves.
- **What would it take**: for a measure left out, the smallest change to one
  input (a threshold it must meet, the baseline of a series that gates it, the
  capacity or budget of a resource it uses) that brings it into the optimal
  plan, found by bisection on re-solves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from seqopt import interrupt
from seqopt.data import Estimate, Force, Problem, ResourceKind
from seqopt.evaluate import Evaluation
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solve import SolveResult, Status, solve

BISECTION_STEPS = 8


@dataclass(frozen=True)
class Forcing:
    """One counterfactual: the plan with a measure forced somehow, against the base plan."""

    measure: str
    how: str
    """``in``, ``out`` or ``at <period label>``."""
    status: str
    value: float | None
    delta: float | None
    """Change in the objective against the base plan (value: negative is a loss;
    makespan: positive is longer)."""
    moves: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Change:
    """The smallest change to one input that brings a measure into the optimal plan."""

    measure: str
    input: str
    """What is changed, in words (e.g. 'threshold on Korean public support')."""
    current: float
    needed: float | None
    """The value that brings the measure in; ``None`` if no value in the range tried does."""
    text: str


Solver = Callable[[Problem], SolveResult]


def _solver(
    objective: ObjectiveSettings, settings: SolverSettings, starts: Sequence[Plan] = ()
) -> Solver:
    """Re-solve a variant of the problem, verified by the evaluator as every solve is.

    The base plan is offered as the start (it often breaks no rule of the
    variant), with the search options for repeated solves of a small model.
    """

    def run(problem: Problem) -> SolveResult:
        return solve(problem, objective, settings, starts, repeated=True)

    return run


def _with_measure(problem: Problem, measure_id: str, **changes: object) -> Problem:
    measures = tuple(
        replace(m, **changes) if m.id == measure_id else m  # type: ignore[arg-type]
        for m in problem.measures
    )
    return replace(problem, measures=measures)


def forced_at(problem: Problem, measure_id: str, scope_id: str, start: int) -> Problem:
    """The problem with a measure forced to one scope and one start period.

    The scopes it can be widened to from there are kept for the widening, but
    can no longer be signed directly (their window starts after the horizon).
    """
    measure = problem.measure_by_id[measure_id]
    scope = measure.scope(scope_id)
    pinned = replace(scope, earliest_start=start, latest_finish=start + scope.length - 1)
    upgrades = tuple(u for u in measure.upgrades if u.from_scope == scope_id)
    wider = tuple(
        replace(measure.scope(u.to_scope), earliest_start=problem.horizon) for u in upgrades
    )
    return _with_measure(
        problem, measure_id, scopes=(pinned, *wider), force=Force.IN, upgrades=upgrades
    )


def describe_moves(problem: Problem, before: Plan, after: Plan, skip: str = "") -> tuple[str, ...]:
    """What differs between two plans, measure by measure and lever by lever, in words."""
    labels = problem.periods
    moves = []
    for measure in problem.measures:
        if measure.id == skip:
            continue
        old, new = before.assignment(measure.id), after.assignment(measure.id)
        if old == new:
            continue
        if old is None and new is not None:
            moves.append(f"{measure.name} comes in ({new.scope}, from {labels[new.start]})")
        elif new is None and old is not None:
            moves.append(f"{measure.name} is dropped")
        elif old is not None and new is not None:
            if old.scope != new.scope:
                moves.append(f"{measure.name} changes scope from {old.scope} to {new.scope}")
            if old.start != new.start:
                moves.append(
                    f"{measure.name} moves from {labels[old.start]} to {labels[new.start]}"
                )
        old_up, new_up = before.upgrade(measure.id), after.upgrade(measure.id)
        if old_up != new_up and new_up is not None:
            moves.append(f"{measure.name} is widened to {new_up.scope} from {labels[new_up.start]}")
        elif old_up != new_up:
            moves.append(f"{measure.name} is no longer widened")
    old_uses = {(u.lever, u.period) for u in before.lever_uses}
    new_uses = {(u.lever, u.period) for u in after.lever_uses}
    for lever in problem.levers:
        added = sorted(t for lid, t in new_uses - old_uses if lid == lever.id)
        removed = sorted(t for lid, t in old_uses - new_uses if lid == lever.id)
        if added:
            moves.append(f"{lever.name} used also in {', '.join(labels[t] for t in added)}")
        if removed:
            moves.append(f"{lever.name} no longer used in {', '.join(labels[t] for t in removed)}")
    return tuple(moves)


def price_of_forcing(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    base: Evaluation,
    measure_id: str,
) -> list[Forcing]:
    """Counterfactuals for one measure: forced in or to its earliest feasible start, or out."""
    run = _solver(objective, settings, [base.plan])
    measure = problem.measure_by_id[measure_id]
    chosen = base.plan.assignment(measure_id)
    found = []
    if chosen is None:
        if measure.force is not Force.OUT:
            forced = _with_measure(problem, measure_id, force=Force.IN)
            found.append(_forcing(problem, objective, base, measure_id, "in", run(forced)))
        return found
    if measure.force is not Force.IN:
        forced = _with_measure(problem, measure_id, force=Force.OUT)
        found.append(_forcing(problem, objective, base, measure_id, "out", run(forced)))
    scope = measure.scope(chosen.scope)
    for start in range(scope.earliest_start, chosen.start):
        result = run(forced_at(problem, measure_id, chosen.scope, start))
        if result.status.has_plan:
            how = f"at {problem.periods[start]}"
            found.append(_forcing(problem, objective, base, measure_id, how, result))
            break
    return found


def _forcing(
    problem: Problem,
    objective: ObjectiveSettings,
    base: Evaluation,
    measure_id: str,
    how: str,
    result: SolveResult,
) -> Forcing:
    name = problem.measure_by_id[measure_id].name
    if result.evaluation is None:
        text = f"Forcing {name} {how} is impossible: the model becomes {result.status.value}."
        return Forcing(measure_id, how, result.status.value, None, None, (), text)
    value = result.evaluation.objective
    delta = value - base.objective
    moves = describe_moves(problem, base.plan, result.evaluation.plan, skip=measure_id)
    proven = "" if result.status is Status.OPTIMAL else " (not proven optimal)"
    if objective.kind is ObjectiveKind.MAKESPAN:
        effect = (
            f"the plan ends {delta:+.0f} periods later" if delta else "the makespan is unchanged"
        )
    else:
        effect = f"the plan's value changes by {delta:+.2f} (to {value:,.2f})"
    text = f"Forcing {name} {how}: {effect}{proven}."
    if moves:
        text += " Also: " + "; ".join(moves) + "."
    return Forcing(measure_id, how, result.status.value, value, delta, moves, text)


def what_it_takes(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    measure_id: str,
) -> list[Change]:
    """For a measure left out: the smallest change to each single input that brings it in."""
    run = _solver(objective, settings)
    measure = problem.measure_by_id[measure_id]
    changes: list[Change] = []
    gates = {(g.series, g.threshold.base) for s in measure.scopes for g in s.gates}
    for series_id, threshold in sorted(gates):
        series = problem.series_by_id[series_id]
        variant = partial(_threshold, problem, measure_id, series_id, threshold)
        name = f"its threshold on {series.name}"
        changes.append(_bisect(run, measure_id, name, threshold, 0.0, variant))
    for series_id in sorted({s for s, _ in gates}):
        series = problem.series_by_id[series_id]
        variant = partial(_baseline, problem, series_id)
        name = f"the baseline of {series.name} (points added in every period)"
        changes.append(_bisect(run, measure_id, name, 0.0, 100.0, variant))
    for resource in problem.resources:
        uses = [s.use[resource.id].base for s in measure.scopes if resource.id in s.use]
        if not uses:
            continue
        # Room for the measure's largest use is the most a single resource can be short of.
        kind = "per period" if resource.kind is ResourceKind.RENEWABLE else "in total"
        name = f"the capacity of {resource.name} ({kind}, units added)"
        variant = partial(_capacity, problem, resource.id)
        changes.append(_bisect(run, measure_id, name, 0.0, max(uses), variant))
    return [replace(c, text=_change_text(problem, c)) for c in changes]


def _included(result: SolveResult, measure_id: str) -> bool:
    return result.plan is not None and result.plan.assignment(measure_id) is not None


def _bisect(
    run: Solver,
    measure_id: str,
    name: str,
    current: float,
    limit: float,
    variant: Callable[[float], Problem],
) -> Change:
    """Smallest move from ``current`` towards ``limit`` at which the measure enters the plan."""
    if not _included(run(variant(limit)), measure_id):
        return Change(measure_id, name, current, None, "")
    near, far = current, limit  # near: not included (known); far: included
    for _ in range(BISECTION_STEPS):
        middle = (near + far) / 2
        if _included(run(variant(middle)), measure_id):
            far = middle
        else:
            near = middle
    return Change(measure_id, name, current, far, "")


def _change_text(problem: Problem, change: Change) -> str:
    name = problem.measure_by_id[change.measure].name
    if change.needed is None:
        return f"No change of {change.input} alone (within the range tried) brings {name} in."
    return (
        f"{name} enters the optimal plan if {change.input} goes from {change.current:g} "
        f"to {change.needed:.2f}."
    )


def _threshold(
    problem: Problem, measure_id: str, series_id: str, old: float, value: float
) -> Problem:
    measure = problem.measure_by_id[measure_id]
    scopes = tuple(
        replace(
            s,
            gates=tuple(
                replace(g, threshold=_set(g.threshold, value))
                if g.series == series_id and g.threshold.base == old
                else g
                for g in s.gates
            ),
        )
        for s in measure.scopes
    )
    return _with_measure(problem, measure_id, scopes=scopes)


def _baseline(problem: Problem, series_id: str, added: float) -> Problem:
    series = tuple(
        replace(s, baseline=tuple(_set(v, v.base + added) for v in s.baseline))
        if s.id == series_id
        else s
        for s in problem.series
    )
    return replace(problem, series=series)


def _capacity(problem: Problem, resource_id: str, added: float) -> Problem:
    resources = tuple(
        replace(
            r,
            capacity=_set(r.capacity, r.capacity.base + added),
            overrides={t: _set(v, v.base + added) for t, v in r.overrides.items()},
        )
        if r.id == resource_id
        else r
        for r in problem.resources
    )
    return replace(problem, resources=resources)


def _set(value: Estimate, base: float) -> Estimate:
    return Estimate(base, min(value.low, base), max(value.high, base))


def counterfactuals(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    base: Evaluation,
    measure_id: str,
) -> tuple[list[Forcing], list[Change]]:
    """Price of forcing for one measure and, if it is left out, what would bring it in."""
    forcings = price_of_forcing(problem, objective, settings, base, measure_id)
    changes: list[Change] = []
    if base.plan.assignment(measure_id) is None:
        changes = what_it_takes(problem, objective, settings, measure_id)
    return forcings, changes


def all_counterfactuals(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    base: Evaluation,
    measure_ids: list[str],
    workers: int = 1,
    done: Callable[[], None] | None = None,
) -> tuple[list[Forcing], list[Change]]:
    """:func:`counterfactuals` for several measures, across processes when ``workers > 1``.

    Results come back in the order of ``measure_ids`` whatever the number of
    workers, and each re-solve is deterministic, so the output is the same.
    """
    forcings: list[Forcing] = []
    changes: list[Change] = []
    task = partial(counterfactuals, problem, objective, settings, base)
    if workers <= 1 or len(measure_ids) <= 1:
        results = (task(m) for m in measure_ids)
        for found, needed in results:
            forcings += found
            changes += needed
            if done is not None:
                done()
        return forcings, changes
    with (
        ProcessPoolExecutor(
            max_workers=workers, initializer=interrupt.worker_ignores_ctrl_c
        ) as pool,
        interrupt.cancel_on_exit(pool),
    ):
        for found, needed in pool.map(task, measure_ids):
            forcings += found
            changes += needed
            if done is not None:
                done()
    return forcings, changes
