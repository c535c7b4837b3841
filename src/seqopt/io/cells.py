"""Cells seqopt writes into spreadsheets and CSV files: untrusted text stays text.

Excel, LibreOffice and Google Sheets read a cell whose text starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula. Names, ids and
sources come from planners' workbooks and go out in ``plan.xlsx``, converted
inputs and CSV results that are forwarded to others, so a name such as
``=HYPERLINK("http://…","click")`` must arrive as text. Following OWASP's
guidance on CSV injection (https://owasp.org/www-community/attacks/CSV_Injection),
such text gets a leading single quote:

- **CSV**: the quote is written into the file (``'=HYPERLINK(…)``); seqopt's
  own CSV reader takes exactly one quote off again (:func:`unquote`), so an
  input converted to CSV and back keeps every value. Text whose first
  character after its leading quotes is a trigger gets one more quote, so a
  value that really starts with ``'=`` survives too.
- **xlsx**: text is always a string cell, never a formula, and a trigger cell
  carries Excel's quote prefix (what Excel stores when one types ``'=…``): it
  shows as text and stays text when edited. The value itself is unchanged.

Numbers are written as numbers: ``-3.5`` is a number to every spreadsheet, not
a formula, and it is not quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def is_number_text(text: str) -> bool:
    """Whether ``text`` is a plain decimal number (``-3``, ``0.25``, ``1e-06``), nothing else."""
    return _NUMBER.fullmatch(text) is not None


def is_risky(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` (after any leading quotes) as a formula."""
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in TRIGGERS and not is_number_text(text)


def quote(text: str) -> str:
    """``text`` as written into a CSV cell: one more leading quote when it is risky."""
    return "'" + text if is_risky(text) else text


def unquote(text: str) -> str:
    """The value of a CSV cell seqopt (or a careful planner) quoted: one leading quote less."""
    return text[1:] if text.startswith("'") and is_risky(text) else text


def csv_cell(value: object) -> object:
    """A value ready for :mod:`csv`: text quoted when risky, numbers and blanks as they are."""
    return quote(value) if isinstance(value, str) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a CSV row through :func:`csv_cell`."""
    return [csv_cell(value) for value in values]


def put(cell: Any, value: object) -> None:
    """Store ``value`` in an openpyxl cell: text as a string cell (never a formula).

    openpyxl would store text starting with ``=`` as a formula; a risky text
    also gets Excel's quote prefix, so that editing the cell keeps it text.
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
