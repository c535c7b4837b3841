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
        rows["measures"].append([measure.id, measure.name, measure.force.value, measure.source])
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
    return {name: (SHEETS_BY_NAME[name].headers(), sheet_rows) for name, sheet_rows in rows.items()}


def write_problem(problem: Problem, target: Path) -> None:
    """Write ``problem`` as a workbook (``.xlsx``) or a new CSV folder (anything else)."""
    grids = problem_grids(problem)
    if target.suffix.lower() == ".xlsx":
        write_workbook(target, grids)
        return
    with atomic_folder(target) as folder:
        write_csv_folder(grids, folder)
