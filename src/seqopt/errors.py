"""Input problems that name where they are, which rule they break and the bad value.

Readers and validators never stop at the first problem: they collect
:class:`Issue` records and raise one :class:`InputError` carrying all of them,
so that a planner can fix a workbook in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a file, a sheet and a row (1-based, as Excel shows it).

    ``replaced`` names cells of the row that were set elsewhere (by a scenario
    file), with where: messages about those cells point there.
    """

    file: str
    sheet: str
    row: int
    replaced: tuple[tuple[str, Location], ...] = ()

    def at(self, column: str | None = None) -> Location:
        """Return the location of one cell (or of the whole row) of this record."""
        for name, where in self.replaced:
            if name == column:
                return where
        return Location(self.file, self.sheet, self.row, column)


@dataclass(frozen=True)
class Location:
    """A place in an input: any part may be unknown (``None``)."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None
    """A setting in a model file, as ``section.name``."""

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.key is not None:
            parts.append(f"setting {self.key}")
        return ", ".join(parts)


_NO_VALUE = object()


@dataclass(frozen=True)
class Issue:
    """One problem in an input.

    Parameters
    ----------
    where
        The file, sheet, row and column concerned (as far as known).
    rule
        The rule broken, phrased as what is expected (``"must be a whole number >= 1"``).
    value
        The offending value; leave out when there is no single value to show.
    hint
        What to do about it, when that is not obvious from the rule.
    """

    where: Location
    rule: str
    value: object = _NO_VALUE
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.rule}" if str(self.where) else self.rule
        if self.value is not _NO_VALUE:
            text += f", got {_show(self.value)}"
        text += "."
        if self.hint:
            text += f" {self.hint}"
        return text


def _show(value: object) -> str:
    if value is None or value == "":
        return "an empty cell"
    if isinstance(value, str):
        return repr(value)
    return str(value)


class InputError(Exception):
    """Raised with every problem found in an input, never just the first."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return all issues, one per line, with a count first."""
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} in the input:"
        return "\n".join([head, *(f"  - {issue}" for issue in self.issues)])


class OutputError(InputError):
    """Raised when an output cannot be written: the path, and what stands in the way.

    A subclass of :class:`InputError` because the command line treats both
    alike (exit code 2, every problem listed, nothing written), and an output
    path is part of what the user gave.
    """

    def describe(self) -> str:
        """Return all issues, one per line, with a heading."""
        return "\n".join(["Nothing was written:", *(f"  - {issue}" for issue in self.issues)])


def raise_if_any(issues: Iterable[Issue]) -> None:
    """Raise :class:`InputError` when ``issues`` is not empty."""
    found = list(issues)
    if found:
        raise InputError(found)
