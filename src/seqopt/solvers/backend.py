"""What every back end is asked, and the common path of the integer-programming back ends.

A :class:`Request` is one solve: the problem, how plans are scored, the solver
settings, a starting plan that breaks no rule (or none), and an upper bound on
the makespan known from that plan. A back end answers with a
:class:`~seqopt.solvers.result.Run`.

The integer program is written once (:mod:`seqopt.milp`) into a *sink*; each
integer-programming back end (HiGHS on arrays, HiGHS through PuLP, CBC through
PuLP) supplies its own sink and the code that runs its solver, as a
:class:`MilpBackend`. :func:`run_milp` does the rest in one place for all of
them: build, hand over the starting plan, run, read the plan back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from seqopt.data import Problem
from seqopt.milp import Built, Sink, Term
from seqopt.plan import Assignment, LeverUse, Plan, upgrade_step
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers.result import Run, Stop, classify

Values = Callable[[Any], float]
"""The value a solved model gives a variable of its sink."""


@dataclass(frozen=True)
class Request:
    """One solve asked of a back end."""

    problem: Problem
    objective: ObjectiveSettings
    settings: SolverSettings
    start: Plan | None = None
    """A plan that breaks no rule, handed to the solver as its first solution."""
    makespan_bound: int | None = None
    """With the makespan objective: the makespan of a known plan (starts finishing
    later are left out of the model)."""
    repeated: bool = False
    """Whether this is one of many solves of a model with small changes (simulations,
    sensitivity, explanations): HiGHS then uses search settings for small models
    (:func:`seqopt.solvers.highs.search_options`)."""

    @property
    def maximise(self) -> bool:
        """Whether more is better (the value objective)."""
        return self.objective.kind is ObjectiveKind.VALUE


@dataclass(frozen=True)
class Answer:
    """What a solver said about a model, in solver-neutral terms."""

    stop: Stop
    has_solution: bool
    values: Values | None
    """Variable values of the solution, when there is one."""
    bound: float | None
    """The proven bound in the model's own sense, when the solver gives one."""
    words: str
    nodes: int | None = None


class MilpBackend(Protocol):
    """An integer-programming solver: a sink to build into, and a way to run it."""

    name: str

    def sink(self, name: str, maximise: bool) -> Sink:
        """A fresh, empty model to build into."""
        ...

    def size(self, sink: Sink) -> tuple[int, int]:
        """Variables and rows of a built model."""
        ...

    def solve(
        self,
        sink: Sink,
        objective: list[Term],
        maximise: bool,
        settings: SolverSettings,
        repeated: bool,
        start: list[tuple[Any, float]],
    ) -> Answer:
        """Solve the model in ``sink``; ``start`` gives values to (some) binaries."""
        ...


Build = Callable[[Sink], Built]


@dataclass(frozen=True)
class Solved:
    """A model built into a back end's sink and solved there."""

    built: Built
    answer: Answer
    variables: int
    constraints: int
    build_seconds: float


def solve_model(
    backend: MilpBackend,
    request: Request,
    build: Build,
    *,
    maximise: bool | None = None,
) -> Solved:
    """Build a model with ``build`` into ``backend``'s sink and solve it.

    The objective is the built model's ``primary`` terms, maximised when
    ``maximise`` (by default, when the request's objective is the value). The
    request's starting plan, when it fits the model, is handed to the solver.
    """
    began = time.perf_counter()
    maximise = request.maximise if maximise is None else maximise
    sink = backend.sink(request.problem.name, maximise)
    built = build(sink)
    build_seconds = time.perf_counter() - began
    start = start_values(built, request.start) if request.start is not None else []
    answer = backend.solve(sink, built.primary, maximise, request.settings, request.repeated, start)
    variables, constraints = backend.size(sink)
    return Solved(built, answer, variables, constraints, build_seconds)


def run_milp(backend: MilpBackend, request: Request, build: Build) -> Run:
    """Build the model with ``build``, solve it on ``backend`` and read the plan back."""
    solved = solve_model(backend, request, build)
    built, answer = solved.built, solved.answer
    plan = value = None
    bound = answer.bound
    if answer.has_solution and answer.values is not None:
        plan = read_plan(built, answer.values)
        value = sum(c * answer.values(var) for var, c in built.primary)
        if not (built.starts or built.uses):
            bound = value  # no integer decision: the LP optimum is the optimum
    status = classify(answer.stop, answer.has_solution, value, bound)
    return Run(
        status,
        plan,
        value,
        bound,
        answer.words,
        solved.variables,
        solved.constraints,
        answer.nodes,
        tuple(built.notes),
        solved.build_seconds,
    )


def start_values(built: Built, plan: Plan) -> list[tuple[Any, float]]:
    """A value for every start, upgrade and lever binary from ``plan``; empty when it does not fit.

    A plan fits when every start and lever use it makes has a variable (a start
    the presolve ruled out has none). The continuous variables are left to the
    solver to complete.
    """
    chosen = {(a.measure, a.scope, a.start) for a in plan.assignments}
    for upgrade in plan.upgrades:
        signed = plan.assignment(upgrade.measure)
        if signed is not None:
            # The model names an upgrade's start by its step (see seqopt.plan.UPGRADE_STEP).
            chosen.add((upgrade.measure, upgrade_step(signed.scope, upgrade.scope), upgrade.start))
    used = {(u.lever, u.period) for u in plan.lever_uses}
    if not chosen <= built.starts.keys() or not used <= built.uses.keys():
        return []
    pairs = [(var, float(key in chosen)) for key, var in built.starts.items()]
    pairs += [(var, float(key in used)) for key, var in built.uses.items()]
    return pairs


def read_plan(built: Built, values: Values) -> Plan:
    """The schedule the solved binaries describe."""
    assignments = [
        Assignment(measure, scope, start)
        for (measure, scope, start), var in built.starts.items()
        if values(var) > 0.5
    ]
    uses = [
        LeverUse(lever, period) for (lever, period), var in built.uses.items() if values(var) > 0.5
    ]
    return Plan.of(assignments, uses)
