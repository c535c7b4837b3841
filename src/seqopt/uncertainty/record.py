"""What has been done and what came of it, period by period: the record of one run.

A policy that plans again every period (:mod:`seqopt.adaptive`) acts in one
drawn future at a time. What it has done so far, and what the world answered
(was a signing's gate met, did a renewal review fail), is a :class:`Record`: the
negotiations started, each with its outcome once known, and the lever uses. A
record is all the planner knows of its own past; what it has *seen* of the
world (support, events) is added by :func:`seqopt.uncertainty.observe.observed`,
and :func:`seqopt.uncertainty.freeze.freeze` turns both into the problem that
is left to solve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from seqopt.plan import Assignment, LeverUse, Plan, UpgradeStart


@dataclass(frozen=True, order=True)
class Negotiation:
    """A negotiation started: a measure at a scope, or the widening of a measure to a scope.

    ``signed`` is the period it was signed in, once that period has passed
    (``None`` while it is still negotiated). ``failed`` says the signing did
    not go through: a gate was not met (or the window had closed), so the
    measure, or its widening, is on hold for the rest of the horizon, as GSOMIA
    and ACSA were put on hold in June 2012. ``lapsed`` is the first period out
    of force after a failed renewal review, once it is known.
    """

    measure: str
    scope: str
    start: int
    widening: bool = False
    signed: int | None = None
    failed: bool = False
    lapsed: int | None = None

    @property
    def concluded(self) -> bool:
        """Whether its signing period has passed (signed, or failed)."""
        return self.signed is not None

    @property
    def in_force_from(self) -> int | None:
        """First period in force, when it was signed and did not fail."""
        return None if self.signed is None or self.failed else self.signed + 1


@dataclass(frozen=True)
class Record:
    """Everything done before period ``now``, with the outcomes known by then."""

    now: int
    negotiations: tuple[Negotiation, ...] = ()
    lever_uses: tuple[LeverUse, ...] = ()

    def plan(self) -> Plan:
        """What was done, as a plan: every negotiation started and every lever use.

        Failed signings are in it (their negotiation happened and was paid for);
        :func:`seqopt.adaptive.execute.as_it_turned_out` makes them yield nothing.
        """
        return Plan.of(
            [Assignment(n.measure, n.scope, n.start) for n in self.negotiations if not n.widening],
            self.lever_uses,
            [UpgradeStart(n.measure, n.scope, n.start) for n in self.negotiations if n.widening],
        )

    def of(self, measure: str, *, widening: bool = False) -> Negotiation | None:
        """The negotiation of ``measure`` (its signing, or its widening), if one was started."""
        for n in self.negotiations:
            if n.measure == measure and n.widening == widening:
                return n
        return None

    def with_negotiation(self, negotiation: Negotiation) -> Record:
        """The record with ``negotiation`` added, or put in place of the one it updates."""
        kept = [
            n
            for n in self.negotiations
            if (n.measure, n.widening) != (negotiation.measure, negotiation.widening)
        ]
        return replace(self, negotiations=tuple(sorted([*kept, negotiation])))

    def with_lever_use(self, use: LeverUse) -> Record:
        """The record with a lever use added."""
        return replace(self, lever_uses=tuple(sorted({*self.lever_uses, use})))

    def failed(self) -> tuple[Negotiation, ...]:
        """Negotiations whose signing failed."""
        return tuple(n for n in self.negotiations if n.failed)
