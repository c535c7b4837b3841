"""How a command ends: the exit codes, and the one handler that maps every ending to one.

Every command of :mod:`seqopt.cli` runs under :func:`handled`, so that no
traceback reaches the user:

- bad input, and an output that cannot be written, end with code 2 and the
  list of problems (:class:`~seqopt.errors.InputError`);
- Ctrl-C ends with code 130 after saying what the command had done
  (:func:`step`) and which output folders keep their previous files
  (:func:`holding`);
- an unexpected exception is a bug: code 7, one line, and the traceback only
  with ``SEQOPT_TRACEBACK=1``.
"""

from __future__ import annotations

import functools
import os
import time
import traceback
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import ParamSpec

import typer
from rich.console import Console
from rich.markup import escape

from seqopt.errors import InputError

P = ParamSpec("P")

err = Console(stderr=True, highlight=False)
"""Where problems and progress go (standard error)."""


class Exit(IntEnum):
    """Process exit codes (also in the README and docs/model-files.md)."""

    OK = 0
    INPUT = 2
    GAP = 3
    INFEASIBLE = 4
    NO_SOLUTION = 5
    SOLVER = 6
    INTERNAL = 7
    INTERRUPTED = 130


_done: list[str] = []
"""What the running command has done so far, for the message after Ctrl-C."""
_held: list[Path] = []
"""Output folders the running command holds, left as they were if it is interrupted."""


_running: list[bool] = []
"""Non-empty while a command runs under :func:`handled` (the API records no steps)."""


def step(text: str) -> None:
    """Record a step the running command has finished (said after Ctrl-C).

    Outside a command (the Python API runs the same use cases) nothing is recorded.
    """
    if _running:
        _done.append(text)


def holding(folder: Path) -> None:
    """Record an output folder the running command holds (it keeps its files after Ctrl-C)."""
    _held.append(folder)


_COMMAND_LINE_ENDINGS: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    # Usage errors (typer.BadParameter): click's ClickException, vendored by newer typer.
    *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
)
"""Exceptions that end a command the way typer expects: passed through untouched."""


def handled(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command, turning every way it can end into an exit code and a plain message."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        started = time.perf_counter()
        _done.clear()
        _held.clear()
        _running.append(True)
        try:
            command(*args, **kwargs)
        except _COMMAND_LINE_ENDINGS:
            raise
        except InputError as error:
            # Cell values are untrusted text: never let them be read as markup.
            err.print(f"[bold red]{escape(error.describe())}[/]", soft_wrap=True)
            raise typer.Exit(Exit.INPUT) from None
        except KeyboardInterrupt:
            _interrupted(time.perf_counter() - started)
            raise typer.Exit(Exit.INTERRUPTED) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            err.print(
                f"[bold red]{escape(where)}{escape(error.strerror or str(error))}.[/]",
                soft_wrap=True,
            )
            raise typer.Exit(Exit.INPUT) from None
        except Exception as error:  # the last resort: a bug must not end as a traceback
            if os.environ.get("SEQOPT_TRACEBACK"):
                traceback.print_exc()
            err.print(
                f"[bold red]Internal error (a bug in seqopt), nothing written:[/] "
                f"{escape(type(error).__name__)}: {escape(str(error))}. Please report it with "
                "the command you ran; SEQOPT_TRACEBACK=1 shows where it happened.",
                soft_wrap=True,
            )
            raise typer.Exit(Exit.INTERNAL) from None
        finally:
            _running.pop()

    return run


def _interrupted(seconds: float) -> None:
    done = "; ".join(_done) if _done else "nothing yet"
    err.print(
        f"[bold]Interrupted (Ctrl-C) after {seconds:.1f} s.[/] Done: {escape(done)}.",
        soft_wrap=True,
    )
    for folder in _held:
        err.print(
            f"Nothing written: {escape(str(folder))} keeps the files it had before.",
            soft_wrap=True,
        )
