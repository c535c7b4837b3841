"""Which back end solves a problem: the model's ``solver.name``, with ``auto`` resolved.

``auto`` takes OR-Tools CP-SAT for *pure scheduling* models and HiGHS for
everything else. A model is pure scheduling when no scope has a support gate:
then support series and framing levers cannot change which plans are allowed
(a lever only costs), and the problem is a multi-mode resource-constrained
project scheduling problem, which CP-SAT's interval model proves far faster
than the time-indexed integer program (``docs/psplib.md``). CP-SAT is never
given a model with gates: its integer-only arithmetic cannot carry the
continuous support levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from seqopt.data import Problem
from seqopt.settings import SolverName
from seqopt.solvers.cpsat import unsupported


class EngineUnavailable(ValueError):
    """The solver asked for cannot solve this model (or is not installed)."""


def cpsat_installed() -> bool:
    """Whether OR-Tools can be imported."""
    return find_spec("ortools") is not None


@dataclass(frozen=True)
class Choice:
    """The back end that will run, and why."""

    engine: SolverName
    reason: str

    @property
    def wants_greedy_start(self) -> bool:
        """Whether the greedy plan is worth computing as a start (``warm_start``).

        Not for CP-SAT: its own search finds such plans in milliseconds, while the
        greedy plan and the activity-list search take 0.3-5 s on a PSPLIB j30
        instance (``docs/psplib.md``).
        """
        return self.engine is not SolverName.CPSAT


def choose(problem: Problem, asked: SolverName) -> Choice:
    """Resolve ``asked`` for ``problem``.

    Raises
    ------
    EngineUnavailable
        When ``cpsat`` is asked for a model with support gates, or OR-Tools is missing.
    """
    refused = unsupported(problem)
    if asked is SolverName.CPSAT:
        if refused is not None:
            raise EngineUnavailable(
                f"solver 'cpsat' solves only pure scheduling models, and this model cannot "
                f"go to it: {refused}. Use 'highs', 'cbc' or 'auto'."
            )
        if not cpsat_installed():
            raise EngineUnavailable("solver 'cpsat' needs OR-Tools: pip install ortools")
        return Choice(SolverName.CPSAT, "asked for in the model's settings")
    if asked is not SolverName.AUTO:
        return Choice(asked, "asked for in the model's settings")
    if refused is None and cpsat_installed():
        return Choice(SolverName.CPSAT, "auto: a pure scheduling model (no support gates)")
    why = (
        "OR-Tools is not installed"
        if refused is None
        else f"the model has what CP-SAT cannot take: {refused}"
    )
    return Choice(SolverName.HIGHS, f"auto: the integer program ({why})")
