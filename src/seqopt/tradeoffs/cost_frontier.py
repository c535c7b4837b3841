r"""The exact frontier of discounted benefit against political cost, by an epsilon-constraint sweep.

A plan's *benefit* is the discounted benefit of what it puts in force (net of
what substitutes count twice, less what lapses lose), and its *cost* the
political capital and other priced resources it spends (every negotiation,
widening and lever use), at the prices the value objective uses: value =
benefit - discounted cost, as the evaluator counts them. By default cost is
the capital spent with every period counted alike; with ``discounted`` it is
the discounted price the objective subtracts, so that a measure signed a
quarter later costs a little less, and every such shift is a point of its own
(on the reference model, hundreds of points a few thousandths apart).

The sweep finds every non-dominated (cost, benefit) pair, from the dearest:

1. *Most benefit within the budget*: maximise benefit subject to cost
   :math:`\le \varepsilon` (first :math:`\varepsilon = \infty`).
2. *Least cost for that benefit*: minimise cost subject to benefit
   :math:`\ge B^* - \tau` and cost :math:`\le \varepsilon`, so that no point
   recorded is dominated by a cheaper plan of the same benefit.
3. Record the point, set :math:`\varepsilon` just below its cost and go back
   to 1, until no plan fits the budget (proven infeasible).

Each program is solved to a zero gap; a point is *proven* when both of its
programs are (a point not proven may be dominated by one the sweep missed, and
says so). Unlike maximising a weighted sum :math:`B - wC` for a range of
weights, the sweep also finds the *unsupported* points, which lie below the
concave hull of the others: no weight makes them best, yet no plan beats them
on both counts. Each point says whether it is supported.

Costs within :data:`COST_STEP` (relative) of one another count as one point:
the budget must drop by more than the solvers' feasibility tolerances for the
sweep to move on.

Warm starts: the plan of the previous point costs more than the tighter budget
allows, so it cannot be a start; instead it is thinned, one measure, widening
or lever use at a time (the one giving up least benefit per unit of cost
saved), until it fits the budget and breaks no rule (:func:`thinned`). The
second program of each point starts from the first one's plan, which fits it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

from seqopt.data import Problem
from seqopt.evaluate import Evaluation, evaluate
from seqopt.milp import Built, Sink, Term, build_with_cost_into
from seqopt.plan import Plan
from seqopt.settings import ObjectiveKind, ObjectiveSettings, SolverSettings
from seqopt.solvers.backend import Request, run_milp
from seqopt.solvers.engines import milp_backend
from seqopt.solvers.result import AGREEMENT, PlanRejected, Run, Status
from seqopt.tradeoffs.knee import knee_index

COST_STEP = 1e-5
"""Relative step below a point's cost for the next budget (and at least this, absolute)."""

BENEFIT_SLACK = 1e-7
"""Relative slack on the benefit floor of the least-cost program (solver tolerances)."""

MAX_POINTS = 10_000
"""A guard: the sweep stops (and says so) after this many points."""


@dataclass(frozen=True)
class CostPoint:
    """One point of the frontier: the plan with the most benefit for its cost."""

    plan: Plan
    benefit: float
    """Discounted benefit, net of overlap and lapses (the evaluator's)."""
    cost: float
    """Political cost as the frontier counts it: capital spent, or its discounted price."""
    value: float
    """Net value: benefit less the discounted cost (the value objective; the evaluator's)."""
    budget: float
    """The cost limit this point was found under (``inf`` for the first)."""
    status: Status
    """``optimal`` when both programs of the point were proven, else ``feasible``."""
    bound: float | None
    """The most benefit any plan within ``budget`` can have (the first program's bound)."""
    supported: bool = True
    """Whether some weighted sum benefit - w·cost (w >= 0) has this point as its best."""
    seconds: float = 0.0

    @property
    def proven(self) -> bool:
        """Whether the point is proven to be on the frontier."""
        return self.status is Status.OPTIMAL


@dataclass(frozen=True)
class CostFrontier:
    """Every point found, from the cheapest to the dearest, and how the sweep ended."""

    points: tuple[CostPoint, ...]
    discounted: bool
    """Whether cost is the discounted price the objective subtracts (else capital spent)."""
    complete: bool
    """Whether the sweep ended on a budget proven to admit no plan."""
    ended: str
    """Why the sweep stopped, in words."""
    solves: int
    seconds: float
    dropped: int = 0
    """Points found but dominated by another (only possible when one was not proven)."""

    @property
    def knee(self) -> int | None:
        """Index of the point where benefit per unit of cost bends most."""
        return knee_index([p.cost for p in self.points], [p.benefit for p in self.points])

    @property
    def best_value(self) -> int | None:
        """Index of the point with the most net value (the plan ``seqopt solve`` finds)."""
        if not self.points:
            return None
        return max(range(len(self.points)), key=lambda i: (self.points[i].value, -i))


def split(evaluation: Evaluation) -> tuple[float, float]:
    """A plan's discounted (benefit, cost): value = benefit - cost."""
    return evaluation.benefit - evaluation.overlap, evaluation.cost


def capital(problem: Problem, plan: Plan) -> float:
    """Capital a plan spends: its cost with every period counted alike (the evaluator's)."""
    flat = ObjectiveSettings(ObjectiveKind.VALUE, discount_rate=0.0, terminal=0)
    return evaluate(problem, plan, flat, sources=False).cost


def cost_frontier(
    problem: Problem,
    objective: ObjectiveSettings,
    settings: SolverSettings,
    *,
    discounted: bool = False,
    warm: bool | None = None,
    found: Callable[[CostPoint], None] | None = None,
) -> CostFrontier:
    """Sweep the budget from no limit down until no plan fits; return the frontier.

    Parameters
    ----------
    problem, objective, settings
        The model (value objective), and the solver settings: the back end by name
        (CP-SAT and ``auto`` run HiGHS), the time limit of each program, threads.
        Every program is solved to a zero gap.
    discounted
        Whether cost is the discounted price of what a plan spends, as the value
        objective subtracts it; by default it is the capital spent, each period
        alike (a plan signing a measure a quarter later then costs the same,
        rather than being another point of the frontier).
    warm
        Whether to start each program from a plan known to fit it (by default, as
        ``settings.warm_start`` says: on the reference model, whose file turns warm
        starts off, they make HiGHS slower here too; benchmarks/frontier_cost.py).
    found
        Called with each point as it is found (progress).

    Raises
    ------
    ValueError
        For the makespan objective (it has no benefit or cost).
    PlanRejected
        When a solver's plan breaks a rule, exceeds its budget or its benefit
        or cost differs from the evaluator's.
    """
    if objective.kind is not ObjectiveKind.VALUE:
        raise ValueError("the benefit–cost frontier needs the value objective")
    began = time.perf_counter()
    warm = settings.warm_start if warm is None else warm
    exact = replace(settings, gap=0.0)
    sweep = _Sweep(problem, objective, discounted)
    budget = math.inf
    points: list[CostPoint] = []
    solves = 0
    previous: Account | None = None
    complete, ended = False, ""
    while True:
        if len(points) >= MAX_POINTS:
            ended = f"stopped after {MAX_POINTS:,} points"
            break
        if points and points[-1].cost <= 0:
            # Prices and uses are never negative (the input check says so).
            complete, ended = True, "the last plan spends nothing"
            break
        started = time.perf_counter()
        start = sweep.thinned(previous, budget) if warm and previous else None
        first = sweep.solve(exact, sweep.most_benefit(budget), start)
        solves += 1
        if first.status is Status.INFEASIBLE:
            complete = True
            ended = "no plan breaks no rule" if not points else "no plan fits a smaller budget"
            break
        if not first.status.has_plan or first.plan is None:
            ended = f"the program for a budget of {budget:,.6g} ended with {first.status.value}"
            break
        richest = sweep.checked(first, budget, "benefit")
        floor = richest.benefit - BENEFIT_SLACK * max(1.0, abs(richest.benefit))
        second = sweep.solve(exact, sweep.least_cost(budget, floor), first.plan if warm else None)
        solves += 1
        cheapest = richest  # the first plan fits the second program: it stays if need be
        if second.status.has_plan and second.plan is not None:
            cheapest = sweep.checked(second, budget, "cost")
        if points and cheapest.cost >= points[-1].cost:
            # The solver's tolerances let a plan of the last point's cost through:
            # lower the budget below it once more.
            budget = _below(points[-1].cost, budget)
            continue
        proven = first.status is Status.OPTIMAL and second.status is Status.OPTIMAL
        point = CostPoint(
            cheapest.evaluation.plan,
            cheapest.benefit,
            cheapest.cost,
            cheapest.evaluation.objective,
            budget,
            Status.OPTIMAL if proven else Status.FEASIBLE,
            first.bound,
            seconds=time.perf_counter() - started,
        )
        points.append(point)
        if found is not None:
            found(point)
        previous = cheapest
        budget = _below(cheapest.cost, budget)
    kept = _non_dominated(points)
    kept = _with_support(sorted(kept, key=lambda p: p.cost))
    return CostFrontier(
        tuple(kept),
        discounted,
        complete,
        ended,
        solves,
        time.perf_counter() - began,
        dropped=len(points) - len(kept),
    )


def _below(cost: float, budget: float) -> float:
    """The next budget: just below ``cost`` (and below the current budget)."""
    step = COST_STEP * max(1.0, abs(cost))
    return min(cost, budget) - step


@dataclass(frozen=True)
class Account:
    """A plan scored by the evaluator, with its benefit and cost as the frontier counts them."""

    evaluation: Evaluation
    benefit: float
    cost: float


Build = Callable[[Sink], Built]


class _Sweep:
    """The programs of one sweep, and the evaluator's account of their plans."""

    def __init__(self, problem: Problem, objective: ObjectiveSettings, discounted: bool) -> None:
        self.problem = problem
        self.objective = objective
        self.discounted = discounted

    def account(self, plan: Plan) -> Account:
        evaluation = evaluate(self.problem, plan, self.objective, sources=False)
        benefit, cost = split(evaluation)
        if not self.discounted:
            cost = capital(self.problem, plan)
        return Account(evaluation, benefit, cost)

    def _terms(self, sink: Sink) -> tuple[Built, list[Term], list[Term]]:
        built, discounted, flat = build_with_cost_into(self.problem, self.objective, sink)
        benefit = _merged(built.primary, discounted)
        return built, benefit, discounted if self.discounted else flat

    def most_benefit(self, budget: float) -> Build:
        """The model maximising benefit with cost at most ``budget``."""

        def build(sink: Sink) -> Built:
            built, benefit, cost = self._terms(sink)
            if math.isfinite(budget) and cost:
                sink.row(cost, "<=", budget, "frontier_budget")
            return replace(built, primary=benefit)

        return build

    def least_cost(self, budget: float, floor: float) -> Build:
        """The model minimising cost (maximising its negative) with benefit at least ``floor``."""

        def build(sink: Sink) -> Built:
            built, benefit, cost = self._terms(sink)
            if math.isfinite(budget) and cost:
                sink.row(cost, "<=", budget, "frontier_budget")
            sink.row(benefit, ">=", floor, "frontier_benefit_floor")
            return replace(built, primary=_merged(cost, sign=-1.0))

        return build

    def solve(self, settings: SolverSettings, build: Build, start: Plan | None) -> Run:
        request = Request(self.problem, self.objective, settings, start)
        return run_milp(milp_backend(settings.name), request, build)

    def checked(self, run: Run, budget: float, kind: str) -> Account:
        """The evaluator's account of a program's plan; refused if it disagrees with the solver."""
        assert run.plan is not None
        account = self.account(run.plan)
        if account.evaluation.violations:
            broken = "; ".join(v.message for v in account.evaluation.violations)
            raise PlanRejected(f"the frontier's plan breaks rules the evaluator checks: {broken}")
        said = account.benefit if kind == "benefit" else -account.cost
        if run.value is not None and abs(said - run.value) > AGREEMENT * max(1.0, abs(said)):
            raise PlanRejected(
                f"the solver puts the frontier plan's {kind} at {abs(run.value):.9g} but the "
                f"evaluator at {abs(said):.9g}"
            )
        if account.cost > budget + COST_STEP * max(1.0, abs(budget)):
            raise PlanRejected(
                f"the frontier plan costs {account.cost:.9g}, over its budget {budget:.9g}"
            )
        return account

    def thinned(self, account: Account, budget: float) -> Plan | None:
        """A plan, taken out of ``account``'s, that costs at most ``budget`` and breaks no rule.

        Each step takes out the measure (with its widening), widening or lever use
        whose removal keeps the plan within the rules and gives up the least
        benefit per unit of cost saved. ``None`` when no such sequence fits.
        """
        current = account
        while current.cost > budget:
            best: tuple[float, Account] | None = None
            for smaller in _one_less(current.evaluation.plan):
                scored = self.account(smaller)
                saved = current.cost - scored.cost
                if not scored.evaluation.feasible or saved <= 0:
                    continue
                ratio = (current.benefit - scored.benefit) / saved
                if best is None or ratio < best[0]:
                    best = (ratio, scored)
            if best is None:
                return None
            current = best[1]
        return current.evaluation.plan if current.evaluation.feasible else None


def _one_less(plan: Plan) -> list[Plan]:
    """Every plan with one measure, widening or lever use fewer than ``plan``."""
    smaller = []
    for a in plan.assignments:
        rest = [b for b in plan.assignments if b != a]
        ups = [u for u in plan.upgrades if u.measure != a.measure]
        smaller.append(Plan.of(rest, plan.lever_uses, ups))
    for u in plan.upgrades:
        smaller.append(
            Plan.of(plan.assignments, plan.lever_uses, [v for v in plan.upgrades if v != u])
        )
    for use in plan.lever_uses:
        smaller.append(plan.with_levers([v for v in plan.lever_uses if v != use]))
    return smaller


def _merged(*parts: list[Term], sign: float = 1.0) -> list[Term]:
    """Terms of one linear expression, one per variable (named uniquely in a sink)."""
    total: dict[str, Term] = {}
    for part in parts:
        for var, coefficient in part:
            held = total.get(var.name)
            total[var.name] = (var, (held[1] if held else 0.0) + coefficient)
    return [(var, sign * c) for var, c in total.values() if c != 0.0]


def _tolerance(value: float) -> float:
    return COST_STEP * max(1.0, abs(value))


def _non_dominated(points: list[CostPoint]) -> list[CostPoint]:
    """Points no other point beats on both counts (beyond the tolerances)."""
    kept = []
    for p in points:
        beaten = any(
            q is not p
            and q.benefit >= p.benefit - _tolerance(p.benefit)
            and q.cost <= p.cost + _tolerance(p.cost)
            and (
                q.benefit > p.benefit + _tolerance(p.benefit)
                or q.cost < p.cost - _tolerance(p.cost)
            )
            for q in points
        )
        if not beaten:
            kept.append(p)
    return kept


def supported_flags(costs: list[float], benefits: list[float]) -> list[bool]:
    """Whether each point (sorted by cost) lies on the upper concave hull of them all.

    A point strictly below the hull is *unsupported*: no weighted sum
    benefit - w·cost with w >= 0 makes it the best, though no point beats it
    on both counts.
    """
    n = len(costs)
    hull: list[int] = []
    for i in range(n):
        while len(hull) >= 2 and _turn(costs, benefits, hull[-2], hull[-1], i) >= 0:
            hull.pop()
        hull.append(i)
    flags = [False] * n
    for a, b in pairwise(hull):
        for i in range(a, b + 1):
            flags[i] = _on_chord(costs, benefits, a, b, i)
    if hull:
        flags[hull[0]] = flags[hull[-1]] = True
    # Only the rising part of the hull is reached by weights w >= 0.
    top = max(range(n), key=lambda i: benefits[i]) if n else 0
    return [f and i <= top for i, f in enumerate(flags)]


def _turn(xs: list[float], ys: list[float], a: int, b: int, c: int) -> float:
    """Cross product of (b - a) and (c - a): positive for a left (upward) turn."""
    return (xs[b] - xs[a]) * (ys[c] - ys[a]) - (ys[b] - ys[a]) * (xs[c] - xs[a])


def _on_chord(xs: list[float], ys: list[float], a: int, b: int, i: int) -> bool:
    """Whether point ``i`` lies on the chord from ``a`` to ``b`` (within the tolerances)."""
    if xs[b] == xs[a]:
        return True
    height = ys[a] + (ys[b] - ys[a]) * (xs[i] - xs[a]) / (xs[b] - xs[a])
    return ys[i] >= height - 1e-6 * max(1.0, abs(height))


def _with_support(points: list[CostPoint]) -> list[CostPoint]:
    flags = supported_flags([p.cost for p in points], [p.benefit for p in points])
    return [replace(p, supported=flag) for p, flag in zip(points, flags, strict=True)]
