"""The solver back ends, one module each, behind one result and status type.

- :mod:`~seqopt.solvers.result`: :class:`Status`, :class:`Run` (a back end's
  answer) and :class:`SolveResult` (a verified solve); no solver imported.
- :mod:`~seqopt.solvers.choice`: which back end solves a model (``auto``).
- :mod:`~seqopt.solvers.backend`: a solve request, and the common path of the
  integer-programming back ends (build, start, run, read the plan).
- :mod:`~seqopt.solvers.highs_arrays`, :mod:`~seqopt.solvers.highs_pulp`,
  :mod:`~seqopt.solvers.cbc`: the integer program of :mod:`seqopt.milp` on
  HiGHS (as arrays, or through PuLP) and on CBC.
- :mod:`~seqopt.solvers.cpsat`: a native CP-SAT model for pure scheduling.

The entry point that uses them is :func:`seqopt.solve.solve`.
"""

from seqopt.solvers.choice import EngineUnavailable
from seqopt.solvers.result import PlanRejected, Run, SolveResult, Status

__all__ = ["EngineUnavailable", "PlanRejected", "Run", "SolveResult", "Status"]
