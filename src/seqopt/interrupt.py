"""Ctrl-C: one process-wide "stop requested" flag, and the SIGINT handler that sets it.

The command line installs the handler for the whole run (:func:`installed`).
From then on a Ctrl-C always sets the flag, and then:

- **outside a polled section** it also raises :class:`KeyboardInterrupt` at
  once, as Python does by default: pure-Python work (reading, drawing a
  report) stops where it is, the output folder keeps its previous files (see
  :mod:`seqopt.atomic`), and the command line exits with code 130;
- **inside** :func:`polled` it only sets the flag. Code that spends long
  stretches in C (a HiGHS run, waiting for CBC) enters such a section, polls
  :func:`requested` and stops the solver itself; afterwards the caller calls
  :func:`check`, which raises :class:`KeyboardInterrupt` if a stop was asked for.

Polling from HiGHS (highspy >= 1.7): subscribe :func:`stop_highs` to its
interrupt callbacks and run inside :func:`polled`::

    highs.cbSimplexInterrupt += interrupt.stop_highs
    highs.cbIpmInterrupt += interrupt.stop_highs
    highs.cbMipInterrupt += interrupt.stop_highs
    with interrupt.polled():
        highs.run()
    interrupt.check()

Python runs signal handlers only in the main thread, between bytecodes: while
``highs.run()`` is inside C++ the handler waits. HiGHS calls its callbacks in
the thread that called ``run()``, so each callback call lets the pending
handler run, set the flag, and :func:`stop_highs` tells HiGHS to stop (measured:
a SIGINT 1 s into a knapsack MIP stopped HiGHS 0.15 s later, status "Interrupted
by user"). Without a subscribed callback the handler runs only when ``run()``
returns, at the time limit. Never let :class:`KeyboardInterrupt` escape from a
callback into C++: that is why a section that polls must be :func:`polled`.

For CBC (a subprocess): wait for it in short steps inside :func:`polled` and
kill the process when :func:`requested` turns true.

Process pools (scenarios, counterfactuals): a Ctrl-C in a terminal reaches every
process of its group. Workers leave it to the main process
(:func:`worker_ignores_ctrl_c` as the pool's initializer), whose
:class:`KeyboardInterrupt` cancels the work not yet started
(:func:`cancel_on_exit`): the command stops once the scenarios already running
finish, instead of after all of them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from types import FrameType
from typing import Any

_requested = threading.Event()
_polled_depth = 0


def requested() -> bool:
    """Whether a stop was requested (Ctrl-C) since the handler was installed.

    Cheap enough to call from a solver callback many times a second.
    """
    return _requested.is_set()


def request() -> None:
    """Ask every polling loop to stop, as Ctrl-C does."""
    _requested.set()


def check() -> None:
    """Raise :class:`KeyboardInterrupt` when a stop was requested."""
    if _requested.is_set():
        raise KeyboardInterrupt


def stop_highs(event: Any) -> None:
    """A highspy interrupt callback: tell HiGHS to stop once a stop was requested."""
    if _requested.is_set():
        event.interrupt()


@contextlib.contextmanager
def polled() -> Iterator[None]:
    """A section whose code polls :func:`requested`: Ctrl-C sets the flag but raises nothing."""
    global _polled_depth
    _polled_depth += 1
    try:
        yield
    finally:
        _polled_depth -= 1


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    if _polled_depth == 0:
        raise KeyboardInterrupt


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Install the Ctrl-C handler for the duration; the flag starts cleared.

    Outside the main thread (where Python does not allow signal handlers), and
    in a process started with SIGINT ignored (a background job), the previous
    behaviour is kept and only the flag is managed.
    """
    _requested.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # Started with Ctrl-C ignored (a background job, nohup): keep it so, as Python does.
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested.clear()


def worker_ignores_ctrl_c() -> None:
    """A process pool's initializer: the worker leaves Ctrl-C to the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def cancel_on_exit(pool: Executor) -> Iterator[Executor]:
    """Cancel the pool's work not yet started when the block raises (an error, Ctrl-C).

    Without it, leaving a ``with ProcessPoolExecutor(...)`` block waits for every
    submitted task, however many.
    """
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
