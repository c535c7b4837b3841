"""Numbers in cells: one spelling, one meaning.

A planner's number may come from any locale: ``1,5`` is one and a half in
Germany and fifteen to a reader that drops thousands separators; ``1.000,5``
is a thousand and a half or nonsense. seqopt reads only plain numbers with a
decimal point (``1.5``, ``1500``, ``-3``, ``2e-3``), as Excel stores them, and
refuses everything else with the cell named instead of guessing:

- commas (decimal commas and thousands separators alike);
- percent signs (support is typed in points: ``50``, not ``50%``);
- ``inf``, ``nan`` and numbers too large to be finite (``1e400``);
- anything else that is not a number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from seqopt.io.cells import is_number_text

_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class NumberProblem:
    """Why a cell is not read as a number."""

    rule: str
    hint: str = ""


def read_number(
    raw: object, *, percent_points: bool = False
) -> tuple[int | float | None, NumberProblem | None]:
    """The number a cell holds, or why it holds none.

    ``percent_points`` says the column is in percentage points (support), which
    words the advice for ``50%``.
    """
    if isinstance(raw, bool) or raw is None:
        return None, NumberProblem("must be a number")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, NumberProblem("must be a finite number")
        return raw, None
    text = str(raw).strip()
    if is_number_text(text):
        number = _parse(text)
        if math.isfinite(number):
            return number, None
        return None, NumberProblem("must be a finite number (this one is too large)")
    return None, _why_not(text, percent_points)


def _parse(text: str) -> int | float:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return float(text)


def _why_not(text: str, percent_points: bool) -> NumberProblem:
    lowered = text.lower()
    if lowered.lstrip("+-") in {"inf", "infinity", "nan", "#num!"}:
        return NumberProblem("must be a finite number")
    if text.endswith("%") and is_number_text(text[:-1].strip()):
        points = text[:-1].strip()
        if percent_points:
            return NumberProblem(
                "must be a number of percentage points, without %", f"Type {points}."
            )
        return NumberProblem(
            "must be a plain number, without %",
            f"Type the number itself ({points}% is {float(points) / 100:g}).",
        )
    if "," in text and is_number_text(_SPACES.sub("", text).replace(",", "").replace(".", "")):
        return NumberProblem(
            "must be a plain number with a decimal point and no thousands separators: "
            "'1,5' could be one and a half or fifteen",
            "Type 1.5 for one and a half, 1500 for fifteen hundred.",
        )
    if _SPACES.sub("", text) != text and is_number_text(_SPACES.sub("", text)):
        return NumberProblem(
            "must be a plain number without spaces inside",
            f"Type {_SPACES.sub('', text)}.",
        )
    return NumberProblem("must be a number")
