"""Solve one scenario fast: the integer program as arrays, straight into HiGHS.

The model is the one :func:`seqopt.milp.build` makes (the same builder, the
same rows), written by :class:`ArraySink` into plain arrays instead of PuLP
objects and handed to a fresh HiGHS instance. A fresh instance per scenario
keeps every scenario's answer independent of which scenarios a worker solved
before, so results do not depend on how scenarios are shared among workers.

What makes a scenario fast (measured in ``benchmarks/uncertainty.py``, see
docs/uncertainty.md): no PuLP objects; a starting solution (the best of the
plans offered, such as the base plan and the greedy plan, that breaks no rule
of the scenario, checked by the evaluator first); and HiGHS options suited to
small models (:data:`FAST_OPTIONS`). Every plan is
then checked by the evaluator against the scenario's problem, exactly as
:func:`seqopt.solve.solve` does, and tie-broken the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.highs import RAN_AGAIN, quiet_highs, run_from_start
from seqopt.milp import Built, Term, build_into
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solve import (
    PROVEN_GAP,
    Status,
    classify,
    highs_stop,
    relative_gap,
    verify,
)
from seqopt.ties import break_ties

FAST_OPTIONS: Mapping[str, Any] = {
    "mip_detect_symmetry": False,
    "mip_allow_restart": False,
    "mip_pool_soft_limit": 50,
    "mip_lp_age_limit": 1,
    "mip_pool_age_limit": 1,
    "mip_pscost_minreliable": 0,
}
"""HiGHS search settings that shorten small solves; what is proven (the gap) is unchanged.

No symmetry detection and no restarts; a small cut pool whose rows age out
quickly; pseudo-costs trusted at once instead of strong branching. Measured on
the reference model's scenarios in ``benchmarks/uncertainty.py``.
"""

INFINITY = float("inf")


@dataclass(frozen=True)
class Column:
    """A variable of an :class:`ArraySink`: its name and its position."""

    name: str
    index: int


@dataclass
class ArraySink:
    """Collects variables, rows and an objective as arrays for HiGHS (see :class:`milp.Sink`)."""

    names: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    """Binaries and general integers: the columns HiGHS must make integral."""
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    """Rows without variables whose right-hand side 0 cannot meet (``0 = 1``)."""

    def variable(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        binary: bool = False,
        integer: bool = False,
    ) -> Column:
        """Add a column."""
        column = Column(name, len(self.names))
        self.names.append(name)
        self.lower.append(0.0 if binary else (-INFINITY if low is None else float(low)))
        self.upper.append(1.0 if binary else (INFINITY if high is None else float(high)))
        self.integer.append(binary or integer)
        return column

    def row(self, terms: list[Term], sense: str, rhs: float, name: str) -> None:
        """Add a row (a variable named twice has its coefficients added, as in PuLP)."""
        merged: dict[int, float] = {}
        for var, coefficient in terms:
            merged[var.index] = merged.get(var.index, 0.0) + coefficient
        for column, coefficient in merged.items():
            if coefficient != 0:
                self.index.append(column)
                self.value.append(coefficient)
        if not any(merged.values()) and not _holds(0.0, sense, rhs):
            # HiGHS drops a model without columns as "empty" and never reads such a row.
            self.impossible.append(name)
        self.starts.append(len(self.index))
        self.row_lower.append(rhs if sense in (">=", "==") else -INFINITY)
        self.row_upper.append(rhs if sense in ("<=", "==") else INFINITY)

    def highs_lp(self, objective: list[Term], maximise: bool) -> Any:
        """The model as a :class:`highspy.HighsLp`."""
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_ = len(self.names)
        lp.num_row_ = len(self.row_lower)
        cost = np.zeros(len(self.names))
        for var, coefficient in objective:
            cost[var.index] += coefficient
        lp.col_cost_ = cost
        lp.col_lower_ = np.array(self.lower)
        lp.col_upper_ = np.array(self.upper)
        lp.row_lower_ = np.array(self.row_lower)
        lp.row_upper_ = np.array(self.row_upper)
        lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self.starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.value)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in self.integer
        ]
        return lp


def _holds(value: float, sense: str, rhs: float) -> bool:
    tolerance = 1e-9
    if sense == "<=":
        return value <= rhs + tolerance
    if sense == ">=":
        return value >= rhs - tolerance
    return abs(value - rhs) <= tolerance


@dataclass(frozen=True)
class Solved:
    """The verified outcome of one scenario's solve."""

    status: Status
    evaluation: Evaluation | None
    bound: float | None
    gap: float | None

    @property
    def value(self) -> float | None:
        """The evaluator's value of the plan, when there is one."""
        return self.evaluation.objective if self.evaluation is not None else None

    @property
    def plan(self) -> Plan | None:
        """The verified plan, when there is one."""
        return self.evaluation.plan if self.evaluation is not None else None


def solve_fast(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    starts: Sequence[Plan] = (),
    options: Mapping[str, Any] = FAST_OPTIONS,
) -> Solved:
    """Solve ``problem`` with HiGHS from arrays, verified and tie-broken as by ``solve()``.

    The best of ``starts`` that breaks no rule of ``problem`` is handed to HiGHS
    as a first solution.

    Raises
    ------
    PlanRejected
        When the plan read back breaks a rule or its value differs from the evaluator's.
    """
    sink = ArraySink()
    built = build_into(problem, objective, sink)
    start = _best_start(problem, objective, built, starts)
    run = run_arrays(sink, built, objective, settings, options, start)
    if not run.status.has_plan or run.plan is None:
        return Solved(run.status, None, None, None)
    evaluation = evaluate(problem, run.plan, objective)
    verify(evaluation, run.value)
    if objective.tie_break:
        moved = break_ties(problem, objective, evaluation.plan)
        if moved != evaluation.plan:
            evaluation = evaluate(problem, moved, objective)
    gap = relative_gap(evaluation.objective, run.bound) if run.bound is not None else None
    status = run.status
    if status is Status.FEASIBLE and gap is not None and gap <= PROVEN_GAP:
        status = Status.OPTIMAL  # a better tie-broken plan meets the proven bound
    return Solved(status, evaluation, run.bound, gap)


@dataclass(frozen=True)
class Run:
    """What one HiGHS run returned, before any check."""

    status: Status
    plan: Plan | None
    value: float | None
    bound: float | None
    words: str


def run_arrays(
    sink: ArraySink,
    built: Built,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    options: Mapping[str, Any] = FAST_OPTIONS,
    start: Plan | None = None,
) -> Run:
    """Run HiGHS on the model in ``sink`` whose handles and objective are ``built``."""
    if sink.impossible:
        return Run(Status.INFEASIBLE, None, None, None, f"impossible rows: {sink.impossible}")
    highs = new_highs(settings, options)
    highs.passModel(sink.highs_lp(built.primary, objective.kind is ObjectiveKind.VALUE))
    if start is not None:
        _set_start(highs, built, start)
    ran_again = run_from_start(highs, start is not None, settings.time_limit)
    stop, has_solution = highs_stop(highs)
    words = str(highs.modelStatusToString(highs.getModelStatus()))
    if ran_again:
        words += RAN_AGAIN
    value = bound = None
    plan = None
    if has_solution:
        solution = np.asarray(highs.getSolution().col_value)
        plan = _read_plan(built, solution)
        value = _primary(built.primary, solution)
        bound = float(highs.getInfo().mip_dual_bound) if built.starts or built.uses else value
    return Run(classify(stop, has_solution, value, bound), plan, value, bound, words)


def _best_start(
    problem: Problem, objective: ObjectiveSettings, built: Built, starts: Sequence[Plan]
) -> Plan | None:
    """The best plan among ``starts`` that fits the model and breaks no rule of ``problem``."""
    best: Evaluation | None = None
    for plan in starts:
        chosen = {(a.measure, a.scope, a.start) for a in plan.assignments}
        used = {(u.lever, u.period) for u in plan.lever_uses}
        if not chosen <= built.starts.keys() or not used <= built.uses.keys():
            continue
        evaluation = evaluate(problem, plan, objective)
        if evaluation.feasible and (best is None or _better(objective, evaluation, best)):
            best = evaluation
    return best.plan if best is not None else None


def _better(objective: ObjectiveSettings, one: Evaluation, other: Evaluation) -> bool:
    if objective.kind is ObjectiveKind.VALUE:
        return one.objective > other.objective
    return one.objective < other.objective


def new_highs(settings: SolverSettings, options: Mapping[str, Any] = FAST_OPTIONS) -> Any:
    """A fresh, silent HiGHS instance with the gap, threads, time limit and ``options``."""
    import highspy

    quiet_highs()
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", settings.gap)
    highs.setOptionValue("threads", settings.threads)
    highs.setOptionValue("random_seed", 0)
    if settings.time_limit is not None:
        highs.setOptionValue("time_limit", float(settings.time_limit))
    for name, setting in options.items():
        highs.setOptionValue(name, setting)
    return highs


def _set_start(highs: Any, built: Built, start: Plan) -> None:
    chosen = {(a.measure, a.scope, a.start) for a in start.assignments}
    used = {(u.lever, u.period) for u in start.lever_uses}
    known = [(var.index, float(key in chosen)) for key, var in built.starts.items()]
    known += [(var.index, float(key in used)) for key, var in built.uses.items()]
    index = np.array([i for i, _ in known], dtype=np.int32)
    value = np.array([x for _, x in known], dtype=np.float64)
    # A partial solution: HiGHS completes the continuous variables itself.
    highs.setSolution(len(known), index, value)


def _read_plan(built: Built, solution: np.ndarray[Any, Any]) -> Plan:
    assignments = [
        Assignment(m, s, t) for (m, s, t), var in built.starts.items() if solution[var.index] > 0.5
    ]
    uses = [
        LeverUse(lever, t) for (lever, t), var in built.uses.items() if solution[var.index] > 0.5
    ]
    return Plan.of(assignments, uses)


def _primary(terms: list[Term], solution: np.ndarray[Any, Any]) -> float:
    return float(sum(coefficient * solution[var.index] for var, coefficient in terms))
