"""Seeded tiny random problems with the policy dynamics, for brute-force checks.

Each problem has the core pieces of :mod:`random_problems` (scopes, both
resource kinds, a lever, a support series, effects, dependencies, forcing,
both objectives) at a size exhaustive enumeration handles quickly, plus one of
the five dynamics (``upgrade``, ``renewal``, ``event``, ``substitute``,
``backlash``) or all of them at once (``mixed``). Numbers are drawn so that
each dynamic often decides the optimum: upgrades that pay or not, reviews
near their thresholds, events before gates, overlaps near a benefit, backlash
near a gate's margin.
"""

from __future__ import annotations

import random
from dataclasses import replace

from seqopt.data import (
    Backlash,
    CapacityShift,
    CauseKind,
    Dependency,
    DependencyKind,
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
from seqopt.settings import ObjectiveKind, ObjectiveSettings, RandomEvents

CONCEPTS = ("upgrade", "renewal", "event", "substitute", "backlash")


def exact(value: float) -> Estimate:
    return Estimate.exact(value)


def _walk(rng: random.Random, horizon: int) -> list[float]:
    values = [round(rng.uniform(44, 56), 1)]
    for _ in range(horizon - 1):
        values.append(round(values[-1] + rng.uniform(-3, 3), 1))
    return values


def dynamic_problem(seed: int, concept: str) -> tuple[Problem, ObjectiveSettings]:
    """A tiny problem using ``concept`` (one of :data:`CONCEPTS`, or ``mixed`` for all)."""
    rng = random.Random(f"{concept}-{seed}")
    every = set(CONCEPTS) if concept == "mixed" else {concept}
    horizon = rng.randint(4, 5) if every & {"upgrade", "renewal"} else rng.randint(3, 5)
    periods = tuple(f"T{t}" for t in range(horizon))
    base = _walk(rng, horizon)
    series = [Series("s", "support", tuple(exact(v) for v in base))]
    two_series = "renewal" in every and rng.random() < 0.3
    if two_series:
        series.append(Series("r", "other", tuple(exact(v) for v in _walk(rng, horizon))))
    measures = []
    for i in range(2):
        scopes = []
        count = 2 if (i == 0 and "upgrade" in every) else rng.randint(1, 2)
        for j in range(count):
            length = rng.randint(1, 2)
            earliest, latest = rng.choice([0, 0, 1]), rng.choice([horizon - 1, horizon - 2])
            if earliest + length - 1 > latest:
                earliest, latest = 0, horizon - 1
            gates = ()
            if rng.random() < 0.5:
                gates = (Gate("s", exact(round(max(base) + rng.uniform(-6, 4), 1))),)
            use = {"cap": exact(rng.choice([0, 1, 1, 2]))}
            if rng.random() < 0.4:
                use["budget"] = exact(rng.choice([1, 2]))
            scopes.append(
                Scope(
                    id=f"s{j}",
                    name=f"scope {j}",
                    benefit=exact(round(rng.uniform(1, 10), 1)),
                    duration=exact(length),
                    earliest_start=earliest,
                    latest_finish=latest,
                    use=use,
                    gates=gates,
                )
            )
        force = rng.choices([Force.FREE, Force.IN, Force.OUT], weights=[10, 1, 1])[0]
        measures.append(Measure(f"m{i}", f"measure {i}", tuple(scopes), force))
    if "upgrade" in every:
        measures[0] = _with_upgrade(rng, measures[0], horizon, base)
    if "renewal" in every:
        which = rng.randrange(2)
        maintain = [Gate("s", exact(round(min(base) + rng.uniform(-3, 5), 1)))]
        if two_series:
            maintain.append(
                Gate("r", exact(round(series[1].baseline[0].base + rng.uniform(-3, 3), 1)))
            )
        measures[which] = replace(
            measures[which], renew_every=rng.randint(1, 3), maintain=tuple(maintain)
        )
    cap_overrides = {}
    if rng.random() < 0.3:
        cap_overrides[rng.randrange(horizon)] = exact(rng.choice([0, 1]))
    resources = (
        Resource(
            "cap",
            "capital",
            ResourceKind.RENEWABLE,
            exact(rng.choice([2, 3])),
            price=exact(round(rng.uniform(0, 1), 2)),
            overrides=cap_overrides,
        ),
        Resource(
            "budget",
            "budget",
            ResourceKind.NONRENEWABLE,
            exact(rng.choice([2, 3, 4])),
            price=exact(round(rng.uniform(0, 0.5), 2)),
        ),
    )
    lever = Lever(
        "lev",
        "framing",
        max_uses=1 if horizon == 5 else rng.randint(1, 2),
        earliest=0,
        latest=horizon - 1,
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
    if rng.random() < 0.7:
        cause = rng.choice(measures)
        scoped = rng.random() < 0.3
        effects.append(
            Effect(
                CauseKind.MEASURE,
                cause.id,
                rng.choice([s.id for s in series]),
                exact(round(rng.uniform(-6, 6), 1)),
                delay=rng.choice([0, 1]),
                decay=exact(rng.choice([0.0, 0.2])),
                cause_scope=rng.choice(cause.scopes).id if scoped else None,
            )
        )
    if "upgrade" in every and rng.random() < 0.5:
        effects.append(
            Effect(
                CauseKind.MEASURE,
                "m0",
                "s",
                exact(round(rng.uniform(-5, 5), 1)),
                delay=rng.choice([0, 1]),
                decay=exact(rng.choice([0.0, 0.5])),
                cause_scope="s1",
            )
        )
    events: list[Event] = []
    shifts: list[CapacityShift] = []
    random_events = RandomEvents.IGNORE
    if "event" in every:
        for k in range(rng.choice([1, 2, 2])):
            if rng.random() < 0.6:
                event = Event(f"e{k}", f"event {k}", periods=(rng.randrange(horizon),))
            else:
                event = Event(
                    f"e{k}",
                    f"event {k}",
                    probability=exact(rng.choice([0.1, 0.25, 0.5])),
                    earliest=rng.choice([0, 1]),
                    latest=rng.choice([horizon - 1, horizon - 2]),
                )
                if rng.random() < 0.6:
                    random_events = RandomEvents.EXPECTED
            events.append(event)
            effects.append(
                Effect(
                    CauseKind.EVENT,
                    event.id,
                    "s",
                    exact(round(rng.uniform(-8, 8), 1)),
                    delay=rng.choice([0, 1]),
                    decay=exact(rng.choice([0.0, 0.5])),
                )
            )
            if rng.random() < 0.6:
                shifts.append(
                    CapacityShift(
                        event.id,
                        "cap",
                        exact(rng.choice([-2, -1, 1, 2])),
                        delay=rng.choice([0, 1]),
                        decay=exact(rng.choice([0.0, 0.5, 1.0])),
                    )
                )
    substitutes: list[Substitute] = []
    if "substitute" in every:
        first, second = measures
        scope = rng.choice(first.scopes).id if rng.random() < 0.3 else None
        other_scope = rng.choice(second.scopes).id if rng.random() < 0.3 else None
        smaller = min(s.benefit.base for s in first.scopes + second.scopes)
        substitutes.append(
            Substitute(
                "m0",
                "m1",
                exact(round(rng.uniform(0.2, 1.2) * smaller, 1)),
                scope=scope,
                other_scope=other_scope,
            )
        )
    backlashes: list[Backlash] = []
    if "backlash" in every:
        target = measures[0] if rng.random() < 0.8 else measures[1]
        for series_id in rng.sample([s.id for s in series], k=1):
            backlashes.append(
                Backlash(
                    target.id,
                    "lev",
                    series_id,
                    exact(round(rng.uniform(-8, -1), 1)),
                    delay=rng.choice([0, 0, 1]),
                    decay=exact(rng.choice([0.0, 0.5])),
                    scope=rng.choice(target.scopes).id if rng.random() < 0.3 else None,
                )
            )
        other = measures[1] if target is measures[0] else measures[0]
        if not any(g.series == "s" for s in other.scopes for g in s.gates):
            # Someone must care about the series the backlash lowers.
            gate = Gate("s", exact(round(max(base) + rng.uniform(-4, 2), 1)))
            scopes = tuple(replace(s, gates=(gate,)) for s in other.scopes)
            measures[measures.index(other)] = replace(other, scopes=scopes)
    dependencies = []
    if rng.random() < (0.7 if "backlash" in every else 0.4):
        dependencies.append(
            Dependency(DependencyKind.REQUIRES, "m1", "m0", lag=rng.choice([0, 0, 1]))
        )
    elif rng.random() < 0.2:
        dependencies.append(Dependency(DependencyKind.EXCLUDES, "m0", "m1"))
    problem = Problem(
        periods=periods,
        measures=tuple(measures),
        resources=resources,
        levers=(lever,),
        series=tuple(series),
        effects=tuple(effects),
        dependencies=tuple(dependencies),
        name=f"{concept}{seed}",
        events=tuple(events),
        capacity_shifts=tuple(shifts),
        substitutes=tuple(substitutes),
        backlashes=tuple(backlashes),
    )
    if rng.random() < 0.15:
        objective = ObjectiveSettings(kind=ObjectiveKind.MAKESPAN, random_events=random_events)
    else:
        objective = ObjectiveSettings(
            discount_rate=rng.choice([0.0, 0.05]),
            terminal=rng.choice([0, 2]),
            random_events=random_events,
        )
    return problem, objective


def _with_upgrade(rng: random.Random, measure: Measure, horizon: int, base: list[float]) -> Measure:
    """Measure 0 with an upgrade from its first scope to its second."""
    narrow, wide = measure.scopes
    gates = ()
    if rng.random() < 0.5:
        gates = (Gate("s", exact(round(max(base) + rng.uniform(-5, 4), 1))),)
    use = {"cap": exact(rng.choice([0, 1, 2]))}
    if rng.random() < 0.3:
        use["budget"] = exact(1)
    upgrade = Upgrade(
        "s0",
        "s1",
        exact(rng.randint(1, 2)),
        earliest_start=rng.choice([0, 1, 2]),
        latest_finish=horizon - 1,
        lag=rng.choice([0, 0, 1]),
        use=use,
        gates=gates,
    )
    if rng.random() < 0.8:
        # Usually the wider scope is worth more, and harder to sign directly than to reach
        # by widening: a longer negotiation, a higher bar.
        wide_gates = wide.gates
        if rng.random() < 0.6:
            wide_gates = (Gate("s", exact(round(max(base) + rng.uniform(0, 6), 1))),)
        narrow = replace(narrow, benefit=exact(round(rng.uniform(1, 5), 1)))
        wide = replace(
            wide,
            benefit=exact(round(rng.uniform(5, 10), 1)),
            duration=exact(rng.choice([1, 2, 2])),
            gates=wide_gates,
        )
    return replace(measure, scopes=(narrow, wide), upgrades=(upgrade,))


def without(problem: Problem, concept: str) -> Problem:
    """``problem`` with ``concept`` taken out (to see whether it changes the optimum)."""
    if concept == "upgrade":
        return replace(problem, measures=tuple(replace(m, upgrades=()) for m in problem.measures))
    if concept == "renewal":
        return replace(
            problem,
            measures=tuple(replace(m, renew_every=None, maintain=()) for m in problem.measures),
        )
    if concept == "event":
        effects = tuple(e for e in problem.effects if e.cause_kind is not CauseKind.EVENT)
        return replace(problem, events=(), capacity_shifts=(), effects=effects)
    if concept == "substitute":
        return replace(problem, substitutes=())
    if concept == "backlash":
        return replace(problem, backlashes=())
    raise ValueError(concept)
