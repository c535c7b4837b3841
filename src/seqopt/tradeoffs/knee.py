"""The knee of a frontier: the point farthest from the chord between its two ends."""

from __future__ import annotations

from collections.abc import Sequence


def knee_index(xs: Sequence[float], ys: Sequence[float]) -> int | None:
    """Index of the point farthest from the straight line between the first and last points.

    Both axes are scaled to their range first, so that the units do not decide
    where the curve bends. ``None`` with fewer than three points or a flat axis.
    """
    if len(xs) < 3:
        return None
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    if width <= 0 or height <= 0:
        return None
    x = [(v - min(xs)) / width for v in xs]
    y = [(v - min(ys)) / height for v in ys]
    best, where = 0.0, None
    for i in range(1, len(x) - 1):
        # Distance from the chord (up to a constant factor).
        distance = abs((x[-1] - x[0]) * (y[0] - y[i]) - (x[0] - x[i]) * (y[-1] - y[0]))
        if distance > best + 1e-12:
            best, where = distance, i
    return where
