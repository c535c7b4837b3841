"""Scenario files: a model file that extends another and changes its input.

One input, many scenarios, no copied workbooks. A model file may name another
with ``extends = "other.toml"`` (read by :func:`seqopt.settings.read_model_file`)
and change what it inherits:

- ``[force]``: ``measure = "in" | "out" | "free"``;
- ``[overrides]``: one input cell by its row's key, ``"sheet.key.….column" = value``
  (``"gates.gsomia.full.kr_gsomia.threshold" = 70``; a blank key cell is written
  ``*``, as in ``"gates.gsomia.*.kr_coop.threshold"``);
- ``overlay`` in ``[model]``: a workbook or CSV folder with some sheets of the
  input format; each of its rows replaces the cells it fills in the input's row
  with the same key, or is added when the input has no such row;
- ``horizon`` in ``[model]``: ``{ first = "2013Q4", last = "2017Q4" }``, plan over
  part of the input's periods (:mod:`seqopt.horizon`).

Everything a scenario changes is checked as input is: a bad value, an unknown id
or an override naming no row is an error at the cell, and the message names the
scenario file and the setting (or the overlay's file, sheet, row and column).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqopt.data import Problem
from seqopt.errors import InputError, Issue, Location
from seqopt.horizon import within
from seqopt.io.reader import problem_from_tables
from seqopt.io.tables import Cell, Row, Table, Tables, read_tables
from seqopt.schema import SHEETS_BY_NAME, Kind, Sheet
from seqopt.validate import problem_issues

if TYPE_CHECKING:
    from seqopt.settings import ModelFile

BLANK_KEY = "*"
"""How an override names a key cell left blank (a measure-wide gate's scope)."""

FORCE_CHOICES = ("in", "out", "free")


@dataclass(frozen=True)
class CellOverride:
    """One input cell set by a scenario file."""

    cell: str
    """``sheet.key.….column``."""
    value: Cell
    where: Location
    """The scenario file and setting that set it."""


@dataclass(frozen=True)
class Overlay:
    """A workbook or CSV folder of rows that replace or add to the input's."""

    path: Path
    where: Location


@dataclass(frozen=True)
class Horizon:
    """The periods a scenario plans over, by label (``None``: the input's first or last)."""

    first: str | None
    last: str | None
    where: Location


@dataclass(frozen=True)
class Scenario:
    """What a model file changes in its input (nothing, for a plain model file)."""

    files: tuple[Path, ...] = ()
    """The model files read, the one extended first; empty when nothing is extended."""
    overrides: tuple[CellOverride, ...] = ()
    overlays: tuple[Overlay, ...] = ()
    horizon: Horizon | None = None

    @property
    def changes_input(self) -> bool:
        """Whether the problem differs from the input's."""
        return bool(self.overrides or self.overlays or self.horizon)

    def then(self, child: Scenario) -> Scenario:
        """Return the scenario changed by ``child`` (a file extending this one's).

        ``child``'s overrides replace this one's for the same cell, its overlays
        come after this one's, and its horizon, when it sets one, replaces this one's.
        """
        overrides = {o.cell: o for o in self.overrides}
        overrides.update({o.cell: o for o in child.overrides})
        return Scenario(
            files=self.files + child.files,
            overrides=tuple(overrides.values()),
            overlays=self.overlays + child.overlays,
            horizon=child.horizon if child.horizon is not None else self.horizon,
        )


# -- reading the scenario parts of one model file -------------------------------------


def scenario_settings(
    data: Mapping[str, Any], path: Path, base: Path, issues: list[Issue]
) -> Scenario:
    """The scenario parts of one model file: ``[force]``, ``[overrides]``, overlay, horizon.

    ``base`` is the folder relative paths start from; problems go to ``issues``.
    """
    file = str(path)
    overrides: list[CellOverride] = []
    force = data.get("force", {})
    if not isinstance(force, dict):
        issues.append(Issue(Location(file, key="force"), "must be a [force] table", force))
        force = {}
    for measure, choice in force.items():
        where = Location(file, key=f"force.{measure}")
        text = choice.lower() if isinstance(choice, str) else choice
        if text not in FORCE_CHOICES:
            issues.append(Issue(where, "must be 'in', 'out' or 'free'", choice))
            continue
        overrides.append(CellOverride(f"measures.{_key_part(measure)}.force", text, where))
    cells = data.get("overrides", {})
    if not isinstance(cells, dict):
        issues.append(Issue(Location(file, key="overrides"), "must be an [overrides] table", cells))
        cells = {}
    for cell, value in _flattened(cells):
        where = Location(file, key=f"overrides.{cell}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            rule = 'must be a number or a text ("" for a blank cell)'
            issues.append(Issue(where, rule, value))
            continue
        overrides.append(CellOverride(cell, value if value != "" else None, where))
    model = data.get("model", {})
    model = model if isinstance(model, dict) else {}
    return Scenario(
        overrides=tuple(overrides),
        overlays=_overlays(model.get("overlay"), file, base, issues),
        horizon=_horizon(model.get("horizon"), file, issues),
    )


def _key_part(text: str) -> str:
    return text if text else BLANK_KEY


def _flattened(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` as ``("a.b", 1)``: TOML reads an unquoted dotted key as nested tables."""
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _flattened(value, name)
        else:
            yield name, value


def _overlays(raw: Any, file: str, base: Path, issues: list[Issue]) -> tuple[Overlay, ...]:
    if raw is None:
        return ()
    where = Location(file, key="model.overlay")
    names = raw if isinstance(raw, list) else [raw]
    found = []
    for name in names:
        if not isinstance(name, str) or not name:
            issues.append(
                Issue(where, "must name a workbook or CSV folder (or a list of them)", raw)
            )
            continue
        path = relative_path(base, name)
        if not path.exists():
            rule = f"overlay not found: {path} (paths are relative to the model file)"
            issues.append(Issue(where, rule, name))
            continue
        found.append(Overlay(path, where))
    return tuple(found)


def _horizon(raw: Any, file: str, issues: list[Issue]) -> Horizon | None:
    if raw is None:
        return None
    where = Location(file, key="model.horizon")
    rule = 'must be a table { first = "<period>", last = "<period>" } (either may be left out)'
    if not isinstance(raw, dict) or not set(raw) <= {"first", "last"} or not raw:
        issues.append(Issue(where, rule, raw))
        return None
    ends = [raw.get("first"), raw.get("last")]
    if not all(end is None or (isinstance(end, str) and end) for end in ends):
        issues.append(Issue(where, rule, raw))
        return None
    return Horizon(ends[0], ends[1], where)


def relative_path(base: Path, relative: str) -> Path:
    """A path written in a model file, joined to the file's folder, without ``..`` left in it."""
    return Path(os.path.normpath(base / relative))


# -- applying a scenario to the input ----------------------------------------------------


def load_problem(model: ModelFile) -> Problem:
    """The problem a model file describes: its input, changed by its scenario, checked.

    Raises
    ------
    InputError
        With every problem found in the input and in what the scenario changes.
    """
    scenario = model.scenario
    tables, issues = with_scenario(read_tables(model.input), scenario)
    try:
        problem = problem_from_tables(tables, name=model.input.stem)
    except InputError as error:
        raise InputError([*issues, *error.issues]) from None
    if issues:
        raise InputError(issues)
    if scenario.horizon is not None:
        problem = _within_horizon(problem, scenario.horizon)
    return problem.renamed(model.name)


def with_scenario(tables: Tables, scenario: Scenario) -> tuple[Tables, list[Issue]]:
    """``tables`` with the scenario's overlays merged in, then its cell overrides set.

    Also returns the problems found on the way: overlay sheets or columns that are
    not in the input format, overrides that name no sheet, column or row (those
    are left out, so that the rest can still be read and checked).
    """
    issues: list[Issue] = []
    unread = list(tables.issues)
    sheets = dict(tables.sheets)
    for overlay in scenario.overlays:
        try:
            extra = read_tables(overlay.path)
        except InputError as error:
            issues.extend(error.issues)
            continue
        unread.extend(extra.issues)
        for name, table in extra.sheets.items():
            sheet = SHEETS_BY_NAME.get(name)
            if sheet is None:
                hint = _near(name, SHEETS_BY_NAME)
                where = Location(table.file, name)
                issues.append(Issue(where, "is not a sheet of the input format", name, hint=hint))
                continue
            if _overlay_fits(table, sheet, issues):
                sheets[name] = _merged(sheets.get(name), table, sheet)
    for override in scenario.overrides:
        _set_cell(sheets, override, issues)
    # Cells that could not be read stay the tables' issues (the reader lists them
    # with the rest), the overlays' beside the input's.
    return replace(tables, sheets=sheets, issues=tuple(unread)), issues


def _overlay_fits(table: Table, sheet: Sheet, issues: list[Issue]) -> bool:
    """Whether an overlay's sheet has the key columns, and no column the format lacks."""
    fits = True
    for header in table.headers:
        if header and header not in sheet.headers():
            where = table.location(1, header)
            hint = _near(header, sheet.headers())
            issues.append(Issue(where, f"is not a column of sheet {sheet.name}", header, hint=hint))
            fits = False
    missing = [k for k in sheet.key if k not in table.headers]
    if missing:
        rule = f"an overlay row is matched by its key: needs the columns {', '.join(sheet.key)}"
        issues.append(Issue(table.location(1), rule, ", ".join(missing)))
        fits = False
    return fits


def _merged(base: Table | None, extra: Table, sheet: Sheet) -> Table:
    """``base`` with each row of ``extra`` replacing the cells it fills, or added."""
    if base is None:
        rows = [replace(r, file=extra.file) for r in extra.rows]
        return Table(extra.file, extra.sheet, extra.headers, tuple(rows))
    headers = base.headers + tuple(h for h in extra.headers if h not in base.headers)
    merged = list(base.rows)
    index: dict[str, int] = {}
    for position, row in enumerate(merged):
        index.setdefault(_row_key(row, sheet), position)
    for row in extra.rows:
        found = index.get(_row_key(row, sheet))
        if found is None:
            merged.append(replace(row, file=extra.file))
            continue
        old = merged[found]
        cells, replaced = dict(old.cells), dict(old.replaced)
        filled = set()
        for header, value in row.cells.items():
            if value is not None and header not in sheet.key:
                cells[header] = value
                replaced[header] = row.location(extra, header)
                filled.add(header)
        # A cell the overlay fills is read as the overlay wrote it: its percent format
        # and whether it could be read come from the overlay, not from the cell replaced.
        merged[found] = replace(
            old,
            cells=cells,
            replaced=replaced,
            percent=(old.percent - filled) | (row.percent & filled),
            unread=(old.unread - filled) | (row.unread - frozenset(sheet.key)),
        )
    return Table(base.file, base.sheet, headers, tuple(merged))


def _set_cell(sheets: dict[str, Table], override: CellOverride, issues: list[Issue]) -> None:
    where = override.where
    name, _, rest = override.cell.partition(".")
    key, _, column = rest.rpartition(".")
    sheet = SHEETS_BY_NAME.get(name)
    if sheet is None or not rest:
        rule = "must name a cell as sheet.key.column, starting with a sheet of the input format"
        issues.append(Issue(where, rule, override.cell, hint=_near(name, SHEETS_BY_NAME)))
        return
    if column not in sheet.headers():
        rule = f"must end with a column of sheet {name}"
        issues.append(Issue(where, rule, column, hint=_near(column, sheet.headers())))
        return
    if column in sheet.key:
        rule = "cannot change a key column (the row's id): add a row with an overlay instead"
        issues.append(Issue(where, rule, column))
        return
    table = sheets.get(name)
    rows = table.rows if table is not None else ()
    keys = [_row_key(row, sheet) for row in rows]
    matches = [k for k, found in enumerate(keys) if found == key]
    if len(matches) != 1:
        named = ".".join(sheet.key)
        if matches:
            rule = f"names {len(matches)} rows of sheet {name} (rows are named {named})"
        else:
            rule = f"names no row of sheet {name} (rows are named {named}, blank as *)"
        issues.append(Issue(where, rule, key, hint=_near(key, keys)))
        return
    assert table is not None
    row = rows[matches[0]]
    cells = {**row.cells, column: override.value}
    changed = replace(
        row,
        cells=cells,
        replaced={**row.replaced, column: where},
        percent=row.percent - {column},  # a number in a model file is never an Excel percentage
        unread=row.unread - {column},
    )
    headers = table.headers if column in table.headers else (*table.headers, column)
    others = (*rows[: matches[0]], changed, *rows[matches[0] + 1 :])
    sheets[name] = replace(table, headers=headers, rows=others)


def _row_key(row: Row, sheet: Sheet) -> str:
    """A row's id as overrides name it: its key cells joined by dots, blank as ``*``."""
    parts = []
    for column in sheet.key:
        value = row.cells.get(column)
        if value is None:
            parts.append(BLANK_KEY)
            continue
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        choice = sheet.column(column).kind is Kind.CHOICE
        parts.append(text.strip().lower() if choice else text.strip())
    return ".".join(parts)


def _within_horizon(problem: Problem, horizon: Horizon) -> Problem:
    labels = {label: t for t, label in enumerate(problem.periods)}
    ends = []
    issues = []
    for side, label, default in (
        ("first", horizon.first, 0),
        ("last", horizon.last, problem.horizon - 1),
    ):
        if label is None:
            ends.append(default)
        elif label in labels:
            ends.append(labels[label])
        else:
            where = replace(horizon.where, key=f"{horizon.where.key}.{side}")
            rule = "must be a period listed in sheet periods of the input"
            issues.append(Issue(where, rule, label, hint=_near(label, labels)))
    if issues:
        raise InputError(issues)
    first, last = ends
    if first > last:
        rule = "must run forwards: first comes after last"
        shown = f"{problem.periods[first]} to {problem.periods[last]}"
        raise InputError([Issue(horizon.where, rule, shown)])
    cut = within(problem, first, last)
    span = f"{problem.periods[first]} to {problem.periods[last]}"
    note = f"(within the horizon {span} set by {horizon.where})"
    found = [replace(issue, hint=f"{issue.hint} {note}".strip()) for issue in problem_issues(cut)]
    if found:
        raise InputError(found)
    return cut


def _near(label: str, known: Iterable[str]) -> str:
    near = difflib.get_close_matches(label, list(known), n=1)
    return f"Did you mean {near[0]!r}?" if near else ""
