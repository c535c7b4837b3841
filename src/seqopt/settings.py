"""Model files: a TOML file naming the input, the objective and the solver settings.

Paths in a model file are relative to the model file itself, so that a model
runs the same from any working directory. Unknown keys are errors: a typo in
``time_limit`` must not silently fall back to the default.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from seqopt.data import Distribution
from seqopt.errors import InputError, Issue, Location, raise_if_any
from seqopt.io.scenario_files import Scenario, relative_path, scenario_settings

PERPETUITY = "perpetuity"

MAX_TERMINAL_PERIODS = 10_000
"""Most periods beyond the horizon ``terminal`` may count (beyond, use ``"perpetuity"``)."""

MIN_PERPETUITY_RATE = 1e-4
"""Least discount rate for a perpetuity: it then counts about 10,000 periods, as the
largest ``terminal``; a smaller rate would weigh benefits beyond the horizon so much
that the integer program's coefficients lose their meaning."""

MAX_TIME_LIMIT = 7 * 24 * 3600.0
"""Longest time limit, in seconds: a week. No setting makes a solve run forever."""

MAX_THREADS = 256

MAX_CHANCE_SAMPLES = 10_000
"""Most scenarios a reliability-constrained plan is chosen on (each adds rows to one program)."""

MAX_FRONTIER_LEVELS = 50
"""Most reliability levels of ``seqopt frontier`` (each is one or more solves)."""

MAX_CHECK_SAMPLES = 100_000
"""Most fresh scenarios a plan is scored on (the vectorised evaluator: about 2 s)."""


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
    discount_rate_range, terminal_range
        Lowest and highest plausible values (``discount_rate_low`` and
        ``discount_rate_high``, ``terminal_low`` and ``terminal_high`` in the
        model file), ``None`` for a number taken as known. ``solve`` uses the base
        values; ``simulate`` draws and ``sensitivity`` swings them like the
        input's estimates.
    distribution
        How ``simulate`` draws both from their ranges.
    """

    kind: ObjectiveKind = ObjectiveKind.VALUE
    discount_rate: float = 0.0
    terminal: int | str = 0
    tie_break: bool = True
    random_events: RandomEvents = RandomEvents.IGNORE
    discount_rate_range: tuple[float, float] | None = None
    terminal_range: tuple[int, int] | None = None
    distribution: Distribution = Distribution.TRIANGULAR

    def discount(self, period: int) -> float:
        """Return the weight of one unit of value in ``period``."""
        return float((1.0 + self.discount_rate) ** -period)

    def terminal_weight(self, horizon: int) -> float:
        """Return the weight of one unit of benefit per period beyond the horizon.

        In closed form: ``sum(discount(horizon + k) for k < terminal)`` is a
        geometric series, so a large ``terminal`` costs no time.
        """
        rate = self.discount_rate
        if self.terminal == PERPETUITY:
            return self.discount(horizon) * (1.0 + rate) / rate
        assert isinstance(self.terminal, int)
        if rate == 0:
            return float(self.terminal)
        ratio = 1.0 / (1.0 + rate)
        return self.discount(horizon) * (1.0 - ratio**self.terminal) / (1.0 - ratio)


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
    """A model file, read and checked.

    ``scenario`` holds what the file (and any it extends) changes in the input:
    forced measures, cell overrides, overlays and the horizon
    (:mod:`seqopt.io.scenario_files`); :func:`seqopt.io.scenario_files.load_problem`
    reads the problem with them applied.
    """

    path: Path
    name: str
    input: Path
    output: Path
    objective: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    solver: SolverSettings = field(default_factory=SolverSettings)
    description: str = ""
    scenario: Scenario = field(default_factory=Scenario)
    uncertainty: UncertaintySettings = field(default_factory=UncertaintySettings)

    def with_uncertainty(self, **changes: Any) -> ModelFile:
        """Return a copy with some uncertainty settings replaced (``None`` values are ignored)."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return replace(self, uncertainty=replace(self.uncertainty, **kept))

    def with_solver(self, **changes: Any) -> ModelFile:
        """Return a copy with some solver settings replaced (``None`` values are ignored)."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return replace(self, solver=replace(self.solver, **kept))


def default_model(input_path: Path) -> ModelFile:
    """The model of an input given without a model file: default settings, named after it.

    ``seqopt solve inputs/japan_rok.xlsx`` solves the input with the defaults
    of every setting and writes to ``reports/japan_rok``.
    """
    name = _name(input_path.stem, str(input_path), []) if input_path.stem else "model"
    return ModelFile(input_path, name, input_path, Path("reports") / name)


def is_input(path: Path) -> bool:
    """Whether ``path`` names an input (a workbook or a CSV folder) rather than a model file."""
    return path.is_dir() or path.suffix.lower() in {".xlsx", ".xlsm"}


SECTIONS = ("model", "objective", "solver", "uncertainty", "force", "overrides")
MODEL_KEYS = frozenset({"name", "input", "output", "description", "overlay", "horizon"})
OWN_KEYS = frozenset({"name", "output", "description"})
"""Settings of ``[model]`` that a file extending another does not inherit."""


@dataclass(frozen=True)
class _Layer:
    """One file of an ``extends`` chain: its settings, paths already joined to its folder."""

    path: Path
    model: dict[str, Any]
    objective: dict[str, Any]
    solver: dict[str, Any]
    uncertainty: dict[str, Any]
    input: Path | None
    scenario: Scenario


def read_model_file(path: Path) -> ModelFile:
    """Read a model file (and the files it extends), raising :class:`InputError` with every problem.

    A file that says ``extends = "other.toml"`` starts from the other file's
    settings: its own ``[objective]`` and ``[solver]`` settings replace the other's
    one by one, and so do ``input``, ``overlay`` and ``horizon`` in ``[model]``;
    ``name``, ``output`` and ``description`` are its own. Its ``[force]`` and
    ``[overrides]`` add to the other's (replacing them for the same measure or cell).
    """
    chain = _chain(path)
    issues: list[Issue] = []
    layers = [_layer(file, data, k == 0, issues) for k, (file, data) in enumerate(chain)]
    if issues:
        raise InputError(issues)
    file = str(path)
    own = layers[-1]
    objective_keys: dict[str, Any] = {}
    solver_keys: dict[str, Any] = {}
    uncertainty_keys: dict[str, Any] = {}
    scenario = Scenario()
    for layer in layers:
        objective_keys.update(layer.objective)
        solver_keys.update(layer.solver)
        uncertainty_keys.update(layer.uncertainty)
        scenario = scenario.then(layer.scenario)
    if len(layers) > 1:
        scenario = replace(scenario, files=tuple(layer.path for layer in layers))
    # Each file alone is valid: what is left are clashes between files (a range
    # in one around a rate in another).
    objective = _objective(objective_keys, file, issues)
    solver = _solver(solver_keys, file, issues)
    uncertainty = _uncertainty(uncertainty_keys, file, issues)
    name = _name(own.model.get("name", path.stem), file, issues)
    if issues:
        raise InputError(issues)
    input_path = next(layer.input for layer in reversed(layers) if layer.input is not None)
    output = (
        relative_path(path.parent, str(own.model["output"]))
        if "output" in own.model
        else Path("reports") / name
    )
    description = str(own.model.get("description", ""))
    return ModelFile(
        path, name, input_path, output, objective, solver, description, scenario, uncertainty
    )


def _chain(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The files ``path`` extends, the one extended first, then ``path``, as TOML data."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    current = path
    while True:
        chain.append((current, _toml(current)))
        parent = chain[-1][1].get("extends")
        if parent is None:
            return chain[::-1]
        where = Location(str(current), key="extends")
        if not isinstance(parent, str) or not parent:
            raise InputError([Issue(where, "must name the model file this one extends", parent)])
        target = relative_path(current.parent, parent)
        if not target.is_file():
            rule = f"model file not found: {target} (paths are relative to the model file)"
            raise InputError([Issue(where, rule, parent)])
        if target.resolve() in {file.resolve() for file, _ in chain}:
            rule = "extends a model file that extends this one (a cycle)"
            raise InputError([Issue(where, rule, parent)])
        current = target


def _toml(path: Path) -> dict[str, Any]:
    file = str(path)
    if not path.is_file():
        raise InputError([Issue(Location(file), "model file not found")])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Issue(Location(file), "is not valid TOML", str(exc))]) from None


def _layer(path: Path, data: dict[str, Any], root: bool, issues: list[Issue]) -> _Layer:
    """Check one file alone and keep its settings (the root of a chain must name the input)."""
    file = str(path)
    for section in data:
        if section not in SECTIONS and section != "extends":
            hint = f'Known sections: {", ".join(SECTIONS)} (and extends = "file.toml").'
            issues.append(Issue(Location(file, key=section), "unknown section", section, hint=hint))
    model = _section(data, "model", file, issues)
    _only_keys(model, set(MODEL_KEYS), "model", file, issues)
    base = path.parent
    input_path = _input_path(model, base, file, issues) if root or "input" in model else None
    objective = _section(data, "objective", file, issues)
    solver = _section(data, "solver", file, issues)
    uncertainty = _section(data, "uncertainty", file, issues)
    _objective(objective, file, issues)
    _solver(solver, file, issues)
    _uncertainty(uncertainty, file, issues)
    scenario = scenario_settings(data, path, base, issues)
    return _Layer(path, model, objective, solver, uncertainty, input_path, scenario)


_NAME = re.compile(r"[^\x00-\x1f\x7f/\\:*?\"<>|]{1,100}")


def _name(raw: object, file: str, issues: list[Issue]) -> str:
    """A model name: the default output folder is ``reports/<name>``, so it is never a path."""
    name = str(raw).strip()
    if not isinstance(raw, str) or not _NAME.fullmatch(name) or name.startswith(".") or name != raw:
        rule = (
            'must be a plain name of 1 to 100 characters, without / \\ : * ? " < > |, '
            "control characters, surrounding spaces or a leading dot (it names the output "
            "folder reports/<name>; set model.output for another place)"
        )
        issues.append(Issue(Location(file, key="model.name"), rule, raw))
        return "model"
    return name


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
    input_path = relative_path(base, raw)
    if not input_path.exists():
        rule = f"input workbook not found: {input_path} (paths are relative to the model file)"
        issues.append(Issue(where, rule, raw))
    return input_path


OBJECTIVE_KEYS = frozenset(
    {
        "kind",
        "discount_rate",
        "discount_rate_low",
        "discount_rate_high",
        "terminal",
        "terminal_low",
        "terminal_high",
        "tie_break",
        "random_events",
        "distribution",
    }
)
"""The settings of ``[objective]``: those of :class:`ObjectiveSettings`, ranges as companions."""


def _objective(section: dict[str, Any], file: str, issues: list[Issue]) -> ObjectiveSettings:
    _only_keys(section, set(OBJECTIVE_KEYS), "objective", file, issues)
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
    valid_count = (
        isinstance(terminal, int)
        and not isinstance(terminal, bool)
        and 0 <= terminal <= MAX_TERMINAL_PERIODS
    )
    if not valid_count and terminal != PERPETUITY:
        rule = (
            f"must be a whole number of periods from 0 to {MAX_TERMINAL_PERIODS:,} or 'perpetuity'"
        )
        issues.append(Issue(where("terminal"), rule, terminal))
        terminal = default.terminal
    if terminal == PERPETUITY and rate < MIN_PERPETUITY_RATE:
        rule = (
            f"a perpetuity needs objective.discount_rate >= {MIN_PERPETUITY_RATE:g} (at a lower "
            f"rate it counts more than {MAX_TERMINAL_PERIODS:,} periods)"
        )
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
    drawn = section.get("distribution", default.distribution.value)
    if drawn not in {d.value for d in Distribution}:
        known = ", ".join(repr(d.value) for d in Distribution)
        issues.append(Issue(where("distribution"), f"must be one of {known}", drawn))
        drawn = default.distribution.value
    rate_range = _rate_range(section, float(rate), where, issues)
    if terminal == PERPETUITY and rate_range is not None and rate_range[0] <= 0:
        rule = "a perpetuity needs objective.discount_rate_low > 0"
        issues.append(Issue(where("discount_rate_low"), rule, rate_range[0]))
        rate_range = None
    terminal_range = _terminal_range(section, terminal, where, issues)
    return ObjectiveSettings(
        ObjectiveKind(kind),
        float(rate),
        terminal,
        tie_break,
        RandomEvents(events),
        rate_range,
        terminal_range,
        Distribution(drawn),
    )


def _rate_range(
    section: dict[str, Any], rate: float, where: Callable[[str], Location], issues: list[Issue]
) -> tuple[float, float] | None:
    """``discount_rate_low`` and ``_high``: numbers in ``[0, 1)`` around the rate."""
    if "discount_rate_low" not in section and "discount_rate_high" not in section:
        return None
    ends = []
    for key, rule in (
        ("discount_rate_low", "must be a number from 0 to objective.discount_rate"),
        ("discount_rate_high", "must be a number from objective.discount_rate to below 1"),
    ):
        value = section.get(key, rate)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        low_side = key.endswith("_low")
        if not is_number or not (0 <= value <= rate if low_side else rate <= value < 1):
            issues.append(Issue(where(key), rule, value))
            value = rate
        ends.append(float(value))
    return ends[0], ends[1]


def _terminal_range(
    section: dict[str, Any],
    terminal: int | str,
    where: Callable[[str], Location],
    issues: list[Issue],
) -> tuple[int, int] | None:
    """``terminal_low`` and ``_high``: whole numbers of periods around the terminal."""
    if "terminal_low" not in section and "terminal_high" not in section:
        return None
    if not isinstance(terminal, int):
        rule = "a range needs objective.terminal as a whole number of periods"
        key = "terminal_low" if "terminal_low" in section else "terminal_high"
        issues.append(Issue(where(key), rule, section[key]))
        return None
    ends = []
    for key, rule in (
        ("terminal_low", "must be a whole number from 0 to objective.terminal"),
        ("terminal_high", "must be a whole number >= objective.terminal"),
    ):
        value = section.get(key, terminal)
        whole = isinstance(value, int) and not isinstance(value, bool)
        low_side = key.endswith("_low")
        if not whole or not (0 <= value <= terminal if low_side else value >= terminal):
            issues.append(Issue(where(key), rule, value))
            value = terminal
        ends.append(int(value))
    return ends[0], ends[1]


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
    if not _positive_number(time_limit) or float(time_limit or 0) > MAX_TIME_LIMIT:
        rule = f"must be a number of seconds > 0 and at most {MAX_TIME_LIMIT:,.0f} (a week)"
        issues.append(Issue(where("time_limit"), rule, time_limit))
        time_limit = default.time_limit
    gap = section.get("gap", default.gap)
    if not isinstance(gap, int | float) or isinstance(gap, bool) or not 0 <= gap < 1:
        issues.append(Issue(where("gap"), "must be a number from 0 to below 1", gap))
        gap = default.gap
    threads = section.get("threads", default.threads)
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= MAX_THREADS:
        rule = f"must be a whole number from 1 to {MAX_THREADS}"
        issues.append(Issue(where("threads"), rule, threads))
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

    def count(key: str, value: object, least: int, most: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            rule = f"must be a whole number from {least:,} to {most:,}"
            issues.append(Issue(where(key), rule, value))
            return None
        return value

    reliability = share("reliability", section.get("reliability", default.reliability))
    margin = section.get("margin", default.margin)
    if not _number(margin) or not 0 <= margin <= 100:
        issues.append(Issue(where("margin"), "must be a number of points from 0 to 100", margin))
        margin = default.margin
    samples = count("samples", section.get("samples", default.samples), 1, MAX_CHANCE_SAMPLES)
    check_samples = section.get("check_samples", default.check_samples)
    check = count("check_samples", check_samples, 1, MAX_CHECK_SAMPLES)
    seed = count("seed", section.get("seed", default.seed), 0, 2**31 - 1)
    method = section.get("method", default.method.value)
    if method not in {m.value for m in Method}:
        issues.append(Issue(where("method"), "must be 'calibrated' or 'saa'", method))
        method = default.method.value
    levels = section.get("frontier", list(default.frontier))
    if not isinstance(levels, list) or not 1 <= len(levels) <= MAX_FRONTIER_LEVELS:
        rule = f"must be a list of 1 to {MAX_FRONTIER_LEVELS} reliability levels"
        issues.append(Issue(where("frontier"), rule, levels))
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


SOLVER_KEYS = frozenset(f.name for f in fields(SolverSettings))
UNCERTAINTY_KEYS = frozenset(f.name for f in fields(UncertaintySettings))


def with_settings(model: ModelFile, changes: dict[str, Any], file: str) -> ModelFile:
    """``model`` with solver and uncertainty settings changed, checked as a model file's are.

    ``changes`` maps setting names to values as a model file would hold them
    (``time_limit=30``, ``reliability=0.9``; the solver's ``name`` may be given as
    ``solver``); ``None`` values are ignored. ``file`` says where they came from,
    in messages.

    Raises
    ------
    InputError
        With every unknown setting and every value out of its range.
    """
    given = {("name" if k == "solver" else k): v for k, v in changes.items() if v is not None}
    issues: list[Issue] = []
    for key in given:
        if key not in SOLVER_KEYS | UNCERTAINTY_KEYS:
            known = ", ".join(sorted((SOLVER_KEYS - {"name"}) | {"solver"} | UNCERTAINTY_KEYS))
            issues.append(
                Issue(Location(file, key=key), "unknown setting", key, f"Known: {known}.")
            )
    raw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in given.items()}
    solver = _solver({k: v for k, v in raw.items() if k in SOLVER_KEYS}, file, issues)
    uncertainty = _uncertainty(
        {k: v for k, v in raw.items() if k in UNCERTAINTY_KEYS}, file, issues
    )
    if issues:
        raise InputError(issues)
    return replace(
        model,
        solver=replace(model.solver, **{k: getattr(solver, k) for k in given if k in SOLVER_KEYS}),
        uncertainty=replace(
            model.uncertainty,
            **{k: getattr(uncertainty, k) for k in given if k in UNCERTAINTY_KEYS},
        ),
    )


def checked_name(raw: object, file: str) -> str:
    """A model name as a model file's ``[model] name`` must be; :class:`InputError` if not."""
    issues: list[Issue] = []
    name = _name(raw, file, issues)
    raise_if_any(issues)
    return name
