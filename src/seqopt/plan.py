"""A plan: which scope of which measure starts when, and when each lever is used.

A plan is only a schedule. Its value, support trajectories and resource use
are recomputed from the schedule by :mod:`seqopt.evaluate`, never read from a
solver.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Assignment:
    """Scope ``scope`` of measure ``measure`` starts negotiation in period ``start``."""

    measure: str
    scope: str
    start: int


@dataclass(frozen=True, order=True)
class LeverUse:
    """Lever ``lever`` is used in period ``period``."""

    lever: str
    period: int


@dataclass(frozen=True)
class Plan:
    """A schedule, kept in a canonical order so that equal plans compare equal."""

    assignments: tuple[Assignment, ...] = ()
    lever_uses: tuple[LeverUse, ...] = ()

    @classmethod
    def of(cls, assignments: Iterable[Assignment], lever_uses: Iterable[LeverUse] = ()) -> Plan:
        """Return a plan with its entries sorted."""
        return cls(tuple(sorted(assignments)), tuple(sorted(lever_uses)))

    def assignment(self, measure: str) -> Assignment | None:
        """Return the (first) assignment of ``measure``, if it is in the plan."""
        for assignment in self.assignments:
            if assignment.measure == measure:
                return assignment
        return None
