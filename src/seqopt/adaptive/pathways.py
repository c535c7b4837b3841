"""The pathways the re-planning policy took: sequences of signings, and where they branch.

A run's *pathway* is the order and scope of its signings (and widenings),
failed ones included: timing aside, two runs that sign ACSA and then the full
GSOMIA text follow the same pathway. Steps are ordered as the policy took
them, by the period their negotiation opened (then as the input lists the
measures): the order of decisions. With the durations a future draws, a
negotiation opened later can be signed first; ordering by decisions keeps
such runs on one pathway, and each step's station is drawn at its signing.
The runs' pathways form a tree (a trie on the steps): each node is a prefix
shared by some runs; a node whose runs go on in different ways is a *branch
point*, and what sends a run one way or the other is read from what it had
seen when the ways parted
(:mod:`seqopt.adaptive.signposts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from seqopt.data import Problem
from seqopt.uncertainty.record import Negotiation, Record

END = None
"""The way on of runs that sign nothing more."""


@dataclass(frozen=True, order=True)
class Step:
    """One signing of a pathway: a measure at a scope (or widened to it), and whether it failed."""

    measure: str
    scope: str
    widening: bool = False
    failed: bool = False


@dataclass(frozen=True)
class Taken:
    """One run's way through the steps: each step, when its negotiation started and signed."""

    index: int
    steps: tuple[Step, ...]
    starts: tuple[int, ...]
    signings: tuple[int, ...]
    value: float


def taken(index: int, problem: Problem, record: Record, value: float) -> Taken:
    """The pathway of a run, from its record."""
    order = {m.id: k for k, m in enumerate(problem.measures)}
    done = sorted(
        (n for n in record.negotiations if n.signed is not None),
        key=lambda n: (n.start, n.widening, order.get(n.measure, len(order)), n.measure),
    )
    return Taken(
        index,
        tuple(_step(n) for n in done),
        tuple(n.start for n in done),
        tuple(n.signed for n in done if n.signed is not None),
        value,
    )


def _step(n: Negotiation) -> Step:
    return Step(n.measure, n.scope, n.widening, n.failed)


@dataclass
class Node:
    """A prefix of steps shared by some runs, and the ways they go on."""

    depth: int
    step: Step | None
    """The last step of the prefix (``None`` at the root)."""
    runs: list[Taken] = field(default_factory=list)
    children: dict[Step | None, Node] = field(default_factory=dict)

    @property
    def signing(self) -> float | None:
        """Median period in which its runs signed its step."""
        if self.step is None or not self.runs:
            return None
        return float(median(r.signings[self.depth - 1] for r in self.runs))

    def way(self, run: Taken) -> Step | None:
        """The step this run takes after the prefix (``END`` when it signs nothing more)."""
        return run.steps[self.depth] if len(run.steps) > self.depth else END

    def decision(self, run: Taken) -> Step | None:
        """What this run decided next: the step without its outcome (``END``: nothing more).

        Runs that start the same negotiation took the same decision, whether its
        signing then went through or not (the outcome is the world's answer).
        """
        step = self.way(run)
        return None if step is None else Step(step.measure, step.scope, step.widening)

    def start_of_way(self, run: Taken) -> int | None:
        """When this run started the negotiation of its next step."""
        return run.starts[self.depth] if len(run.starts) > self.depth else None


def tree(runs: Sequence[Taken]) -> Node:
    """The trie of the runs' pathways."""
    root = Node(0, None)
    for run in runs:
        node = root
        node.runs.append(run)
        for depth, step in enumerate(run.steps, start=1):
            child = node.children.get(step)
            if child is None:
                child = node.children[step] = Node(depth, step)
            child.runs.append(run)
            node = child
    return root


def decisions(node: Node) -> Counter[Step | None]:
    """How many of the node's runs decided each next step (or to sign nothing more)."""
    return Counter(node.decision(run) for run in node.runs)


def branch_points(root: Node, least: int) -> list[Node]:
    """Nodes where at least two decisions are each taken by ``least`` runs or more, in order.

    Ordered by when the ways part (the earliest start of a next negotiation),
    then by depth.
    """
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if sum(1 for n in decisions(node).values() if n >= least) >= 2:
            found.append(node)
        stack.extend(reversed(list(node.children.values())))
    return sorted(found, key=lambda n: (parting(n), n.depth))


def parting(node: Node) -> int:
    """The period in which the node's runs part: the earliest start of a next negotiation.

    Runs that start it then take that way; the others, waiting, take another.
    """
    starts = [s for run in node.runs if (s := node.start_of_way(run)) is not None]
    return min(starts) if starts else 0


@dataclass(frozen=True)
class Pathway:
    """A distinct pathway and the runs that took it."""

    steps: tuple[Step, ...]
    runs: tuple[int, ...]
    """Indices of the futures whose run took it."""
    signings: tuple[float, ...]
    """Median signing period of each step."""
    value: float
    """Mean value of its runs."""


def pathways(runs: Sequence[Taken]) -> list[Pathway]:
    """The distinct pathways, most taken first (then in the order of their steps)."""
    groups: dict[tuple[Step, ...], list[Taken]] = {}
    for run in runs:
        groups.setdefault(run.steps, []).append(run)
    found = [
        Pathway(
            steps,
            tuple(r.index for r in group),
            tuple(float(median(r.signings[k] for r in group)) for k in range(len(steps))),
            sum(r.value for r in group) / len(group),
        )
        for steps, group in groups.items()
    ]
    return sorted(found, key=lambda p: (-len(p.runs), p.steps))


@dataclass(frozen=True)
class Line:
    """A line of the pathways map: a prefix many runs share, to where their ways disperse.

    The map is the trie cut where fewer than ``least`` runs go on together: a
    line ends at a station its runs leave in many small ways (or where they
    stop signing). Every run belongs to at most one line (the deepest it
    follows); a line is drawn when at least ``least`` runs end their common way
    there, so a few runs that leave a busy station on their own are left out.
    """

    steps: tuple[Step, ...]
    signings: tuple[float, ...]
    """Median signing period of each step, over all runs through its station."""
    runs: tuple[int, ...]
    """Indices of the futures whose run ends its common way here."""
    value: float
    ways_on: int
    """How many different next steps its runs take after the line ends (0: none signs more)."""


def main_lines(root: Node, least: int) -> list[Line]:
    """The lines of the pathways map, most runs first (then in the order of their steps)."""
    found: list[Line] = []
    stack: list[tuple[Node, tuple[Node, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        big = [c for c in node.children.values() if len(c.runs) >= least]
        inside = {r.index for c in big for r in c.runs}
        own = [r for r in node.runs if r.index not in inside]
        if path and len(own) >= least:
            found.append(
                Line(
                    tuple(n.step for n in path if n.step is not None),
                    tuple(n.signing or 0.0 for n in path),
                    tuple(r.index for r in own),
                    sum(r.value for r in own) / len(own),
                    len({node.way(r) for r in own} - {END}),
                )
            )
        stack.extend((c, (*path, c)) for c in big)
    return sorted(found, key=lambda line: (-len(line.runs), line.steps))
