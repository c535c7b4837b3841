"""The benefit–cost frontier and seqopt compare on the reference model: figures for docs.

Parts (all by default; ``--only`` picks some):

- ``frontier``: the exact frontier of the reference model (capital spent, the
  default), warm and cold (no starting plans), on ``--engines`` (default
  highs): points, unsupported points, programs solved, median time of
  ``--repeat`` runs, and whether every engine finds the same points.
- ``discounted``: the same with discounted cost, stopped after ``--points``
  points (the reference model has hundreds, a few thousandths apart): time per point.
- ``compare``: ``compare`` of three scenario files of the reference model, two
  sets: the model files (late 2013, the 2012 replay, the history) and the
  what-if files (late 2013, GSOMIA left alone, five points less support): read,
  solve, compare and write the files, median of ``--repeat`` runs.

Run from the repository root::

    .venv/bin/python benchmarks/frontier_cost.py
    .venv/bin/python benchmarks/frontier_cost.py --only frontier --engines highs cbc
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from seqopt.io.scenario_files import load_problem
from seqopt.settings import SolverName, read_model_file
from seqopt.tradeoffs import cost_frontier as sweep
from seqopt.tradeoffs.compare import compare_document, compare_plans, read_models, solve_models
from seqopt.tradeoffs.compare_files import write_compare

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "japan_rok.toml"
SCENARIOS = {
    "files": [
        MODEL,
        ROOT / "models" / "japan_rok_2012.toml",
        ROOT / "models" / "japan_rok_history.toml",
    ],
    "what-if": [
        MODEL,
        ROOT / "models" / "examples" / "japan_rok_no_gsomia.toml",
        ROOT / "models" / "examples" / "japan_rok_support_drop.toml",
    ],
}
PARTS = ("frontier", "discounted", "compare")


def frontier(engines: list[str], repeat: int) -> None:
    model = read_model_file(MODEL)
    problem = load_problem(model)
    found = {}
    for engine in engines:
        settings = replace(model.solver, name=SolverName(engine))
        for warm in (True, False):
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                result = sweep.cost_frontier(problem, model.objective, settings, warm=warm)
                times.append(time.perf_counter() - began)
            points = result.points
            found[engine] = [(round(p.cost, 6), round(p.benefit, 4)) for p in points]
            print(
                f"{engine:10} {'warm' if warm else 'cold'}: {len(points)} points "
                f"({sum(not p.supported for p in points)} unsupported, "
                f"{sum(not p.proven for p in points)} not proven), {result.solves} programs, "
                f"median {statistics.median(times):.1f} s of {repeat} "
                f"(min {min(times):.1f}, max {max(times):.1f}); {result.ended}"
            )
    if len(found) > 1:
        same = all(points == next(iter(found.values())) for points in found.values())
        print(f"every engine finds the same points: {same}")
    print("cost  benefit  value  supported")
    for p in result.points:
        print(f"{p.cost:6.2f} {p.benefit:8.2f} {p.value:8.2f} {p.supported}")


def discounted(points: int) -> None:
    model = read_model_file(MODEL)
    problem = load_problem(model)
    times: list[float] = []
    began = time.perf_counter()

    class Enough(Exception):
        pass

    def found(_: sweep.CostPoint) -> None:
        times.append(time.perf_counter() - began)
        if len(times) >= points:
            raise Enough

    with contextlib.suppress(Enough):
        sweep.cost_frontier(problem, model.objective, model.solver, discounted=True, found=found)
    print(
        f"discounted cost: first {len(times)} points in {times[-1]:.1f} s "
        f"({times[-1] / len(times):.2f} s a point); the sweep goes on for hundreds more"
    )


def compare(repeat: int) -> None:
    for name, paths in SCENARIOS.items():
        times = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as folder:
                began = time.perf_counter()
                solved = solve_models(read_models(paths))
                document = compare_document(compare_plans([s.document for s in solved]))
                write_compare(Path(folder), document)
                times.append(time.perf_counter() - began)
        solves = ", ".join(f"{s.model.name} {s.result.solve_seconds:.2f} s" for s in solved)
        print(
            f"compare of the {len(paths)} {name} files: median {statistics.median(times):.2f} s "
            f"of {repeat} (min {min(times):.2f}, max {max(times):.2f}); "
            f"{len(document['moves'])} moves; last run's solves: {solves}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--engines", nargs="+", default=["highs"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--points", type=int, default=40)
    args = parser.parse_args()
    if "frontier" in args.only:
        frontier(args.engines, args.repeat)
    if "discounted" in args.only:
        discounted(args.points)
    if "compare" in args.only:
        compare(args.repeat)


if __name__ == "__main__":
    main()
