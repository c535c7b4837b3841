"""HiGHS housekeeping shared by the back ends that run it (on arrays and through PuLP)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

from seqopt import interrupt
from seqopt.settings import SolverSettings
from seqopt.solvers.result import Stop

MIN_SOLVER_SECONDS = 1.0
"""A solver run always gets at least this long, however much of the limit went before it."""

RAN_AGAIN = (
    " (solved again without the starting plan: with it, HiGHS reported an objective "
    "its own solution does not have)"
)
"""Added to HiGHS's words when :func:`run_from_start` ran a second time."""

REPEATED_OPTIONS: Mapping[str, Any] = {
    "mip_detect_symmetry": False,
    "mip_allow_restart": False,
    "mip_pool_soft_limit": 50,
    "mip_lp_age_limit": 1,
    "mip_pool_age_limit": 1,
    "mip_pscost_minreliable": 0,
}
"""HiGHS search settings that shorten small solves; what is proven (the gap) is unchanged.

No symmetry detection and no restarts; a small cut pool whose rows age out
quickly; pseudo-costs trusted at once instead of strong branching. Used where
one model is solved many times with small changes (simulations, sensitivity,
explanations): on 30 scenarios of the reference model, HiGHS's defaults take
2.4 times as long (median ratio, ``benchmarks/repeated.py``).
"""

WITH_START_OPTIONS: Mapping[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}
"""Added to :data:`REPEATED_OPTIONS` when a starting plan is handed over: no primal heuristics.

A repeated solve starts from a plan that is usually within a few per cent of the
optimum (the base plan or the greedy plan of the variant); HiGHS's heuristics
then mostly spend time. On 30 scenarios of the reference model, switching them
off halves the time to the proof from the optimal plan and cuts it by 30 % from
the greedy start, and costs time without a start (``benchmarks/repeated.py``).
"""


def search_options(repeated: bool, started: bool) -> Mapping[str, Any]:
    """The HiGHS options for a solve: the defaults, or those of repeated solves."""
    if not repeated:
        return {}
    return {**REPEATED_OPTIONS, **WITH_START_OPTIONS} if started else REPEATED_OPTIONS


_BANNER_SILENCED = False


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
    # C++ writes to file descriptor 1 whatever sys.stdout is: a Jupyter kernel's
    # sys.stdout.fileno() is a copy of the original, while fd 1 is the kernel's capture.
    fd = 1
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def new_highs(settings: SolverSettings, options: Mapping[str, Any] | None = None) -> Any:
    """A fresh HiGHS instance with the gap, threads, time limit, log and ``options``."""
    import highspy

    quiet_highs()
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", settings.log)
    highs.setOptionValue("mip_rel_gap", settings.gap)
    highs.setOptionValue("threads", settings.threads)
    highs.setOptionValue("random_seed", settings.random_seed)
    if settings.time_limit is not None:
        highs.setOptionValue("time_limit", float(settings.time_limit))
    for name, setting in (options or {}).items():
        highs.setOptionValue(name, setting)
    listen_for_stop(highs)
    return highs


def listen_for_stop(highs: Any) -> None:
    """Let Ctrl-C stop ``highs`` within a fraction of a second (see :mod:`seqopt.interrupt`).

    HiGHS calls these callbacks from the thread that runs it, which lets Python's
    pending signal handler run and set the stop flag; the callback then tells
    HiGHS to stop, and the run ends with model status "Interrupted by user".
    """
    highs.cbSimplexInterrupt += interrupt.stop_highs
    highs.cbIpmInterrupt += interrupt.stop_highs
    highs.cbMipInterrupt += interrupt.stop_highs


def highs_stop(highs: Any) -> tuple[Stop, bool]:
    """Why a HiGHS run stopped, and whether it holds a feasible solution."""
    import highspy

    statuses = highspy.HighsModelStatus
    stops = {
        statuses.kOptimal: Stop.FINISHED,
        statuses.kModelEmpty: Stop.FINISHED,
        statuses.kInfeasible: Stop.INFEASIBLE,
        # Binaries bound every variable, so "unbounded or infeasible" can only be infeasible.
        statuses.kUnboundedOrInfeasible: Stop.INFEASIBLE,
        statuses.kUnbounded: Stop.UNBOUNDED,
        statuses.kTimeLimit: Stop.LIMIT,
        statuses.kIterationLimit: Stop.LIMIT,
        statuses.kInterrupt: Stop.LIMIT,
        statuses.kSolutionLimit: Stop.LIMIT,
    }
    model_status = highs.getModelStatus()
    has_solution = int(highs.getInfo().primal_solution_status) == 2  # kSolutionStatusFeasible
    return stops.get(model_status, Stop.ERROR), has_solution or model_status == statuses.kModelEmpty


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
    _run(highs)
    if not started or objective_consistent(highs) or interrupt.requested():
        return False
    highs.clearSolver()
    if time_limit is not None:
        left = max(time_limit - (time.perf_counter() - began), MIN_SOLVER_SECONDS)
        highs.setOptionValue("time_limit", float(left))
    _run(highs)
    return True


def _run(highs: Any) -> None:
    """One HiGHS run, which Ctrl-C can stop.

    HiGHS sizes one pool of threads per process at its first run; a later run asking
    for another number of threads fails at once with model status "Not Set" (seen
    when other code in the process ran HiGHS with its default threads first). The
    pool is then reset and the run tried again.
    """
    import highspy

    with interrupt.polled():
        highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kNotset and not interrupt.requested():
        highspy.Highs.resetGlobalScheduler(True)
        with interrupt.polled():
            highs.run()


def words(highs: Any, ran_again: bool) -> str:
    """HiGHS's own words for how a run ended."""
    said = str(highs.modelStatusToString(highs.getModelStatus()))
    return said + RAN_AGAIN if ran_again else said
