"""Plans of several model files side by side, and what moves between them.

:func:`read_models` reads every model file (all their problems are listed
at once); :func:`solve_models` solves each on the same path as ``seqopt solve``
(the independent evaluator checks every plan) and returns their plan documents.
:func:`compare_plans` is a pure function of those documents: models may have
different inputs and horizons, so measures are matched by id and periods by
label. Each plan after the first is compared with the first (the *reference*):

- a measure *added* or *left out*, or *not in the input* of one of them;
- signed *earlier* or *later*, by how many periods on the common timeline (the
  periods of every model merged in order);
- signed at *another scope*, widened or not;
- lever uses bought or given up.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from seqopt import __version__
from seqopt.data import Problem
from seqopt.errors import InputError, Issue
from seqopt.io.scenario_files import load_problem
from seqopt.outputs import plan_document
from seqopt.settings import ModelFile, read_model_file
from seqopt.solve import SolveResult, solve

SCHEMA = "seqopt.compare/1"
COMPARE_FILE = "compare.json"


@dataclass(frozen=True)
class Signing:
    """What one plan does with one measure (``None`` fields when it leaves it out)."""

    in_input: bool
    scope: str | None = None
    scope_name: str | None = None
    start: str | None = None
    signed: str | None = None
    in_force: str | None = None
    widened_to: str | None = None
    widened_signed: str | None = None

    @property
    def done(self) -> bool:
        """Whether the plan signs the measure."""
        return self.scope is not None


@dataclass(frozen=True)
class Move:
    """How a plan differs from the reference on one measure or lever."""

    model: str
    subject: str
    """Measure or lever id."""
    name: str
    kind: str
    """``added``, ``left out``, ``absent``, ``new in input``, ``earlier``, ``later``,
    ``scope``, ``widened``, ``not widened``, ``levers``."""
    periods: int | None
    """Periods earlier (negative) or later (positive), for timing moves."""
    text: str


@dataclass(frozen=True)
class Comparison:
    """Every model's headline, every measure's signing in each, and the moves."""

    models: tuple[dict[str, Any], ...]
    timeline: tuple[str, ...]
    """Period labels from the first any model plans to the last, merged in order (with
    the input periods between horizons)."""
    measures: tuple[tuple[str, str, tuple[Signing, ...]], ...]
    """(id, name, the signing in each model), in order of first appearance."""
    levers: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...]
    """(id, name, the periods it is used in each model), for levers some plan uses."""
    moves: tuple[Move, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Solved:
    """One model file, solved: its settings and plan document."""

    model: ModelFile
    result: SolveResult
    document: dict[str, Any]


def read_models(paths: Sequence[Path]) -> list[tuple[ModelFile, Problem]]:
    """Read every model file and its problem.

    Raises
    ------
    InputError
        Listing the problems of every model file at once.
    """
    loaded = []
    issues: list[Issue] = []
    for path in paths:
        try:
            model = read_model_file(path)
            loaded.append((model, load_problem(model)))
        except InputError as error:
            issues += error.issues
    if issues:
        raise InputError(issues)
    return loaded


def solve_models(
    loaded: Sequence[tuple[ModelFile, Problem]],
    done: Callable[[ModelFile, SolveResult], None] | None = None,
) -> list[Solved]:
    """Solve each model as ``seqopt solve`` does; its plan document, with the input's periods.

    Raises
    ------
    PlanRejected
        When a solver's plan fails the independent check.
    """
    solved = []
    for model, problem in loaded:
        result = solve(problem, model.objective, model.solver)
        document = plan_document(problem, model, result)
        document["model_file"] = model.path.as_posix()
        if model.scenario.horizon is not None:
            # Every period of the input, so that moves across horizons count the periods between.
            whole = load_problem(replace(model, scenario=replace(model.scenario, horizon=None)))
            document["input_periods"] = list(whole.periods)
        solved.append(Solved(model, result, document))
        if done is not None:
            done(model, result)
    return solved


def model_names(documents: Sequence[dict[str, Any]]) -> list[str]:
    """Each model's name; a name met again gets its count (``a``, ``a (2)``)."""
    seen: dict[str, int] = {}
    names = []
    for document in documents:
        name = document["model"]
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def timeline(period_lists: Sequence[Sequence[str]]) -> tuple[list[str], bool]:
    """Every label in order, and whether the models' orders agree.

    Labels follow each model's order; labels no order relates (disjoint horizons)
    are taken in natural order (``2012Q2`` before ``2013Q4``, ``T9`` before ``T10``).
    """
    before: dict[str, set[str]] = {}
    after: dict[str, set[str]] = {}
    for labels in period_lists:
        for label in labels:
            before.setdefault(label, set())
            after.setdefault(label, set())
        for first, second in pairwise(labels):
            before[second].add(first)
            after[first].add(second)
    ready = [(_natural(label), label) for label, earlier in before.items() if not earlier]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, label = heapq.heappop(ready)
        order.append(label)
        for later in after[label]:
            before[later].discard(label)
            if not before[later]:
                heapq.heappush(ready, (_natural(later), later))
    if len(order) < len(before):
        return sorted(before, key=_natural), False
    return order, True


def _natural(label: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))


def _signings(document: dict[str, Any]) -> dict[str, Signing]:
    found: dict[str, Signing] = {}
    for item in document.get("schedule", []):
        upgrade = item.get("upgrade") or {}
        found[item["measure"]] = Signing(
            True,
            item["scope"],
            item["scope_name"],
            item["start"],
            item["signing"],
            item.get("in_force"),
            upgrade.get("scope_name"),
            upgrade.get("signing"),
        )
    for item in document.get("left_out", []):
        found[item["measure"]] = Signing(True)
    return found


def _measure_names(documents: Sequence[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for document in documents:
        for item in [*document.get("schedule", []), *document.get("left_out", [])]:
            names.setdefault(item["measure"], item["measure_name"])
    return names


def _lever_uses(document: dict[str, Any]) -> dict[str, list[str]]:
    uses: dict[str, list[str]] = {}
    for use in document.get("lever_uses", []):
        uses.setdefault(use["lever"], []).append(use["period"])
    return uses


def compare_plans(documents: Sequence[dict[str, Any]]) -> Comparison:
    """Side by side: each plan's signings and lever uses, and its moves from the first plan."""
    names = model_names(documents)
    order, agree = timeline(
        [d.get("input_periods", []) for d in documents] + [d.get("periods", []) for d in documents]
    )
    position = {label: i for i, label in enumerate(order)}
    planned = [position[label] for d in documents for label in d.get("periods", [])]
    if planned:
        order = order[min(planned) : max(planned) + 1]
    notes = []
    if not agree:
        notes.append("The models order their periods differently: no move is counted in periods.")
    signings = [_signings(d) for d in documents]
    measure_names = _measure_names(documents)
    measures = tuple(
        (m, measure_names[m], tuple(s.get(m, Signing(False)) for s in signings))
        for m in measure_names
    )
    lever_names: dict[str, str] = {}
    for document in documents:
        for use in document.get("lever_uses", []):
            lever_names.setdefault(use["lever"], use["lever_name"])
    uses = [_lever_uses(d) for d in documents]
    levers = tuple(
        (lever, name, tuple(tuple(u.get(lever, [])) for u in uses))
        for lever, name in lever_names.items()
    )
    moves: list[Move] = []
    for k in range(1, len(documents)):
        for measure, name, each in measures:
            moves += _measure_moves(names[k], measure, name, each[0], each[k], position, agree)
        for lever, name, used in levers:
            if used[0] != used[k]:
                moves.append(_lever_move(names[k], lever, name, used[0], used[k]))
    models = tuple(_headline(name, d) for name, d in zip(names, documents, strict=True))
    return Comparison(models, tuple(order), measures, levers, tuple(moves), tuple(notes))


def _headline(name: str, document: dict[str, Any]) -> dict[str, Any]:
    totals = document.get("totals", {})
    periods = document.get("periods", [])
    return {
        "name": name,
        "model": document["model"],
        "model_file": document.get("model_file"),
        "description": document.get("description"),
        "input": document["input"],
        "status": document["status"],
        "status_words": document["status_words"],
        "value": document.get("value"),
        "bound": document.get("bound"),
        "gap": document.get("gap"),
        "benefit": totals.get("benefit"),
        "cost": totals.get("cost"),
        "first_period": periods[0] if periods else None,
        "last_period": periods[-1] if periods else None,
        "signed": len(document.get("schedule", [])),
    }


def _measure_moves(
    model: str,
    measure: str,
    name: str,
    before: Signing,
    after: Signing,
    position: dict[str, int],
    agree: bool,
) -> list[Move]:
    def move(kind: str, text: str, periods: int | None = None) -> Move:
        return Move(model, measure, name, kind, periods, text)

    if before.in_input != after.in_input:
        if not after.in_input:
            return [move("absent", f"{name} is not in {model}'s input")]
        kind, words = ("new in input", f"{name} is only in {model}'s input")
        return [move(kind, words + (f"; signed {after.signed}" if after.done else ""))]
    if before.done and not after.done:
        return [move("left out", f"{name} is left out")]
    if after.done and not before.done:
        return [move("added", f"{name} is added ({after.scope_name}, signed {after.signed})")]
    if not (before.done and after.done):
        return []
    found = []
    if before.scope != after.scope:
        found.append(move("scope", f"{name}: {after.scope_name} instead of {before.scope_name}"))
    assert before.signed is not None and after.signed is not None
    if before.signed != after.signed:
        if agree and before.signed in position and after.signed in position:
            shift = position[after.signed] - position[before.signed]
            way = "later" if shift > 0 else "earlier"
            count = abs(shift)
            found.append(
                move(
                    way,
                    f"{name} signed {count} period{'s' if count != 1 else ''} {way} "
                    f"({after.signed} instead of {before.signed})",
                    shift,
                )
            )
        else:
            found.append(move("moved", f"{name} signed {after.signed} instead of {before.signed}"))
    if before.widened_to != after.widened_to:
        if after.widened_to is None:
            found.append(move("not widened", f"{name} is no longer widened"))
        else:
            found.append(
                move("widened", f"{name} is widened to {after.widened_to} ({after.widened_signed})")
            )
    return found


def _lever_move(
    model: str, lever: str, name: str, before: tuple[str, ...], after: tuple[str, ...]
) -> Move:
    bought = [p for p in after if p not in before]
    given = [p for p in before if p not in after]
    parts = []
    if bought:
        parts.append(f"used in {', '.join(bought)}")
    if given:
        parts.append(f"no longer in {', '.join(given)}")
    return Move(
        model, lever, name, "levers", len(after) - len(before), f"{name}: {'; '.join(parts)}"
    )


def compare_document(comparison: Comparison) -> dict[str, Any]:
    """``compare.json``: the models, every measure in each, the lever uses and the moves."""
    names = [m["name"] for m in comparison.models]
    return {
        "schema": SCHEMA,
        "seqopt_version": __version__,
        "models": list(comparison.models),
        "reference": names[0] if names else None,
        "timeline": list(comparison.timeline),
        "measures": [
            {
                "measure": measure,
                "measure_name": name,
                "plans": {
                    model: (
                        {
                            "in_input": s.in_input,
                            "scope": s.scope,
                            "scope_name": s.scope_name,
                            "start": s.start,
                            "signed": s.signed,
                            "in_force": s.in_force,
                            "widened_to": s.widened_to,
                            "widened_signed": s.widened_signed,
                        }
                    )
                    for model, s in zip(names, each, strict=True)
                },
            }
            for measure, name, each in comparison.measures
        ],
        "levers": [
            {
                "lever": lever,
                "lever_name": name,
                "uses": {n: list(u) for n, u in zip(names, used, strict=True)},
            }
            for lever, name, used in comparison.levers
        ],
        "moves": [
            {
                "model": m.model,
                "subject": m.subject,
                "name": m.name,
                "kind": m.kind,
                "periods": m.periods,
                "text": m.text,
            }
            for m in comparison.moves
        ],
        "notes": list(comparison.notes),
    }
