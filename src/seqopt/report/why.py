"""Explanation sections of the reports, from a document's ``explanations`` and ``diagnosis``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """A titled list of sentences."""

    key: str
    title: str
    lede: str
    items: tuple[str, ...]


def why_sections(document: dict[str, Any]) -> list[Section]:
    """Sections explaining the plan (``seqopt explain``) or the infeasibility (``seqopt solve``)."""
    sections = []
    found = document.get("diagnosis")
    if isinstance(found, dict):
        items = tuple(str(r["text"]) for r in found.get("relaxations", []))
        if not found.get("solved"):
            items = ("The elastic model could not be solved in time; no relaxation is known.",)
        sections.append(
            Section(
                "diagnosis",
                "Why no plan is possible",
                "The smallest set of changes that would make the model feasible (each rule may "
                "give way at a price; the smallest and fewest changes win):",
                items,
            )
        )
    why = document.get("explanations")
    if isinstance(why, dict):
        reasons = tuple(
            str(r["text"]) for r in why.get("reasons", []) if r.get("status") != "on time"
        )
        if reasons:
            sections.append(
                Section(
                    "why",
                    "Why each measure is where it is",
                    "For each measure that starts later than its window allows, or is left "
                    "out: what an earlier start would break, and what made the signing possible.",
                    reasons,
                )
            )
        forcing = tuple(str(f["text"]) for f in why.get("forcing", []))
        if forcing:
            sections.append(
                Section(
                    "forcing",
                    "The price of forcing",
                    "Each measure re-solved forced in, forced out, or forced to its earliest "
                    "feasible start, against the optimal plan:",
                    forcing,
                )
            )
        changes = tuple(str(c["text"]) for c in why.get("changes", []))
        if changes:
            sections.append(
                Section(
                    "changes",
                    "What would it take",
                    "For each measure left out, the smallest change to one input that brings it "
                    "into the optimal plan:",
                    changes,
                )
            )
    return sections
