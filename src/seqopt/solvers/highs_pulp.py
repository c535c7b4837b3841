"""HiGHS through PuLP: the integer program as PuLP objects, solved by PuLP's HiGHS interface.

Slower to build than :mod:`seqopt.solvers.highs_arrays` (every variable and row
is a Python object), and kept as a second, independent path into HiGHS: the
brute-force tests hold both to the same optima, and a PuLP model can be written
out as a readable LP file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pulp

from seqopt.milp import PulpSink, Sink, Term
from seqopt.settings import SolverSettings
from seqopt.solvers.backend import Answer
from seqopt.solvers.highs import (
    highs_stop,
    listen_for_stop,
    quiet_highs,
    run_from_start,
    search_options,
    words,
)


class _HiGHSFromStart(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS interface, handing HiGHS a starting solution and options before it runs."""

    def __init__(
        self, start: list[tuple[Any, float]], options: dict[str, Any], **settings: Any
    ) -> None:
        super().__init__(**settings)
        self.start = start
        self.extra = options
        self.ran_again = False

    def callSolver(self, lp: pulp.LpProblem) -> None:
        listen_for_stop(lp.solverModel)
        for name, value in self.extra.items():
            lp.solverModel.setOptionValue(name, value)
        if self.start:
            # PuLP hands HiGHS only the variables that appear in a row or the objective.
            columns = {var.name: var.index for var in lp.variables()}
            known = [(columns[var.name], x) for var, x in self.start if var.name in columns]
            index = np.array([i for i, _ in known], dtype=np.int32)
            value = np.array([x for _, x in known], dtype=np.float64)
            # A partial solution: HiGHS completes the continuous variables itself.
            lp.solverModel.setSolution(len(known), index, value)
        self.ran_again = run_from_start(lp.solverModel, bool(self.start), self.timeLimit)


class HighsPulp:
    """The back end: a PuLP model solved by HiGHS through PuLP."""

    name = "highs-pulp"

    def sink(self, name: str, maximise: bool) -> PulpSink:
        """A new PuLP model."""
        sense = pulp.LpMaximize if maximise else pulp.LpMinimize
        return PulpSink(pulp.LpProblem(name or "seqopt", sense))

    def size(self, sink: Sink) -> tuple[int, int]:
        """Variables and constraints of the PuLP model."""
        assert isinstance(sink, PulpSink)
        return sink.lp.numVariables(), sink.lp.numConstraints()

    def solve(
        self,
        sink: Sink,
        objective: list[Term],
        maximise: bool,
        settings: SolverSettings,
        repeated: bool,
        start: list[tuple[Any, float]],
    ) -> Answer:
        """Solve with PuLP's HiGHS interface."""
        assert isinstance(sink, PulpSink)
        lp = sink.lp
        lp.setObjective(pulp.LpAffineExpression(objective))
        quiet_highs()
        solver = _HiGHSFromStart(
            start,
            dict(search_options(repeated, bool(start))),
            msg=settings.log,
            timeLimit=settings.time_limit,
            gapRel=settings.gap,
            threads=settings.threads,
            random_seed=settings.random_seed,
        )
        lp.solve(solver)
        # PuLP gives the variables of the model their index in HiGHS's columns before the
        # start is set (``var.index`` above), and reads values back into ``varValue``.
        highs = lp.solverModel
        stop, has_solution = highs_stop(highs)
        bound = None
        if has_solution:
            # PuLP hands HiGHS a minimisation; a maximum comes back negated.
            bound = (-1.0 if maximise else 1.0) * float(highs.getInfo().mip_dual_bound)
        return Answer(
            stop,
            has_solution,
            (lambda var: float(var.varValue or 0.0)) if has_solution else None,
            bound,
            words(highs, solver.ran_again),
            int(highs.getInfo().mip_node_count),
        )
