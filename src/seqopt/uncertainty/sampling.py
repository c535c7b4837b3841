"""Draw scenarios: Latin hypercube points mapped through each estimate's distribution.

A Latin hypercube of ``n`` points in ``d`` dimensions (one per uncertain
site) puts exactly one point in each of the ``n`` equal slices of every
dimension, so each estimate's range is covered evenly even for small ``n``.
Each coordinate ``u`` in ``(0, 1)`` becomes a value through the inverse CDF of
the site's distribution on ``[low, high]``:

- triangular, mode at the base value;
- uniform;
- PERT, ``low + (high - low) * Beta(a, b)`` with
  ``a = 1 + 4 (base - low) / (high - low)`` and ``b = 1 + 4 (high - base) / (high - low)``.

Whole-number sites (durations) are rounded half up and kept within their range.
Draws are independent between sites (no correlation). The same seed gives the
same samples: everything is drawn here, up front, by one generator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv
from scipy.stats import qmc

from seqopt.data import Distribution, Estimate, Problem
from seqopt.uncertainty.estimates import Site, event_draws

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Samples:
    """Values drawn for every uncertain site: one row per scenario, one column per site."""

    paths: tuple[str, ...]
    values: Matrix
    seed: int

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def scenario(self, index: int) -> dict[str, float]:
        """The values of scenario ``index``, by site path."""
        return dict(zip(self.paths, (float(v) for v in self.values[index]), strict=True))


def latin_hypercube(dimensions: int, count: int, seed: int) -> Matrix:
    """``count`` points of a scrambled Latin hypercube in ``(0, 1) ** dimensions``."""
    if dimensions == 0:
        return np.zeros((count, 0))
    sampler = qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(seed))
    return np.asarray(sampler.random(count), dtype=np.float64)


def inverse_cdf(estimate: Estimate, u: Matrix) -> Matrix:
    """Values of ``estimate``'s distribution at probabilities ``u``."""
    low, mode, high = estimate.low, estimate.base, estimate.high
    width = high - low
    if width <= 0:
        return np.full_like(u, mode)
    if estimate.distribution is Distribution.UNIFORM:
        return low + u * width
    if estimate.distribution is Distribution.PERT:
        a = 1.0 + 4.0 * (mode - low) / width
        b = 1.0 + 4.0 * (high - mode) / width
        return low + width * np.asarray(betaincinv(a, b, u), dtype=np.float64)
    share = (mode - low) / width  # the CDF at the mode
    rising = low + np.sqrt(u * width * (mode - low))
    falling = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < share, rising, falling)


def draw(found: Sequence[Site], count: int, seed: int) -> Samples:
    """``count`` scenarios for ``found`` (the uncertain sites), reproducible from ``seed``."""
    points = latin_hypercube(len(found), count, seed)
    values = np.empty_like(points)
    for column, site in enumerate(found):
        drawn = inverse_cdf(site.estimate, points[:, column])
        if site.integer:
            drawn = np.clip(np.floor(drawn + 0.5), site.estimate.low, site.estimate.high)
        values[:, column] = drawn
    return Samples(tuple(s.path for s in found), values, seed)


def probability_below(estimate: Estimate, value: float) -> float:
    """``P(X < value)`` for ``estimate``'s distribution (used by tests and documentation)."""
    low, mode, high = estimate.low, estimate.base, estimate.high
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    width = high - low
    if estimate.distribution is Distribution.UNIFORM:
        return (value - low) / width
    if estimate.distribution is Distribution.PERT:
        from scipy.special import betainc

        a = 1.0 + 4.0 * (mode - low) / width
        b = 1.0 + 4.0 * (high - mode) / width
        return float(betainc(a, b, (value - low) / width))
    if value <= mode:
        return (value - low) ** 2 / (width * (mode - low))
    return 1.0 - (high - value) ** 2 / (width * (high - mode))


def mean(estimate: Estimate) -> float:
    """The mean of ``estimate``'s distribution."""
    low, mode, high = estimate.low, estimate.base, estimate.high
    if estimate.distribution is Distribution.UNIFORM:
        return (low + high) / 2
    if estimate.distribution is Distribution.PERT:
        return (low + 4 * mode + high) / 6
    return (low + mode + high) / 3


def standard_error(share: float, count: int) -> float:
    """Standard error of a share estimated from ``count`` independent draws."""
    return math.sqrt(max(share * (1 - share), 0.0) / max(count, 1))


def with_events(samples: Samples, problem: Problem) -> Samples:
    """``samples`` with, for every scenario, whether each random event happens in each period.

    The draws use the scenario's probability when it is itself drawn (see
    :func:`seqopt.uncertainty.estimates.event_draws`); the columns, 0 or 1,
    follow the estimates' columns.
    """
    probabilities = {
        path: [float(v) for v in samples.values[:, column]]
        for column, path in enumerate(samples.paths)
    }
    paths, rows = event_draws(problem, probabilities, len(samples), samples.seed)
    if not paths:
        return samples
    values = np.hstack([samples.values, np.asarray(rows, dtype=np.float64)])
    return Samples(samples.paths + paths, values, samples.seed)


def wilson_interval(share: float, count: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a share estimated from ``count`` independent draws.

    Unlike the normal approximation ``share +- z * standard_error`` it stays
    within [0, 1] and does not shrink to a point at 0 % or 100 % (Wilson, 1927,
    JASA 22(158): 209-212; recommended by Brown, Cai and DasGupta, 2001,
    Statistical Science 16(2): 101-133). ``z = 1.96`` gives 95 %.
    """
    if count <= 0:
        return 0.0, 1.0
    n = float(count)
    spread = z * z / n
    centre = (share + spread / 2) / (1 + spread)
    half = z / (1 + spread) * math.sqrt(max(share * (1 - share), 0.0) / n + spread / (4 * n))
    # Rounding can leave 1.0 just outside (0.9999999999999999): the share is always inside.
    return max(0.0, min(centre - half, share)), min(1.0, max(centre + half, share))
