"""HiGHS housekeeping shared by every module that runs it."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

_BANNER_SILENCED = False

MIN_SOLVER_SECONDS = 1.0
"""A solver run always gets at least this long, however much of the limit went before it."""

RAN_AGAIN = (
    " (solved again without the starting plan: with it, HiGHS reported an objective "
    "its own solution does not have)"
)
"""Added to HiGHS's words when :func:`run_from_start` ran a second time."""


def quiet_highs() -> None:
    """HiGHS prints a banner from C++ the first time it is created; keep it off our output."""
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    import highspy

    with _stdout_to_devnull():
        highspy.Highs()  # type: ignore[no-untyped-call]
    _BANNER_SILENCED = True


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        # Captured output (tests, notebooks): the C-level banner goes to the real fd 1.
        fd = 1
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def objective_consistent(highs: Any) -> bool:
    """Whether HiGHS's reported objective is the objective of the solution it returns.

    HiGHS 1.16 can map a starting solution into its presolved model with the wrong
    objective offset (PSPLIB j3011_7: "MIP start solution is feasible in the
    reduced space: objective value is 35" for a start of makespan 36) and then
    stop as "optimal" with a primal and dual bound one unit too low. The solution
    it returns is right; its bound is not to be trusted.
    """
    import numpy as np

    info = highs.getInfo()
    if int(info.primal_solution_status) != 2:  # kSolutionStatusFeasible
        return True
    lp = highs.getLp()
    solution = np.asarray(highs.getSolution().col_value)
    value = float(np.dot(np.asarray(lp.col_cost_), solution) + lp.offset_)
    reported = float(info.objective_function_value)
    return abs(value - reported) <= 1e-6 * max(1.0, abs(value))


def run_from_start(highs: Any, started: bool, time_limit: float | None) -> bool:
    """Run HiGHS; when a starting solution left its answer inconsistent, run again without it.

    ``started`` says whether a starting solution was handed to ``highs``;
    ``time_limit`` is the limit the first run had (the second gets what is left).
    Returns whether it ran again.
    """
    began = time.perf_counter()
    highs.run()
    if not started or objective_consistent(highs):
        return False
    highs.clearSolver()
    if time_limit is not None:
        left = max(time_limit - (time.perf_counter() - began), MIN_SOLVER_SECONDS)
        highs.setOptionValue("time_limit", float(left))
    highs.run()
    return True
