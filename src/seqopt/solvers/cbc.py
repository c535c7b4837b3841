"""CBC through PuLP (the solver bundled with PuLP), the fallback back end.

CBC is always handed a minimisation: a value model's objective is negated here
and its value and bound negated back. CBC 2.10 mishandles a starting solution
for a maximisation: it sets its cutoff on the wrong side of the start and can
stop at once calling a worse plan "Optimal solution found" (coin-or/Cbc issue
#296 and pull request #787). On a one-measure model whose optimum is 4, CBC
with the start said "optimal, 0". CBC never sees a maximisation, so this
cannot happen.

With a starting plan CBC also says "infeasible" when nothing beats the start
(it cuts off everything that does not); since the start breaks no rule, the
model is then solved again without it (:data:`RAN_AGAIN_CBC`).

CBC's status is read from its log (``Result - ...``, ``Objective value``,
``Lower bound``) together with PuLP's solution status; PuLP's own status says
"Optimal" for a run stopped at its time limit with a solution.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulp

from seqopt import interrupt
from seqopt.milp import PulpSink, Sink, Term
from seqopt.settings import SolverSettings
from seqopt.solvers.backend import Answer
from seqopt.solvers.highs import MIN_SOLVER_SECONDS
from seqopt.solvers.result import Stop

RAN_AGAIN_CBC = (
    " (solved again without the starting plan: with it, CBC found nothing better and "
    "called the model infeasible)"
)

_CBC_LINE = re.compile(r"^(Objective value|Lower bound|Gap):\s*(\S+)", re.MULTILINE)


class Cbc:
    """The back end: a PuLP model (always a minimisation) solved by the bundled CBC."""

    name = "cbc"

    def sink(self, name: str, maximise: bool) -> PulpSink:
        """A new PuLP minimisation."""
        return PulpSink(pulp.LpProblem(name or "seqopt", pulp.LpMinimize))

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
        """Solve with CBC; a maximum is solved as the minimum of its negation."""
        assert isinstance(sink, PulpSink)
        lp = sink.lp
        sign = -1.0 if maximise else 1.0
        lp.setObjective(pulp.LpAffineExpression([(var, sign * c) for var, c in objective]))
        began = time.perf_counter()
        answer = _run(lp, settings, start, sign)
        if start and answer.stop is Stop.INFEASIBLE:
            # With a starting plan CBC cuts off everything not better than it, and says
            # "infeasible" when nothing is: the start breaks no rule, so that is no proof of
            # anything. Solve again without it for an answer that says what it proves.
            left = None
            if settings.time_limit is not None:
                spent = time.perf_counter() - began
                left = max(settings.time_limit - spent, MIN_SOLVER_SECONDS)
            again = _run(lp, replace(settings, time_limit=left), [], sign)
            answer = replace(again, words=again.words + RAN_AGAIN_CBC)
        return answer


def _run(
    lp: pulp.LpProblem, settings: SolverSettings, start: list[tuple[Any, float]], sign: float
) -> Answer:
    for var, value in start:
        var.setInitialValue(value)
    seed = settings.random_seed + 1  # seqopt ran CBC with seed 1 before the setting existed
    with tempfile.TemporaryDirectory(prefix="seqopt-cbc-") as folder:
        log = Path(folder) / "cbc.log"
        with warnings.catch_warnings():
            # PuLP 3 deprecates its bundled CBC; it is still the fallback the project
            # promises. ``logPath`` with ``msg`` warns that the log goes to the file.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=settings.log,
                timeLimit=settings.time_limit,
                gapRel=settings.gap,
                threads=settings.threads,
                logPath=str(log),
                warmStart=bool(start),
                options=[f"randomSeed {seed}", f"randomCbcSeed {seed}"],
            )
            try:
                with interrupt.polled(), _stopped_on_request():
                    lp.solve(solver)
            except pulp.PulpSolverError:
                # The bundled CBC sometimes dies when its time limit strikes while it
                # reads the starting solution; nothing is proven then.
                return Answer(Stop.ERROR, False, None, None, "CBC stopped with an error")
        text = log.read_text(errors="replace") if log.exists() else ""
    return _answer(lp, text, settings, sign)


def _answer(lp: pulp.LpProblem, text: str, settings: SolverSettings, sign: float) -> Answer:
    status, sol_status = lp.status, lp.sol_status
    result = re.search(r"^Result - (.*)$", text, re.MULTILINE)
    words = result.group(1).strip() if result else pulp.LpStatus.get(status, str(status))
    lowered = words.lower()
    cut_short = "pre-processing says infeasible" in text.lower() and _used_limit(text, settings)
    if cut_short:
        stop = Stop.LIMIT  # the time limit struck during preprocessing: nothing is proven
    elif status == pulp.LpStatusInfeasible or "infeasible" in lowered:
        stop = Stop.INFEASIBLE
    elif status == pulp.LpStatusUnbounded:
        stop = Stop.UNBOUNDED
    elif "stopped" in lowered or "limit" in lowered or "ctrl-c" in lowered:
        stop = Stop.LIMIT
    elif sol_status == pulp.LpSolutionOptimal:
        stop = Stop.FINISHED
    else:
        stop = Stop.ERROR
    has_solution = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    bound = None
    if has_solution:
        found = dict(_CBC_LINE.findall(text))
        if "Lower bound" in found:
            bound = sign * float(found["Lower bound"])
        elif stop is Stop.FINISHED and "gap" not in lowered:
            # "Optimal solution found": CBC closed the gap completely.
            bound = sign * float(pulp.value(lp.objective) or 0.0)
    nodes = re.search(r"^Enumerated nodes:\s*(\d+)", text, re.MULTILINE)
    return Answer(
        stop,
        has_solution,
        (lambda var: float(var.varValue or 0.0)) if has_solution else None,
        bound,
        words,
        int(nodes.group(1)) if nodes else None,
    )


@contextlib.contextmanager
def _stopped_on_request() -> Iterator[None]:
    """While the block runs, pass a stop request on to CBC (a child process) as Ctrl-C.

    Ctrl-C in a terminal reaches CBC anyway (it is in seqopt's process group); a
    stop request that reaches only seqopt (``kill -INT``, or
    :func:`seqopt.interrupt.request`) is passed on by this watcher. CBC stops at
    its next check, writes its best solution and says "Stopped on ctrl-c".
    """
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            if interrupt.requested():
                # CBC may not have started when the request comes (PuLP first writes the
                # model out), and it forgets a Ctrl-C that comes while it reads the model:
                # tell it again every half second until it has stopped.
                for pid in _children("cbc"):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGINT)

    watcher = threading.Thread(target=watch, name="seqopt-cbc-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _children(name: str) -> list[int]:
    """Ids of this process's child processes called ``name`` (Linux; none elsewhere)."""
    found = []
    me = str(os.getpid())
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = Path("/proc", entry, "stat").read_text()
                # "pid (comm) state ppid ...": the command name may hold spaces.
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                parent = stat[stat.rindex(")") + 2 :].split()[1]
                if parent == me and comm.startswith(name):
                    found.append(int(entry))
    return found


def _used_limit(log: str, settings: SolverSettings) -> bool:
    """Whether CBC's log shows it ran for (nearly) all of its time limit."""
    match = re.search(r"Wallclock seconds\):\s*([0-9.]+)", log)
    if settings.time_limit is None or match is None:
        return False
    return float(match.group(1)) >= 0.9 * settings.time_limit
