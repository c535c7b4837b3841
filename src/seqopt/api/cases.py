"""The use cases, shared by the command line and the Python API.

Each function does one thing a user asks for (read a model, solve it, explain,
check, simulate, swing the estimates, write the outputs) and returns data; the
command line prints it and turns it into an exit code, the API wraps it in
objects (:mod:`seqopt.api.model`, :mod:`seqopt.api.results`). Progress goes to
a :class:`~seqopt.api.watch.Watch`. Each step finished is recorded with
:func:`seqopt.endings.step` and followed by :func:`seqopt.interrupt.check`, so
that a Ctrl-C says what was done (both are harmless outside the command line).

Errors are raised, never printed: :class:`~seqopt.errors.InputError` for bad
input, :class:`~seqopt.solvers.result.PlanRejected` when a solver's plan fails
the independent check (a bug).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqopt import interrupt
from seqopt.api.watch import Watch
from seqopt.atomic import write_text
from seqopt.data import Problem
from seqopt.endings import step
from seqopt.errors import InputError, Issue, Location
from seqopt.evaluate import Evaluation, evaluate
from seqopt.explain.counterfactual import Change, Forcing, all_counterfactuals
from seqopt.explain.diagnose import Relaxation, diagnose, plan_relaxations
from seqopt.explain.document import diagnosis as diagnosis_document
from seqopt.explain.document import explanations as explanations_document
from seqopt.explain.reasons import explain_measure
from seqopt.io.scenario_files import load_problem
from seqopt.outputs import plan_document, write_outputs
from seqopt.plan import Plan
from seqopt.settings import ModelFile, default_model, is_input, read_model_file
from seqopt.solve import SolveResult, Status, solve
from seqopt.solvers.choice import Choice, EngineUnavailable, choose
from seqopt.uncertainty.reliable import Reliable, asked, plan_to_record

EXPLANATIONS_FILE = "explanations.json"


def workers_or_cores(workers: int | None) -> int:
    """The processes to use: as asked, else one per core."""
    return workers if workers is not None else os.cpu_count() or 1


# -- reading ------------------------------------------------------------------------------


def model_file(path: Path) -> ModelFile:
    """A model file read and checked, or the default model of an input (workbook, CSV folder).

    Raises
    ------
    InputError
        Every problem of the model file (and of the files it extends).
    """
    return default_model(path) if is_input(path) else read_model_file(path)


def problem_of(model: ModelFile) -> Problem:
    """The model's input read and checked, with the scenario's changes applied.

    Raises
    ------
    InputError
        Every problem of the input, cell by cell; or an engine that cannot solve it.
    """
    problem = load_problem(model)
    engine(model, problem, Location(str(model.path), key="solver.name"))
    step(f"read {model.input}")
    return problem


def engine(model: ModelFile, problem: Problem, where: Location) -> Choice:
    """The back end that will solve ``problem``; an input error when it cannot."""
    try:
        return choose(problem, model.solver.name)
    except EngineUnavailable as error:
        raise InputError([Issue(where, str(error), model.solver.name.value)]) from None


# -- solving ------------------------------------------------------------------------------


def base_solve(problem: Problem, model: ModelFile, watch: Watch, doing: str = "") -> SolveResult:
    """Solve the model at base values (a Ctrl-C the solver noticed ends the run here)."""
    with watch.status(f"{doing or f'Solving the base model {model.name}'}…"):
        result = solve(problem, model.objective, model.solver)
    interrupt.check()
    value = f", value {result.objective:,.2f}" if result.objective is not None else ""
    step(f"solved ({result.status.value}{value})")
    return result


def recorded(problem: Problem, model: ModelFile, base: SolveResult, watch: Watch) -> Reliable:
    """The plan to record: ``base``, or the best plan reaching the reliability or margin asked."""
    with watch.status(_reliability_words(problem, model)):
        found = plan_to_record(problem, model, base)
    interrupt.check()
    if found.part is not None:
        step("scored the plan on sampled scenarios")
    return found


def _reliability_words(problem: Problem, model: ModelFile) -> str:
    goal = asked(problem, model)
    if goal.any:
        return (
            f"Choosing a plan that goes through in at least {goal.level:.0%} of scenarios…"
            if goal.level
            else "Choosing a plan that clears its gates often enough…"
        )
    return f"Scoring the plan on {model.uncertainty.check_samples} sampled scenarios…"


@dataclass(frozen=True)
class Solved:
    """A solve as recorded: the plan chosen, the plan optimal at base values, ``plan.json``."""

    recorded: Reliable
    document: dict[str, Any]

    @property
    def result(self) -> SolveResult:
        """The plan recorded (the base plan unless reliability or margin asked for another)."""
        return self.recorded.result


def solved(problem: Problem, model: ModelFile, watch: Watch, doing: str = "") -> Solved:
    """Solve, choose the plan to record, and diagnose an infeasible model: ``plan.json``'s data.

    Raises
    ------
    PlanRejected
        When a solver's plan fails the independent check.
    """
    base = base_solve(problem, model, watch, doing)
    found = recorded(problem, model, base, watch)
    document = plan_document(problem, model, found.result)
    if found.part is not None:
        document["reliability"] = found.part
    if found.result.status is Status.INFEASIBLE:
        diagnosed(problem, model, document, watch)
        step("found the smallest relaxation")
    return Solved(found, document)


def diagnosed(problem: Problem, model: ModelFile, document: dict[str, Any], watch: Watch) -> None:
    """Add the smallest relaxation that makes an infeasible model feasible to ``document``."""
    with watch.status("Infeasible: looking for the smallest relaxation…"):
        found = diagnose(problem, model.objective, model.solver)
    interrupt.check()
    document["diagnosis"] = diagnosis_document(problem, found)


def judged(problem: Problem, model: ModelFile, result: SolveResult) -> dict[str, Any]:
    """The plan document of ``result``, with its reliability on sampled scenarios."""
    document = plan_document(problem, model, result)
    part = plan_to_record(problem, model, result, as_asked=False).part
    if part is not None:
        document["reliability"] = part
    return document


# -- writing ------------------------------------------------------------------------------


def write_plan(folder: Path, document: dict[str, Any], report: bool) -> list[Path]:
    """Write ``plan.json``, ``plan.xlsx``, ``summary.md`` and, with ``report``, the report."""
    written = write_outputs(folder, document)
    if report:
        written += write_report(folder, document)
    return written


def write_report(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write ``report.html`` and its charts beside the plan in ``folder``."""
    # Imported here: matplotlib takes a second or two to import, and most runs need no chart.
    from seqopt.report import write

    return write.write_report(folder, document)


# -- explaining ---------------------------------------------------------------------------


def explained(
    problem: Problem,
    model: ModelFile,
    measure_id: str | None,
    what_if: bool,
    watch: Watch,
    base: SolveResult | None = None,
) -> tuple[SolveResult, dict[str, Any]]:
    """Solve at base values and explain the plan: the solve and the plan document.

    The document has ``explanations`` (or ``diagnosis`` for an infeasible model).
    ``base`` is the solve at base values, when already done.
    """
    result = (
        base if base is not None else base_solve(problem, model, watch, f"Solving {model.name}")
    )
    document = judged(problem, model, result)
    if result.status is Status.INFEASIBLE:
        diagnosed(problem, model, document, watch)
    elif result.evaluation is not None:
        document["explanations"] = explanations(
            problem, model, result.evaluation, measure_id, what_if, watch
        )
        step("explained the plan")
    return result, document


def explanations(
    problem: Problem,
    model: ModelFile,
    evaluation: Evaluation,
    measure_id: str | None,
    what_if: bool,
    watch: Watch,
) -> dict[str, Any]:
    """Why each measure (or only ``measure_id``) is where it is.

    With ``what_if``, also what forcing it costs and what change of input would
    bring it in (each a re-solve).
    """
    chosen = [measure_id] if measure_id is not None else [m.id for m in problem.measures]
    reasons = [explain_measure(problem, model.objective, evaluation, m) for m in chosen]
    forcings: list[Forcing] = []
    changes: list[Change] = []
    if what_if:
        with watch.progress("Re-solving counterfactuals", len(chosen)) as advance:
            forcings, changes = all_counterfactuals(
                problem,
                model.objective,
                model.solver,
                evaluation,
                chosen,
                workers=min(len(chosen), os.cpu_count() or 1),
                done=lambda: advance(1),
            )
    return explanations_document(problem, reasons, forcings, changes)


def explanations_file(document: dict[str, Any]) -> dict[str, Any]:
    """``explanations.json``: the explanations of a plan document, with what they are of."""
    keys = ("model", "status", "value", "input", "seqopt_version", "explanations", "diagnosis")
    return {"schema": "seqopt.explanations/1", **{k: document[k] for k in keys if k in document}}


def write_explanations(folder: Path, document: dict[str, Any], report: bool) -> list[Path]:
    """Write the plan's outputs and ``explanations.json``.

    The report too with ``report``, or when one is there already.
    """
    written = write_outputs(folder, document)
    target = folder / EXPLANATIONS_FILE
    text = json.dumps(explanations_file(document), indent=2, ensure_ascii=False)
    write_text(target, text + "\n")
    written.append(target)
    if report or (folder / "report.html").exists():
        written += write_report(folder, document)
    return written


def unknown_measure(problem: Problem, measure_id: str, model_name: str) -> str | None:
    """Why ``measure_id`` cannot be explained (not a measure of the model), or ``None``."""
    if measure_id in problem.measure_by_id:
        return None
    import difflib

    known = [m.id for m in problem.measures]
    near = difflib.get_close_matches(measure_id, known, n=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    return (
        f"{measure_id!r} is not a measure of {model_name}.{hint} Its measures: {', '.join(known)}."
    )


# -- checking a plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A plan scored by the evaluator, and the smallest relaxation that would make it valid."""

    evaluation: Evaluation
    relaxations: tuple[Relaxation, ...]


def checked(problem: Problem, model: ModelFile, plan: Plan) -> Checked:
    """Score ``plan`` and find what it would take for it to break no rule."""
    evaluation = evaluate(problem, plan, model.objective)
    return Checked(evaluation, tuple(plan_relaxations(problem, evaluation.violations)))


def relaxation_records(
    problem: Problem, relaxations: tuple[Relaxation, ...]
) -> list[dict[str, Any]]:
    """The relaxations as ``seqopt check --json`` prints them."""
    return [
        {
            "kind": r.kind,
            "subject": list(r.subject),
            "period": problem.periods[r.period]
            if r.period is not None and 0 <= r.period < problem.horizon
            else None,
            "amount": r.amount,
            "text": r.message,
        }
        for r in relaxations
    ]


# -- under uncertainty --------------------------------------------------------------------


@dataclass(frozen=True)
class Simulated:
    """A simulation: the base solve, the run (samples, outcomes, summary) and ``plan.json``."""

    base: SolveResult
    run: Any
    """:class:`seqopt.uncertainty.analyses.Simulation`."""
    document: dict[str, Any]
    seconds: float
    """Time spent solving the scenarios."""


def simulated(
    problem: Problem,
    model: ModelFile,
    samples: int,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    watch: Watch,
    base: SolveResult | None = None,
) -> Simulated:
    """Solve the base model, then draw ``samples`` scenarios from ``seed`` and solve each.

    ``base`` is the solve at base values, when already done.

    Raises
    ------
    PlanRejected
        When a solver's plan fails the independent check.
    """
    from seqopt.uncertainty.analyses import simulate

    base = base if base is not None else base_solve(problem, model, watch)
    started = time.perf_counter()
    with watch.progress(f"Solving {samples} scenarios", samples) as advance:
        run = simulate(
            problem,
            model,
            samples,
            seed,
            workers=workers_or_cores(workers),
            scheduler=scheduler,
            base=base,
            done=advance,
        )
    seconds = time.perf_counter() - started
    step(f"solved {samples} scenarios")
    return Simulated(base, run, judged(problem, model, base), seconds)


def write_simulated(
    folder: Path, problem: Problem, simulation: Simulated, report: bool
) -> list[Path]:
    """Write the base plan's outputs and ``simulation.json``, ``scenarios.csv``, ``samples.csv``."""
    from seqopt.uncertainty.results import write_simulation

    run = simulation.run
    written = write_outputs(folder, simulation.document)
    written += write_simulation(folder, run.document, problem, run.samples, run.outcomes)
    if report:
        written += write_report(folder, simulation.document)
    return written


class NoPlan(ValueError):
    """The base model has no plan, so an analysis that judges the base plan cannot run."""

    def __init__(self, result: SolveResult, what: str) -> None:
        self.result = result
        super().__init__(f"The base model has no plan ({result.status.value}): nothing to {what}.")


@dataclass(frozen=True)
class Swung:
    """A sensitivity analysis: the base solve, ``sensitivity.json`` and ``plan.json``."""

    base: SolveResult
    sensitivity: dict[str, Any]
    document: dict[str, Any]


def swung(
    problem: Problem,
    model: ModelFile,
    break_even: int,
    workers: int | None,
    scheduler: str | None,
    watch: Watch,
    base: SolveResult | None = None,
) -> Swung:
    """Solve the base model, swing every estimate to its ends, find break-even values.

    ``base`` is the solve at base values, when already done.

    Raises
    ------
    NoPlan
        When the base model has no plan.
    PlanRejected
        When a solver's plan fails the independent check.
    """
    from seqopt.uncertainty.analyses import sensitivity
    from seqopt.uncertainty.estimates import all_sites

    base = base if base is not None else base_solve(problem, model, watch)
    if base.plan is None:
        raise NoPlan(base, "swing")
    swings = 2 * len(all_sites(problem, model.objective))
    with watch.progress(f"Solving {swings} swings", swings) as advance:
        document = sensitivity(
            problem,
            model,
            break_even=break_even,
            workers=workers_or_cores(workers),
            scheduler=scheduler,
            base=base,
            done=advance,
        )
    step("swung every estimate")
    return Swung(base, document, judged(problem, model, base))


def write_swung(folder: Path, found: Swung, report: bool) -> list[Path]:
    """Write the base plan's outputs and ``sensitivity.json`` and ``sensitivity.csv``."""
    from seqopt.uncertainty.sensitivity import write_sensitivity

    written = write_outputs(folder, found.document)
    written += write_sensitivity(folder, found.sensitivity)
    if report:
        written += write_report(folder, found.document)
    return written
