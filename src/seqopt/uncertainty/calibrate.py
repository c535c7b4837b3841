"""Choose a reliable plan: programs on more and more scenarios, each checked on fresh ones.

A plan chosen to go through in a share ``r`` of a sample fits that sample: on
the reference model, the plan proven optimal on 20 scenarios at 90 % goes
through in 63 % of fresh ones (``docs/uncertainty.md``). So a reliability asked
for is a share of *fresh* scenarios, and a plan reaches it through a ladder (the
scenario approach of Calafiore and Campi, with the sample size calibrated on
fresh scenarios as Pagnoncelli, Ahmed and Shapiro do for sample average
approximation): on rung ``n`` the plan must break no rule in the first ``n``
scenarios of its sample (or, for gates with a reliability of their own and no
overall one, clear those gates there), ``n`` = 1, 2, 4, ... up to the sample's
size; each rung's plan is proven optimal on its ``n`` scenarios
(:func:`seqopt.uncertainty.chance.chance_plan`) and scored on the fresh ones, and
the first rung that reaches every target gives the plan.

Rungs form two chains (:func:`climb`); each starts from the scenarios its
chain's previous rung needed (``known`` of
:func:`seqopt.uncertainty.chance.chance_plan`). Every ladder climbs the same
rungs from ``n = 1`` (the small ones take seconds), so the plan ``seqopt solve``
records for a reliability is the one ``seqopt frontier`` shows for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from seqopt.data import Problem
from seqopt.plan import Plan
from seqopt.settings import ObjectiveSettings, SolverSettings
from seqopt.solvers.result import Status
from seqopt.uncertainty.batch import BatchScore, Scorer
from seqopt.uncertainty.chance import Chance, chance_plan
from seqopt.uncertainty.chance_model import Targets
from seqopt.uncertainty.reliability import GateKey
from seqopt.uncertainty.sampling import Samples
from seqopt.uncertainty.scenarios import map_tasks


@dataclass(frozen=True)
class Rung:
    """A plan chosen on the first ``count`` scenarios of the sample, scored on fresh ones."""

    count: int
    chance: Chance
    fresh: float
    """Share of the fresh scenarios in which the plan goes through unchanged."""
    cleared: Mapping[GateKey, float]
    """Share of the fresh scenarios in which each gate with a target is cleared."""

    @property
    def plan(self) -> Plan | None:
        """The rung's plan."""
        return self.chance.plan

    def reaches(self, goal: Targets) -> bool:
        """Whether the plan reaches ``goal`` on the fresh scenarios."""
        if self.chance.plan is None:
            return False
        if self.fresh < goal.level - 1e-12:
            return False
        return all(self.cleared.get(g, 1.0) >= level - 1e-12 for g, level in goal.gates.items())


@dataclass(frozen=True)
class Ladder:
    """What every rung needs: the problems, the samples, the settings and the targets."""

    base: Problem
    """The problem the plan must meet outright (perhaps with a margin at every gate)."""
    truth: Problem
    """The problem the scenarios are drawn from."""
    objective: ObjectiveSettings
    settings: SolverSettings
    sample: Samples
    fresh: Samples
    goal: Targets
    """The targets on fresh scenarios."""

    @property
    def in_sample(self) -> Targets:
        """What a rung asks on its ``n`` scenarios: hold in all (or clear the gates in all)."""
        if self.goal.level > 0:
            return Targets(1.0, {})
        return Targets(0.0, {gate: 1.0 for gate in self.goal.gates})


def sizes(limit: int) -> list[int]:
    """The rungs: 1, 2, 4, ... and ``limit`` itself."""
    found = []
    n = 1
    while n < limit:
        found.append(n)
        n *= 2
    return [*found, limit]


def climb(
    ladder: Ladder,
    rungs: Sequence[int],
    stop: Callable[[Rung], bool] = lambda _: False,
    *,
    workers: int = 1,
) -> list[Rung]:
    """The rungs in order of size, until one ``stop`` accepts or a rung is not proven.

    Every other rung forms a chain (1, 4, 16, ... and 2, 8, 32, ...) in which each
    rung starts from the scenarios the previous one needed; with two workers the
    chains run side by side. A chain stops at its first rung ``stop`` accepts;
    rungs larger than the first accepted are dropped, so the answer is the same
    however the chains ran.
    """
    chains = [list(rungs[0::2]), list(rungs[1::2])]
    chains = [chain for chain in chains if chain]
    if workers > 1 and len(chains) > 1:
        found = map_tasks(_climb_chain, (ladder, stop), chains, workers=len(chains))
    else:
        found = _interleaved(ladder, chains, stop)
    ordered = sorted((rung for chain in found for rung in chain), key=lambda r: r.count)
    kept: list[Rung] = []
    for rung in ordered:
        kept.append(rung)
        if rung.chance.status is not Status.OPTIMAL or stop(rung):
            break
    return kept


def _interleaved(
    ladder: Ladder, chains: list[list[int]], stop: Callable[[Rung], bool]
) -> list[list[Rung]]:
    """Both chains in one process, rung by rung in order of size (stopping at the first)."""
    fresh = Scorer(ladder.truth, ladder.objective, ladder.fresh)
    known: list[Chance | None] = [None] * len(chains)
    found: list[list[Rung]] = [[] for _ in chains]
    for count in sorted(n for chain in chains for n in chain):
        which = next(i for i, chain in enumerate(chains) if count in chain)
        rung = _rung(ladder, count, known[which], fresh)
        found[which].append(rung)
        if rung.chance.status is not Status.OPTIMAL or stop(rung):
            break
        known[which] = rung.chance
    return found


def _climb_chain(shared: tuple[Ladder, Callable[[Rung], bool]], chain: list[int]) -> list[Rung]:
    ladder, stop = shared
    fresh = Scorer(ladder.truth, ladder.objective, ladder.fresh)
    found: list[Rung] = []
    known: Chance | None = None
    for count in chain:
        rung = _rung(ladder, count, known, fresh)
        found.append(rung)
        if rung.chance.status is not Status.OPTIMAL or stop(rung):
            break
        known = rung.chance
    return found


def _rung(ladder: Ladder, count: int, known: Chance | None, fresh: Scorer) -> Rung:
    """The plan on the first ``count`` scenarios (from ``known``, its chain's last rung), scored."""
    rows = Samples(ladder.sample.paths, ladder.sample.values[:count], ladder.sample.seed)
    chance = chance_plan(
        ladder.base,
        ladder.truth,
        rows,
        ladder.objective,
        ladder.settings,
        ladder.in_sample,
        known=known,
    )
    if chance.plan is None:
        return Rung(count, chance, 0.0, {})
    score = fresh.score(chance.plan)
    return Rung(count, chance, score.reliability, cleared(score, ladder.goal))


def cleared(score: BatchScore, goal: Targets) -> dict[GateKey, float]:
    """Share of scenarios in which each gate of ``goal`` is cleared (1 when it is not signed)."""
    found = {}
    for gate in score.gates:
        key = (gate.measure, gate.scope, gate.series)
        if not gate.widening and key in goal.gates:
            found[key] = float(gate.cleared.mean()) if score.count else 1.0
    return found


def first_reaching(ladder: Ladder, limit: int, *, workers: int = 1) -> list[Rung]:
    """Climb until a rung reaches the targets; every rung tried, in order.

    The last rung is the one reaching the targets, or the last one tried when none
    does (the sample is exhausted, or a rung was not proven optimal in time).
    """
    return climb(ladder, sizes(limit), Reaches(ladder.goal), workers=workers)


def recorded(rungs: Sequence[Rung], goal: Targets) -> Rung | None:
    """The rung whose plan is recorded for ``goal``: the first reaching it, else the most reliable.

    When no rung reaches the goal, a larger rung is not always more reliable on fresh
    scenarios (a rung not proven in time holds a plan the program merely found), so
    the plan recorded is the one short of the goal by least: the shortfall of the
    joint share plus that of each gate with a target, then the higher share, then the
    smaller rung (the higher value).
    """
    planned = [rung for rung in rungs if rung.plan is not None]
    reaching = [rung for rung in planned if rung.reaches(goal)]
    if reaching:
        return reaching[0]
    if not planned:
        return rungs[-1] if rungs else None

    def shortfall(rung: Rung) -> float:
        gates = sum(
            max(0.0, level - rung.cleared.get(gate, 1.0)) for gate, level in goal.gates.items()
        )
        return max(0.0, goal.level - rung.fresh) + gates

    return min(planned, key=lambda rung: (shortfall(rung), -rung.fresh, rung.count))


@dataclass(frozen=True)
class Reaches:
    """Whether a rung reaches ``goal`` (a stopping rule that can be sent to a worker)."""

    goal: Targets

    def __call__(self, rung: Rung) -> bool:
        """Whether ``rung`` reaches the goal."""
        return rung.reaches(self.goal)
