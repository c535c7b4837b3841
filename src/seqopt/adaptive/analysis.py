"""The adaptive analysis ``seqopt adapt`` runs: futures, policies, comparison, pathways.

1. The base plan (solved at the model's estimates, as ``seqopt solve``) and a
   robust plan (:func:`seqopt.uncertainty.robust.robust_plan`, chosen on its
   own sample, drawn with ``seed + 1``) are the fixed plans.
2. The re-planning policy's plan of period 0 is made once: nothing is seen
   yet, so it is the same in every future.
3. ``N`` futures are drawn as ``seqopt simulate`` draws its scenarios (Latin
   hypercube from ``seed``, random events per period), and every policy acts
   in every future (:mod:`seqopt.adaptive.futures`).
4. The runs are summed up (:mod:`seqopt.adaptive.summary`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from seqopt.adaptive.futures import Future, Job, run_futures
from seqopt.adaptive.policies import Planner, Rule, first_plan
from seqopt.adaptive.summary import adaptive_document
from seqopt.data import Problem
from seqopt.outputs import fingerprint
from seqopt.plan import Plan
from seqopt.settings import ModelFile, ObjectiveKind
from seqopt.solve import SolveResult, solve
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.reliability import describe
from seqopt.uncertainty.robust import RiskMeasure, robust_plan
from seqopt.uncertainty.sampling import Samples, draw, with_events

Progress = Callable[[int], None]


class NotAdaptive(ValueError):
    """The model cannot be re-planned as asked (say, a makespan objective)."""


@dataclass(frozen=True)
class Adaptation:
    """An adaptive run: the fixed plans, the futures drawn, every run, and the summary."""

    base: SolveResult
    robust: Plan | None
    first: Plan
    samples: Samples
    futures: tuple[Future, ...]
    document: dict[str, Any]


def adapt(
    problem: Problem,
    model: ModelFile,
    count: int,
    seed: int,
    *,
    rule: Rule = Rule.EXPECTED,
    rule_samples: int = 8,
    robust_scenarios: int = 20,
    workers: int = 1,
    scheduler: str | None = None,
    base: SolveResult | None = None,
    done: Progress | None = None,
) -> Adaptation:
    """Act out the re-planning policy and the fixed plans in ``count`` futures from ``seed``.

    ``robust_scenarios = 0`` leaves the robust plan out.

    Raises
    ------
    NotAdaptive
        When the objective is not ``value``, or the base model has no plan.
    """
    if model.objective.kind is not ObjectiveKind.VALUE:
        raise NotAdaptive(
            "adapt compares the value of policies: it needs the value objective "
            f"(the model's objective is {model.objective.kind.value})"
        )
    base = base if base is not None else solve(problem, model.objective, model.solver)
    if base.plan is None:
        raise NotAdaptive(f"the base model has no plan ({base.status.value}): nothing to compare")
    # Many small solves: the previous plan is the start, as for scenarios.
    planner = Planner(
        problem, model.objective, replace(model.solver, warm_start=False), rule, rule_samples, seed
    )
    _, first = first_plan(planner)
    if first is None:
        raise NotAdaptive("the model has no plan in its first period")
    fixed: dict[str, Plan] = {"base": base.plan}
    robust = None
    found = sites(problem)
    if robust_scenarios > 0:
        chosen_on = with_events(draw(found, robust_scenarios, seed + 1), problem)
        problems = [with_values(problem, chosen_on.scenario(k)) for k in range(robust_scenarios)]
        result = robust_plan(
            problems, model.objective, model.solver, RiskMeasure.MEAN, start=base.plan
        )
        robust = result.plan
        if robust is not None:
            fixed["robust"] = robust
    samples = with_events(draw(found, count, seed), problem)
    job = Job(planner, fixed, first, samples.paths)
    futures = run_futures(
        job, samples.values.tolist(), workers=workers, scheduler=scheduler, done=done
    )
    document = adaptive_document(
        problem,
        model,
        futures,
        seed=seed,
        rule=rule.value,
        rule_samples=rule_samples,
        first=first,
        fixed={
            "base": {"value": base.objective, "plan": describe(problem, base.plan)},
            "robust": {
                "scenarios": robust_scenarios,
                "seed": seed + 1,
                "plan": describe(problem, robust),
            },
        },
        input_sha256=fingerprint(model.input),
    )
    return Adaptation(base, robust, first, samples, tuple(futures), document)
