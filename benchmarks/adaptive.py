"""Adaptive plans on the reference model: time to act out N futures, and what they show.

    .venv/bin/python benchmarks/adaptive.py                       # 200 futures, 2 workers
    .venv/bin/python benchmarks/adaptive.py --futures 40 --workers 1
    .venv/bin/python benchmarks/adaptive.py --futures 10 --profile  # re-plans by period

Prints the wall time of the whole run (base plan, robust plan, first plan and
every future), the re-plans made, the comparison of the policies, the value of
adaptivity with its standard error, and the branch points with their
signposts. ``--profile`` runs in this process and times every re-plan, by the
period it is made in (each re-plan has fewer decisions left than the last).
No figure is asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from seqopt.adaptive import policies
from seqopt.adaptive.analysis import adapt
from seqopt.adaptive.policies import Rule
from seqopt.adaptive.summary import summary_lines
from seqopt.io.scenario_files import load_problem
from seqopt.settings import read_model_file
from seqopt.solve import SolveResult

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "japan_rok.toml")
    parser.add_argument("--futures", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replan", choices=[r.value for r in Rule], default=Rule.EXPECTED.value)
    parser.add_argument("--replan-samples", type=int, default=8)
    parser.add_argument("--robust-scenarios", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="Time each re-plan (one process).")
    args = parser.parse_args()
    model = read_model_file(args.model)
    problem = load_problem(model)
    sizes: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
    if args.profile:
        _time_replans(sizes)
    started = time.perf_counter()
    run = adapt(
        problem,
        model,
        args.futures,
        args.seed,
        rule=Rule(args.replan),
        rule_samples=args.replan_samples,
        robust_scenarios=args.robust_scenarios,
        workers=1 if args.profile else args.workers,
    )
    elapsed = time.perf_counter() - started
    document: dict[str, Any] = run.document
    replans = sum(document["replans"].values())
    print(
        f"{args.futures} futures x {problem.horizon} periods, rule {args.replan}, "
        f"{1 if args.profile else args.workers} worker(s): {elapsed:.1f} s in all "
        f"({args.futures / elapsed:.2f} futures per second); {replans} re-plans "
        f"{document['replans']}"
    )
    for line in summary_lines(document):
        print(line)
    for line in document["map"]["lines"]:
        steps = " > ".join(
            f"{s['measure']}/{s['scope']}{' failed' if s['failed'] else ''}" for s in line["steps"]
        )
        print(
            f"  line {line['id']}: {line['runs']} runs, mean {line['value_mean']:,.1f}, "
            f"then {line['ways_on']} ways: {steps}"
        )
    if sizes:
        print("Re-plans by period: count, median seconds (build and solve), median variables, rows")
        for period in sorted(sizes):
            seconds = [s for s, _, _ in sizes[period]]
            median = statistics.median(seconds)
            print(
                f"  {problem.periods[period]}: {len(seconds):4d}  {median:6.3f} s"
                f"  {statistics.median(v for _, v, _ in sizes[period]):6.0f}"
                f"  {statistics.median(r for _, _, r in sizes[period]):6.0f}"
            )


def _time_replans(sizes: dict[int, list[tuple[float, int, int]]]) -> None:
    """Record every re-plan's time and size, by period (this process only)."""
    solve = policies.solve
    period = [0]
    replan = policies.replan

    def timed_replan(*args: Any, **kwargs: Any) -> Any:
        period[0] = args[1].now
        return replan(*args, **kwargs)

    def timed_solve(*args: Any, **kwargs: Any) -> SolveResult:
        result = solve(*args, **kwargs)
        sizes[period[0]].append(
            (result.build_seconds + result.solve_seconds, result.variables, result.constraints)
        )
        return result

    policies.replan = timed_replan  # type: ignore[assignment]
    policies.solve = timed_solve  # type: ignore[assignment]


if __name__ == "__main__":
    main()
