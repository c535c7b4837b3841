"""OR-Tools CP-SAT on a PSPLIB instance: the comparison the benchmark prints beside seqopt.

The textbook model, kept for comparison in benchmarks only; seqopt's own engine is
seqopt.solvers.cpsat.
A standard model: one optional interval per job mode, exactly one mode per job,
cumulative constraints for renewable resources, sums for nonrenewable ones,
end-to-start precedence, minimise the latest end. One worker, as seqopt.
"""

from __future__ import annotations

import time
from pathlib import Path

from ortools.sat.python import cp_model

from seqopt.io.psplib import read_instance


def solve_cpsat(path: Path, time_limit: float, seed: int = 0) -> tuple[str, float | None, float]:
    """Return (status, makespan, seconds) for one instance."""
    instance = read_instance(path)
    horizon = sum(max(m.duration for m in modes) for modes in instance.modes.values())
    model = cp_model.CpModel()
    starts, ends, presences = {}, {}, {}
    intervals: dict[int, list[tuple[cp_model.IntervalVar, tuple[int, ...]]]] = {}
    for job, modes in instance.modes.items():
        starts[job] = model.new_int_var(0, horizon, f"s{job}")
        ends[job] = model.new_int_var(0, horizon, f"e{job}")
        chosen = []
        intervals[job] = []
        for k, mode in enumerate(modes):
            present = model.new_bool_var(f"p{job}_{k}")
            interval = model.new_optional_fixed_size_interval_var(
                starts[job], mode.duration, present, f"i{job}_{k}"
            )
            model.add(ends[job] == starts[job] + mode.duration).only_enforce_if(present)
            intervals[job].append((interval, mode.requests))
            chosen.append(present)
            presences[(job, k)] = present
        model.add_exactly_one(chosen)
    for job, successors in instance.successors.items():
        for successor in successors:
            model.add(starts[successor] >= ends[job])
    for r in range(instance.renewable):
        items = [(iv, req[r]) for job in intervals for iv, req in intervals[job] if req[r] > 0]
        if items:
            model.add_cumulative(
                [i for i, _ in items], [d for _, d in items], instance.capacities[r]
            )
    for n in range(instance.nonrenewable):
        r = instance.renewable + n
        model.add(
            sum(
                presences[(job, k)] * mode.requests[r]
                for job, modes in instance.modes.items()
                for k, mode in enumerate(modes)
            )
            <= instance.capacities[r]
        )
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, list(ends.values()))
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    started = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - started
    value = solver.objective_value if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return solver.status_name(status), value, seconds
