"""Seeded synthetic problems for benchmarks: realistic structure, not tuned to be easy.

Distributions (all draws from one ``random.Random(seed)``; documented in
``docs/generator.md``):

- Measures ``m = 0..n-1`` each with ``scopes`` scopes ``k = 0..K-1``, from
  narrow to full. Base benefit ``B ~ U(1, 10)`` per period; scope ``k`` earns
  ``B * (0.5 + 0.5 k / (K-1))``. Base duration ``D ~ {1..4}``; scope ``k``
  takes ``D + k`` periods (full scopes take longer to negotiate).
- Windows: 80 % of measures may start at once; 20 % not before ``U{0..T/2}``
  (a scope that no longer fits in the horizon is left out).
- Two resources: ``capital`` (renewable, price 0.5 per unit) used
  ``U(0.5, 2) * (0.6 + 0.4 k / (K-1))`` per negotiation period; ``budget``
  (nonrenewable) used ``U(1, 4) * (0.6 + 0.4 k / (K-1))`` in total. Capacities
  are tight: capital per period is 60 % of what doing every measure at full
  scope once over the horizon needs per period on average (but at least the
  largest single use, so every measure could fit alone), and the budget is
  60 % of the full-scope total; 10 % of periods have capital cut by half
  (elections). Not everything fits.
- Two support series with baselines starting at ``U(40, 55)`` and moving by
  ``U(-1, 1)`` per period (clipped to 0..100). Each measure is gated by one
  series (70 %) or both (30 %); its threshold is the series' start plus
  ``U(-6, 6)`` plus 2 points per scope step (so -6 to +10 points for three
  scopes, the span of the Japan–ROK reference model's gates).
- Levers: ``max(2, n // 10)`` framing levers, each moving one or both series by
  ``U(1, 4)`` points with decay ``U(0.1, 0.5)`` and delay 0 or 1, usable
  ``U{3..8}`` times, costing ``U(0.3, 1)`` capital per use.
- 20 % of measures raise a series by ``U(1, 4)`` once in force (delay 1).
- Prerequisites: measure ``m`` requires ``min(m, Poisson(1.5))`` distinct
  earlier measures chosen uniformly (acyclic by construction), lag 0 or 1.
- Objective: value, discount 1 % per period, 8 terminal periods.

With ``dynamics=True`` (``seqopt generate --dynamics``) the same problem (the
same draws) gets the five policy dynamics on top, drawn from a second stream
of the seed so that the core stays identical:

- Staged scope: 20 % of measures with two or more scopes can be widened from
  their narrowest to their widest scope, in ``1 + U{0..1}`` periods after a lag
  of 0 or 1, using half the widest scope's resources, gated 1 to 3 points below
  the widest scope's own thresholds.
- Renewal: 20 % of measures renew every ``U{4..8}`` periods and must keep their
  first gated series within 2 to 6 points below their narrowest threshold.
- Events: two scheduled events moving a series by ``U(-5, 5)`` (decay
  ``U(0.2, 0.6)``), one random event (probability 0.1 per period, ``U(-4, 4)``,
  decay 0.5) and one scheduled event taking 30 % of capital for a period.
- Substitutes: ``max(1, n // 10)`` pairs of measures overlapping by half the
  smaller base benefit.
- Backlash: 10 % of measures lower one of their gated series by ``U(2, 6)``
  (decay ``U(0.2, 0.5)``) when signed without a given framing lever.
"""

from __future__ import annotations

import math
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
from seqopt.settings import ObjectiveSettings

SYNTHETIC_OBJECTIVE = ObjectiveSettings(discount_rate=0.01, terminal=8)
"""The objective synthetic model files use."""

CAPACITY_SHARE = 0.6
"""Capacity and budget as a share of what every measure at full scope would need."""


def _spread(value: float, share: float = 0.25) -> Estimate:
    """An estimate with a symmetric range of ``share`` around ``value`` (rounded)."""
    base = round(value, 2)
    ends = sorted((round(base * (1 - share), 2), round(base * (1 + share), 2)))
    return Estimate(base, ends[0], ends[1])


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for small means, and reproducible with random.Random.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def synthetic_problem(
    measures: int, scopes: int, periods: int, seed: int, *, dynamics: bool = False
) -> Problem:
    """Return a synthetic problem of the given size (see the module docstring).

    ``dynamics`` adds upgrades, renewals, events, substitutes and backlash to the
    same core problem.
    """
    if measures < 1 or scopes < 1 or periods < 2:
        raise ValueError("need at least 1 measure, 1 scope and 2 periods")
    rng = random.Random(seed)
    labels = tuple(f"t{t:02d}" for t in range(periods))
    steps = max(scopes - 1, 1)

    series_ids = ("public_a", "public_b")
    starts = {}
    series = []
    for sid in series_ids:
        level = rng.uniform(40, 55)
        values = []
        for _ in range(periods):
            values.append(_spread(min(100.0, max(0.0, level)), 0.1))
            level += rng.uniform(-1, 1)
        starts[sid] = values[0].base
        series.append(Series(sid, sid.replace("_", " "), tuple(values), "synthetic"))

    measure_list = []
    capital_need = budget_need = largest_use = 0.0
    for m in range(measures):
        benefit = rng.uniform(1, 10)
        duration = rng.randint(1, 4)
        late = rng.random() >= 0.8
        earliest = rng.randint(0, min(periods // 2, periods - duration)) if late else 0
        capital = rng.uniform(0.5, 2)
        budget = rng.uniform(1, 4)
        gated = rng.sample(series_ids, 2 if rng.random() < 0.3 else 1)
        offsets = {sid: rng.uniform(-6, 6) for sid in gated}
        scope_list = []
        for k in range(scopes):
            share = k / steps
            length = duration + k
            if earliest + length > periods:
                continue
            gates = tuple(
                Gate(sid, _spread(min(100.0, max(0.0, starts[sid] + offsets[sid] + 2 * k)), 0.05))
                for sid in gated
            )
            use_capital = capital * (0.6 + 0.4 * share)
            use_budget = budget * (0.6 + 0.4 * share)
            scope_list.append(
                Scope(
                    id=f"k{k}",
                    name=f"scope {k}",
                    benefit=_spread(benefit * (0.5 + 0.5 * share)),
                    duration=Estimate.exact(length),
                    earliest_start=earliest,
                    latest_finish=periods - 1,
                    use={"capital": _spread(use_capital), "budget": _spread(use_budget)},
                    gates=gates,
                    source="synthetic",
                )
            )
            largest_use = max(largest_use, use_capital) if k == 0 else largest_use
            if k == scopes - 1:
                capital_need += use_capital * length
                budget_need += use_budget
        measure_list.append(
            Measure(f"m{m:03d}", f"measure {m}", tuple(scope_list), source="synthetic")
        )

    capital_per_period = max(largest_use, CAPACITY_SHARE * capital_need / periods)
    overrides = {t: _spread(capital_per_period / 2) for t in range(periods) if rng.random() < 0.1}
    resources = (
        Resource(
            "capital",
            "political capital",
            ResourceKind.RENEWABLE,
            _spread(capital_per_period),
            Estimate(0.5, 0.25, 1.0),
            overrides,
            "points",
            "synthetic",
        ),
        Resource(
            "budget",
            "budget",
            ResourceKind.NONRENEWABLE,
            _spread(CAPACITY_SHARE * budget_need),
            Estimate.exact(0.0),
            {},
            "points",
            "synthetic",
        ),
    )

    levers = []
    effects = []
    for li in range(max(2, measures // 10)):
        lever_id = f"lever{li}"
        levers.append(
            Lever(
                lever_id,
                f"framing {li}",
                rng.randint(3, 8),
                0,
                periods - 1,
                {"capital": _spread(rng.uniform(0.3, 1))},
                "synthetic",
            )
        )
        for sid in rng.sample(series_ids, rng.choice([1, 2])):
            effects.append(
                Effect(
                    CauseKind.LEVER,
                    lever_id,
                    sid,
                    _spread(rng.uniform(1, 4)),
                    rng.choice([0, 1]),
                    _spread(rng.uniform(0.1, 0.5), 0.2),
                    None,
                    "synthetic",
                )
            )
    for measure in measure_list:
        if rng.random() < 0.2:
            effects.append(
                Effect(
                    CauseKind.MEASURE,
                    measure.id,
                    rng.choice(series_ids),
                    _spread(rng.uniform(1, 4)),
                    1,
                    Estimate.exact(0.0),
                    None,
                    "synthetic",
                )
            )

    dependencies = []
    for m in range(1, measures):
        for other in rng.sample(range(m), min(m, _poisson(rng, 1.5))):
            dependencies.append(
                Dependency(
                    DependencyKind.REQUIRES,
                    measure_list[m].id,
                    measure_list[other].id,
                    lag=rng.choice([0, 1]),
                    source="synthetic",
                )
            )
    problem = Problem(
        periods=labels,
        measures=tuple(measure_list),
        resources=resources,
        levers=tuple(levers),
        series=tuple(series),
        effects=tuple(effects),
        dependencies=tuple(dependencies),
        name=f"synthetic_{measures}x{scopes}x{periods}_s{seed}",
    )
    if not dynamics:
        return problem
    return _with_dynamics(problem, random.Random(f"{seed}-dynamics"))


def _with_dynamics(problem: Problem, rng: random.Random) -> Problem:
    """The five policy dynamics on top of a synthetic problem (see the module docstring)."""
    periods = problem.horizon
    measures = []
    for measure in problem.measures:
        upgrades: tuple[Upgrade, ...] = ()
        if len(measure.scopes) >= 2 and rng.random() < 0.2:
            narrow, wide = measure.scopes[0], measure.scopes[-1]
            length = 1 + rng.randint(0, 1)
            start = narrow.earliest_start + narrow.length
            if start + length <= periods:
                gates = tuple(
                    replace(
                        g, threshold=_spread(max(0.0, g.threshold.base - rng.uniform(1, 3)), 0.05)
                    )
                    for g in wide.gates
                )
                use = {r: _spread(a.base / 2) for r, a in wide.use.items()}
                upgrades = (
                    Upgrade(
                        narrow.id,
                        wide.id,
                        Estimate.exact(length),
                        start,
                        periods - 1,
                        rng.choice([0, 1]),
                        use,
                        gates,
                        "synthetic",
                    ),
                )
        renew: int | None = None
        maintain: tuple[Gate, ...] = ()
        gates = measure.scopes[0].gates if measure.scopes else ()
        if gates and rng.random() < 0.2:
            gate = gates[0]
            level = max(0.0, gate.threshold.base - rng.uniform(2, 6))
            renew, maintain = (
                rng.randint(4, 8),
                (Gate(gate.series, _spread(level, 0.05), "synthetic"),),
            )
        measures.append(replace(measure, upgrades=upgrades, renew_every=renew, maintain=maintain))
    series_ids = [s.id for s in problem.series]
    events = [
        Event(
            f"event{k}",
            f"scheduled event {k}",
            periods=(rng.randrange(periods),),
            source="synthetic",
        )
        for k in range(2)
    ]
    effects = list(problem.effects)
    for event in events:
        effects.append(
            Effect(
                CauseKind.EVENT,
                event.id,
                rng.choice(series_ids),
                _spread(rng.uniform(-5, 5)),
                0,
                _spread(rng.uniform(0.2, 0.6), 0.2),
                None,
                "synthetic",
            )
        )
    shock = Event("shock", "random shock", probability=Estimate(0.1, 0.05, 0.2), source="synthetic")
    effects.append(
        Effect(
            CauseKind.EVENT,
            shock.id,
            rng.choice(series_ids),
            _spread(rng.uniform(-4, 4)),
            0,
            Estimate.exact(0.5),
            None,
            "synthetic",
        )
    )
    crisis = Event(
        "crisis", "capital crisis", periods=(rng.randrange(periods),), source="synthetic"
    )
    capital = problem.resource_by_id["capital"].capacity.base
    shifts = (
        CapacityShift(
            crisis.id, "capital", _spread(-0.3 * capital), 0, Estimate.exact(1.0), "synthetic"
        ),
    )
    done = [m for m in measures if m.scopes]
    pairs = []
    for _ in range(max(1, len(done) // 10) if len(done) >= 2 else 0):
        first, second = rng.sample(done, 2)
        smaller = min(first.scopes[0].benefit.base, second.scopes[0].benefit.base)
        pairs.append(Substitute(first.id, second.id, _spread(smaller / 2), source="synthetic"))
    backlashes = []
    for measure in done:
        if measure.scopes[0].gates and problem.levers and rng.random() < 0.1:
            backlashes.append(
                Backlash(
                    measure.id,
                    rng.choice(problem.levers).id,
                    measure.scopes[0].gates[0].series,
                    _spread(-rng.uniform(2, 6)),
                    0,
                    _spread(rng.uniform(0.2, 0.5), 0.2),
                    source="synthetic",
                )
            )
    return replace(
        problem,
        measures=tuple(measures),
        effects=tuple(effects),
        events=(*events, shock, crisis),
        capacity_shifts=shifts,
        substitutes=tuple(pairs),
        backlashes=tuple(backlashes),
        name=problem.name + "_dynamics",
    )


def synthetic_model_file(name: str, input_name: str) -> str:
    """The TOML model file for a synthetic problem stored beside it as ``input_name``."""
    objective = SYNTHETIC_OBJECTIVE
    return (
        f"# Synthetic problem written by 'seqopt generate' (see docs/generator.md).\n"
        f'[model]\nname = "{name}"\ninput = "{input_name}"\noutput = "reports"\n\n'
        f'[objective]\nkind = "{objective.kind.value}"\n'
        f"discount_rate = {objective.discount_rate}\nterminal = {objective.terminal}\n\n"
        f'[solver]\nname = "auto"\ntime_limit = 60\ngap = 1e-6\nthreads = 1\n'
    )
