"""The back ends by name, and running one on a request."""

from __future__ import annotations

from seqopt.milp import Built, Sink, build_into
from seqopt.settings import SolverName
from seqopt.solvers.backend import MilpBackend, Request, run_milp
from seqopt.solvers.cbc import Cbc
from seqopt.solvers.highs_arrays import HighsArrays
from seqopt.solvers.highs_pulp import HighsPulp
from seqopt.solvers.result import Run


def milp_backend(name: SolverName) -> MilpBackend:
    """The integer-programming back end for ``name`` (HiGHS on arrays for ``auto``/``cpsat``).

    Models only an integer program can express (the elastic model, a robust model
    over many scenarios) go to HiGHS when the model's setting names CP-SAT.
    """
    if name is SolverName.CBC:
        return Cbc()
    if name is SolverName.HIGHS_PULP:
        return HighsPulp()
    return HighsArrays()


def run(engine: SolverName, request: Request) -> Run:
    """Run ``engine`` (a resolved name, not ``auto``) on ``request``."""
    if engine is SolverName.CPSAT:
        from seqopt.solvers import cpsat

        return cpsat.run(request)

    def build(sink: Sink) -> Built:
        return build_into(request.problem, request.objective, sink, request.makespan_bound)

    return run_milp(milp_backend(engine), request, build)
