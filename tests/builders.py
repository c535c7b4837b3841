"""Terse builders for hand-made test problems."""

from __future__ import annotations

from seqopt.data import (
    CauseKind,
    Dependency,
    DependencyKind,
    Effect,
    Estimate,
    Force,
    Gate,
    Lever,
    Measure,
    Problem,
    Resource,
    ResourceKind,
    Scope,
    Series,
)


def e(value: float) -> Estimate:
    return Estimate.exact(value)


def scope(
    id: str = "s",
    benefit: float = 1.0,
    duration: int = 1,
    *,
    earliest: int = 0,
    latest: int | None = None,
    horizon: int = 4,
    use: dict[str, float] | None = None,
    gates: dict[str, float] | None = None,
) -> Scope:
    return Scope(
        id=id,
        name=id,
        benefit=e(benefit),
        duration=e(duration),
        earliest_start=earliest,
        latest_finish=horizon - 1 if latest is None else latest,
        use={k: e(v) for k, v in (use or {}).items()},
        gates=tuple(Gate(k, e(v)) for k, v in (gates or {}).items()),
    )


def measure(id: str, *scopes: Scope, force: Force = Force.FREE) -> Measure:
    return Measure(id, id, scopes or (scope(),), force)


def renewable(id: str, capacity: float, price: float = 0.0, **overrides: float) -> Resource:
    return Resource(
        id,
        id,
        ResourceKind.RENEWABLE,
        e(capacity),
        e(price),
        {int(k.lstrip("t")): e(v) for k, v in overrides.items()},
    )


def budget(id: str, total: float, price: float = 0.0) -> Resource:
    return Resource(id, id, ResourceKind.NONRENEWABLE, e(total), e(price))


def lever(
    id: str,
    max_uses: int,
    *,
    earliest: int = 0,
    latest: int = 3,
    use: dict[str, float] | None = None,
) -> Lever:
    return Lever(id, id, max_uses, earliest, latest, {k: e(v) for k, v in (use or {}).items()})


def series(id: str, *values: float) -> Series:
    return Series(id, id, tuple(e(v) for v in values))


def lever_effect(
    lever_id: str, series_id: str, amount: float, delay: int = 0, decay: float = 0.0
) -> Effect:
    return Effect(CauseKind.LEVER, lever_id, series_id, e(amount), delay, e(decay))


def measure_effect(
    measure_id: str,
    series_id: str,
    amount: float,
    delay: int = 0,
    decay: float = 0.0,
    scope: str | None = None,
) -> Effect:
    return Effect(CauseKind.MEASURE, measure_id, series_id, e(amount), delay, e(decay), scope)


def requires(
    a: str, b: str, lag: int = 0, scope: str | None = None, other_scope: str | None = None
) -> Dependency:
    return Dependency(DependencyKind.REQUIRES, a, b, scope, other_scope, lag)


def excludes(a: str, b: str) -> Dependency:
    return Dependency(DependencyKind.EXCLUDES, a, b)


def together(a: str, b: str) -> Dependency:
    return Dependency(DependencyKind.TOGETHER, a, b)


def problem(horizon: int, *measures: Measure, **parts: object) -> Problem:
    return Problem(
        periods=tuple(f"T{t}" for t in range(horizon)),
        measures=tuple(measures),
        **{k: tuple(v) for k, v in parts.items()},  # type: ignore[arg-type]
    )
