"""OR-Tools CP-SAT on a native interval model, for pure scheduling models.

A pure scheduling model has no support gates (:func:`unsupported` says what else it needs):
it is a multi-mode resource-constrained project scheduling problem with
windows, budgets, time lags and selection links. CP-SAT's interval variables
and cumulative constraints prove such problems far faster than the
time-indexed integer program (``docs/psplib.md``).

The formulation, per measure ``m`` and scope (mode) ``s``:

- a presence literal ``p[m,s]`` and **its own start variable** ``st[m,s]``
  over the scope's window, with an optional fixed-size interval
  ``[st, st + d)``; at most one scope per measure (exactly one if forced in);
- a job start ``S[m]`` and end ``E[m]`` equal to the chosen scope's start and
  end (``p[m,s] => S[m] = st[m,s]``, ``E[m] = st[m,s] + d``); precedence,
  the makespan and selection links are written on these;
- renewable resources: one cumulative per resource over the scopes' intervals
  at the largest capacity, with fixed intervals filling the gap in periods
  whose capacity is lower (capacity overrides);
- budgets: ``sum use * p <= total``;
- ``requires`` with lag ``L``: ``p[A,a] => S[A] >= E[B] + L`` and that ``B``
  is done (at the linked scope, if named); ``excludes`` and ``together`` as
  sums of presences;
- objective: the makespan ``max E[m]`` over what is done, or the net value,
  a table over start periods per scope (a literal per start period), scaled to
  integers.

A model in which the scopes of a measure shared one start variable (the usual
textbook shape, in ``benchmarks/cpsat_rcpsp.py``) was seen to call a wrong
makespan optimal on MRCPSP instances with some OR-Tools versions; here each
scope has its own start and the job's start is a separate variable tied to the
chosen scope's, and every plan is checked by the evaluator as any back end's.
``docs/psplib.md`` gives the runs that test it.

CP-SAT works in integers: resource uses, capacities and budgets are scaled by
the least power of ten that makes them whole (a model whose numbers no scale
up to 10**6 makes whole is not accepted), and values are scaled and rounded,
with the rounding added to the proven bound so that "optimal" stays honest.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from seqopt import interrupt
from seqopt.data import DependencyKind, Force, Measure, Problem, ResourceKind, Scope
from seqopt.evaluate import evaluate
from seqopt.plan import Assignment, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings
from seqopt.solvers.backend import Request
from seqopt.solvers.result import Run, Status, Stop, classify

MAX_SCALE = 10**6
"""Largest power of ten tried to make resource numbers whole."""

VALUE_TOTAL = 10**15
"""The scaled objective of any plan stays below this in size (CP-SAT's integers have 64
bits); values are scaled by the largest power of ten that keeps it so, which leaves a
rounding far below the proven gap."""


def unsupported(problem: Problem) -> str | None:
    """Why CP-SAT cannot take ``problem``, or ``None`` when it can."""
    if any(scope.gates for _, scope in problem.all_scopes()):
        return "it has support gates"
    if problem.uses_dynamics:
        return "it uses policy dynamics (upgrades, renewals, events, substitutes or backlash)"
    if _resource_scale(problem) is None:
        return "its resource numbers cannot be made whole numbers by a power of ten up to 10**6"
    return None


@dataclass(frozen=True)
class _Mode:
    measure: Measure
    scope: Scope
    presence: Any
    start: Any
    first: int
    """Earliest start in the window."""
    last: int
    """Latest start in the window."""
    length: int
    interval: Any


def run(request: Request) -> Run:
    """Build and solve the CP-SAT model of ``request``."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    problem = request.problem
    scale = _resource_scale(problem)
    if scale is None:
        return Run(Status.ERROR, None, None, None, str(unsupported(problem)))
    model = cp_model.CpModel()
    builder = _Model(model, problem, request, scale)
    builder.add_modes()
    builder.add_capacities()
    builder.add_budgets()
    builder.add_dependencies()
    value_scale, rounding = builder.add_objective()
    builder.add_hints()
    built = time.perf_counter() - began

    solver = cp_model.CpSolver()
    settings = request.settings
    if settings.time_limit is not None:
        solver.parameters.max_time_in_seconds = float(settings.time_limit)
    solver.parameters.num_workers = settings.threads
    solver.parameters.random_seed = settings.random_seed
    solver.parameters.relative_gap_limit = settings.gap
    solver.parameters.log_search_progress = settings.log
    # Without the LP relaxation CP-SAT's search is all propagation, which proves
    # makespans faster (80 PSPLIB j30 instances, every sixth: 6.1 s in all against 12.9 s
    # with the default; docs/psplib.md) and keeps large scaled values exact and fast.
    solver.parameters.linearization_level = 0
    with interrupt.polled(), _stopped_on_request(solver):
        status = solver.solve(model)
    if _stopped_early(solver, status, settings.time_limit):
        # CP-SAT catches Ctrl-C itself while it searches (Python's handler cannot run
        # then) and returns what it has: pass the stop on to the caller.
        interrupt.request()
    stops = {
        cp_model.OPTIMAL: Stop.FINISHED,
        cp_model.FEASIBLE: Stop.LIMIT,
        cp_model.INFEASIBLE: Stop.INFEASIBLE,
        cp_model.UNKNOWN: Stop.LIMIT,
        cp_model.MODEL_INVALID: Stop.ERROR,
    }
    stop = stops.get(status, Stop.ERROR)
    has_solution = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    plan = value = bound = None
    if has_solution:
        plan = builder.plan(solver)
        value = solver.objective_value / value_scale
        if request.maximise:
            bound = solver.best_objective_bound / value_scale + rounding
            value = None  # the scaled value is rounded: the evaluator's value is the value
        else:
            bound = solver.best_objective_bound / value_scale
    proto = model.proto
    words = f"CP-SAT {solver.status_name(status)}"
    result_status = classify(stop, has_solution, _exact(request, plan, value), bound)
    return Run(
        result_status,
        plan,
        value,
        bound,
        words,
        len(proto.variables),
        len(proto.constraints),
        int(solver.num_branches),
        (),
        built,
    )


@contextlib.contextmanager
def _stopped_on_request(solver: Any) -> Iterator[None]:
    """While the block runs, stop CP-SAT's search once a stop is requested.

    For :func:`seqopt.interrupt.request` and a Ctrl-C that comes just before CP-SAT
    takes over the signal; a Ctrl-C during the search CP-SAT catches itself.
    """
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if interrupt.requested():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="seqopt-cpsat-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _stopped_early(solver: Any, status: Any, time_limit: float | None) -> bool:
    """Whether CP-SAT stopped without a proof well before its time limit: an interruption."""
    from ortools.sat.python import cp_model

    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        return False
    return time_limit is None or solver.wall_time < 0.9 * time_limit


def _exact(request: Request, plan: Plan | None, value: float | None) -> float | None:
    """The plan's exact objective, for the status (CP-SAT's value is rounded for values)."""
    if plan is None or value is not None:
        return value
    return evaluate(request.problem, plan, request.objective).objective


class _Model:
    """The CP-SAT model of one request, built piece by piece."""

    def __init__(self, model: Any, problem: Problem, request: Request, scale: int) -> None:
        self.model = model
        self.problem = problem
        self.request = request
        self.scale = scale
        self.horizon = problem.horizon
        if request.makespan_bound is not None:
            self.horizon = min(self.horizon, request.makespan_bound)
        self.modes: dict[str, list[_Mode]] = {}
        self.job_start: dict[str, Any] = {}
        self.job_end: dict[str, Any] = {}
        self.forced: set[str] = set()
        """Measures that must be done (force = in)."""

    # -- variables -------------------------------------------------------------------

    def add_modes(self) -> None:
        """Presence, start and interval per scope; job start, end and 'done' per measure."""
        model = self.model
        for mi, measure in enumerate(self.problem.measures):
            modes: list[_Mode] = []
            if measure.force is not Force.OUT:
                for si, scope in enumerate(measure.scopes):
                    length = scope.length
                    first = max(scope.earliest_start, 0)
                    last = min(scope.latest_finish + 1, self.horizon) - length
                    if last < first:
                        continue  # no start fits the window
                    presence = model.new_bool_var(f"p_{mi}_{si}")
                    start = model.new_int_var(first, last, f"st_{mi}_{si}")
                    interval = model.new_optional_fixed_size_interval_var(
                        start, length, presence, f"iv_{mi}_{si}"
                    )
                    modes.append(
                        _Mode(measure, scope, presence, start, first, last, length, interval)
                    )
            self.modes[measure.id] = modes
            forced = measure.force is Force.IN
            if forced and len(modes) == 1:
                # The one scope of a measure that must be done: its start is the job's.
                only = modes[0]
                model.add(only.presence == 1)
                self.job_start[measure.id] = only.start
                self.job_end[measure.id] = only.start + only.length
                self.forced.add(measure.id)
                continue
            job_start = model.new_int_var(0, self.horizon, f"S_{mi}")
            job_end = model.new_int_var(0, self.horizon, f"E_{mi}")
            done = sum(m.presence for m in modes)
            if forced:
                model.add(done == 1)
            elif len(modes) > 1:
                model.add(done <= 1)
            for mode in modes:
                model.add(job_start == mode.start).only_enforce_if(mode.presence)
                model.add(job_end == mode.start + mode.length).only_enforce_if(mode.presence)
            self.job_start[measure.id] = job_start
            self.job_end[measure.id] = job_end
            if forced:
                self.forced.add(measure.id)

    # -- constraints -----------------------------------------------------------------

    def add_capacities(self) -> None:
        """One cumulative per renewable resource; lower capacities as fixed blocks."""
        for resource in self.problem.resources:
            if resource.kind is not ResourceKind.RENEWABLE:
                continue
            intervals, demands = [], []
            for modes in self.modes.values():
                for mode in modes:
                    use = mode.scope.use.get(resource.id)
                    if use is not None and use.base > 0 and mode.length > 0:
                        intervals.append(mode.interval)
                        demands.append(self._whole(use.base))
            if not intervals:
                continue
            capacities = [self._whole(resource.capacity_in(t)) for t in range(self.horizon)]
            most = max(capacities, default=0)
            for t, capacity in enumerate(capacities):
                if capacity < most:
                    intervals.append(self.model.new_fixed_size_interval_var(t, 1, f"cap_{t}"))
                    demands.append(most - capacity)
            self.model.add_cumulative(intervals, demands, most)

    def add_budgets(self) -> None:
        """``sum use * presence <= total`` for every nonrenewable resource."""
        for resource in self.problem.resources:
            if resource.kind is not ResourceKind.NONRENEWABLE:
                continue
            terms = [
                self._whole(mode.scope.use[resource.id].base) * mode.presence
                for modes in self.modes.values()
                for mode in modes
                if resource.id in mode.scope.use
            ]
            if terms:
                self.model.add(sum(terms) <= self._whole(resource.capacity.base))

    def add_dependencies(self) -> None:
        """``requires`` (with lag and scopes), ``excludes`` and ``together``."""
        model = self.model
        for dep in self.problem.dependencies:
            first = self._matching(dep.measure, dep.scope)
            second = self._matching(dep.other, dep.other_scope)
            if dep.kind is DependencyKind.EXCLUDES:
                if first and second:
                    model.add(sum(m.presence for m in first + second) <= 1)
            elif dep.kind is DependencyKind.TOGETHER:
                model.add(sum(m.presence for m in first) == sum(m.presence for m in second))
            elif dep.measure in self.forced and dep.scope is None and dep.other_scope is None:
                # A must be done: B must be done, and in force (plus the lag) before A starts.
                model.add(sum(m.presence for m in second) == 1)
                model.add(self.job_start[dep.measure] >= self.job_end[dep.other] + dep.lag)
            else:
                for mode in first:
                    if not second:
                        model.add(mode.presence == 0)  # B can never be done
                        continue
                    model.add_bool_or([m.presence for m in second]).only_enforce_if(mode.presence)
                    if dep.other_scope is None:
                        end = self.job_end[dep.other]
                        model.add(mode.start >= end + dep.lag).only_enforce_if(mode.presence)
                    else:
                        for other in second:
                            model.add(
                                mode.start >= other.start + other.length + dep.lag
                            ).only_enforce_if([mode.presence, other.presence])

    def _matching(self, measure_id: str, scope_id: str | None) -> list[_Mode]:
        return [m for m in self.modes[measure_id] if scope_id is None or m.scope.id == scope_id]

    # -- objective -------------------------------------------------------------------

    def add_objective(self) -> tuple[float, float]:
        """Set the objective; return its scale and the most its rounding can hide."""
        if self.request.objective.kind is ObjectiveKind.MAKESPAN:
            makespan = self.model.new_int_var(0, self.horizon, "makespan")
            forced = [self.job_end[m] for m in self.modes if m in self.forced]
            if forced and len(forced) == len(self.modes):
                self.model.add_max_equality(makespan, forced)
            else:
                for end in forced:
                    self.model.add(makespan >= end)
            for measure_id, modes in self.modes.items():
                if measure_id in self.forced:
                    continue
                end = self.job_end[measure_id]
                for mode in modes:
                    self.model.add(makespan >= end).only_enforce_if(mode.presence)
            self.model.minimize(makespan)
            return 1.0, 0.0
        tables = {
            (measure_id, mode.scope.id): _values(self.problem, self.request.objective, mode)
            for measure_id, modes in self.modes.items()
            for mode in modes
        }
        largest = sum(
            max((abs(v) for mode in modes for v in tables[(measure_id, mode.scope.id)]), default=0)
            for measure_id, modes in self.modes.items()
        )
        scale = 1.0 if largest == 0 else 10.0 ** math.floor(math.log10(VALUE_TOTAL / largest))
        terms = []
        rounding = 0.0
        for measure_id, modes in self.modes.items():
            worst = 0.0
            for mode in modes:
                table = tables[(measure_id, mode.scope.id)]
                whole = [round(v * scale) for v in table]
                worst = max(
                    [worst, *(abs(w / scale - v) for w, v in zip(whole, table, strict=True))]
                )
                terms.append(self._chosen_value(mode, whole))
            rounding += worst  # at most one scope per measure counts
        self.model.maximize(sum(terms))
        return scale, rounding

    def _chosen_value(self, mode: _Mode, whole: list[int]) -> Any:
        """The table's value at the mode's start when present, else 0, as a linear sum.

        One literal per start period ("starts in t"), exactly one of them true when the
        scope is chosen. A single integer variable equal to the value (``AddElement``)
        is shorter, but CP-SAT then branches over the value's huge scaled domain: 74,000
        branches and no proof in 10 s on a three-measure problem.
        """
        model = self.model
        at = [model.new_bool_var("") for _ in whole]
        model.add(sum(at) == mode.presence)
        for offset, literal in enumerate(at):
            model.add(mode.start == mode.first + offset).only_enforce_if(literal)
        return sum(w * literal for w, literal in zip(whole, at, strict=True))

    def add_hints(self) -> None:
        """The starting plan, as CP-SAT's hint."""
        plan = self.request.start
        if plan is None:
            return
        chosen = {(a.measure, a.scope): a.start for a in plan.assignments}
        for measure_id, modes in self.modes.items():
            for mode in modes:
                start = chosen.get((measure_id, mode.scope.id))
                self.model.add_hint(mode.presence, start is not None)
                if start is not None:
                    self.model.add_hint(mode.start, start)

    # -- reading -----------------------------------------------------------------------

    def plan(self, solver: Any) -> Plan:
        """The schedule of the solver's solution."""
        return Plan.of(
            Assignment(measure_id, mode.scope.id, int(solver.value(mode.start)))
            for measure_id, modes in self.modes.items()
            for mode in modes
            if solver.boolean_value(mode.presence)
        )

    def _whole(self, amount: float) -> int:
        return round(amount * self.scale)


def _values(problem: Problem, objective: ObjectiveSettings, mode: _Mode) -> list[float]:
    """Net value of the scope for each start in its window, as the evaluator scores it."""
    horizon = problem.horizon
    weights = [objective.discount(t) for t in range(horizon)]
    suffix = [*list(accumulate(reversed(weights)))[::-1], 0.0]
    prefix = [0.0, *accumulate(weights)]
    terminal = objective.terminal_weight(horizon)
    scope = mode.scope
    values = []
    for start in range(mode.first, mode.last + 1):
        in_force = start + mode.length
        value = scope.benefit.base * (suffix[in_force] + terminal)
        for resource_id, amount in scope.use.items():
            resource = problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                spread = weights[start]
            else:
                spread = prefix[in_force] - prefix[start]
            value -= resource.price.base * amount.base * spread
        values.append(value)
    return values


def _resource_scale(problem: Problem) -> int | None:
    """The least power of ten that makes every resource number whole, if one up to 10**6 does."""
    numbers = list(_resource_numbers(problem))
    scale = 1
    while scale <= MAX_SCALE:
        if all(
            abs(x * scale - round(x * scale)) <= 1e-9 * max(1.0, abs(x * scale)) for x in numbers
        ):
            return scale
        scale *= 10
    return None


def _whole(x: float) -> bool:
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def _resource_numbers(problem: Problem) -> Iterable[float]:
    for resource in problem.resources:
        yield resource.capacity.base
        yield from (o.base for o in resource.overrides.values())
    for _, scope in problem.all_scopes():
        yield from (u.base for u in scope.use.values())
