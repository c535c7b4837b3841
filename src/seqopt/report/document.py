"""Read a result folder's ``plan.json`` and check that it is a seqopt plan a report can show.

A report is a pure function of this document: nothing is solved again. The
check covers every key a report reads, so that a damaged or foreign file is
refused with a list of what is wrong rather than a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqopt.errors import InputError, Issue, Location
from seqopt.outputs import SCHEMA

PLAN_FILE = "plan.json"

WITH_PLAN = ("optimal", "feasible")
"""Statuses that come with a plan."""

MAX_ISSUES = 20


@dataclass(frozen=True)
class Each:
    """A JSON object keyed by ids, each value following ``spec``."""

    spec: Any


@dataclass(frozen=True)
class MayLack:
    """A key that older documents lack; when present its value follows ``spec``."""

    spec: Any


@dataclass(frozen=True)
class Either:
    """A value following any of ``specs``."""

    specs: tuple[Any, ...]


NUMBER = float
TEXT = str
FLAG = bool
MAYBE_NUMBER = Either((float, None))
MAYBE_TEXT = Either((str, None))

DOCUMENT = {
    "seqopt_version": TEXT,
    "model": TEXT,
    "description": MayLack(TEXT),
    "input": {"path": TEXT, "sha256": TEXT},
    "objective": {"kind": TEXT, "discount_rate": NUMBER, "terminal": Either((float, str))},
    "solver": {"name": TEXT},
    "status": TEXT,
    "value": MAYBE_NUMBER,
    "bound": MAYBE_NUMBER,
    "gap": MAYBE_NUMBER,
    "periods": [TEXT],
}
"""What every plan document holds (a spec: types, ``[item]``, ``{key: spec}``, ...)."""

GATES = [{"series": TEXT, "threshold": NUMBER, "support_at_signing": NUMBER}]

UPGRADE = {
    "scope": TEXT,
    "scope_name": TEXT,
    "start": TEXT,
    "signing": TEXT,
    "in_force": MAYBE_TEXT,
    "cost": NUMBER,
    "gain": NUMBER,
    "gates": GATES,
}
"""A measure's widening to another scope (staged scope)."""

PLAN = {
    "totals": {
        "benefit": NUMBER,
        "overlap": MayLack(NUMBER),
        "cost": NUMBER,
        "lever_cost": NUMBER,
        "net_value": NUMBER,
        "makespan_periods": NUMBER,
    },
    "schedule": [
        {
            "measure": TEXT,
            "measure_name": TEXT,
            "scope": TEXT,
            "scope_name": TEXT,
            "start": TEXT,
            "signing": TEXT,
            "in_force": MAYBE_TEXT,
            "benefit": NUMBER,
            "cost": NUMBER,
            "gates": GATES,
            "source": MayLack(TEXT),
            "upgrade": MayLack(Either((None, UPGRADE))),
            "lapse": MayLack(MAYBE_TEXT),
        }
    ],
    "lever_uses": [{"lever": TEXT, "lever_name": TEXT, "period": TEXT}],
    "left_out": [{"measure": TEXT, "measure_name": TEXT, "force": TEXT, "source": MayLack(TEXT)}],
    "support": Each(
        {
            "name": TEXT,
            "values": [NUMBER],
            "gates": MayLack(
                [
                    {
                        "measure": TEXT,
                        "measure_name": TEXT,
                        "scope": TEXT,
                        "scope_name": TEXT,
                        "threshold": NUMBER,
                        "chosen": FLAG,
                    }
                ]
            ),
            "maintain": MayLack(
                [{"measure": TEXT, "measure_name": TEXT, "threshold": NUMBER, "chosen": FLAG}]
            ),
        }
    ),
    "reviews": MayLack(
        [
            {
                "measure": TEXT,
                "measure_name": TEXT,
                "period": TEXT,
                "passed": FLAG,
                "levels": [
                    {"series": TEXT, "series_name": TEXT, "support": NUMBER, "threshold": NUMBER}
                ],
            }
        ]
    ),
    "backlashes": MayLack(
        [
            {
                "measure": TEXT,
                "measure_name": TEXT,
                "lever": TEXT,
                "lever_name": TEXT,
                "signing": TEXT,
                "series": [TEXT],
            }
        ]
    ),
    "overlaps": MayLack(
        [
            {
                "measure": TEXT,
                "measure_name": TEXT,
                "other": TEXT,
                "other_name": TEXT,
                "value": NUMBER,
                "periods": [TEXT],
            }
        ]
    ),
    "events": MayLack([{"event": TEXT, "event_name": TEXT, "period": TEXT, "weight": NUMBER}]),
    "upgrades": MayLack(
        [{"measure": TEXT, "measure_name": TEXT, "scope": TEXT, "scope_name": TEXT, "start": TEXT}]
    ),
    "reliability": MayLack(
        Either(
            (
                None,
                {
                    "scenarios": NUMBER,
                    "seed": NUMBER,
                    "held": NUMBER,
                    "share": NUMBER,
                    "most_broken": MAYBE_TEXT,
                    "rules": [{"rule": TEXT, "scenarios": NUMBER, "share": NUMBER}],
                    "signings": [
                        {
                            "measure_name": TEXT,
                            "series_name": TEXT,
                            "signing": TEXT,
                            "widening": FLAG,
                            "margin": NUMBER,
                            "cleared": NUMBER,
                            "margin_p5": MAYBE_NUMBER,
                        }
                    ],
                },
            )
        )
    ),
    "resources": Each(
        {
            "name": TEXT,
            "kind": TEXT,
            "unit": TEXT,
            "use": [NUMBER],
            "capacity": Either((float, [NUMBER])),
        }
    ),
}
"""What a document with a plan holds besides :data:`DOCUMENT`."""


def plan_path(result: Path) -> Path:
    """The ``plan.json`` of a result folder (or ``result`` itself when it names a JSON file)."""
    return result if result.suffix.lower() == ".json" else result / PLAN_FILE


def read_plan(result: Path) -> dict[str, Any]:
    """Read and check the plan document in a result folder.

    Parameters
    ----------
    result
        A folder written by ``seqopt solve`` (or the path of its ``plan.json``).

    Returns
    -------
    dict
        The document, as written by :func:`seqopt.outputs.plan_document`.

    Raises
    ------
    InputError
        When the folder or its ``plan.json`` is missing, the file is not JSON,
        or it is not a seqopt plan; every missing or mistyped key is listed.
    """
    path = plan_path(result)
    where = Location(str(path))
    if not path.is_file():
        hint = (
            "Name a folder written by seqopt solve (it holds plan.json), or run seqopt solve first."
        )
        raise InputError([Issue(where, "not found", hint=hint)])
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError([Issue(where, "is not a seqopt plan: must be UTF-8 text")]) from None
    except json.JSONDecodeError as error:
        rule = f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        raise InputError([Issue(where, rule)]) from None
    check_plan(document, where)
    return document  # type: ignore[no-any-return]


def check_plan(document: object, where: Location) -> None:
    """Raise :class:`InputError` listing every way ``document`` is not a seqopt plan document."""
    if not isinstance(document, dict):
        raise InputError([Issue(where, "is not a seqopt plan: must hold a JSON object")])
    if "schema" not in document:
        rule = f"is not a seqopt plan: it has no key schema (a plan has {SCHEMA!r})"
        raise InputError([Issue(where, rule)])
    if document["schema"] != SCHEMA:
        rule = f"is not a seqopt plan this version reads: key schema must be {SCHEMA!r}"
        raise InputError([Issue(where, rule, document["schema"])])
    spec = dict(DOCUMENT)
    if document.get("status") in WITH_PLAN:
        spec.update(PLAN)
    problems = list(_mismatches(document, spec, ""))
    if not problems:
        problems = list(_periods(document))
    if problems:
        issues = [Issue(where, problem) for problem in problems[:MAX_ISSUES]]
        if len(problems) > MAX_ISSUES:
            issues.append(Issue(where, f"and {len(problems) - MAX_ISSUES} more problems"))
        raise InputError(issues)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _describe(spec: Any) -> str:
    if isinstance(spec, Either):
        return " or ".join(_describe(s) for s in spec.specs)
    if spec is None:
        return "null"
    if spec is float:
        return "a number"
    if spec is str:
        return "text"
    if spec is bool:
        return "true or false"
    return "a list" if isinstance(spec, list) else "an object"


def _fits(value: object, spec: Any) -> bool:
    """Whether ``value`` has the JSON type ``spec`` asks for (not looking inside)."""
    if isinstance(spec, Either):
        return any(_fits(value, s) for s in spec.specs)
    if spec is None:
        return value is None
    if spec is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec is str:
        return isinstance(value, str)
    if spec is bool:
        return isinstance(value, bool)
    if isinstance(spec, list):
        return isinstance(value, list)
    return isinstance(value, dict)


def _mismatches(value: object, spec: Any, path: str) -> Iterator[str]:
    if isinstance(spec, Either):
        matching = [s for s in spec.specs if _fits(value, s)]
        if matching:
            yield from _mismatches(value, matching[0], path)
            return
    elif _fits(value, spec):
        if isinstance(spec, list) and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _mismatches(item, spec[0], f"{path}[{index}]")
        elif isinstance(spec, Each) and isinstance(value, dict):
            for key, item in value.items():
                yield from _mismatches(item, spec.spec, f"{path}.{key}")
        elif isinstance(spec, dict) and isinstance(value, dict):
            for key, item_spec in spec.items():
                where = f"{path}.{key}" if path else key
                if isinstance(item_spec, MayLack):
                    if key in value:
                        yield from _mismatches(value[key], item_spec.spec, where)
                elif key not in value:
                    yield f"key {where} is missing"
                else:
                    yield from _mismatches(value[key], item_spec, where)
        return
    yield f"key {path} must be {_describe(spec)}, got {_kind(value)}"


def _periods(document: dict[str, Any]) -> Iterator[str]:
    """Period labels and per-period lists must match the document's periods."""
    periods = document["periods"]
    known = set(periods)
    for index, item in enumerate(document.get("schedule", [])):
        for key in ("start", "signing", "in_force"):
            if item[key] is not None and item[key] not in known:
                yield f"key schedule[{index}].{key} names an unknown period {item[key]!r}"
        for number, gate in enumerate(item["gates"]):
            if gate["series"] not in document["support"]:
                yield (
                    f"key schedule[{index}].gates[{number}].series names an unknown "
                    f"series {gate['series']!r}"
                )
    for index, use in enumerate(document.get("lever_uses", [])):
        if use["period"] not in known:
            yield f"key lever_uses[{index}].period names an unknown period {use['period']!r}"
    for index, item in enumerate(document.get("schedule", [])):
        upgrade = item.get("upgrade")
        for key in ("start", "signing", "in_force"):
            if upgrade and upgrade[key] is not None and upgrade[key] not in known:
                yield f"key schedule[{index}].upgrade.{key} names an unknown period"
        if item.get("lapse") is not None and item["lapse"] not in known:
            yield f"key schedule[{index}].lapse names an unknown period {item['lapse']!r}"
    for part, key in (("reviews", "period"), ("backlashes", "signing"), ("events", "period")):
        for index, entry in enumerate(document.get(part, [])):
            if entry[key] not in known:
                yield f"key {part}[{index}].{key} names an unknown period {entry[key]!r}"
    for part, field in (("support", "values"), ("resources", "use")):
        for key, item in document.get(part, {}).items():
            if len(item[field]) != len(periods):
                yield f"key {part}.{key}.{field} must have one value per period ({len(periods)})"
    for key, item in document.get("resources", {}).items():
        capacity = item["capacity"]
        if isinstance(capacity, list) and len(capacity) != len(periods):
            yield f"key resources.{key}.capacity must have one value per period ({len(periods)})"


def has_plan(document: dict[str, Any]) -> bool:
    """Whether the document carries a plan (a schedule, support and resources)."""
    return "schedule" in document
