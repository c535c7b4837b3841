"""How a long step says what it is doing: a spinner in the terminal, nothing in a notebook.

The use cases (:mod:`seqopt.api.cases`) take a :class:`Watch`. The command line
passes one that draws rich spinners and progress bars on standard error; the
Python API passes :data:`QUIET`, which shows nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

Advance = Callable[[int], None]
"""Called with the number of items just finished."""


class Watch(Protocol):
    """Shows a long step while it runs."""

    def status(self, text: str) -> AbstractContextManager[object]:
        """A step of unknown length, shown while the block runs."""
        ...

    def progress(self, text: str, total: int) -> AbstractContextManager[Advance]:
        """A step of ``total`` items; the block advances it."""
        ...


class Quiet:
    """A :class:`Watch` that shows nothing."""

    def status(self, text: str) -> AbstractContextManager[object]:
        """Show nothing."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def progress(self, text: str, total: int) -> Iterator[Advance]:
        """Show nothing; the advance callback does nothing."""
        yield lambda n: None


QUIET = Quiet()
"""The watch of the Python API."""
