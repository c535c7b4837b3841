"""Import PSPLIB project-scheduling instances (``.sm`` single-mode, ``.mm`` multi-mode).

The mapping onto seqopt's domain is direct: jobs become measures that must be
done (``force = in``), modes become scopes, durations stay durations,
renewable resources keep their per-period capacity, nonrenewable resources
become totals over the horizon, and successor lists become ``requires``
dependencies with lag 0 (finish-to-start). The dummy source and sink jobs
(duration 0, no resource use) carry no information beyond the precedence they
imply, which the remaining links keep, and are left out. Benefits are 0: the
model file asks for the makespan.

Format reference: R. Kolisch and A. Sprecher, "PSPLIB - A project scheduling
problem library", EJOR 96(1), 1997.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from seqopt.data import (
    Dependency,
    DependencyKind,
    Estimate,
    Force,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
)
from seqopt.errors import InputError, Issue, Location


@dataclass(frozen=True)
class Mode:
    """One way to run a job: its duration and what it requests of each resource."""

    duration: int
    requests: tuple[int, ...]


@dataclass(frozen=True)
class Instance:
    """A PSPLIB instance as the file states it (jobs numbered from 1, dummies included)."""

    name: str
    horizon: int
    renewable: int
    nonrenewable: int
    successors: dict[int, tuple[int, ...]]
    modes: dict[int, tuple[Mode, ...]]
    capacities: tuple[int, ...]


def read_instance(path: Path) -> Instance:
    """Parse a ``.sm`` or ``.mm`` file.

    Raises
    ------
    InputError
        When the file is missing or is not in PSPLIB format.
    """
    where = Location(str(path))
    if not path.is_file():
        raise InputError([Issue(where, "PSPLIB file not found")])
    text = path.read_text(encoding="latin-1")
    try:
        return _parse(path.stem, text)
    except (ValueError, IndexError, KeyError) as error:
        rule = "is not a PSPLIB .sm/.mm instance (could not read its sections)"
        raise InputError([Issue(where, rule, str(error))]) from None


def _number_after(label: str, text: str) -> int:
    match = re.search(rf"{label}\s*:\s*(\d+)", text)
    if match is None:
        raise ValueError(f"no '{label}' line")
    return int(match.group(1))


def _section(text: str, title: str) -> list[list[str]]:
    """Rows of whitespace-separated fields after a section title, up to the next rule."""
    start = text.index(title)
    lines = text[start:].splitlines()[1:]
    rows = []
    for line in lines:
        if line.startswith("*") or line.startswith("="):
            break
        if line.startswith("-") or not line.strip():
            continue
        rows.append(line.split())
    return rows


def _parse(name: str, text: str) -> Instance:
    jobs = _number_after(r"jobs \(incl\. supersource/sink \)", text)
    horizon = _number_after("horizon", text)
    renewable = _number_after(r"- renewable", text)
    nonrenewable = _number_after(r"- nonrenewable", text)
    successors: dict[int, tuple[int, ...]] = {}
    for row in _section(text, "PRECEDENCE RELATIONS:"):
        if not row[0].isdigit():
            continue  # the header line
        job, count = int(row[0]), int(row[2])
        successors[job] = tuple(int(v) for v in row[3 : 3 + count])
    modes: dict[int, list[Mode]] = {}
    job = 0
    width = renewable + nonrenewable
    for row in _section(text, "REQUESTS/DURATIONS:"):
        if not row[0].isdigit():
            continue
        if len(row) == 3 + width:  # a row that starts a job
            job = int(row[0])
            row = row[1:]
        duration, requests = int(row[1]), tuple(int(v) for v in row[2 : 2 + width])
        modes.setdefault(job, []).append(Mode(duration, requests))
    capacity_rows = _section(text, "RESOURCEAVAILABILITIES:")
    capacities = tuple(int(v) for v in capacity_rows[-1])
    if len(successors) != jobs or len(modes) != jobs or len(capacities) != width:
        raise ValueError(f"expected {jobs} jobs and {width} resources")
    return Instance(
        name,
        horizon,
        renewable,
        nonrenewable,
        successors,
        {j: tuple(m) for j, m in modes.items()},
        capacities,
    )


def _is_dummy(modes: tuple[Mode, ...]) -> bool:
    return all(m.duration == 0 and not any(m.requests) for m in modes)


def to_problem(instance: Instance) -> Problem:
    """The instance as a seqopt problem (see the module docstring for the mapping).

    Raises
    ------
    InputError
        When a real job has a mode of duration 0 (seqopt negotiations last at
        least one period).
    """
    horizon = instance.horizon
    periods = tuple(f"t{t:03d}" for t in range(horizon))
    resource_ids = [f"R{i + 1}" for i in range(instance.renewable)] + [
        f"N{i + 1}" for i in range(instance.nonrenewable)
    ]
    real = [j for j, modes in sorted(instance.modes.items()) if not _is_dummy(modes)]
    issues = []
    measures = []
    for job in real:
        scopes = []
        for index, mode in enumerate(instance.modes[job], start=1):
            if mode.duration < 1:
                rule = f"job {job} mode {index} has duration 0, which seqopt cannot represent"
                issues.append(Issue(Location(instance.name), rule, mode.duration))
                continue
            use = {
                resource_ids[r]: Estimate.exact(float(amount))
                for r, amount in enumerate(mode.requests)
                if amount > 0
            }
            scopes.append(
                Scope(
                    id=f"mode{index}",
                    name=f"mode {index}",
                    benefit=Estimate.exact(0.0),
                    duration=Estimate.exact(float(mode.duration)),
                    earliest_start=0,
                    latest_finish=horizon - 1,
                    use=use,
                    source=f"PSPLIB {instance.name}",
                )
            )
        measures.append(
            Measure(
                f"job{job:02d}", f"job {job}", tuple(scopes), Force.IN, f"PSPLIB {instance.name}"
            )
        )
    if issues:
        raise InputError(issues)
    resources = tuple(
        Resource(
            rid,
            rid,
            ResourceKind.RENEWABLE if i < instance.renewable else ResourceKind.NONRENEWABLE,
            Estimate.exact(float(instance.capacities[i])),
            source=f"PSPLIB {instance.name}",
        )
        for i, rid in enumerate(resource_ids)
    )
    kept = set(real)
    dependencies = tuple(
        Dependency(DependencyKind.REQUIRES, f"job{after:02d}", f"job{job:02d}", source="PSPLIB")
        for job in real
        for after in instance.successors[job]
        if after in kept
    )
    return Problem(
        periods=periods,
        measures=tuple(measures),
        resources=resources,
        dependencies=dependencies,
        name=instance.name,
    )


def model_file_text(name: str, input_name: str) -> str:
    """A model file that minimises the makespan of an imported instance."""
    return (
        f"# PSPLIB instance {name}, imported by 'seqopt import-psplib'.\n"
        f'[model]\nname = "{name}"\ninput = "{input_name}"\noutput = "reports"\n\n'
        '[objective]\nkind = "makespan"\n\n'
        '[solver]\nname = "auto"  # CP-SAT: a pure scheduling model\n'
        "time_limit = 60\ngap = 0\nthreads = 1\n"
    )


def read_optima(path: Path) -> dict[str, int]:
    """Known optimal makespans from ``j30opt.sm`` / ``j1Xopt.mm`` (infeasible ones left out).

    Keys are instance names such as ``j301_1`` or ``j1010_2``.
    """
    prefix = path.name.split("opt")[0]
    optima = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        fields = line.replace(",", " ").split()
        if len(fields) >= 3 and fields[0].isdigit() and fields[1].isdigit() and fields[2].isdigit():
            makespan = int(fields[2])
            if makespan < 16384:  # PSPLIB marks infeasible instances with 16384
                optima[f"{prefix}{fields[0]}_{fields[1]}"] = makespan
    return optima
