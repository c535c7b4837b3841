"""HiGHS on arrays: the integer program written straight into HiGHS, without PuLP objects.

The model is the one :mod:`seqopt.milp` builds (the same builder, the same
rows), written by :class:`ArraySink` into plain arrays and handed to a fresh
HiGHS instance. A fresh instance per solve keeps every answer independent of
what was solved before, so results do not depend on how scenarios are shared
among workers. This is the default back end for value models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqopt.milp import Sink, Term
from seqopt.settings import SolverSettings
from seqopt.solvers.backend import Answer
from seqopt.solvers.highs import highs_stop, new_highs, run_from_start, search_options, words
from seqopt.solvers.result import Stop

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


class HighsArrays:
    """The back end: :class:`ArraySink` models solved by a fresh HiGHS instance."""

    name = "highs"

    def sink(self, name: str, maximise: bool) -> ArraySink:
        """A new, empty model."""
        return ArraySink()

    def size(self, sink: Sink) -> tuple[int, int]:
        """Columns and rows."""
        assert isinstance(sink, ArraySink)
        return len(sink.names), len(sink.row_lower)

    def solve(
        self,
        sink: Sink,
        objective: list[Term],
        maximise: bool,
        settings: SolverSettings,
        repeated: bool,
        start: list[tuple[Any, float]],
    ) -> Answer:
        """Run HiGHS on the arrays (re-running without the start if HiGHS contradicts itself)."""
        assert isinstance(sink, ArraySink)
        if sink.impossible:
            return Answer(Stop.INFEASIBLE, False, None, None, f"impossible rows: {sink.impossible}")
        highs = new_highs(settings, search_options(repeated, bool(start)))
        highs.passModel(sink.highs_lp(objective, maximise))
        if start:
            index = np.array([var.index for var, _ in start], dtype=np.int32)
            value = np.array([x for _, x in start], dtype=np.float64)
            # A partial solution: HiGHS completes the continuous variables itself.
            highs.setSolution(len(start), index, value)
        ran_again = run_from_start(highs, bool(start), settings.time_limit)
        stop, has_solution = highs_stop(highs)
        info = highs.getInfo()
        solution = np.asarray(highs.getSolution().col_value) if has_solution else None
        bound = float(info.mip_dual_bound) if has_solution else None
        return Answer(
            stop,
            has_solution,
            (lambda var: float(solution[var.index])) if solution is not None else None,
            bound,
            words(highs, ran_again),
            int(info.mip_node_count),
        )
