"""HiGHS housekeeping shared by every module that runs it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

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
