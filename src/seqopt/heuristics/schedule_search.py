"""Activity-list search: short schedules for pure scheduling problems (makespan objective).

The greedy plan of :mod:`seqopt.heuristics.greedy` is a handful of priority-rule passes.
On scheduling problems in the PSPLIB mould (every measure forced in,
finish-to-start prerequisites, renewable capacities and budgets, no support
gates or levers) its makespan is often 5-10 % above the optimum, and the
integer program is then built over a horizon that long and warm-started from
it. This module searches much further, in the way the scheduling literature
does (Hartmann 1998; Valls, Ballestin and Quintanilla 2005):

- a plan is an **activity list** (an order that respects prerequisites) and a
  **scope per measure**, turned into start periods by the serial schedule
  generation scheme (each measure, in list order, at its earliest start that
  fits prerequisites, window and capacities);
- every schedule is **justified** (forward-backward improvement: everything as
  late as possible without passing the end, then as early as possible), and the
  list is replaced by the justified order, so good timing is inherited;
- a **genetic algorithm** recombines lists (two-point crossover, which keeps
  prerequisites in order), swaps neighbours and changes scopes (only to scopes
  that keep every budget), keeping the best of parents and children.

A population that stops improving is replaced by a fresh one (the best plan
so far is kept aside). The search stops when a schedule reaches the lower
bound (critical path with the shortest scopes, or the work each resource must
carry divided by its capacity), when the best plan has not improved for
:data:`STALL` schedules, or after :data:`SCHEDULES` in all. Randomness comes from a seeded generator
and the stopping rule counts schedules, not seconds, so the same problem always
gives the same plan. The result is a starting plan and a makespan bound for the
integer program, never a claim of optimality.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from seqopt.data import DependencyKind, Force, Problem, ResourceKind
from seqopt.evaluate import TOLERANCE
from seqopt.plan import Assignment, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings

POPULATION = 40
"""Plans kept from one generation to the next."""
SCHEDULES = 3000
"""Schedules generated (each justified) before the search stops."""
STALL = 1000
"""Schedules in a row that may fail to shorten the best plan before the search stops."""
RESTART = 300
"""Schedules in a row that may fail to improve a population before a fresh one starts."""
MUTATION = 0.05
"""Chance that a measure swaps with its neighbour in the list, or changes scope."""
SEED = 0


@dataclass(frozen=True)
class _Mode:
    """One scope of a job, reduced to what scheduling needs."""

    scope: str
    length: int
    renewable: tuple[tuple[int, float], ...]
    budget: tuple[tuple[int, float], ...]
    earliest: int
    latest_finish: int


@dataclass(frozen=True)
class _Network:
    """The problem as lists indexed by job (measure), for fast schedule generation."""

    jobs: tuple[str, ...]
    modes: tuple[tuple[_Mode, ...], ...]
    before: tuple[tuple[tuple[int, int], ...], ...]
    """Prerequisites of each job: (job, lag)."""
    after: tuple[tuple[tuple[int, int], ...], ...]
    """Jobs that require each job: (job, lag)."""
    capacity: tuple[tuple[float, ...], ...]
    """Renewable capacity per resource and period."""
    budgets: tuple[float, ...]
    horizon: int


Schedule = tuple[int, list[int], list[int]]
"""Makespan, start per job, and the order the starts imply (by start period)."""
Individual = tuple[int, list[int], list[int]]
"""Makespan, activity list (justified) and scope index per job."""


def applies(problem: Problem, objective: ObjectiveSettings) -> bool:
    """Whether ``problem`` is a pure scheduling problem this search handles.

    The makespan objective; every measure forced in or out; no levers or support
    gates; only measure-to-measure ``requires`` links.
    """
    if objective.kind is not ObjectiveKind.MAKESPAN or problem.levers:
        return False
    if any(m.force is Force.FREE for m in problem.measures):
        return False
    if any(scope.gates for _, scope in problem.all_scopes()):
        return False
    return all(
        d.kind is DependencyKind.REQUIRES and d.scope is None and d.other_scope is None
        for d in problem.dependencies
    )


def search_plan(
    problem: Problem,
    objective: ObjectiveSettings,
    starts: Sequence[Plan] = (),
    schedules: int = SCHEDULES,
    seed: int = SEED,
) -> Plan | None:
    """The shortest plan the search finds, or ``None`` when it finds none.

    ``starts`` (such as the greedy plan) join the first generation. Call only
    when :func:`applies` holds; the caller checks the plan with the evaluator.
    """
    network = _network(problem)
    if network is None:
        return None
    return _Search(network, random.Random(seed), schedules).run(starts)


def _network(problem: Problem) -> _Network | None:
    """The problem as lists; ``None`` when a job has no scope that can run."""
    jobs = [m for m in problem.measures if m.force is Force.IN]
    index = {m.id: i for i, m in enumerate(jobs)}
    renewable = [r for r in problem.resources if r.kind is ResourceKind.RENEWABLE]
    nonrenewable = [r for r in problem.resources if r.kind is ResourceKind.NONRENEWABLE]
    r_index = {r.id: i for i, r in enumerate(renewable)}
    b_index = {r.id: i for i, r in enumerate(nonrenewable)}
    horizon = problem.horizon
    capacity = tuple(tuple(r.capacity_in(t) for t in range(horizon)) for r in renewable)
    most = [max(row, default=0.0) for row in capacity]
    modes: list[tuple[_Mode, ...]] = []
    for measure in jobs:
        usable = []
        for scope in measure.scopes:
            ren = tuple((r_index[k], u.base) for k, u in scope.use.items() if k in r_index)
            if any(u > most[r] + TOLERANCE for r, u in ren):
                continue
            bud = tuple((b_index[k], u.base) for k, u in scope.use.items() if k in b_index)
            usable.append(
                _Mode(
                    scope.id,
                    scope.length,
                    tuple((r, u) for r, u in ren if u > 0),
                    bud,
                    scope.earliest_start,
                    scope.latest_finish,
                )
            )
        if not usable:
            return None
        modes.append(tuple(usable))
    before: list[list[tuple[int, int]]] = [[] for _ in jobs]
    after: list[list[tuple[int, int]]] = [[] for _ in jobs]
    for dep in problem.dependencies:
        if dep.measure in index and dep.other in index:
            before[index[dep.measure]].append((index[dep.other], dep.lag))
            after[index[dep.other]].append((index[dep.measure], dep.lag))
    return _Network(
        tuple(m.id for m in jobs),
        tuple(modes),
        tuple(tuple(b) for b in before),
        tuple(tuple(a) for a in after),
        capacity,
        tuple(r.capacity.base for r in nonrenewable),
        horizon,
    )


class _Search:
    """The genetic algorithm over activity lists and scopes."""

    def __init__(self, network: _Network, rng: random.Random, schedules: int) -> None:
        self.net = network
        self.rng = rng
        self.left = schedules
        self.n = len(network.jobs)
        self.lower = _lower_bound(network)
        self.latest = _latest_finish_priority(network)

    # -- the search --------------------------------------------------------------

    def run(self, starts: Sequence[Plan]) -> Plan | None:
        """Evolve populations, starting afresh whenever one stops improving.

        Restarts keep the search from settling around one good plan (such as a
        strong greedy plan in ``starts``, which joins only the first population).
        """
        best: Individual | None = None
        since_best = 0
        seeds = starts
        modes = self._affordable_modes()
        while self.left > 0 and since_best < STALL:
            before = self.left
            pool = _Pool(self)
            self._evolve(pool, seeds, modes)
            if self.left == before:
                break  # nothing left to try (no scopes fit the budgets)
            seeds = ()
            since_best += before - self.left
            if pool.plans:
                shortest = min(pool.plans, key=lambda p: p[0])
                if best is None or shortest[0] < best[0]:
                    best, since_best = shortest, 0
            if best is not None and best[0] <= self.lower:
                break
        return self._best_plan(best)

    def _evolve(self, pool: _Pool, seeds: Sequence[Plan], modes: list[int] | None) -> None:
        """One population, from ``seeds`` and sampled lists, until it stops improving.

        ``modes`` are scopes that fit every budget (``None``: none found, so only
        the seeds are tried).
        """
        for plan in seeds:
            seeded = self._from_plan(plan)
            if seeded is not None and pool.offer(*seeded):
                return
        if modes is None:
            return
        tries = 0
        while len(pool.plans) < POPULATION and self.left > 0:
            # The first sample keeps the affordable scopes; the others vary them.
            varied = self._mutated_modes(modes, 0.5) if tries else modes
            tries += 1
            if pool.offer(self._sampled_order(), varied):
                return
        while self.left > 0 and len(pool.plans) >= 2:
            pool.plans.sort(key=lambda p: p[0])
            del pool.plans[POPULATION:]
            children = []
            for _ in range(POPULATION // 2):
                mother, father = self.rng.sample(pool.plans, 2)
                for one, other in ((mother, father), (father, mother)):
                    order, modes = self._crossover(one, other)
                    children.append((self._mutated_order(order), self._mutated_modes(modes)))
            for order, modes in children:
                if self.left <= 0 or pool.offer(order, modes):
                    return

    def _best_plan(self, best: Individual | None) -> Plan | None:
        if best is None:
            return None
        _, order, modes = best
        result = self.decode(order, modes, count=False)
        if result is None:
            return None
        _, start, _ = result
        return Plan.of(
            [
                Assignment(self.net.jobs[j], self.net.modes[j][modes[j]].scope, start[j])
                for j in range(self.n)
            ]
        )

    # -- genetic operators -------------------------------------------------------

    def _crossover(self, one: Individual, other: Individual) -> tuple[list[int], list[int]]:
        """Hartmann's two-point crossover (the order stays prerequisite-feasible)."""
        _, first, first_modes = one
        _, second, second_modes = other
        q1, q2 = sorted(self.rng.sample(range(self.n + 1), 2))
        taken = set(first[:q1])
        order = first[:q1]
        for job in second:
            if len(order) >= q2:
                break
            if job not in taken:
                order.append(job)
                taken.add(job)
        order += [job for job in first if job not in taken]
        cut = self.rng.randrange(self.n + 1)
        modes = [first_modes[j] if j < cut else second_modes[j] for j in range(self.n)]
        if not self._affordable(modes):
            modes = list(first_modes)
        return order, modes

    def _mutated_order(self, order: list[int]) -> list[int]:
        """Swap neighbours that are not linked by a prerequisite."""
        order = list(order)
        for i in range(self.n - 1):
            if self.rng.random() < MUTATION:
                a, b = order[i], order[i + 1]
                if all(j != a for j, _ in self.net.before[b]):
                    order[i], order[i + 1] = b, a
        return order

    def _mutated_modes(self, modes: list[int], chance: float = MUTATION) -> list[int]:
        """Change scopes at random, keeping only changes that fit every budget.

        A change that breaks a budget may be paid for by another measure's change
        of scope (tried in random order), so that combinations two single steps
        apart, each over budget, can still be reached.
        """
        modes = list(modes)
        for j in range(self.n):
            count = len(self.net.modes[j])
            if count > 1 and self.rng.random() < chance:
                previous = modes[j]
                modes[j] = self.rng.randrange(count)
                if not self._affordable(modes) and not self._pay_for(modes, j):
                    modes[j] = previous
        return modes

    def _pay_for(self, modes: list[int], changed: int) -> bool:
        """Change one other measure's scope so that every budget holds (in place)."""
        others = [k for k in range(self.n) if k != changed and len(self.net.modes[k]) > 1]
        self.rng.shuffle(others)
        for k in others:
            previous = modes[k]
            for m in range(len(self.net.modes[k])):
                modes[k] = m
                if m != previous and self._affordable(modes):
                    return True
            modes[k] = previous
        return False

    def _sampled_order(self) -> list[int]:
        """Regret-based biased random sampling on latest finish (Kolisch's rule)."""
        waiting = [len(b) for b in self.net.before]
        eligible = [j for j in range(self.n) if waiting[j] == 0]
        order: list[int] = []
        while eligible:
            worst = max(self.latest[j] for j in eligible)
            weights = [(worst - self.latest[j] + 1) ** 2 for j in eligible]
            pick = self.rng.choices(range(len(eligible)), weights)[0]
            job = eligible.pop(pick)
            order.append(job)
            for successor, _ in self.net.after[job]:
                waiting[successor] -= 1
                if waiting[successor] == 0:
                    eligible.append(successor)
        return order

    def _spent(self, modes: list[int]) -> list[float]:
        """How much of each budget the scopes ``modes`` spend together."""
        spent = [0.0] * len(self.net.budgets)
        for j, m in enumerate(modes):
            for b, amount in self.net.modes[j][m].budget:
                spent[b] += amount
        return spent

    def _affordable(self, modes: list[int]) -> bool:
        spent = self._spent(modes)
        return all(s <= cap + TOLERANCE for s, cap in zip(spent, self.net.budgets, strict=True))

    def _affordable_modes(self) -> list[int] | None:
        """Shortest scopes, then the cheapest where budgets are exceeded (a greedy repair)."""
        modes = [_shortest(ms) for ms in self.net.modes]
        for _ in range(4 * self.n + 1):
            if self._affordable(modes):
                return modes
            excess = self._excess(modes)
            best: tuple[float, int, int] | None = None
            for j in range(self.n):
                for m in range(len(self.net.modes[j])):
                    if m == modes[j]:
                        continue
                    trial = [*modes[:j], m, *modes[j + 1 :]]
                    saving = excess - self._excess(trial)
                    if saving <= 0:
                        continue
                    longer = self.net.modes[j][m].length - self.net.modes[j][modes[j]].length
                    score = saving / max(1, longer)
                    if best is None or score > best[0]:
                        best = (score, j, m)
            if best is None:
                return None
            modes[best[1]] = best[2]
        return None

    def _excess(self, modes: list[int]) -> float:
        """Spending beyond the budgets, each as a share of its budget."""
        spent = self._spent(modes)
        return sum(
            max(0.0, s - cap) / max(cap, 1.0)
            for s, cap in zip(spent, self.net.budgets, strict=True)
        )

    def _from_plan(self, plan: Plan) -> tuple[list[int], list[int]] | None:
        index = {job: j for j, job in enumerate(self.net.jobs)}
        chosen = {a.measure: a for a in plan.assignments}
        if set(chosen) != set(index):
            return None
        modes = []
        for j, job in enumerate(self.net.jobs):
            scopes = [m.scope for m in self.net.modes[j]]
            if chosen[job].scope not in scopes:
                return None
            modes.append(scopes.index(chosen[job].scope))
        order = sorted(range(self.n), key=lambda j: (chosen[self.net.jobs[j]].start, j))
        return order, modes

    # -- schedules ----------------------------------------------------------------

    def decode(self, order: list[int], modes: list[int], *, count: bool = True) -> Schedule | None:
        """Serial schedule generation, then forward-backward improvement.

        Returns the makespan, the starts and the justified order; ``None`` when a
        job finds no room within its window and the horizon.
        """
        if count:
            self.left -= 1
        first = self._forward(order, modes)
        if first is None:
            return None
        start: list[int] = first
        makespan = self._makespan(start, modes)
        for _ in range(10):
            finish = [start[j] + self.net.modes[j][modes[j]].length for j in range(self.n)]
            by_finish = sorted(range(self.n), key=lambda j: (-finish[j], -start[j], j))
            late = self._backward(by_finish, modes, makespan)
            if late is None:
                break
            by_start = sorted(range(self.n), key=lambda j: (late[j], j))
            early = self._forward(by_start, modes)
            if early is None:
                break
            shorter = self._makespan(early, modes)
            start = early
            if shorter >= makespan:
                break
            makespan = shorter
        justified = sorted(range(self.n), key=lambda j: (start[j], j))
        return makespan, start, justified

    def _makespan(self, start: list[int], modes: list[int]) -> int:
        return max(
            (start[j] + self.net.modes[j][modes[j]].length for j in range(self.n)), default=0
        )

    def _forward(self, order: list[int], modes: list[int]) -> list[int] | None:
        """Each job in ``order`` at its earliest start that fits."""
        net = self.net
        free = [list(row) for row in net.capacity]
        start = [0] * self.n
        for job in order:
            mode = net.modes[job][modes[job]]
            t = mode.earliest
            for other, lag in net.before[job]:
                t = max(t, start[other] + net.modes[other][modes[other]].length + lag)
            found = self._first_fit(free, mode, t, min(net.horizon, mode.latest_finish + 1))
            if found is None:
                return None
            start[job] = found
            _occupy(free, mode, found)
        return start

    def _backward(self, order: list[int], modes: list[int], end: int) -> list[int] | None:
        """Each job in ``order`` (latest finish first) at its latest start before ``end``."""
        net = self.net
        free = [list(row) for row in net.capacity]
        start = [0] * self.n
        for job in order:
            mode = net.modes[job][modes[job]]
            finish = min(end, mode.latest_finish + 1)
            for other, lag in net.after[job]:
                finish = min(finish, start[other] - lag)
            found = self._last_fit(free, mode, finish - mode.length)
            if found is None:
                return None
            start[job] = found
            _occupy(free, mode, found)
        return start

    def _first_fit(self, free: list[list[float]], mode: _Mode, t: int, end: int) -> int | None:
        """The first start from ``t`` with room for the whole job before ``end``."""
        if mode.length == 0 or not mode.renewable:
            return t if t + mode.length <= end else None
        last = _room(free, mode, range(t, end))
        return None if last is None else last - mode.length + 1

    def _last_fit(self, free: list[list[float]], mode: _Mode, t: int) -> int | None:
        """The last start at or before ``t`` (and not before the job's earliest) with room."""
        if t < mode.earliest:
            return None
        if mode.length == 0 or not mode.renewable:
            return t
        return _room(free, mode, range(t + mode.length - 1, mode.earliest - 1, -1))


def _room(free: list[list[float]], mode: _Mode, periods: range) -> int | None:
    """The period, scanning ``periods`` in order, that ends a run of ``length`` with room."""
    run = 0
    for p in periods:
        run += 1
        for r, amount in mode.renewable:
            if free[r][p] < amount - TOLERANCE:
                run = 0
                break
        if run == mode.length:
            return p
    return None


class _Pool:
    """The plans of the current generation, and when to stop."""

    def __init__(self, search: _Search) -> None:
        self.search = search
        self.plans: list[Individual] = []
        self.seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        self.shortest = search.net.horizon + 1
        self.since = 0
        """Schedules since the shortest makespan was found."""

    def offer(self, order: list[int], modes: list[int]) -> bool:
        """Schedule, justify and keep a plan; ``True`` when the search should stop.

        It stops at the lower bound, and when the population's shortest makespan
        has not improved for :data:`RESTART` schedules.
        """
        result = self.search.decode(order, modes)
        self.since += 1
        if result is None:
            return self.since >= RESTART
        makespan, _, justified = result
        key = (tuple(justified), tuple(modes))
        if key not in self.seen:
            self.seen.add(key)
            self.plans.append((makespan, justified, modes))
        if makespan < self.shortest:
            self.shortest, self.since = makespan, 0
        return makespan <= self.search.lower or self.since >= RESTART


def _shortest(modes: tuple[_Mode, ...]) -> int:
    """Index of the shortest scope (the first of equals)."""
    return min(range(len(modes)), key=lambda m: (modes[m].length, m))


def _occupy(free: list[list[float]], mode: _Mode, t: int) -> None:
    end = t + mode.length
    for r, amount in mode.renewable:
        row = free[r]
        row[t:end] = [left - amount for left in row[t:end]]


def _lower_bound(net: _Network) -> int:
    """Critical path with the shortest scopes, and each resource's least work over capacity."""
    n = len(net.jobs)
    shortest = [min(m.length for m in modes) for modes in net.modes]
    earliest = [min(m.earliest for m in modes) for modes in net.modes]
    finish = [0] * n
    for job in _topological(net):
        begin = earliest[job]
        for other, lag in net.before[job]:
            begin = max(begin, finish[other] + lag)
        finish[job] = begin + shortest[job]
    bound = max(finish, default=0)
    for r, row in enumerate(net.capacity):
        if row and min(row) == max(row) and row[0] > 0:
            work = sum(
                min(m.length * dict(m.renewable).get(r, 0.0) for m in modes) for modes in net.modes
            )
            bound = max(bound, math.ceil(work / row[0] - TOLERANCE))
    return bound


def _latest_finish_priority(net: _Network) -> list[int]:
    """Latest finish of each job from a backward critical path with the shortest scopes."""
    n = len(net.jobs)
    shortest = [min(m.length for m in modes) for modes in net.modes]
    latest = [net.horizon] * n
    for job in reversed(_topological(net)):
        for other, lag in net.after[job]:
            latest[job] = min(latest[job], latest[other] - shortest[other] - lag)
    return latest


def _topological(net: _Network) -> list[int]:
    waiting = [len(b) for b in net.before]
    ready = [j for j, w in enumerate(waiting) if w == 0]
    order: list[int] = []
    while ready:
        job = ready.pop()
        order.append(job)
        for successor, _ in net.after[job]:
            waiting[successor] -= 1
            if waiting[successor] == 0:
                ready.append(successor)
    return order
