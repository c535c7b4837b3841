"""A plan: which scope of which measure starts when, when each lever is used, and upgrades.

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


@dataclass(frozen=True, order=True)
class UpgradeStart:
    """Measure ``measure``, in force at the scope it was signed at, starts widening to ``scope``.

    The upgrade's negotiation starts in period ``start`` (docs/model.md, staged scope).
    """

    measure: str
    scope: str
    start: int


UPGRADE_STEP = "\u2192"
"""Joins two scope ids into the id of an upgrade step: ``narrow→full``.

The integer program names an upgrade's start like a scope's start, with the
step ``from→to`` in place of the scope (so that every solver back end reads
upgrades as it reads starts); :meth:`Plan.of` turns such an assignment into an
:class:`UpgradeStart`. Scope ids may not contain the arrow (the input check says so).
"""


def upgrade_step(from_scope: str, to_scope: str) -> str:
    """The step id of the upgrade from ``from_scope`` to ``to_scope``."""
    return f"{from_scope}{UPGRADE_STEP}{to_scope}"


@dataclass(frozen=True)
class Plan:
    """A schedule, kept in a canonical order so that equal plans compare equal."""

    assignments: tuple[Assignment, ...] = ()
    lever_uses: tuple[LeverUse, ...] = ()
    upgrades: tuple[UpgradeStart, ...] = ()

    @classmethod
    def of(
        cls,
        assignments: Iterable[Assignment],
        lever_uses: Iterable[LeverUse] = (),
        upgrades: Iterable[UpgradeStart] = (),
    ) -> Plan:
        """Return a plan with its entries sorted.

        An assignment whose scope is an upgrade step (``from→to``, see
        :data:`UPGRADE_STEP`) is read as the start of an upgrade to ``to``.
        """
        scopes: list[Assignment] = []
        widened = list(upgrades)
        for a in assignments:
            if UPGRADE_STEP in a.scope:
                widened.append(UpgradeStart(a.measure, a.scope.split(UPGRADE_STEP)[-1], a.start))
            else:
                scopes.append(a)
        return cls(tuple(sorted(scopes)), tuple(sorted(lever_uses)), tuple(sorted(widened)))

    def assignment(self, measure: str) -> Assignment | None:
        """Return the (first) assignment of ``measure``, if it is in the plan."""
        for assignment in self.assignments:
            if assignment.measure == measure:
                return assignment
        return None

    def upgrade(self, measure: str) -> UpgradeStart | None:
        """Return the (first) upgrade of ``measure``, if the plan widens it."""
        for upgrade in self.upgrades:
            if upgrade.measure == measure:
                return upgrade
        return None

    def with_levers(self, lever_uses: Iterable[LeverUse]) -> Plan:
        """The same starts and upgrades with other lever uses."""
        return Plan.of(self.assignments, lever_uses, self.upgrades)
