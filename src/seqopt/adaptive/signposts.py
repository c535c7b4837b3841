"""Signposts: what a planner had seen when its runs parted ways, as a shallow decision tree.

At a branch point of the pathways (:mod:`seqopt.adaptive.pathways`) the runs
through it go on in different ways. The re-planning policy decides only from
what it has seen, so the way each run takes is a function of its
observations; a small classification tree (at most two questions deep) fitted
to them says which observation sends a run which way, in the terms of
adaptation pathways: a *signpost* to watch and the *trigger* level at which
to change course.

The observations are those available when the ways part (in period ``p``,
seen before it): the level of every support series in every period before
``p``, and how often each random event has happened by then. Splits are chosen
by Gini impurity (Breiman et al., *Classification and Regression Trees*, 1984);
among equally good ones the most recent observation wins (what to watch at
the decision), then the input order. Thresholds are the roundest number
between the two nearest observations on either side (``at least 63.5``), and a
leaf says how many runs it holds and how many of them the rule gets right.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_DEPTH = 2
"""Questions asked at most: a signpost a reader can hold in mind."""

LEAST_SHARE = 0.1
"""A question must leave at least this share of the runs on each side (and one run)."""


@dataclass(frozen=True, order=True)
class Feature:
    """Something the planner has seen by period ``period`` (inclusive)."""

    kind: str
    """``support`` (the level of a series in that period) or ``event`` (happenings by then)."""
    subject: str
    """The series or event id."""
    period: int


@dataclass(frozen=True)
class Question:
    """Asks whether a feature is at least ``threshold``."""

    feature: Feature
    threshold: float


@dataclass(frozen=True)
class Leaf:
    """The runs that give the same answers, and the way most of them take."""

    answers: tuple[tuple[Question, bool], ...]
    """Each question asked on the way here, and whether the answer was yes (at least)."""
    way: str
    """The way most of these runs take (a label given by the caller)."""
    runs: int
    right: int
    """How many of them take that way."""


@dataclass(frozen=True)
class Signpost:
    """A fitted tree: its leaves, and the share of runs it sends the way they went."""

    leaves: tuple[Leaf, ...]
    accuracy: float

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question the tree asks, in the order first asked."""
        seen: dict[Question, None] = {}
        for leaf in self.leaves:
            for question, _ in leaf.answers:
                seen.setdefault(question)
        return tuple(seen)


Sample = tuple[Mapping[Feature, float], str]
"""One run: what it had seen, and the way it took."""


def fit(samples: Sequence[Sample], max_depth: int = MAX_DEPTH) -> Signpost:
    """The signpost that best tells the ways apart from what was seen (at most two questions)."""
    least = max(1, math.ceil(LEAST_SHARE * len(samples)))
    features = sorted({f for seen, _ in samples for f in seen}, key=_preference)
    leaves = _merged(_grow(list(samples), features, (), max_depth, least))
    right = sum(leaf.right for leaf in leaves)
    return Signpost(tuple(leaves), right / len(samples) if samples else 1.0)


def _preference(feature: Feature) -> tuple[int, str, str]:
    # The most recent observation first: it is what to watch when the decision comes.
    return (-feature.period, feature.kind, feature.subject)


def _grow(
    samples: list[Sample],
    features: Sequence[Feature],
    answers: tuple[tuple[Question, bool], ...],
    depth: int,
    least: int,
) -> list[Leaf]:
    counts = Counter(way for _, way in samples)
    way, right = min(counts.items(), key=lambda item: (-item[1], item[0]))
    leaf = Leaf(answers, way, len(samples), right)
    if depth == 0 or len(counts) == 1:
        return [leaf]
    question = _best_question(samples, features, least)
    if question is None:
        return [leaf]
    high = [s for s in samples if s[0].get(question.feature, -math.inf) >= question.threshold]
    low = [s for s in samples if s[0].get(question.feature, -math.inf) < question.threshold]
    return [
        *_grow(high, features, (*answers, (question, True)), depth - 1, least),
        *_grow(low, features, (*answers, (question, False)), depth - 1, least),
    ]


def _merged(leaves: list[Leaf]) -> list[Leaf]:
    """Undo a last question whose two answers lead the same way (it tells nothing to act on)."""
    merged: list[Leaf] = []
    for leaf in leaves:
        if merged:
            last = merged[-1]
            siblings = (
                len(leaf.answers) == len(last.answers) >= 1
                and leaf.answers[:-1] == last.answers[:-1]
                and leaf.answers[-1][0] == last.answers[-1][0]
            )
            if siblings and leaf.way == last.way:
                merged[-1] = Leaf(
                    last.answers[:-1], leaf.way, last.runs + leaf.runs, last.right + leaf.right
                )
                continue
        merged.append(leaf)
    if len(merged) < len(leaves):
        return _merged(merged)
    return merged


def _gini(counts: Counter[str], total: int) -> float:
    if total == 0:
        return 0.0
    return 1.0 - sum((n / total) ** 2 for n in counts.values())


def _best_question(
    samples: Sequence[Sample], features: Sequence[Feature], least: int
) -> Question | None:
    """The question that lowers impurity most (the earliest-preferred among equals)."""
    total = len(samples)
    before = _gini(Counter(way for _, way in samples), total)
    best: tuple[float, Question] | None = None
    for feature in features:
        values = sorted(
            ((seen.get(feature, -math.inf), way) for seen, way in samples), key=lambda v: v[0]
        )
        below: Counter[str] = Counter()
        above = Counter(way for _, way in values)
        for k in range(1, total):
            value, way = values[k - 1]
            below[way] += 1
            above[way] -= 1
            following = values[k][0]
            if following <= value or k < least or total - k < least:
                continue
            impurity = (k * _gini(below, k) + (total - k) * _gini(+above, total - k)) / total
            if impurity >= before - 1e-12:
                continue
            if best is None or impurity < best[0] - 1e-12:
                best = (impurity, Question(feature, roundest(value, following)))
    return best[1] if best is not None else None


def roundest(low: float, high: float) -> float:
    """The roundest number in ``(low, high]``: a multiple of the largest step that fits.

    Steps are 1, 2 and 5 times a power of ten, from 1,000 down to a millionth
    (between 55 and 65: 60; between 63.48 and 63.52: 63.5); ``high`` when none fits.
    """
    if math.isinf(low):
        whole = float(math.floor(high))
        return whole if whole > low else high
    for power in range(3, -7, -1):
        for factor in (5.0, 2.0, 1.0):
            step = factor * 10.0**power
            candidate = round((math.floor(low / step) + 1) * step, 9)
            if low < candidate <= high:
                return candidate
    return high
