"""A greedy plan: serial schedule generation, used to warm-start the solver.

Measures are taken one at a time, prerequisites first and then by value per
unit of the scarcest means; each gets the scope and start that add the most
value given what is already planned (capacity, budget, support), buying
lever uses when a signing lacks support. The result is checked by the
evaluator and repaired by dropping measures until it breaks no rule. It is a
starting point, never a claim of optimality.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from seqopt.data import (
    CauseKind,
    DependencyKind,
    Effect,
    Estimate,
    Force,
    Measure,
    Problem,
    ResourceKind,
    Scope,
)
from seqopt.evaluate import TOLERANCE, evaluate
from seqopt.heuristics import schedule_search
from seqopt.plan import Assignment, LeverUse, Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers.highs_arrays import ArraySink, HighsArrays


@dataclass
class _State:
    """What is planned so far, kept up to date incrementally."""

    problem: Problem
    support: dict[str, list[float]]
    load: dict[str, list[float]]
    spent: dict[str, float]
    uses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    chosen: dict[str, Assignment] = field(default_factory=dict)

    def add_effect(self, effect: Effect, begins: int, sign: float = 1.0) -> None:
        strength = sign * effect.amount.base
        retained = 1.0 - effect.decay.base
        trajectory = self.support[effect.series]
        for period in range(max(begins, 0), self.problem.horizon):
            trajectory[period] += strength
            strength *= retained


SAMPLES = 8
"""Randomised passes (seeded, so results repeat) on top of the fixed priority rules."""


def greedy_plan(problem: Problem, objective: ObjectiveSettings) -> Plan:
    """Return the best plan of several greedy passes that breaks no rule.

    Each pass is a serial schedule generation under one priority rule; the
    rules are fixed (value density for the value objective; latest finish,
    most successors and input order for the makespan) plus a few seeded random
    perturbations of the first. On pure scheduling problems with the makespan
    objective the best of them then seeds the activity-list search of
    :mod:`seqopt.schedule_search`, which usually finds a much shorter plan.
    The plan may be empty when nothing fits.
    """
    maximise = objective.kind is ObjectiveKind.VALUE
    best: tuple[float, Plan] | None = None
    modes = affordable_scopes(problem)
    passes: list[tuple[Priority, Mapping[str, str] | None]]
    passes = [(rule, None) for rule in _rules(problem, objective)]
    if modes is not None:
        # Several budgets are a knapsack the pass-by-pass reserve cannot always solve: also
        # run every rule with scopes fixed to a choice known to fit them all.
        passes += [(rule, modes) for rule in _rules(problem, objective)]
    for rule, fixed in passes:
        plan = _repair(problem, objective, _Greedy(problem, objective, rule, fixed).run())
        if not maximise:
            plan = justify(problem, objective, plan)
        result = evaluate(problem, plan, objective, sources=False)
        if not result.feasible:
            continue
        score = result.objective if maximise else -result.objective
        if best is None or score > best[0] + 1e-9:
            best = (score, plan)
    if schedule_search.applies(problem, objective):
        best = _searched(problem, objective, best)
    return best[1] if best is not None else Plan()


def _searched(
    problem: Problem, objective: ObjectiveSettings, best: tuple[float, Plan] | None
) -> tuple[float, Plan] | None:
    """The better of ``best`` (score, plan) and what the activity-list search finds from it."""
    found = schedule_search.search_plan(problem, objective, [best[1]] if best else [])
    if found is None:
        return best
    result = evaluate(problem, found, objective, sources=False)
    if result.feasible and (best is None or -result.objective > best[0]):
        return (-result.objective, result.plan)
    return best


Priority = Callable[[Measure], float]


def _rules(problem: Problem, objective: ObjectiveSettings) -> list[Priority]:
    rng = random.Random(0)
    if objective.kind is ObjectiveKind.VALUE:
        density = _Greedy(problem, objective, lambda m: 0.0).value_density
        noise = {
            m.id: [rng.uniform(0.8, 1.2) for _ in range(SAMPLES // 2)] for m in problem.measures
        }
        rules: list[Priority] = [density]
        rules += [_perturbed(density, noise, k, scale=True) for k in range(SAMPLES // 2)]
        return rules
    finish = _latest_finish(problem)
    successors = _successor_counts(problem)
    order = {m.id: i for i, m in enumerate(problem.measures)}
    spread = max(1.0, 0.1 * max(finish.values(), default=1))
    noise = {m.id: [rng.uniform(0, spread) for _ in range(SAMPLES)] for m in problem.measures}
    rules = [
        lambda m: -finish[m.id],
        lambda m: successors[m.id] - 1e-3 * finish[m.id],
        lambda m: -order[m.id],
    ]
    latest_first: Priority = rules[0]
    rules += [_perturbed(latest_first, noise, k, scale=False) for k in range(SAMPLES)]
    return rules


def _perturbed(rule: Priority, noise: dict[str, list[float]], k: int, *, scale: bool) -> Priority:
    """The rule with the ``k``-th draw of noise applied (multiplied or subtracted)."""

    def priority(measure: Measure) -> float:
        if scale:
            return rule(measure) * noise[measure.id][k]
        return rule(measure) - noise[measure.id][k]

    return priority


def _requires(problem: Problem) -> list[tuple[str, str, int]]:
    return [
        (d.measure, d.other, d.lag)
        for d in problem.dependencies
        if d.kind is DependencyKind.REQUIRES
    ]


def _latest_finish(problem: Problem) -> dict[str, float]:
    """Latest finish by a backward pass over prerequisites, with each measure's shortest scope."""
    shortest = {m.id: min((s.length for s in m.scopes), default=0) for m in problem.measures}
    horizon = float(sum(max((s.length for s in m.scopes), default=0) for m in problem.measures))
    finish = {m.id: horizon for m in problem.measures}
    links = _requires(problem)
    for _ in range(len(problem.measures)):
        changed = False
        for later, earlier, lag in links:
            limit = finish[later] - shortest[later] - lag
            if limit < finish[earlier]:
                finish[earlier], changed = limit, True
        if not changed:
            break
    return finish


def _successor_counts(problem: Problem) -> dict[str, int]:
    """How many measures depend on each, directly or not."""
    dependents: dict[str, set[str]] = defaultdict(set)
    for later, earlier, _ in _requires(problem):
        dependents[earlier].add(later)
    counts = {}
    for measure in problem.measures:
        seen: set[str] = set()
        stack = [measure.id]
        while stack:
            for nxt in dependents[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        counts[measure.id] = len(seen)
    return counts


class _Greedy:
    def __init__(
        self,
        problem: Problem,
        objective: ObjectiveSettings,
        priority: Priority,
        fixed: Mapping[str, str] | None = None,
    ) -> None:
        self.problem = problem
        self.objective = objective
        self.priority = priority
        self.fixed = fixed or {}
        self.horizon = problem.horizon
        self.weights = [objective.discount(t) for t in range(self.horizon)]
        self.terminal = objective.terminal_weight(self.horizon)
        self.suffix = [sum(self.weights[t:]) for t in range(self.horizon + 1)]
        self.effects: dict[tuple[CauseKind, str], list[Effect]] = defaultdict(list)
        for effect in problem.effects:
            self.effects[(effect.cause_kind, effect.cause)].append(effect)
        self.state = _State(
            problem,
            support={s.id: [v.base for v in s.baseline] for s in problem.series},
            load={r.id: [0.0] * self.horizon for r in problem.resources},
            spent={r.id: 0.0 for r in problem.resources},
        )
        self.makespan = objective.kind is ObjectiveKind.MAKESPAN
        # Budget kept back for forced measures not placed yet: their cheapest scope.
        self.reserve: dict[str, float] = defaultdict(float)
        self.least: dict[str, dict[str, float]] = {}
        for measure in problem.measures:
            if measure.force is Force.IN:
                self.least[measure.id] = {
                    r.id: min((s.use[r.id].base if r.id in s.use else 0.0) for s in measure.scopes)
                    for r in problem.resources
                    if r.kind is ResourceKind.NONRENEWABLE and measure.scopes
                }
                for resource_id, amount in self.least[measure.id].items():
                    self.reserve[resource_id] += amount

    # -- order ---------------------------------------------------------------------

    def _wanted(self) -> set[str]:
        """Measures worth trying: all, or for a makespan the forced ones and what they need."""
        if not self.makespan:
            return {m.id for m in self.problem.measures if m.force is not Force.OUT}
        wanted = {m.id for m in self.problem.measures if m.force is Force.IN}
        grew = True
        while grew:
            grew = False
            for dep in self.problem.dependencies:
                needed = dep.kind is DependencyKind.REQUIRES and dep.measure in wanted
                if needed and dep.other not in wanted:
                    wanted.add(dep.other)
                    grew = True
        return wanted

    def value_density(self, measure: Measure) -> float:
        """Best value per unit of the scarcest means, over the measure's scopes."""
        best = 0.0
        for scope in measure.scopes:
            demand = 1.0 + sum(
                self._share(rid, u.base) * (scope.length if self._renewable(rid) else 1)
                for rid, u in scope.use.items()
            )
            best = max(best, self._value(scope, scope.earliest_start) / demand)
        return best

    def _share(self, resource_id: str, amount: float) -> float:
        resource = self.problem.resource_by_id[resource_id]
        return amount / resource.capacity.base if resource.capacity.base > 0 else amount

    def _renewable(self, resource_id: str) -> bool:
        return self.problem.resource_by_id[resource_id].kind is ResourceKind.RENEWABLE

    def run(self) -> Plan:
        wanted = self._wanted()
        needs: dict[str, set[str]] = defaultdict(set)
        for dep in self.problem.dependencies:
            if dep.kind is DependencyKind.REQUIRES:
                needs[dep.measure].add(dep.other)
        decided: set[str] = set()
        pending = sorted(
            (m for m in self.problem.measures if m.id in wanted),
            key=lambda m: (m.force is not Force.IN, -self.priority(m)),
        )
        while pending:
            ready = next(
                (m for m in pending if needs[m.id] <= decided | (needs[m.id] - wanted)), None
            )
            if ready is None:
                ready = pending[0]  # a cycle cannot occur in a valid problem; be safe anyway
            pending.remove(ready)
            decided.add(ready.id)
            self._place(ready)
        uses = [LeverUse(lid, t) for lid, periods in self.state.uses.items() for t in periods]
        return Plan.of(self.state.chosen.values(), uses)

    # -- placing one measure -------------------------------------------------------

    def _value(self, scope: Scope, start: int) -> float:
        in_force = start + scope.length
        benefit = scope.benefit.base * (self.suffix[in_force] + self.terminal)
        cost = 0.0
        for resource_id, amount in scope.use.items():
            price = self.problem.resource_by_id[resource_id].price.base
            if self._renewable(resource_id):
                cost += price * amount.base * sum(self.weights[start:in_force])
            else:
                cost += price * amount.base * self.weights[start]
        return benefit - cost

    def _ceiling(self, scope: Scope, start: int) -> float:
        """Most a start can be worth: its benefit, free of cost (falls as the start moves later)."""
        return scope.benefit.base * (self.suffix[start + scope.length] + self.terminal)

    def _place(self, measure: Measure) -> None:
        for resource_id, amount in self.least.get(measure.id, {}).items():
            self.reserve[resource_id] -= amount  # this measure's own need is checked directly
        best: tuple[float, Scope, int, list[LeverUse]] | None = None
        for scope in measure.scopes:
            if measure.id in self.fixed and scope.id != self.fixed[measure.id]:
                continue
            for start in range(scope.earliest_start, scope.latest_finish - scope.length + 2):
                if (
                    not self.makespan
                    and best is not None
                    and self._ceiling(scope, start) <= best[0]
                ):
                    break  # later starts earn less: none can beat the best found
                if not self._allowed(measure, scope, start):
                    continue
                levers = self._levers_for(scope, start)
                if levers is None:
                    continue
                if self.makespan:
                    score = -float(start + scope.length) - 1e-6 * len(levers)
                else:
                    score = self._value(scope, start) - self._lever_cost(levers)
                if best is None or score > best[0] + 1e-12:
                    best = (score, scope, start, levers)
                if self.makespan:
                    break  # the earliest feasible start of a scope finishes first
        if best is None:
            return
        score, scope, start, levers = best
        if score <= 0 and measure.force is not Force.IN and not self.makespan:
            return
        self._commit(measure, scope, start, levers)

    def _allowed(self, measure: Measure, scope: Scope, start: int) -> bool:
        for dep in self.problem.dependencies:
            if dep.measure == measure.id and dep.scope in (None, scope.id):
                other = self.state.chosen.get(dep.other)
                matches = other is not None and dep.other_scope in (None, other.scope)
                if dep.kind is DependencyKind.REQUIRES:
                    if other is None or not matches:
                        return False
                    in_force = other.start + self.problem.scope(other.measure, other.scope).length
                    if start < in_force + dep.lag:
                        return False
                elif dep.kind is DependencyKind.EXCLUDES and matches:
                    return False
            if dep.kind is DependencyKind.EXCLUDES and dep.other == measure.id:
                mine = self.state.chosen.get(dep.measure)
                if (
                    mine is not None
                    and dep.other_scope in (None, scope.id)
                    and dep.scope
                    in (
                        None,
                        mine.scope,
                    )
                ):
                    return False
        return self._fits(scope.use, range(start, start + scope.length))

    def _fits(self, use: Mapping[str, Estimate], periods: range) -> bool:
        for resource_id, amount in use.items():
            resource = self.problem.resource_by_id[resource_id]
            if resource.kind is ResourceKind.NONRENEWABLE:
                used = self.state.spent[resource_id] + amount.base + self.reserve[resource_id]
                if used > resource.capacity.base + TOLERANCE:
                    return False
                continue
            load = self.state.load[resource_id]
            if any(load[t] + amount.base > resource.capacity_in(t) + TOLERANCE for t in periods):
                return False
        return True

    def _levers_for(self, scope: Scope, start: int) -> list[LeverUse] | None:
        """Lever uses to add so that every gate holds at signing; ``None`` if out of reach."""
        signing = start + scope.length - 1
        added: list[LeverUse] = []
        extra: dict[str, float] = defaultdict(float)
        for gate in scope.gates:
            missing = gate.threshold.base - self.state.support[gate.series][signing]
            missing -= extra[gate.series]
            while missing > TOLERANCE:
                pick = self._best_lever(gate.series, signing, scope, start, added)
                if pick is None:
                    return None
                use, gains = pick
                added.append(use)
                for series_id, gain in gains.items():
                    extra[series_id] += gain
                missing -= gains[gate.series]
        return added

    def _best_lever(
        self, series_id: str, signing: int, scope: Scope, start: int, added: list[LeverUse]
    ) -> tuple[LeverUse, dict[str, float]] | None:
        best: tuple[float, LeverUse, dict[str, float]] | None = None
        for lever in self.problem.levers:
            effects = self.effects[(CauseKind.LEVER, lever.id)]
            if not any(e.series == series_id for e in effects):
                continue
            taken = self.state.uses[lever.id] | {u.period for u in added if u.lever == lever.id}
            if len(taken) >= lever.max_uses:
                continue
            for period in range(lever.earliest, min(lever.latest, signing) + 1):
                if period in taken or not self._lever_fits(lever.id, period, scope, start, added):
                    continue
                gains: dict[str, float] = defaultdict(float)
                for e in effects:
                    if period + e.delay <= signing:
                        gains[e.series] += e.amount.base * (1 - e.decay.base) ** (
                            signing - period - e.delay
                        )
                if gains[series_id] <= TOLERANCE:
                    continue
                cost = self._lever_cost([LeverUse(lever.id, period)])
                score = gains[series_id] / (cost + 1e-3)
                if best is None or score > best[0]:
                    best = (score, LeverUse(lever.id, period), dict(gains))
        return None if best is None else (best[1], best[2])

    def _lever_fits(
        self, lever_id: str, period: int, scope: Scope, start: int, added: list[LeverUse]
    ) -> bool:
        """Whether one more use fits beside the planned load, the scope's own use and ``added``."""
        negotiating = range(start, start + scope.length)
        for resource_id, amount in self.problem.lever_by_id[lever_id].use.items():
            resource = self.problem.resource_by_id[resource_id]
            renewable = resource.kind is ResourceKind.RENEWABLE
            own = scope.use.get(resource_id)
            used = amount.base + sum(
                self.problem.lever_by_id[u.lever].use[resource_id].base
                for u in added
                if resource_id in self.problem.lever_by_id[u.lever].use
                and (u.period == period or not renewable)
            )
            if renewable:
                used += self.state.load[resource_id][period]
                used += own.base if own is not None and period in negotiating else 0.0
                limit = resource.capacity_in(period)
            else:
                used += self.state.spent[resource_id] + (own.base if own is not None else 0.0)
                limit = resource.capacity.base
            if used > limit + TOLERANCE:
                return False
        return True

    def _lever_cost(self, uses: list[LeverUse]) -> float:
        cost = 0.0
        for use in uses:
            for resource_id, amount in self.problem.lever_by_id[use.lever].use.items():
                price = self.problem.resource_by_id[resource_id].price.base
                cost += price * amount.base * self.weights[use.period]
        return cost

    def _commit(self, measure: Measure, scope: Scope, start: int, levers: list[LeverUse]) -> None:
        state = self.state
        state.chosen[measure.id] = Assignment(measure.id, scope.id, start)
        for resource_id, amount in scope.use.items():
            if self._renewable(resource_id):
                for t in range(start, start + scope.length):
                    state.load[resource_id][t] += amount.base
            else:
                state.spent[resource_id] += amount.base
        for use in levers:
            state.uses[use.lever].add(use.period)
            for resource_id, amount in self.problem.lever_by_id[use.lever].use.items():
                if self._renewable(resource_id):
                    state.load[resource_id][use.period] += amount.base
                else:
                    state.spent[resource_id] += amount.base
            for effect in self.effects[(CauseKind.LEVER, use.lever)]:
                state.add_effect(effect, use.period + effect.delay)
        for effect in self.effects[(CauseKind.MEASURE, measure.id)]:
            if effect.cause_scope in (None, scope.id):
                state.add_effect(effect, start + scope.length + effect.delay)


def _repair(problem: Problem, objective: ObjectiveSettings, plan: Plan) -> Plan:
    """Drop what breaks a rule until nothing does, then drop lever uses that do not pay."""
    for _ in range(len(plan.assignments) + 1):
        result = evaluate(problem, plan, objective, sources=False)
        if result.feasible:
            break
        culprits = {v.subject for v in result.violations}
        kept = [a for a in plan.assignments if a.measure not in culprits]
        if len(kept) == len(plan.assignments):
            return Plan()
        plan = Plan.of(kept, plan.lever_uses)
    else:
        return Plan()
    best = evaluate(problem, plan, objective, sources=False)
    better = max if objective.kind is ObjectiveKind.VALUE else min
    for use in list(plan.lever_uses):
        trial = Plan.of(plan.assignments, [u for u in plan.lever_uses if u != use])
        result = evaluate(problem, trial, objective, sources=False)
        if result.feasible and better(result.objective, best.objective) == result.objective:
            plan, best = trial, result
    return plan if best.feasible else Plan()


def justify(problem: Problem, objective: ObjectiveSettings, plan: Plan) -> Plan:
    """Forward-backward improvement of a makespan plan, scopes kept.

    Alternately shift every measure as late as it can go without delaying the
    end (latest finish first), then as early as it can go (earliest start
    first), while prerequisites, windows and renewable capacities hold. Each
    round can only shorten the plan; it stops when a round gains nothing. Only
    for problems without support gates or levers, where timing has no other effect.
    """
    if problem.levers or any(scope.gates for _, scope in problem.all_scopes()):
        return plan
    best = evaluate(problem, plan, objective, sources=False)
    if not best.feasible or not plan.assignments:
        return plan
    for _ in range(20):
        late = _shift(problem, best.plan, best.makespan, backward=True)
        early = _shift(problem, late, best.makespan, backward=False)
        result = evaluate(problem, early, objective, sources=False)
        if not result.feasible or result.makespan >= best.makespan:
            break
        best = result
    return best.plan


def _shift(problem: Problem, plan: Plan, end: int, *, backward: bool) -> Plan:
    """Place every measure as late (``backward``) or as early as possible, one by one."""
    length = {a.measure: problem.scope(a.measure, a.scope).length for a in plan.assignments}
    start = {a.measure: a.start for a in plan.assignments}
    links = [(x, y, lag) for x, y, lag in _requires(problem) if x in start and y in start]
    load = {
        r.id: [0.0] * problem.horizon for r in problem.resources if r.kind is ResourceKind.RENEWABLE
    }
    if backward:
        order = sorted(plan.assignments, key=lambda a: -(a.start + length[a.measure]))
    else:
        order = sorted(plan.assignments, key=lambda a: a.start)
    placed: dict[str, int] = {}
    for a in order:
        scope = problem.scope(a.measure, a.scope)
        d = length[a.measure]
        if backward:
            latest = min(scope.latest_finish - d + 1, end - d)
            for later, earlier, lag in links:
                if earlier == a.measure and later in placed:
                    latest = min(latest, placed[later] - lag - d)
            candidates = range(latest, scope.earliest_start - 1, -1)
        else:
            earliest = scope.earliest_start
            for later, earlier, lag in links:
                if later == a.measure and earlier in placed:
                    earliest = max(earliest, placed[earlier] + length[earlier] + lag)
            candidates = range(earliest, scope.latest_finish - d + 2)
        for t in candidates:
            if all(
                load[rid][p] + use.base <= problem.resource_by_id[rid].capacity_in(p) + TOLERANCE
                for rid, use in scope.use.items()
                if rid in load
                for p in range(t, t + d)
            ):
                placed[a.measure] = t
                for rid, use in scope.use.items():
                    if rid in load:
                        for p in range(t, t + d):
                            load[rid][p] += use.base
                break
        else:
            placed[a.measure] = start[a.measure]  # no room found: keep it (evaluation will say)
    return Plan.of(
        [Assignment(a.measure, a.scope, placed[a.measure]) for a in plan.assignments],
        plan.lever_uses,
    )


def affordable_scopes(problem: Problem) -> dict[str, str] | None:
    """A scope for every forced measure that fits every budget together, or ``None``.

    Several budgets make choosing scopes a multi-dimensional knapsack, which a
    pass-by-pass greedy can get wrong (it spends one budget early and finds no
    scope left for a later measure). A tiny integer program (HiGHS) picks one scope per
    forced measure, within every budget, with the least total duration. Only
    when there are budgets (nonrenewable resources) and forced measures.
    """
    budgets = [r for r in problem.resources if r.kind is ResourceKind.NONRENEWABLE]
    forced = [m for m in problem.measures if m.force is Force.IN and m.scopes]
    if not budgets or not forced:
        return None
    forced = [
        replace(m, scopes=tuple(s for s in m.scopes if executable(problem, s))) for m in forced
    ]
    if any(not m.scopes for m in forced):
        return None
    sink = ArraySink()
    pick = {
        (m.id, s.id): sink.variable(f"pick_{i}_{j}", binary=True)
        for i, m in enumerate(forced)
        for j, s in enumerate(m.scopes)
    }
    for i, m in enumerate(forced):
        sink.row([(pick[(m.id, s.id)], 1.0) for s in m.scopes], "==", 1, f"one_{i}")
    for k, r in enumerate(budgets):
        spend = [
            (pick[(m.id, s.id)], s.use[r.id].base)
            for m in forced
            for s in m.scopes
            if r.id in s.use
        ]
        sink.row(spend, "<=", r.capacity.base, f"budget_{k}")
    shortest = [(pick[(m.id, s.id)], float(s.length)) for m in forced for s in m.scopes]
    settings = SolverSettings(time_limit=2.0)
    answer = HighsArrays().solve(sink, shortest, False, settings, False, [])
    values = answer.values
    if not answer.has_solution or values is None:
        return None
    return {m.id: s.id for m in forced for s in m.scopes if values(pick[(m.id, s.id)]) > 0.5}


def executable(problem: Problem, scope: Scope) -> bool:
    """Whether a scope's renewable use fits the resource's largest capacity in any period."""
    for resource_id, amount in scope.use.items():
        resource = problem.resource_by_id[resource_id]
        if resource.kind is ResourceKind.RENEWABLE:
            most = max(resource.capacity_in(t) for t in range(problem.horizon))
            if amount.base > most + TOLERANCE:
                return False
    return True
