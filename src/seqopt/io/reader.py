"""Read an input (workbook or CSV folder) into a :class:`~seqopt.data.Problem`.

Three passes, each collecting every problem it finds before any is raised
(together with the cells :mod:`seqopt.io.tables` could not read at all):

1. the shape: every sheet and every required column is there, and no column
   header is a near miss of a known one (``duration_hihg``);
2. the cells: types, ranges, choices, blanks, ``low <= base <= high``, period
   labels, duplicate keys;
3. the links: :func:`seqopt.validate.problem_issues` on the assembled problem
   (unknown ids, cycles, windows too short for a duration).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Dependency,
    DependencyKind,
    Distribution,
    Effect,
    Estimate,
    Event,
    Force,
    Gate,
    Lever,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
    Series,
    Substitute,
    Upgrade,
)
from seqopt.errors import InputError, Issue, Location, Origin
from seqopt.io.numbers import read_number
from seqopt.io.tables import Cell, Row, Table, Tables, read_tables
from seqopt.schema import (
    LARGEST_QUANTITY,
    LONGEST,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Kind,
    Sheet,
)
from seqopt.validate import problem_issues

Value = str | int | float | Estimate | None


@dataclass(frozen=True)
class Record:
    """One data row with its cells read into values (``None`` for blank or unreadable)."""

    origin: Origin
    values: dict[str, Value]
    ok: bool
    """Whether every cell of the row could be read."""

    def text(self, column: str) -> str | None:
        """Return a text cell."""
        value = self.values.get(column)
        return value if isinstance(value, str) else None

    def estimate(self, column: str, default: float | None = None) -> Estimate:
        """Return an estimate cell, or ``default`` as an exact estimate when blank."""
        value = self.values.get(column)
        if isinstance(value, Estimate):
            return value
        if default is None:
            raise ValueError(f"no value in {column}")
        return Estimate.exact(default)

    def integer(self, column: str, default: int) -> int:
        """Return an integer cell, or ``default`` when blank."""
        value = self.values.get(column)
        return value if isinstance(value, int) else default


def read_problem(path: Path) -> Problem:
    """Read and validate an input, raising :class:`InputError` with every problem found."""
    return problem_from_tables(read_tables(path), name=path.stem)


def problem_from_tables(tables: Tables, name: str) -> Problem:
    """Read and validate already loaded tables."""
    reader = _Reader(tables)
    problem = reader.problem(name)
    issues = [*tables.issues, *reader.issues, *(problem_issues(problem) if problem else [])]
    if issues or problem is None:
        raise InputError(issues)
    return problem


class _Reader:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.issues: list[Issue] = []
        self.periods: dict[str, int] = {}

    # -- passes 1 and 2: sheets, columns, cells ----------------------------------------

    def problem(self, name: str) -> Problem | None:
        usable = self._check_sheets()
        if "periods" not in usable:
            return None
        # Period labels are read first: every other sheet may name a period.
        period_records = self._records("periods")
        for record in period_records:
            label = record.text("period")
            if label is not None:  # a repeated label is reported by _check_keys
                self.periods.setdefault(label, len(self.periods))
        if not self.periods:
            where = self.tables.sheets["periods"].location()
            self.issues.append(Issue(where, "must list at least one period"))
            return None
        records = {"periods": period_records}
        records.update(
            {s.name: self._records(s.name) for s in SHEETS if s.name in usable - {"periods"}}
        )
        self._check_keys(records)
        absent = {s.name for s in SHEETS if s.optional and s.name not in self.tables.sheets}
        if usable | absent != {s.name for s in SHEETS}:
            return None  # cells of the sheets that could be read are checked; links cannot be
        records.update({name: [] for name in absent})  # an optional sheet left out has no rows
        self._check_parents(records)
        return self._assemble(name, records)

    def _check_sheets(self) -> set[str]:
        """Report missing sheets and columns; return the sheets that can be read."""
        usable = set()
        for sheet in SHEETS:
            table = self.tables.sheets.get(sheet.name)
            if table is None:
                if not sheet.optional:
                    self.issues.append(self._missing_sheet(sheet))
                continue
            if not table.readable:
                continue  # the file itself is reported already
            complete = True
            unknown = [h for h in table.headers if h and h not in sheet.headers()]
            for column in sheet.columns:
                if column.name not in table.headers and (
                    column.required or column.name == "source"
                ):
                    complete = False
                    self.issues.append(
                        Issue(
                            table.location(1, column.name),
                            "required column is missing",
                            hint=_missing_column_hint(column.name, unknown, table),
                        )
                    )
            self.issues += _near_misses(table, sheet, unknown)
            if complete:
                usable.add(sheet.name)
        return usable

    def _missing_sheet(self, sheet: Sheet) -> Issue:
        # Only a sheet seqopt does not know can be this one misnamed (not lever_use for levers).
        unknown = [name for name in self.tables.sheets if name not in SHEETS_BY_NAME]
        same = [name for name in unknown if name.casefold() == sheet.name]
        near = difflib.get_close_matches(sheet.name, unknown, n=1)
        if same:
            hint = f"Found {same[0]!r}: sheet names are lower case, as in the template."
        elif near:
            hint = f"Found {near[0]!r}: rename it {sheet.name!r}, as in the template."
        else:
            hint = "Run 'seqopt template' for a workbook with every sheet."
        file = self.tables.source
        if self.tables.kind == "csv":
            file = f"{file}/{sheet.name}.csv"
        return Issue(Location(file, sheet.name), "required sheet is missing", hint=hint)

    def _records(self, sheet_name: str) -> list[Record]:
        table = self.tables.sheets[sheet_name]
        sheet = SHEETS_BY_NAME[sheet_name]
        records = []
        known = set(sheet.headers())
        for row in table.rows:
            issues: list[Issue] = []
            values = {
                c.name: _read_cell(table, row, c, self.periods, issues) for c in sheet.columns
            }
            _apply_distribution(values)
            self.issues.extend(issues)
            origin = Origin(
                row.file or table.file, table.sheet, row.number, tuple(row.replaced.items())
            )
            ok = not issues and not (row.unread & known)
            records.append(Record(origin, values, ok))
        return records

    def _check_keys(self, records: dict[str, list[Record]]) -> None:
        """Report rows that repeat a key, and keep only the first of them.

        A repeating row with a bad cell is dropped without a second message:
        its key may be what is wrong, and its bad cell is reported already.
        """
        for sheet in SHEETS:
            if sheet.name not in records:
                continue
            first_row: dict[tuple[Value, ...], int] = {}
            kept = []
            for record in records[sheet.name]:
                key = tuple(record.values[c] for c in sheet.key)
                first = first_row.setdefault(key, record.origin.row)
                if first == record.origin.row:
                    kept.append(record)
                    continue
                if not record.ok:
                    continue
                labels = list(self.periods)
                shown = ", ".join(
                    f"{c}={labels[v] if isinstance(v, int) and _is_period(sheet, c) else v}"
                    for c, v in zip(sheet.key, key, strict=True)
                    if v is not None and not isinstance(v, Estimate)
                )
                rule = f"duplicate {' / '.join(sheet.key)}: already given in row {first}"
                column = sheet.key[0] if len(sheet.key) == 1 else None
                self.issues.append(Issue(record.origin.at(column), rule, shown))
            records[sheet.name] = kept

    def _check_parents(self, records: dict[str, list[Record]]) -> None:
        """Check that rows attached to a measure, scope, resource, lever or series name one.

        A row naming something unknown is reported and dropped. Ids count as
        declared even when another cell of their row is bad, so that one bad
        cell is reported once, not again in every row that refers to its row.
        """
        measures = _declared(records["measures"], "measure")
        resources = _declared(records["resources"], "resource")
        levers = _declared(records["levers"], "lever")
        series = _declared(records["series"], "series")
        scopes = {
            (r.text("measure"), r.text("scope"))
            for r in records["scopes"]
            if r.text("measure") is not None and r.text("scope") is not None
        }
        for sheet in ("scopes", "scope_use", "gates"):
            records[sheet] = self._must_name(records[sheet], "measure", measures, "measures")
        for sheet in ("scope_use", "gates"):
            kept = []
            for r in records[sheet]:
                measure_id, scope_id = r.text("measure"), r.text("scope")
                if r.ok and scope_id is not None and (measure_id, scope_id) not in scopes:
                    rule = f"must name a scope of measure {measure_id!r} listed in sheet scopes"
                    self.issues.append(Issue(r.origin.at("scope"), rule, scope_id))
                else:
                    kept.append(r)
            records[sheet] = kept
        for sheet in ("capacity", "scope_use", "lever_use"):
            records[sheet] = self._must_name(records[sheet], "resource", resources, "resources")
        records["lever_use"] = self._must_name(records["lever_use"], "lever", levers, "levers")
        records["baseline"] = self._must_name(records["baseline"], "series", series, "series")
        nonrenewable = {
            r.text("resource") for r in records["resources"] if r.text("kind") == "nonrenewable"
        }
        kept = []
        for r in records["capacity"]:
            if r.ok and r.text("resource") in nonrenewable:
                rule = "per-period capacity applies to renewable resources only"
                self.issues.append(Issue(r.origin.at("resource"), rule, r.text("resource")))
            else:
                kept.append(r)
        records["capacity"] = kept
        self._check_dynamics_parents(records, measures, resources, levers, series)

    def _check_dynamics_parents(
        self,
        records: dict[str, list[Record]],
        measures: set[str],
        resources: set[str],
        levers: set[str],
        series: set[str],
    ) -> None:
        """The links of the policy-dynamics sheets that assembling the problem relies on.

        Scopes named by upgrades, substitutes and backlash rows, and the kind of
        resource an event moves, are checked with the assembled problem
        (:func:`seqopt.validate.problem_issues`), cell by cell as well.
        """
        for sheet in ("maintain", "upgrades", "upgrade_use", "upgrade_gates", "backlash"):
            records[sheet] = self._must_name(records[sheet], "measure", measures, "measures")
        records["substitutes"] = self._must_name(
            records["substitutes"], "measure", measures, "measures"
        )
        kept = []
        for r in records["substitutes"]:
            other = r.text("other_measure")
            if r.ok and other is not None and other not in measures:
                rule = "must name a measure listed in sheet measures"
                issue = Issue(
                    r.origin.at("other_measure"), rule, other, hint=_near(other, measures)
                )
                self.issues.append(issue)
            else:
                kept.append(r)
        records["substitutes"] = kept
        for sheet in ("maintain", "upgrade_gates", "backlash"):
            records[sheet] = self._must_name(records[sheet], "series", series, "series")
        for sheet in ("upgrade_use", "event_capacity"):
            records[sheet] = self._must_name(records[sheet], "resource", resources, "resources")
        records["backlash"] = self._must_name(records["backlash"], "lever", levers, "levers")
        events = _declared(records["events"], "event")
        records["event_capacity"] = self._must_name(
            records["event_capacity"], "event", events, "events"
        )
        paths = {
            (r.text("measure"), r.text("from_scope"), r.text("to_scope"))
            for r in records["upgrades"]
        }
        for sheet in ("upgrade_use", "upgrade_gates"):
            kept = []
            for r in records[sheet]:
                path = (r.text("measure"), r.text("from_scope"), r.text("to_scope"))
                if r.ok and path not in paths:
                    rule = "must name an upgrade (measure, from_scope, to_scope) of sheet upgrades"
                    shown = f"{path[0]}: {path[1]} to {path[2]}"
                    self.issues.append(Issue(r.origin.at("to_scope"), rule, shown))
                else:
                    kept.append(r)
            records[sheet] = kept

    def _must_name(
        self, records: list[Record], column: str, known: set[str], parent: str
    ) -> list[Record]:
        kept = []
        for r in records:
            value = r.text(column)
            if r.ok and value is not None and value not in known:
                rule = f"must name a {column} listed in sheet {parent}"
                hint = _near(value, known)
                self.issues.append(Issue(r.origin.at(column), rule, value, hint=hint))
            else:
                kept.append(r)
        return kept

    # -- assembling records into the domain -------------------------------------------

    def _assemble(self, name: str, records: dict[str, list[Record]]) -> Problem:
        last = len(self.periods) - 1
        use_by_scope: dict[tuple[str, str], dict[str, Estimate]] = defaultdict(dict)
        for r in _good(records["scope_use"]):
            key = (str(r.text("measure")), str(r.text("scope")))
            use_by_scope[key][str(r.text("resource"))] = r.estimate("use")
        gates_by_scope = _gates(records)
        scopes_by_measure: dict[str, list[Scope]] = defaultdict(list)
        for r in _named(records["scopes"], "measure", "scope"):
            measure_id, scope_id = str(r.text("measure")), str(r.text("scope"))
            scopes_by_measure[measure_id].append(
                Scope(
                    id=scope_id,
                    name=r.text("name") or scope_id,
                    benefit=r.estimate("benefit", 0.0),
                    duration=r.estimate("duration", 1.0),
                    earliest_start=r.integer("earliest_start", 0),
                    latest_finish=r.integer("latest_finish", last),
                    use=use_by_scope[(measure_id, scope_id)],
                    gates=tuple(gates_by_scope[(measure_id, scope_id)].values()),
                    source=r.text("source") or "",
                    origin=r.origin,
                )
            )
        declared_owners = _declared(records["scopes"], "measure")
        upgrades = _upgrades(records, last)
        maintain: dict[str, list[Gate]] = defaultdict(list)
        for r in _good(records["maintain"]):
            gate = Gate(str(r.text("series")), r.estimate("threshold"), r.text("source") or "")
            maintain[str(r.text("measure"))].append(replace(gate, origin=r.origin))
        measures = []
        for r in _named(records["measures"], "measure"):
            measure_id = str(r.text("measure"))
            scopes = tuple(scopes_by_measure[measure_id])
            if measure_id not in declared_owners:
                rule = "needs at least one row in sheet scopes"
                self.issues.append(Issue(r.origin.at("measure"), rule, measure_id))
            every = r.values.get("renew_every")
            measures.append(
                Measure(
                    id=measure_id,
                    name=r.text("name") or measure_id,
                    scopes=scopes,
                    force=Force(r.text("force") or "free"),
                    source=r.text("source") or "",
                    origin=r.origin,
                    upgrades=tuple(upgrades[measure_id]),
                    renew_every=every if isinstance(every, int) else None,
                    maintain=tuple(maintain[measure_id]),
                )
            )
        return Problem(
            periods=tuple(self.periods),
            measures=tuple(measures),
            resources=_resources(records),
            levers=_levers(records, last),
            series=self._series(records),
            effects=tuple(_effects(records)),
            dependencies=tuple(self._dependencies(records)),
            name=name,
            events=tuple(_events(records)),
            capacity_shifts=tuple(_capacity_shifts(records)),
            substitutes=tuple(_substitutes(records)),
            backlashes=tuple(_backlashes(records)),
        )

    def _series(self, records: dict[str, list[Record]]) -> tuple[Series, ...]:
        points: dict[str, dict[int, Estimate]] = defaultdict(dict)
        for r in _good(records["baseline"]):
            points[str(r.text("series"))][r.integer("period", 0)] = r.estimate("value")
        # A first-period row with a bad value counts as given: its bad cell is reported already.
        has_first = {r.text("series") for r in records["baseline"] if r.values.get("period") == 0}
        first_label = next(iter(self.periods))
        result = []
        for r in _named(records["series"], "series"):
            series_id = str(r.text("series"))
            given = points[series_id]
            if series_id not in has_first:
                rule = (
                    f"needs a baseline value for the first period {first_label!r} in sheet baseline"
                )
                self.issues.append(Issue(r.origin.at("series"), rule, series_id))
            # A period without a poll repeats the last known value.
            baseline = [given.get(0, Estimate.exact(0.0))]
            for t in range(1, len(self.periods)):
                baseline.append(given.get(t, baseline[-1]))
            name = r.text("name") or series_id
            source = r.text("source") or ""
            result.append(Series(series_id, name, tuple(baseline), source, r.origin))
        return tuple(result)

    def _dependencies(self, records: dict[str, list[Record]]) -> Iterable[Dependency]:
        for r in _good(records["dependencies"]):
            kind = DependencyKind(str(r.text("kind")))
            lag = r.values.get("lag")
            if kind is not DependencyKind.REQUIRES and lag not in (None, 0):
                rule = f"a lag applies to 'requires' only, not to {kind.value!r}"
                self.issues.append(Issue(r.origin.at("lag"), rule, lag))
            yield Dependency(
                kind=kind,
                measure=str(r.text("measure")),
                other=str(r.text("other_measure")),
                scope=r.text("scope"),
                other_scope=r.text("other_scope"),
                lag=r.integer("lag", 0),
                source=r.text("source") or "",
                origin=r.origin,
            )


def _gates(records: dict[str, list[Record]]) -> dict[tuple[str, str], dict[str, Gate]]:
    """Gates by (measure, scope); a row naming a scope overrides a measure-wide row."""
    scope_ids: dict[str, list[str]] = defaultdict(list)
    for r in _named(records["scopes"], "measure", "scope"):
        scope_ids[str(r.text("measure"))].append(str(r.text("scope")))
    gates: dict[tuple[str, str], dict[str, Gate]] = defaultdict(dict)
    measure_wide_first = sorted(_good(records["gates"]), key=lambda r: r.text("scope") is not None)
    for r in measure_wide_first:
        measure_id, series_id = str(r.text("measure")), str(r.text("series"))
        share = r.values.get("reliability")
        reliability = float(share) if isinstance(share, int | float) else None
        gate = Gate(
            series_id, r.estimate("threshold"), r.text("source") or "", r.origin, reliability
        )
        scope_id = r.text("scope")
        for target in [scope_id] if scope_id is not None else scope_ids[measure_id]:
            gates[(measure_id, target)][series_id] = gate
    return gates


def _resources(records: dict[str, list[Record]]) -> tuple[Resource, ...]:
    overrides: dict[str, dict[int, Estimate]] = defaultdict(dict)
    for r in _good(records["capacity"]):
        overrides[str(r.text("resource"))][r.integer("period", 0)] = r.estimate("capacity")
    resources = []
    for r in _named(records["resources"], "resource"):
        resource_id = str(r.text("resource"))
        kind = ResourceKind(r.text("kind") or "renewable")
        resources.append(
            Resource(
                id=resource_id,
                name=r.text("name") or resource_id,
                kind=kind,
                capacity=r.estimate("capacity", 0.0),
                price=r.estimate("price", 0.0),
                overrides=overrides[resource_id] if kind is ResourceKind.RENEWABLE else {},
                unit=r.text("unit") or "",
                source=r.text("source") or "",
                origin=r.origin,
            )
        )
    return tuple(resources)


def _levers(records: dict[str, list[Record]], last: int) -> tuple[Lever, ...]:
    use: dict[str, dict[str, Estimate]] = defaultdict(dict)
    for r in _good(records["lever_use"]):
        use[str(r.text("lever"))][str(r.text("resource"))] = r.estimate("use")
    levers = []
    for r in _named(records["levers"], "lever"):
        lever_id = str(r.text("lever"))
        levers.append(
            Lever(
                id=lever_id,
                name=r.text("name") or lever_id,
                max_uses=r.integer("max_uses", 0),
                earliest=r.integer("earliest", 0),
                latest=r.integer("latest", last),
                use=use[lever_id],
                source=r.text("source") or "",
                origin=r.origin,
            )
        )
    return tuple(levers)


def _effects(records: dict[str, list[Record]]) -> Iterable[Effect]:
    for r in _good(records["effects"]):
        yield Effect(
            cause_kind=CauseKind(str(r.text("cause_kind"))),
            cause=str(r.text("cause")),
            series=str(r.text("series")),
            amount=r.estimate("amount"),
            delay=r.integer("delay", 0),
            decay=r.estimate("decay", 0.0),
            cause_scope=r.text("cause_scope"),
            source=r.text("source") or "",
            origin=r.origin,
        )


def _upgrades(records: dict[str, list[Record]], last: int) -> dict[str, list[Upgrade]]:
    """Upgrades by measure, with their resource use and gates."""
    use: dict[tuple[str, str, str], dict[str, Estimate]] = defaultdict(dict)
    for r in _good(records["upgrade_use"]):
        path = (str(r.text("measure")), str(r.text("from_scope")), str(r.text("to_scope")))
        use[path][str(r.text("resource"))] = r.estimate("use")
    gates: dict[tuple[str, str, str], list[Gate]] = defaultdict(list)
    for r in _good(records["upgrade_gates"]):
        path = (str(r.text("measure")), str(r.text("from_scope")), str(r.text("to_scope")))
        gate = Gate(
            str(r.text("series")), r.estimate("threshold"), r.text("source") or "", r.origin
        )
        gates[path].append(gate)
    upgrades: dict[str, list[Upgrade]] = defaultdict(list)
    for r in _named(records["upgrades"], "measure", "from_scope", "to_scope"):
        path = (str(r.text("measure")), str(r.text("from_scope")), str(r.text("to_scope")))
        upgrades[path[0]].append(
            Upgrade(
                from_scope=path[1],
                to_scope=path[2],
                duration=r.estimate("duration", 1.0),
                earliest_start=r.integer("earliest_start", 0),
                latest_finish=r.integer("latest_finish", last),
                lag=r.integer("lag", 0),
                use=use[path],
                gates=tuple(gates[path]),
                source=r.text("source") or "",
                origin=r.origin,
            )
        )
    return upgrades


def _events(records: dict[str, list[Record]]) -> Iterable[Event]:
    """Events by id: a scheduled event has a row for each period it happens in."""
    rows: dict[str, list[Record]] = defaultdict(list)
    for r in _named(records["events"], "event"):
        rows[str(r.text("event"))].append(r)
    for event_id, group in rows.items():
        first = group[0]
        probability = first.values.get("probability")
        latest = first.values.get("latest")
        periods = [p for r in group if isinstance(p := r.values.get("period"), int)]
        yield Event(
            id=event_id,
            name=first.text("name") or event_id,
            periods=tuple(sorted(periods)),
            probability=probability if isinstance(probability, Estimate) else None,
            earliest=first.integer("earliest", 0),
            latest=latest if isinstance(latest, int) else None,
            source=first.text("source") or "",
            origin=first.origin,
        )


def _capacity_shifts(records: dict[str, list[Record]]) -> Iterable[CapacityShift]:
    for r in _good(records["event_capacity"]):
        yield CapacityShift(
            event=str(r.text("event")),
            resource=str(r.text("resource")),
            amount=r.estimate("amount"),
            delay=r.integer("delay", 0),
            decay=r.estimate("decay", 0.0),
            source=r.text("source") or "",
            origin=r.origin,
        )


def _substitutes(records: dict[str, list[Record]]) -> Iterable[Substitute]:
    for r in _good(records["substitutes"]):
        yield Substitute(
            measure=str(r.text("measure")),
            other=str(r.text("other_measure")),
            overlap=r.estimate("overlap"),
            scope=r.text("scope"),
            other_scope=r.text("other_scope"),
            source=r.text("source") or "",
            origin=r.origin,
        )


def _backlashes(records: dict[str, list[Record]]) -> Iterable[Backlash]:
    for r in _good(records["backlash"]):
        yield Backlash(
            measure=str(r.text("measure")),
            lever=str(r.text("lever")),
            series=str(r.text("series")),
            amount=r.estimate("amount"),
            delay=r.integer("delay", 0),
            decay=r.estimate("decay", 0.0),
            scope=r.text("scope"),
            source=r.text("source") or "",
            origin=r.origin,
        )


def _apply_distribution(values: dict[str, Value]) -> None:
    """A row's ``distribution`` applies to every estimate on the row (blank: triangular)."""
    chosen = values.get("distribution")
    if not isinstance(chosen, str) or chosen == Distribution.TRIANGULAR:
        return
    for name, value in values.items():
        if isinstance(value, Estimate):
            values[name] = replace(value, distribution=Distribution(chosen))


def _declared(records: list[Record], column: str) -> set[str]:
    """Ids a sheet declares, counting rows with bad cells elsewhere."""
    return {value for r in records if (value := r.text(column)) is not None}


def _named(records: list[Record], *columns: str) -> list[Record]:
    """Rows that give an id in ``columns``, even when another of their cells is bad.

    Measures, scopes, resources, levers and series are built from such rows,
    with defaults for unreadable cells, so that the rows naming them are not
    reported as naming something unknown. A problem built so is never
    returned: its bad cells are issues already.
    """
    return [r for r in records if all(r.text(c) is not None for c in columns)]


def _is_period(sheet: Sheet, column: str) -> bool:
    return sheet.column(column).refers_to == "periods.period"


def _good(records: list[Record]) -> list[Record]:
    return [r for r in records if r.ok]


def _read_cell(
    table: Table, row: Row, column: Column, periods: dict[str, int], issues: list[Issue]
) -> Value:
    """Read one cell (and, for an estimate, its low/high companions)."""
    raw = row.cells.get(column.name)
    where = row.location(table, column.name)
    if any(header in row.unread for header in column.headers()):
        return None  # reported by the tables already
    if raw is None:
        if column.required:
            issues.append(Issue(where, "required value is missing", raw))
        elif column.estimate and any(row.cells.get(h) is not None for h in column.headers()[1:]):
            issues.append(Issue(where, "a low or high value needs a base value beside it", raw))
        return None
    if column.refers_to == "periods.period":
        label = _as_text(raw)
        if label not in periods:
            issues.append(
                Issue(
                    where,
                    "must be a period listed in sheet periods",
                    raw,
                    hint=_near(label, periods),
                )
            )
            return None
        return periods[label]
    if column.kind is Kind.TEXT:
        return _as_text(raw)
    if column.kind is Kind.CHOICE:
        text = _as_text(raw).lower()
        if text not in column.choices:
            issues.append(Issue(where, f"must be one of {', '.join(column.choices)}", raw))
            return None
        return text
    base = _read_number(raw, row, column, column.name, where, issues)
    if base is None or not column.estimate:
        return base
    bounds = []
    for header in column.headers()[1:]:
        value = row.cells.get(header)
        at = row.location(table, header)
        bound = base if value is None else _read_number(value, row, column, header, at, issues)
        bounds.append(bound)
    low, high = bounds
    if low is None or high is None:
        return None
    if low > high:
        issues.append(
            Issue(
                row.location(table, f"{column.name}_low"),
                f"low must not exceed high ({column.name}_high = {high:g})",
                low,
            )
        )
        return None
    if not low <= base <= high:
        issues.append(
            Issue(where, f"base must lie between low ({low:g}) and high ({high:g})", base)
        )
        return None
    return Estimate(float(base), float(low), float(high))


def _read_number(
    raw: Cell, row: Row, column: Column, header: str, where: Location, issues: list[Issue]
) -> int | float | None:
    if column.points and header in row.percent:
        shown = f"{raw:.0%}" if isinstance(raw, int | float) else raw
        rule = (
            "is formatted as a percentage in Excel: the cell shows "
            f"{shown} but holds {raw}, and seqopt reads percentages as points from 0 to 100"
        )
        hint = f"Type {_points(raw)} and format the cell as a number (Home > Number > General)."
        issues.append(Issue(where, rule, hint=hint))
        return None
    number, problem = read_number(raw, percent_points=column.points)
    if number is None:
        assert problem is not None
        issues.append(Issue(where, problem.rule, raw, hint=problem.hint))
        return None
    if column.kind is Kind.INTEGER:
        if float(number) != int(number):
            rule = "must be a whole number" + (
                f" >= {column.minimum:g}" if column.minimum is not None else ""
            )
            issues.append(Issue(where, rule, raw))
            return None
        number = int(number)
    if column.minimum is not None and number < column.minimum:
        issues.append(Issue(where, _range_rule(column, too_large=False), raw))
        return None
    if column.maximum is not None and number > column.maximum:
        issues.append(Issue(where, _range_rule(column, too_large=True), raw))
        return None
    return number


def _points(raw: Cell) -> str:
    """A percentage cell's value as the points seqopt wants (0.5 -> 50)."""
    if not isinstance(raw, int | float):
        return "the number of points"
    return f"{100 * raw:g}"


def _range_rule(column: Column, *, too_large: bool) -> str:
    noun = "a whole number" if column.kind is Kind.INTEGER else "a number"
    if column.maximum in (LARGEST_QUANTITY, LONGEST):  # a sanity limit, not the column's range
        if too_large:
            return (
                f"must be {noun} <= {column.maximum:g} (seqopt's limit for {column.name}: "
                "larger values are beyond what it computes reliably)"
            )
        return f"must be {noun} >= {column.minimum:g}"
    if column.minimum is not None and column.maximum is not None:
        return f"must be {noun} from {column.minimum:g} to {column.maximum:g}"
    if column.minimum is not None:
        return f"must be {noun} >= {column.minimum:g}"
    return f"must be {noun} <= {column.maximum:g}"


def _as_text(raw: Cell) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _near_misses(table: Table, sheet: Sheet, unknown: list[str]) -> list[Issue]:
    """Unknown headers that look like a misspelt known one (``duration_hihg``).

    Other unknown columns are notes, ignored by the reader and kept by
    ``seqopt convert``; a near miss would silently drop what the planner meant.
    """
    issues = []
    # Missing required columns are reported with their own "Found ... instead".
    reported = {c.name for c in sheet.columns if c.required or c.name == "source"}
    candidates = [h for h in sheet.headers() if h not in table.headers and h not in reported]
    for header in unknown:
        near = difflib.get_close_matches(header, candidates, n=1, cutoff=0.8)
        near = near or [h for h in candidates if h.casefold() == header.strip().casefold()]
        if near:
            rule = f"is not a column of sheet {sheet.name}; it looks like a misspelt {near[0]!r}"
            hint = f"Rename it {near[0]!r} (or give a note column a name of its own)."
            issues.append(Issue(table.location(1, header), rule, hint=hint))
    return issues


def _missing_column_hint(name: str, unknown: list[str], table: Table) -> str:
    if len(table.headers) == 1 and (";" in table.headers[0] or "\t" in table.headers[0]):
        return (
            "The file separates cells with semicolons or tabs; seqopt reads commas. "
            "Save it from Excel as 'CSV UTF-8 (Comma delimited)'."
        )
    # A header the sheet knows (such as threshold_low) is no misspelling.
    near = difflib.get_close_matches(name, unknown, n=1)
    return f"Found {near[0]!r} instead." if near else ""


def _near(label: str, known: Iterable[str]) -> str:
    candidates = list(known)
    # difflib misses a short label that differs only in case ("p2" for "P2").
    near = [k for k in candidates if k.casefold() == label.casefold()]
    near = near or difflib.get_close_matches(label, candidates, n=1)
    return f"Did you mean {near[0]!r}?" if near else ""
