"""The Ctrl-C flag and handler (seqopt.interrupt), with a real SIGINT."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from seqopt import interrupt


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_outside_a_polled_section_ctrl_c_raises_at_once_and_sets_the_flag() -> None:
    with interrupt.installed():
        assert not interrupt.requested()
        with pytest.raises(KeyboardInterrupt):
            _ctrl_c()
            for _ in range(1000):  # the handler runs at the next bytecode
                pass
        assert interrupt.requested()
    assert not interrupt.requested(), "leaving the handler clears the flag"


def test_inside_a_polled_section_ctrl_c_only_sets_the_flag_and_check_raises_after() -> None:
    with interrupt.installed():
        with interrupt.polled():
            _ctrl_c()
            for _ in range(1000):
                pass
            assert interrupt.requested()
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()


def test_the_previous_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupt.installed():
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before


def test_check_does_nothing_without_a_request() -> None:
    with interrupt.installed():
        interrupt.check()
        interrupt.request()
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()


def test_ctrl_c_stops_a_highs_run_through_its_interrupt_callback() -> None:
    """The recipe in the module docstring: HiGHS stops with 'Interrupted by user'."""
    highspy = pytest.importorskip("highspy")
    highs = highspy.Highs()
    highs.silent()
    rng = np.random.default_rng(1)
    n = 80
    index = np.arange(n, dtype=np.int32)
    for _ in range(n):
        highs.addVariable(0, 1)
    highs.changeColsIntegrality(n, index, np.ones(n, dtype=np.uint8))
    highs.changeColsCost(n, index, -rng.integers(50, 100, n).astype(float))
    for _ in range(30):
        weights = rng.integers(50, 100, n).astype(float)
        highs.addRow(-highspy.kHighsInf, float(weights.sum() // 2), n, index, weights)
    highs.setOptionValue("time_limit", 60.0)
    # HiGHS sizes one global thread pool at its first run in a process; a later run asking
    # for another thread count fails ("Not Set"). Run with seqopt's default, one thread.
    highs.setOptionValue("threads", 1)
    sent = []

    def press_ctrl_c_once(event: object) -> None:
        if not sent:
            sent.append(True)
            _ctrl_c()

    highs.cbMipInterrupt += press_ctrl_c_once
    highs.cbSimplexInterrupt += interrupt.stop_highs
    highs.cbMipInterrupt += interrupt.stop_highs
    with interrupt.installed():
        with interrupt.polled():
            highs.run()
        assert highs.modelStatusToString(highs.getModelStatus()) == "Interrupted by user"
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()


def _slow(folder: str, item: int) -> int:
    time.sleep(0.1)
    (Path(folder) / str(item)).touch()  # a record, across processes, that the task ran
    return item


def test_ctrl_c_in_the_main_process_cancels_the_work_not_started(tmp_path: Path) -> None:
    """map_tasks stops after the tasks already running, not after every task submitted."""
    from seqopt.uncertainty.scenarios import map_tasks

    finished: list[int] = []

    def done(count: int) -> None:
        finished.append(count)
        raise KeyboardInterrupt  # Ctrl-C as the first result comes in

    with pytest.raises(KeyboardInterrupt):
        map_tasks(_slow, str(tmp_path), list(range(40)), workers=2, done=done)
    assert finished == [1]
    ran = len(list(tmp_path.iterdir()))
    assert ran < 10, f"{ran} of 40 tasks ran after Ctrl-C"


def test_pool_workers_leave_ctrl_c_to_the_main_process() -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, initializer=interrupt.worker_ignores_ctrl_c) as pool:
        assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN


def test_a_process_started_with_ctrl_c_ignored_keeps_ignoring_it() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupt.installed():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            _ctrl_c()
            for _ in range(1000):
                pass
            assert not interrupt.requested()
    finally:
        signal.signal(signal.SIGINT, previous)
