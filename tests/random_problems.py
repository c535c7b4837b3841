"""Seeded tiny random problems that exercise every constraint kind, for brute-force checks."""

from __future__ import annotations

import random
from dataclasses import replace

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
from seqopt.settings import ObjectiveKind, ObjectiveSettings


def exact(value: float) -> Estimate:
    return Estimate.exact(value)


def tiny_problem(seed: int) -> tuple[Problem, ObjectiveSettings]:
    """A problem small enough to enumerate: 2-3 measures, 1-2 scopes, 3-5 periods, 1 lever."""
    rng = random.Random(seed)
    horizon = rng.randint(3, 5)
    periods = tuple(f"T{t}" for t in range(horizon))
    base = [round(rng.uniform(40, 60), 1)]
    for _ in range(horizon - 1):
        base.append(round(min(100.0, max(0.0, base[-1] + rng.uniform(-3, 3))), 1))
    series = Series("s", "support", tuple(exact(v) for v in base))
    measures = []
    for i in range(rng.randint(2, 3)):
        scopes = []
        for j in range(rng.randint(1, 2)):
            length = rng.randint(1, 2)
            earliest = rng.choice([0, 0, 1])
            latest = rng.choice([horizon - 1, horizon - 1, horizon - 2])
            if earliest + length - 1 > latest:
                earliest, latest = 0, horizon - 1
            gates = ()
            if rng.random() < 0.6:
                threshold = round(max(base) + rng.uniform(-6, 6), 1)
                gates = (Gate("s", exact(min(threshold, 100.0))),)
            use = {"cap": exact(rng.choice([0, 1, 1, 2]))}
            if rng.random() < 0.5:
                use["budget"] = exact(rng.choice([1, 2, 3]))
            scopes.append(
                Scope(
                    id=f"s{j}",
                    name=f"scope {j}",
                    benefit=exact(round(rng.uniform(0, 10), 1)),
                    duration=exact(length),
                    earliest_start=earliest,
                    latest_finish=latest,
                    use=use,
                    gates=gates,
                )
            )
        force = rng.choices([Force.FREE, Force.IN, Force.OUT], weights=[8, 1, 1])[0]
        measures.append(Measure(f"m{i}", f"measure {i}", tuple(scopes), force))
    cap_overrides = {}
    if rng.random() < 0.5:
        cap_overrides[rng.randrange(horizon)] = exact(rng.choice([0, 1]))
    resources = (
        Resource(
            "cap",
            "capital",
            ResourceKind.RENEWABLE,
            exact(rng.choice([1, 2, 3])),
            price=exact(round(rng.uniform(0, 1), 2)),
            overrides=cap_overrides,
        ),
        Resource(
            "budget",
            "budget",
            ResourceKind.NONRENEWABLE,
            exact(rng.choice([2, 3, 4, 6])),
            price=exact(round(rng.uniform(0, 0.5), 2)),
        ),
    )
    earliest = rng.choice([0, 0, 1])
    lever = Lever(
        "lev",
        "framing",
        max_uses=rng.randint(1, 2),
        earliest=earliest,
        latest=rng.randint(earliest, horizon - 1),
        use={"cap": exact(rng.choice([0, 1]))},
    )
    effects = [
        Effect(
            CauseKind.LEVER,
            "lev",
            "s",
            exact(round(rng.uniform(1, 6), 1)),
            delay=rng.choice([0, 0, 1]),
            decay=exact(rng.choice([0.0, 0.3, 0.5, 1.0])),
        )
    ]
    if rng.random() < 0.6:
        cause = rng.choice(measures)
        scoped = rng.random() < 0.3
        effects.append(
            Effect(
                CauseKind.MEASURE,
                cause.id,
                "s",
                exact(round(rng.uniform(-3, 6), 1)),
                delay=rng.choice([0, 1]),
                decay=exact(rng.choice([0.0, 0.2])),
                cause_scope=cause.scopes[0].id if scoped else None,
            )
        )
    dependencies = []
    if rng.random() < 0.7:
        later, earlier = rng.sample(range(len(measures)), 2)
        later, earlier = max(later, earlier), min(later, earlier)
        scope = measures[later].scopes[-1].id if rng.random() < 0.3 else None
        other_scope = measures[earlier].scopes[0].id if rng.random() < 0.3 else None
        dependencies.append(
            Dependency(
                DependencyKind.REQUIRES,
                measures[later].id,
                measures[earlier].id,
                scope=scope,
                other_scope=other_scope,
                lag=rng.choice([0, 0, 1]),
            )
        )
    if rng.random() < 0.3:
        a, b = rng.sample(range(len(measures)), 2)
        kind = rng.choice([DependencyKind.EXCLUDES, DependencyKind.TOGETHER])
        dependencies.append(Dependency(kind, measures[a].id, measures[b].id))
    problem = Problem(
        periods=periods,
        measures=tuple(measures),
        resources=resources,
        levers=(lever,),
        series=(series,),
        effects=tuple(effects),
        dependencies=tuple(dependencies),
        name=f"tiny{seed}",
    )
    if rng.random() < 0.2:
        objective = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN)
    else:
        objective = ObjectiveSettings(
            discount_rate=rng.choice([0.0, 0.02, 0.05]), terminal=rng.choice([0, 2])
        )
    return problem, objective


def tiny_schedule(seed: int) -> tuple[Problem, ObjectiveSettings]:
    """:func:`tiny_problem` without support gates or levers: a pure scheduling problem.

    Capacities with overrides, budgets, windows, forcing, ``requires`` with lags and
    scopes, ``excludes`` and ``together`` stay; so does the objective (value or makespan).
    """
    problem, objective = tiny_problem(seed)
    measures = tuple(
        replace(m, scopes=tuple(replace(s, gates=()) for s in m.scopes)) for m in problem.measures
    )
    effects = tuple(e for e in problem.effects if e.cause_kind is not CauseKind.LEVER)
    return replace(problem, measures=measures, levers=(), effects=effects), objective
