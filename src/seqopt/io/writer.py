"""Write a :class:`~seqopt.data.Problem` back into the input format (the reader's inverse).

Used by ``seqopt generate`` and by importers, so that every problem seqopt
makes is an ordinary input a planner can open, edit and validate.
"""

from __future__ import annotations

from pathlib import Path

from seqopt.atomic import atomic_folder
from seqopt.data import Distribution, Estimate, Problem, ResourceKind
from seqopt.io.tables import Cell, write_csv_folder
from seqopt.io.workbook import Grid, write_workbook
from seqopt.schema import SHEETS_BY_NAME


def _estimate(value: Estimate) -> list[Cell]:
    if value.is_exact:
        return [_number(value.base), None, None]
    return [_number(value.base), _number(value.low), _number(value.high)]


def _distribution(*values: Estimate) -> str | None:
    """The row's distribution cell: blank for the default, else the first one set."""
    for value in values:
        if value.distribution is not Distribution.TRIANGULAR:
            return value.distribution.value
    return None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def problem_grids(problem: Problem) -> dict[str, Grid]:
    """Every sheet of the input format, filled from ``problem``."""
    label = problem.periods
    rows: dict[str, list[list[Cell]]] = {name: [] for name in SHEETS_BY_NAME}
    rows["periods"] = [[p, None] for p in label]
    for measure in problem.measures:
        rows["measures"].append(
            [measure.id, measure.name, measure.force.value, measure.renew_every, measure.source]
        )
        for gate in measure.maintain:
            rows["maintain"].append(
                [
                    measure.id,
                    gate.series,
                    *_estimate(gate.threshold),
                    _distribution(gate.threshold),
                    gate.source,
                ]
            )
        for upgrade in measure.upgrades:
            path = [measure.id, upgrade.from_scope, upgrade.to_scope]
            rows["upgrades"].append(
                [
                    *path,
                    *_estimate(upgrade.duration),
                    label[upgrade.earliest_start],
                    label[upgrade.latest_finish],
                    upgrade.lag,
                    _distribution(upgrade.duration),
                    upgrade.source,
                ]
            )
            for resource_id, use in upgrade.use.items():
                rows["upgrade_use"].append(
                    [*path, resource_id, *_estimate(use), _distribution(use), None]
                )
            for gate in upgrade.gates:
                rows["upgrade_gates"].append(
                    [
                        *path,
                        gate.series,
                        *_estimate(gate.threshold),
                        _distribution(gate.threshold),
                        gate.source,
                    ]
                )
        for scope in measure.scopes:
            rows["scopes"].append(
                [
                    measure.id,
                    scope.id,
                    scope.name,
                    *_estimate(scope.benefit),
                    *_estimate(scope.duration),
                    label[scope.earliest_start],
                    label[scope.latest_finish],
                    _distribution(scope.benefit, scope.duration),
                    scope.source,
                ]
            )
            for resource_id, use in scope.use.items():
                rows["scope_use"].append(
                    [measure.id, scope.id, resource_id, *_estimate(use), _distribution(use), None]
                )
            for gate in scope.gates:
                rows["gates"].append(
                    [
                        measure.id,
                        scope.id,
                        gate.series,
                        *_estimate(gate.threshold),
                        _distribution(gate.threshold),
                        gate.reliability,
                        gate.source,
                    ]
                )
    for resource in problem.resources:
        rows["resources"].append(
            [
                resource.id,
                resource.name,
                resource.kind.value,
                *_estimate(resource.capacity),
                *_estimate(resource.price),
                resource.unit,
                _distribution(resource.capacity, resource.price),
                resource.source,
            ]
        )
        if resource.kind is ResourceKind.RENEWABLE:
            for period, capacity in sorted(resource.overrides.items()):
                rows["capacity"].append(
                    [
                        resource.id,
                        label[period],
                        *_estimate(capacity),
                        _distribution(capacity),
                        None,
                    ]
                )
    for lever in problem.levers:
        rows["levers"].append(
            [
                lever.id,
                lever.name,
                lever.max_uses,
                label[lever.earliest],
                label[lever.latest],
                lever.source,
            ]
        )
        for resource_id, use in lever.use.items():
            rows["lever_use"].append(
                [lever.id, resource_id, *_estimate(use), _distribution(use), None]
            )
    for series in problem.series:
        rows["series"].append([series.id, series.name, series.source])
        for period, value in enumerate(series.baseline):
            rows["baseline"].append(
                [series.id, label[period], *_estimate(value), _distribution(value), None]
            )
    for effect in problem.effects:
        rows["effects"].append(
            [
                effect.cause_kind.value,
                effect.cause,
                effect.cause_scope,
                effect.series,
                *_estimate(effect.amount),
                effect.delay,
                *_estimate(effect.decay),
                _distribution(effect.amount, effect.decay),
                effect.source,
            ]
        )
    for dep in problem.dependencies:
        rows["dependencies"].append(
            [
                dep.kind.value,
                dep.measure,
                dep.scope,
                dep.other,
                dep.other_scope,
                dep.lag,
                dep.source,
            ]
        )
    _dynamics_rows(problem, rows)
    return {name: (SHEETS_BY_NAME[name].headers(), sheet_rows) for name, sheet_rows in rows.items()}


def _dynamics_rows(problem: Problem, rows: dict[str, list[list[Cell]]]) -> None:
    """Rows of the sheets of events, substitutes and backlash."""
    label = problem.periods
    for event in problem.events:
        random = event.probability is not None
        window = [
            label[event.earliest] if random and event.earliest else None,
            label[event.latest] if random and event.latest is not None else None,
        ]
        chance = _estimate(event.probability) if event.probability is not None else [None] * 3
        shape = _distribution(event.probability) if event.probability is not None else None
        for k, period in enumerate(event.periods or (None,)):
            rows["events"].append(
                [
                    event.id,
                    event.name if k == 0 else None,
                    label[period] if period is not None else None,
                    *chance,
                    *window,
                    shape,
                    event.source if k == 0 else None,
                ]
            )
    for shift in problem.capacity_shifts:
        rows["event_capacity"].append(
            [
                shift.event,
                shift.resource,
                *_estimate(shift.amount),
                shift.delay,
                *_estimate(shift.decay),
                _distribution(shift.amount, shift.decay),
                shift.source,
            ]
        )
    for pair in problem.substitutes:
        rows["substitutes"].append(
            [
                pair.measure,
                pair.scope,
                pair.other,
                pair.other_scope,
                *_estimate(pair.overlap),
                _distribution(pair.overlap),
                pair.source,
            ]
        )
    for backlash in problem.backlashes:
        rows["backlash"].append(
            [
                backlash.measure,
                backlash.scope,
                backlash.lever,
                backlash.series,
                *_estimate(backlash.amount),
                backlash.delay,
                *_estimate(backlash.decay),
                _distribution(backlash.amount, backlash.decay),
                backlash.source,
            ]
        )


def write_problem(problem: Problem, target: Path) -> None:
    """Write ``problem`` as a workbook (``.xlsx``) or a new CSV folder (anything else)."""
    grids = problem_grids(problem)
    if target.suffix.lower() == ".xlsx":
        write_workbook(target, grids)
        return
    with atomic_folder(target) as folder:
        write_csv_folder(grids, folder)
