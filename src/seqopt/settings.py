"""Model files: a TOML file naming the input, the objective and the solver settings.

Paths in a model file are relative to the model file itself, so that a model
runs the same from any working directory. Unknown keys are errors: a typo in
``time_limit`` must not silently fall back to the default.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from seqopt.errors import InputError, Issue, Location

PERPETUITY = "perpetuity"


class ObjectiveKind(StrEnum):
    """What the optimiser pursues."""

    VALUE = "value"
    """Discounted benefit of measures in force, minus the price of resources used."""
    MAKESPAN = "makespan"
    """Finish every chosen measure as early as possible."""


class RandomEvents(StrEnum):
    """How ``solve`` treats events that happen by chance (``simulate`` draws them instead)."""

    IGNORE = "ignore"
    """Plan as if no random event happens; only scheduled events apply."""
    EXPECTED = "expected"
    """Plan for their expected value: an event with probability ``p`` per period
    counts as happening in every period of its window with ``p`` times its shifts."""


@dataclass(frozen=True)
class ObjectiveSettings:
    """How a plan is scored.

    Parameters
    ----------
    kind
        ``value`` (maximise) or ``makespan`` (minimise).
    discount_rate
        Per-period rate ``r``: a value in period ``t`` counts ``(1 + r) ** -t``.
    terminal
        Benefit beyond the horizon: a number of extra periods counted, or
        ``"perpetuity"`` (needs ``discount_rate > 0``).
    tie_break
        Break ties between equally good plans by a fixed rule (fewer actions,
        then earlier, then input order) so that every solver returns the same plan.
    random_events
        ``ignore`` (only scheduled events apply) or ``expected`` (random events
        count with their expected shifts); see :class:`RandomEvents`.
    """

    kind: ObjectiveKind = ObjectiveKind.VALUE
    discount_rate: float = 0.0
    terminal: int | str = 0
    tie_break: bool = True
    random_events: RandomEvents = RandomEvents.IGNORE

    def discount(self, period: int) -> float:
        """Return the weight of one unit of value in ``period``."""
        return float((1.0 + self.discount_rate) ** -period)

    def terminal_weight(self, horizon: int) -> float:
        """Return the weight of one unit of benefit per period beyond the horizon."""
        if self.terminal == PERPETUITY:
            rate = self.discount_rate
            return self.discount(horizon) * (1.0 + rate) / rate
        assert isinstance(self.terminal, int)
        return sum(self.discount(horizon + k) for k in range(self.terminal))


class SolverName(StrEnum):
    """The solver back ends (``docs/model.md``, "Engines")."""

    AUTO = "auto"
    """CP-SAT for pure scheduling models (no support gates), HiGHS otherwise."""
    HIGHS = "highs"
    """HiGHS, the integer program handed over as arrays."""
    HIGHS_PULP = "highs-pulp"
    """HiGHS through PuLP's model objects (the same integer program)."""
    CBC = "cbc"
    """CBC, bundled with PuLP."""
    CPSAT = "cpsat"
    """OR-Tools CP-SAT on a native interval model; pure scheduling models only."""


@dataclass(frozen=True)
class SolverSettings:
    """How the integer program is solved.

    Parameters
    ----------
    name
        ``auto`` (default: ``cpsat`` for pure scheduling models, else ``highs``),
        ``highs``, ``highs-pulp``, ``cbc`` or ``cpsat``.
    time_limit
        Seconds for the whole solve: the starting plan, the build and the solver
        (which always gets at least a second); ``None`` for no limit.
    gap
        Relative optimality gap at which the solver may stop and call the plan optimal.
    threads
        Solver threads; one keeps runs reproducible.
    log
        Whether the solver prints its own log.
    warm_start
        Whether to hand the integer-programming solvers the greedy plan as a first
        solution (CP-SAT's own search finds such plans faster than the greedy).
    random_seed
        Seed of the solver's own randomised choices (HiGHS, CBC, CP-SAT). The same
        seed gives the same run; another seed may find another of several equally
        good plans (tie-breaking then picks the same one) and takes another time.
    """

    name: SolverName = SolverName.AUTO
    time_limit: float | None = 60.0
    gap: float = 1e-6
    threads: int = 1
    log: bool = False
    warm_start: bool = True
    random_seed: int = 0


class Method(StrEnum):
    """How a reliability-constrained plan is chosen (``docs/uncertainty.md``)."""

    CALIBRATED = "calibrated"
    """The plan must break no rule in the first ``n`` sampled scenarios, ``n`` = 1, 2, 4, ...
    up to ``samples``, the smallest ``n`` whose plan reaches the reliability on fresh ones."""
    SAA = "saa"
    """The plan must go through in at least the reliability's share of ``samples`` scenarios
    (sample average approximation as such: it fits the sample and holds less on fresh ones)."""


DEFAULT_FRONTIER = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class UncertaintySettings:
    """How plans are judged and chosen under the ranges of the estimates.

    Parameters
    ----------
    reliability
        Share of scenarios in which the plan must go through unchanged (0: no requirement).
    margin
        Points of support to spare at every signing, at base values.
    samples
        Most scenarios a reliability-constrained plan is chosen on.
    check_samples
        Fresh scenarios every plan's reliability is measured on.
    seed
        Seed of the samples: ``seed`` for those plans are chosen on, ``seed + 1`` for the
        fresh ones.
    method
        ``calibrated`` or ``saa`` (:class:`Method`).
    frontier
        Reliability levels of ``seqopt frontier``.
    """

    reliability: float = 0.0
    margin: float = 0.0
    samples: int = 256
    check_samples: int = 1000
    seed: int = 1
    method: Method = Method.CALIBRATED
    frontier: tuple[float, ...] = DEFAULT_FRONTIER


@dataclass(frozen=True)
class ModelFile:
    """A model file, read and checked."""

    path: Path
    name: str
    input: Path
    output: Path
    objective: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    solver: SolverSettings = field(default_factory=SolverSettings)
    description: str = ""
    uncertainty: UncertaintySettings = field(default_factory=UncertaintySettings)

    def with_uncertainty(self, **changes: Any) -> ModelFile:
        """Return a copy with some uncertainty settings replaced (``None`` values are ignored)."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return replace(self, uncertainty=replace(self.uncertainty, **kept))

    def with_solver(self, **changes: Any) -> ModelFile:
        """Return a copy with some solver settings replaced (``None`` values are ignored)."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return replace(self, solver=replace(self.solver, **kept))


def read_model_file(path: Path) -> ModelFile:
    """Read a model file, raising :class:`InputError` with every problem found."""
    file = str(path)
    if not path.is_file():
        raise InputError([Issue(Location(file), "model file not found")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Issue(Location(file), "is not valid TOML", str(exc))]) from None
    issues: list[Issue] = []
    known_sections = {"model", "objective", "solver", "uncertainty"}
    for section in data:
        if section not in known_sections:
            hint = f"Known sections: {', '.join(sorted(known_sections))}."
            issues.append(Issue(Location(file, key=section), "unknown section", section, hint=hint))
    model = _section(data, "model", file, issues)
    _only_keys(model, {"name", "input", "output", "description"}, "model", file, issues)
    base = path.parent
    name = str(model.get("name", path.stem))
    input_path = _input_path(model, base, file, issues)
    output = _join(base, str(model["output"])) if "output" in model else Path("reports") / name
    objective = _objective(_section(data, "objective", file, issues), file, issues)
    solver = _solver(_section(data, "solver", file, issues), file, issues)
    uncertainty = _uncertainty(_section(data, "uncertainty", file, issues), file, issues)
    if issues:
        raise InputError(issues)
    assert input_path is not None
    return ModelFile(
        path,
        name,
        input_path,
        output,
        objective,
        solver,
        str(model.get("description", "")),
        uncertainty,
    )


def _section(data: dict[str, Any], name: str, file: str, issues: list[Issue]) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        issues.append(Issue(Location(file, key=name), "must be a [section] of settings", value))
        return {}
    return value


def _only_keys(
    section: dict[str, Any], allowed: set[str], name: str, file: str, issues: list[Issue]
) -> None:
    for key in section:
        if key not in allowed:
            hint = f"Known settings: {', '.join(sorted(allowed))}."
            issues.append(
                Issue(Location(file, key=f"{name}.{key}"), "unknown setting", key, hint=hint)
            )


def _input_path(model: dict[str, Any], base: Path, file: str, issues: list[Issue]) -> Path | None:
    raw = model.get("input")
    where = Location(file, key="model.input")
    if raw is None:
        issues.append(Issue(where, "is missing: name the input workbook or CSV folder"))
        return None
    if not isinstance(raw, str) or not raw:
        issues.append(Issue(where, "must name the input workbook or CSV folder", raw))
        return None
    input_path = _join(base, raw)
    if not input_path.exists():
        rule = f"input workbook not found: {input_path} (paths are relative to the model file)"
        issues.append(Issue(where, rule, raw))
    return input_path


def _objective(section: dict[str, Any], file: str, issues: list[Issue]) -> ObjectiveSettings:
    _only_keys(section, {f.name for f in fields(ObjectiveSettings)}, "objective", file, issues)
    default = ObjectiveSettings()

    def where(key: str) -> Location:
        return Location(file, key=f"objective.{key}")

    kind = section.get("kind", default.kind.value)
    if kind not in {k.value for k in ObjectiveKind}:
        issues.append(Issue(where("kind"), "must be 'value' or 'makespan'", kind))
        kind = default.kind.value
    rate = section.get("discount_rate", default.discount_rate)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate < 1:
        issues.append(Issue(where("discount_rate"), "must be a number from 0 to below 1", rate))
        rate = default.discount_rate
    terminal = section.get("terminal", default.terminal)
    valid_count = isinstance(terminal, int) and not isinstance(terminal, bool) and terminal >= 0
    if not valid_count and terminal != PERPETUITY:
        rule = "must be a whole number of periods >= 0 or 'perpetuity'"
        issues.append(Issue(where("terminal"), rule, terminal))
        terminal = default.terminal
    if terminal == PERPETUITY and rate <= 0:
        rule = "a perpetuity needs objective.discount_rate > 0"
        issues.append(Issue(where("terminal"), rule, terminal))
        terminal = default.terminal
    tie_break = section.get("tie_break", default.tie_break)
    if not isinstance(tie_break, bool):
        issues.append(Issue(where("tie_break"), "must be true or false", tie_break))
        tie_break = default.tie_break
    events = section.get("random_events", default.random_events.value)
    if events not in {e.value for e in RandomEvents}:
        issues.append(Issue(where("random_events"), "must be 'ignore' or 'expected'", events))
        events = default.random_events.value
    return ObjectiveSettings(
        ObjectiveKind(kind), float(rate), terminal, tie_break, RandomEvents(events)
    )


def _solver(section: dict[str, Any], file: str, issues: list[Issue]) -> SolverSettings:
    _only_keys(section, {f.name for f in fields(SolverSettings)}, "solver", file, issues)
    default = SolverSettings()

    def where(key: str) -> Location:
        return Location(file, key=f"solver.{key}")

    name = str(section.get("name", default.name.value)).lower()
    if name not in {s.value for s in SolverName}:
        known = ", ".join(repr(s.value) for s in SolverName)
        issues.append(Issue(where("name"), f"must be one of {known}", name))
        name = default.name.value
    time_limit = section.get("time_limit", default.time_limit)
    if not _positive_number(time_limit):
        issues.append(Issue(where("time_limit"), "must be a number of seconds > 0", time_limit))
        time_limit = default.time_limit
    gap = section.get("gap", default.gap)
    if not isinstance(gap, int | float) or isinstance(gap, bool) or not 0 <= gap < 1:
        issues.append(Issue(where("gap"), "must be a number from 0 to below 1", gap))
        gap = default.gap
    threads = section.get("threads", default.threads)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        issues.append(Issue(where("threads"), "must be a whole number >= 1", threads))
        threads = default.threads
    log = section.get("log", default.log)
    if not isinstance(log, bool):
        issues.append(Issue(where("log"), "must be true or false", log))
        log = default.log
    warm_start = section.get("warm_start", default.warm_start)
    if not isinstance(warm_start, bool):
        issues.append(Issue(where("warm_start"), "must be true or false", warm_start))
        warm_start = default.warm_start
    seed = section.get("random_seed", default.random_seed)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        issues.append(
            Issue(where("random_seed"), "must be a whole number from 0 to 2**31 - 1", seed)
        )
        seed = default.random_seed
    limit = float(time_limit) if time_limit is not None else None
    return SolverSettings(SolverName(name), limit, float(gap), threads, log, warm_start, seed)


def _uncertainty(section: dict[str, Any], file: str, issues: list[Issue]) -> UncertaintySettings:
    _only_keys(section, {f.name for f in fields(UncertaintySettings)}, "uncertainty", file, issues)
    default = UncertaintySettings()

    def where(key: str) -> Location:
        return Location(file, key=f"uncertainty.{key}")

    def share(key: str, value: object) -> float | None:
        if not _number(value) or not 0 <= float(value) < 1:  # type: ignore[arg-type]
            issues.append(Issue(where(key), "must be a share from 0 to below 1", value))
            return None
        return float(value)  # type: ignore[arg-type]

    def count(key: str, value: object, least: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            issues.append(Issue(where(key), f"must be a whole number >= {least}", value))
            return None
        return value

    reliability = share("reliability", section.get("reliability", default.reliability))
    margin = section.get("margin", default.margin)
    if not _number(margin) or not 0 <= margin <= 100:
        issues.append(Issue(where("margin"), "must be a number of points from 0 to 100", margin))
        margin = default.margin
    samples = count("samples", section.get("samples", default.samples), 1)
    check = count("check_samples", section.get("check_samples", default.check_samples), 1)
    seed = count("seed", section.get("seed", default.seed), 0)
    method = section.get("method", default.method.value)
    if method not in {m.value for m in Method}:
        issues.append(Issue(where("method"), "must be 'calibrated' or 'saa'", method))
        method = default.method.value
    levels = section.get("frontier", list(default.frontier))
    if not isinstance(levels, list) or not levels:
        issues.append(Issue(where("frontier"), "must be a list of reliability levels", levels))
        levels = list(default.frontier)
    found = [share("frontier", level) for level in levels]
    return UncertaintySettings(
        reliability if reliability is not None else default.reliability,
        float(margin),
        samples if samples is not None else default.samples,
        check if check is not None else default.check_samples,
        seed if seed is not None else default.seed,
        Method(method),
        tuple(sorted({f for f in found if f is not None})) or default.frontier,
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value > 0
        and math.isfinite(value)
    )


def _join(base: Path, relative: str) -> Path:
    """Join a path from a model file to the model file's folder, without ``..`` left in it."""
    return Path(os.path.normpath(base / relative))
