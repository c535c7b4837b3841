"""Reliability of plans on the reference model: figures for docs/uncertainty.md.

Parts (all by default; ``--only`` picks some):

- ``check``: the reliability check every solve runs: 1,000 fresh scenarios of
  the reference model drawn (Latin hypercube, random events) and the plan
  optimal at base values scored in all of them by the vectorised evaluator;
  median of ``--repeat`` runs, drawing included and scoring alone, and the
  evaluator's time for the same scenarios (one by one) for comparison.
- ``reliable``: the plan at ``reliability = 0.9`` (the calibrated ladder):
  time, status on its sample, value, share of 1,000 fresh scenarios.
- ``frontier``: six levels (0, 0.5, 0.8, 0.9, 0.95, 0.99) on ``--workers``
  processes (default 2): time and table.
- ``margin``: plans with 0 to 5 points to spare at every signing, scored on the
  same fresh scenarios (how a deterministic margin compares).
- ``saa``: sample average approximation as such (go through in 90 % of n
  scenarios, n = 20 and 40) against the same fresh scenarios: it fits its sample.

Run from the repository root::

    .venv/bin/python benchmarks/reliability.py
    .venv/bin/python benchmarks/reliability.py --only check --repeat 9
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from seqopt.evaluate import evaluate
from seqopt.io.scenario_files import load_problem
from seqopt.settings import Method, ModelFile, read_model_file
from seqopt.solve import solve
from seqopt.uncertainty.batch import Scorer
from seqopt.uncertainty.chance import chance_plan
from seqopt.uncertainty.chance_model import Targets
from seqopt.uncertainty.estimates import sites, with_values
from seqopt.uncertainty.frontier import frontier, frontier_document, knee
from seqopt.uncertainty.reliable import fresh_sample, margin_plan, plan_to_record
from seqopt.uncertainty.sampling import Samples, draw, with_events

MODEL = Path(__file__).resolve().parents[1] / "models" / "japan_rok.toml"
PARTS = ("check", "reliable", "frontier", "margin", "saa")


def check(model: ModelFile, repeat: int) -> None:
    problem = load_problem(model)
    plan = solve(problem, model.objective, model.solver).plan
    assert plan is not None
    whole, scoring = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        sample = fresh_sample(problem, model)
        drawn = time.perf_counter()
        score = Scorer(problem, model.objective, sample).score(plan)
        done = time.perf_counter()
        whole.append(done - began)
        scoring.append(done - drawn)
    began = time.perf_counter()
    one_by_one = sum(
        evaluate(with_values(problem, sample.scenario(k)), plan, model.objective).feasible
        for k in range(len(sample))
    )
    evaluator = time.perf_counter() - began
    print(f"Reliability check, {len(sample)} scenarios, median of {repeat}:")
    print(
        f"  drawing and scoring {statistics.median(whole):.3f} s, scoring alone "
        f"{statistics.median(scoring):.3f} s"
    )
    print(
        f"  the evaluator, scenario by scenario: {evaluator:.2f} s (holds in {one_by_one}; "
        f"vectorised: {int(score.holds.sum())})"
    )
    print(f"  the plan optimal at base values goes through in {score.reliability:.1%}")


def reliable(model: ModelFile) -> None:
    problem = load_problem(model)
    asked = model.with_uncertainty(reliability=0.9)
    base = solve(problem, asked.objective, asked.solver)
    began = time.perf_counter()
    found = plan_to_record(problem, asked, base)
    elapsed = time.perf_counter() - began
    part = found.part
    assert part is not None
    chosen = part["asked"]["chosen_on"]
    print(
        f"reliability = 0.9: {elapsed:.1f} s; {found.result.status.value} on "
        f"{chosen['scenarios']} scenarios (held in {chosen['held']}); value "
        f"{found.result.objective:,.2f} against {base.objective:,.2f}; goes through in "
        f"{part['share']:.1%} of {part['scenarios']} fresh scenarios"
    )
    for rung in chosen["rungs"]:
        print(
            f"  rung {rung['scenarios']:>4}: {rung['status']:<9} value {rung['value']:,.2f}, "
            f"fresh {rung['fresh']:.1%}"
        )


def frontier_part(model: ModelFile, workers: int) -> None:
    problem = load_problem(model)
    base = solve(problem, model.objective, model.solver)
    levels = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99]
    began = time.perf_counter()
    points, rungs = frontier(problem, model, levels, base, workers=workers)
    elapsed = time.perf_counter() - began
    document = frontier_document(problem, model, points, rungs)
    print(
        f"Frontier of {len(levels)} levels, {workers} workers: {elapsed:.1f} s (knee: level "
        f"{points[knee(points)].level if knee(points) is not None else '-'})"
    )
    print(f"  {'asked':>6} {'reached':>8} {'value':>9} {'fresh':>7} {'scenarios':>9}  changes")
    for point in document["points"]:
        value = "-" if point["value"] is None else f"{point['value']:,.2f}"
        print(
            f"  {point['level']:>6.0%} {point['reached']!s:>8} {value:>9} "
            f"{point['fresh']:>7.1%} {point['scenarios']:>9}  {'; '.join(point['changes'])}"
        )


def margin(model: ModelFile) -> None:
    problem = load_problem(model)
    scorer = Scorer(problem, model.objective, fresh_sample(problem, model))
    print("Deterministic margin (points to spare at every signing):")
    for points in (0, 1, 2, 3, 5, 8):
        solved = margin_plan(problem, model.with_uncertainty(margin=float(points)))
        share = scorer.score(solved.plan).reliability if solved.plan is not None else 0.0
        value = f"{solved.objective:,.2f}" if solved.objective is not None else "no plan"
        print(f"  margin {points}: value {value}, goes through in {share:.1%}")


def saa(model: ModelFile) -> None:
    problem = load_problem(model)
    fresh = Scorer(problem, model.objective, fresh_sample(problem, model))
    sample = with_events(draw(sites(problem), 40, model.uncertainty.seed), problem)
    print("Sample average approximation as such (go through in 90 % of the sample):")
    for count in (20, 40):
        rows = Samples(sample.paths, sample.values[:count], sample.seed)
        settings = replace(model.solver, time_limit=300.0)
        began = time.perf_counter()
        found = chance_plan(problem, problem, rows, model.objective, settings, Targets(0.9, {}))
        elapsed = time.perf_counter() - began
        share = fresh.score(found.plan).reliability if found.plan is not None else 0.0
        value = f"{found.value:,.2f}" if found.value is not None else "no plan"
        print(
            f"  n = {count}: {found.status.value} in {elapsed:.1f} s, value {value}, held in "
            f"{found.held} of {count}, goes through in {share:.1%} of fresh scenarios"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=PARTS, default=list(PARTS))
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--workers", type=int, default=2, help="frontier: processes")
    parser.add_argument("--method", choices=[m.value for m in Method], default="calibrated")
    args = parser.parse_args()
    model = read_model_file(MODEL)
    model = replace(model, uncertainty=replace(model.uncertainty, method=Method(args.method)))
    parts = {
        "check": lambda: check(model, args.repeat),
        "reliable": lambda: reliable(model),
        "frontier": lambda: frontier_part(model, args.workers),
        "margin": lambda: margin(model),
        "saa": lambda: saa(model),
    }
    for name in args.only:
        parts[name]()


if __name__ == "__main__":
    main()
