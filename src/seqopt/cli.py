"""The ``seqopt`` command line.

Exit codes (also in the README):

=== ==========================================================================
0   proven optimal plan (``check``: the plan breaks no rule)
2   bad input or a bad command line: every problem is listed, nothing is written
3   a plan, but not proven optimal (gap above the tolerance)
4   infeasible (``check``: the plan breaks a rule)
5   no solution found within the time limit
6   solver error or unbounded model
7   internal error (a bug): the solver's plan failed the independent check, or an
    unexpected exception; nothing is written
130 interrupted (Ctrl-C): what was done is printed, nothing is written
=== ==========================================================================

Every command runs under :func:`seqopt.endings.handled`, the one place that
turns exceptions into exit codes, so that no traceback reaches the user. Commands that write
into an output folder hold it for the whole run and replace its files as a
whole (:mod:`seqopt.atomic`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from seqopt import __version__, interrupt
from seqopt.adaptive.policies import Rule
from seqopt.api import cases
from seqopt.api.watch import Advance
from seqopt.atomic import OutputFolder, atomic_folder, hold_output, write_text
from seqopt.data import Problem
from seqopt.endings import Exit, err, handled, holding, step
from seqopt.errors import InputError, Issue, Location
from seqopt.evaluate import Evaluation
from seqopt.generate import synthetic_model_file, synthetic_problem
from seqopt.io.convert import convert as convert_input
from seqopt.io.plan_file import read_plan_file
from seqopt.io.psplib import model_file_text as psplib_model_file
from seqopt.io.psplib import read_instance, to_problem
from seqopt.io.reader import read_problem
from seqopt.io.tables import write_csv_folder
from seqopt.io.workbook import template_grids, write_workbook
from seqopt.io.writer import write_problem
from seqopt.outputs import STATUS_WORDS, check_document, headline, write_outputs
from seqopt.report.why import why_sections
from seqopt.report.words import reliability_sentences
from seqopt.settings import (
    MAX_CHECK_SAMPLES,
    MAX_TIME_LIMIT,
    ModelFile,
    SolverName,
    is_input,
)
from seqopt.solve import PlanRejected, SolveResult, Status
from seqopt.uncertainty.estimates import sites
from seqopt.uncertainty.robust import RiskMeasure

EXIT_FOR_STATUS = {
    Status.OPTIMAL: Exit.OK,
    Status.FEASIBLE: Exit.GAP,
    Status.INFEASIBLE: Exit.INFEASIBLE,
    Status.NO_SOLUTION: Exit.NO_SOLUTION,
    Status.UNBOUNDED: Exit.SOLVER,
    Status.ERROR: Exit.SOLVER,
}

app = typer.Typer(
    help="seqopt: which measures, at which scope, in which order and when, under public support.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's panels show every flag with a "<bool>" type, as if it took a value.
    rich_markup_mode=None,
)
out = Console(highlight=False)
if not out.is_terminal:
    # Logs and pipes get rich's 80 columns by default, too narrow for a plan table.
    out.width = max(out.width, 140)


def _version(value: bool) -> None:
    if value:
        out.print(f"seqopt {__version__}")
        raise typer.Exit(Exit.OK)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """seqopt: which measures, at which scope, in which order and when, under public support."""


class _Terminal:
    """The command line's :class:`~seqopt.api.watch.Watch`: spinners and bars on standard error."""

    def status(self, text: str) -> contextlib.AbstractContextManager[object]:
        return err.status(text, spinner="dots")

    @contextlib.contextmanager
    def progress(self, text: str, total: int) -> Iterator[Advance]:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(text, total=total)
            yield lambda n: progress.advance(task, n)


TERMINAL = _Terminal()


@contextlib.contextmanager
def _internal() -> Iterator[None]:
    """A plan that failed the independent check: a bug, exit code 7, nothing written."""
    try:
        yield
    except PlanRejected as error:
        err.print(f"[bold red]Internal error, nothing written:[/] {escape(str(error))}")
        raise typer.Exit(Exit.INTERNAL) from None


def _load(model_path: Path) -> tuple[ModelFile, Problem]:
    model = cases.model_file(model_path)
    if is_input(model_path):
        err.print(
            f"{escape(str(model_path))} is an input, not a model file: solving it with the "
            f"default settings (value objective, no discounting, the auto engine, "
            f"{model.solver.time_limit:g} s) into {escape(str(model.output))}. A model file "
            "sets them (docs/model-files.md).",
            soft_wrap=True,
        )
    return model, cases.problem_of(model)


def _wrote(folder: Path, written: list[Path]) -> list[Path]:
    """Where files written into a new set of outputs ended up once it replaced ``folder``."""
    return [folder / path.name for path in written]


ReportOption = Annotated[
    bool, typer.Option("--report/--no-report", help="Also write report.html and its charts.")
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Output folder, overriding the model file.")
]
MODEL_HELP = "Model file (TOML), or an input (workbook or CSV folder) to solve with defaults."


@app.command("solve")
@handled
def solve_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    solver: Annotated[
        SolverName | None, typer.Option(help="Solver, overriding the model file.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(min=0.001, max=MAX_TIME_LIMIT, help="Seconds, overriding the model file."),
    ] = None,
    gap: Annotated[
        float | None, typer.Option(min=0.0, max=0.999, help="Relative gap at which to stop.")
    ] = None,
    output: OutOption = None,
    quiet: Annotated[bool, typer.Option(help="Print only the headline.")] = False,
    report: ReportOption = False,
    robust: Annotated[
        int | None,
        typer.Option(
            "--robust",
            min=1,
            max=1000,
            metavar="K",
            help="Choose one plan that does best over K sampled scenarios (robust.json).",
        ),
    ] = None,
    robust_measure: Annotated[
        RiskMeasure, typer.Option(help="With --robust: mean, worst or cvar of scenario values.")
    ] = RiskMeasure.MEAN,
    cvar_level: Annotated[
        float, typer.Option(min=0.001, max=1.0, help="With --robust-measure cvar: worst share.")
    ] = 0.2,
    seed: Annotated[
        int | None, typer.Option(help="Random seed of the samples (model file: uncertainty.seed).")
    ] = None,
    check_samples: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_CHECK_SAMPLES,
            help="Fresh scenarios every plan is scored on (default 1000).",
        ),
    ] = None,
    reliability: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=0.999,
            help="Share of scenarios the plan must go through in (model file: "
            "uncertainty.reliability).",
        ),
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option(min=0.0, max=100.0, help="Points of support to spare at every signing."),
    ] = None,
) -> None:
    """Find the best plan for a model and write plan.json, plan.xlsx and summary.md.

    When estimates have ranges, the plan is also scored on sampled scenarios: in
    what share it goes through unchanged (docs/uncertainty.md). With reliability
    or margin (here or in the model file), the plan recorded is the best that
    reaches them. With --report, also write report.html and its charts (as
    seqopt report does). With --robust K, choose instead one plan that does best
    over K sampled scenarios and write robust.json.
    """
    started = time.perf_counter()
    model, problem = _load(model_path)
    model = model.with_solver(name=solver, time_limit=time_limit, gap=gap)
    model = model.with_uncertainty(
        seed=seed, check_samples=check_samples, reliability=reliability, margin=margin
    )
    engine = cases.engine(model, problem, Location(key="--solver"))
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        if robust is not None:
            status = _solve_robust(problem, model, robust, robust_measure, cvar_level, held)
            raise typer.Exit(EXIT_FOR_STATUS[status])
        with _internal():
            solved = cases.solved(
                problem, model, TERMINAL, f"Solving {model.name} with {engine.engine.value}"
            )
        result, document = solved.result, solved.document
        with held.replace() as staging:
            written = cases.write_plan(staging, document, report)
        written = _wrote(folder, written)
    if not quiet and result.evaluation is not None:
        out.print(_plan_table(problem, result.evaluation))
    out.print(escape(headline(document).replace("**", "")))
    for sentence in reliability_sentences(document)[1:]:
        out.print(f"  {escape(sentence)}")
    for note in result.notes:
        out.print(f"  - {escape(note)}")
    if "diagnosis" in document:
        _print_relaxations(document["diagnosis"]["relaxations"], "it feasible")
    elapsed = time.perf_counter() - started
    out.print(
        f"[dim]Solved by {result.solver} ({escape(result.solver_reason)}). "
        f"{result.variables} variables, {result.constraints} constraints; built in "
        f"{result.build_seconds:.2f} s, solved in {result.solve_seconds:.2f} s, "
        f"{elapsed:.2f} s in all. Wrote {', '.join(str(p) for p in written)}.[/]"
    )
    raise typer.Exit(EXIT_FOR_STATUS[result.status])


def _plan_table(problem: Problem, evaluation: Evaluation) -> Table:
    table = Table(title="Plan", title_justify="left")
    for column in ("Measure", "Scope", "Starts", "Signed", "In force", "Value", "Cost"):
        justify = "right" if column in ("Value", "Cost") else "left"
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    labels = problem.periods

    def label(period: int) -> str:
        # A hand-made plan may sign after the last period (a window violation, listed below).
        return escape(labels[period]) if 0 <= period < problem.horizon else "after horizon"

    for item in sorted(evaluation.scheduled, key=lambda s: (s.start, s.measure)):
        measure = problem.measure_by_id[item.measure]
        in_force = label(item.in_force)
        if item.lapse is not None:
            until = labels[item.lapse - 1] if item.lapse <= problem.horizon else "the end"
            in_force += f" (lapses after {until})"
        table.add_row(
            escape(measure.name),
            escape(measure.scope(item.scope).name),
            label(item.start),
            label(item.signing),
            in_force,
            f"{item.benefit:,.2f}",
            f"{item.cost:,.2f}",
        )
    for up in evaluation.upgrades:
        measure = problem.measure_by_id[up.measure]
        table.add_row(
            escape(f"{measure.name}: widened"),
            escape(measure.scope(up.scope).name),
            labels[up.start],
            labels[up.signing] if up.signing < problem.horizon else "after horizon",
            labels[up.in_force] if up.in_force < problem.horizon else "after horizon",
            f"{up.gain:,.2f}",
            f"{up.cost:,.2f}",
        )
    if evaluation.plan.lever_uses:
        used: dict[str, list[str]] = {}
        for use in evaluation.plan.lever_uses:
            used.setdefault(problem.lever_by_id[use.lever].name, []).append(label(use.period))
        for name, periods in used.items():
            table.add_row(f"[italic]{escape(name)}[/]", "lever", ", ".join(periods), "", "", "", "")
    left_out = [m.name for m in problem.measures if evaluation.plan.assignment(m.id) is None]
    if left_out:
        table.caption = escape("Left out: " + "; ".join(left_out))
    return table


@app.command("explain")
@handled
def explain_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    measure_id: Annotated[
        str | None, typer.Option("--measure", help="Explain only this measure (its id).")
    ] = None,
    what_if: Annotated[
        bool, typer.Option(help="Re-solve to price forcing and find what would bring a measure in.")
    ] = True,
    output: OutOption = None,
    report: ReportOption = False,
) -> None:
    """Explain the optimal plan: why each measure is where it is, and what would change it.

    Writes explanations.json beside plan.json, adds the explanations to summary.md, and
    to report.html when it exists (or with --report).
    """
    model, problem = _load(model_path)
    unknown = None if measure_id is None else cases.unknown_measure(problem, measure_id, model.name)
    if unknown is not None:
        raise typer.BadParameter(unknown, param_hint="'--measure'")
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        with _internal():
            result, document = cases.explained(problem, model, measure_id, what_if, TERMINAL)
        with held.replace() as staging:
            written = cases.write_explanations(staging, document, report)
        written = _wrote(folder, written)
    out.print(escape(headline(document).replace("**", "")))
    for section in why_sections(document):
        out.print(f"\n[bold]{escape(section.title)}[/]")
        for item in section.items:
            out.print(f"  - {escape(item)}")
    out.print(f"[dim]Wrote {', '.join(str(p) for p in written)}.[/]")
    raise typer.Exit(EXIT_FOR_STATUS[result.status])


def _write_report(folder: Path, document: dict[str, Any]) -> list[Path]:
    return cases.write_report(folder, document)


@app.command("validate")
@handled
def validate_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Workbook, CSV folder or model file.")
    ],
) -> None:
    """Check an input without solving; list every problem at once."""

    def load() -> Problem:
        if input_path.suffix.lower() == ".toml":
            return _load(input_path)[1]
        return read_problem(input_path)

    problem = load()
    scopes = sum(len(m.scopes) for m in problem.measures)
    out.print(
        f"{input_path}: valid. {len(problem.measures)} measures ({scopes} scopes), "
        f"{problem.horizon} periods, {len(problem.resources)} resources, "
        f"{len(problem.levers)} levers, {len(problem.series)} support series, "
        f"{len(problem.dependencies)} dependencies{_dynamics_words(problem)}."
    )


def _dynamics_words(problem: Problem) -> str:
    """The policy dynamics an input declares, for ``seqopt validate`` (empty when none)."""
    counts = {
        ("upgrade", "upgrades"): sum(len(m.upgrades) for m in problem.measures),
        ("renewing measure", "renewing measures"): sum(m.renews for m in problem.measures),
        ("event", "events"): len(problem.events),
        ("substitute pair", "substitute pairs"): len(problem.substitutes),
        ("backlash row", "backlash rows"): len(problem.backlashes),
    }
    parts = [f"{n} {names[n != 1]}" for names, n in counts.items() if n]
    return "; " + ", ".join(parts) if parts else ""


@app.command("template")
@handled
def template_command(
    path: Annotated[
        Path, typer.Argument(help="Where to write: name.xlsx for a workbook, else a CSV folder.")
    ],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a blank input with every sheet, header notes and dropdowns."""

    def write() -> None:
        if path.exists() and not overwrite:
            rule = "already exists: choose another name, or pass --overwrite to replace it"
            raise InputError([Issue(Location(str(path)), rule)])
        if path.suffix.lower() == ".xlsx":
            write_workbook(path, template_grids())
        elif path.exists():
            if not path.is_dir():
                rule = "is a file: a CSV template needs a folder name (or name.xlsx)"
                raise InputError([Issue(Location(str(path)), rule)])
            with hold_output(path) as held, held.replace(_not_csv) as staging:
                write_csv_folder(template_grids(), staging)
        else:
            with atomic_folder(path) as folder:
                write_csv_folder(template_grids(), folder)

    write()
    out.print(f"Wrote a blank input to {path}.")


def _not_csv(path: Path) -> bool:
    """Files of a CSV input folder a new set of CSV files keeps (notes, a README)."""
    return path.suffix.lower() != ".csv"


@app.command("convert")
@handled
def convert_command(
    source: Annotated[Path, typer.Argument(help="Workbook (.xlsx) or CSV folder.")],
    target: Annotated[Path, typer.Argument(help="name.xlsx for a workbook, else a CSV folder.")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing target.")] = False,
) -> None:
    """Convert an input between a workbook and a folder of CSV files (lossless)."""
    kind = convert_input(source, target, overwrite=overwrite)
    out.print(f"Wrote {target} ({'workbook' if kind == 'xlsx' else 'CSV folder'}).")


@app.command("check")
@handled
def check_command(
    plan_path: Annotated[
        Path, typer.Argument(metavar="PLAN_FILE", help="Plan as CSV, workbook or plan.json.")
    ],
    model_path: Annotated[Path, typer.Option("--model", help=MODEL_HELP)],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json/--no-json",
            help="Print one JSON document (value, each rule broken with its tag, the figures).",
        ),
    ] = False,
) -> None:
    """Score a hand-made plan with the evaluator and list every rule it breaks.

    Exit code 0 when the plan breaks no rule, 4 when it breaks any (each is
    listed with its tag: docs/outputs.md, "seqopt check"), 2 when the plan file
    itself has problems.
    """
    model, problem = _load(model_path)
    found = cases.checked(problem, model, read_plan_file(plan_path, problem))
    evaluation, relaxations = found.evaluation, found.relaxations
    if as_json:
        records = cases.relaxation_records(problem, relaxations)
        document = check_document(problem, model, plan_path, evaluation, records)
        out.print_json(json.dumps(document, ensure_ascii=False), indent=2, highlight=False)
        raise typer.Exit(Exit.OK if evaluation.feasible else Exit.INFEASIBLE)
    out.print(_plan_table(problem, evaluation))
    kind = model.objective.kind.value
    if kind == "value":
        out.print(
            f"Net value {evaluation.objective:,.2f} (benefit {evaluation.benefit:,.2f}, "
            f"cost {evaluation.cost:,.2f}; --json gives every figure in full)."
        )
    else:
        out.print(f"Makespan {evaluation.makespan} periods.")
    if evaluation.feasible:
        out.print("[green]The plan breaks no rule.[/]")
        raise typer.Exit(Exit.OK)
    out.print(f"[bold red]The plan breaks {len(evaluation.violations)} rule(s):[/]")
    for violation in evaluation.violations:
        out.print(f"  - {escape(f'[{violation.rule}] {violation.message}')}")
    _print_relaxations([{"text": r.message} for r in relaxations], "this plan break no rule")
    raise typer.Exit(Exit.INFEASIBLE)


def _print_relaxations(relaxations: list[dict[str, Any]], goal: str) -> None:
    if not relaxations:
        return
    out.print(f"[bold]The smallest relaxation that would make {goal}:[/]")
    for relaxation in relaxations:
        out.print(f"  - {escape(str(relaxation['text']))}")


@app.command("generate")
@handled
def generate_command(
    target: Annotated[Path, typer.Argument(help="Folder to create: input plus model.toml.")],
    measures: Annotated[
        int, typer.Option(min=1, max=10_000, help="Number of measures (at most 10,000).")
    ] = 50,
    scopes: Annotated[int, typer.Option(min=1, max=10, help="Scopes per measure (1 to 10).")] = 3,
    periods: Annotated[
        int, typer.Option(min=2, max=10_000, help="Periods in the horizon (2 to 10,000).")
    ] = 40,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same problem.")] = 1,
    xlsx: Annotated[bool, typer.Option(help="Write a workbook instead of a CSV folder.")] = False,
    dynamics: Annotated[
        bool,
        typer.Option(
            help="Add upgrades, renewals, events, substitutes and backlash (docs/generator.md)."
        ),
    ] = False,
) -> None:
    """Write a seeded synthetic problem and a model file to solve it (docs/generator.md)."""
    _write_new_model(
        target,
        "generated",
        lambda: synthetic_problem(measures, scopes, periods, seed, dynamics=dynamics),
        synthetic_model_file,
        xlsx,
    )


@app.command("import-psplib")
@handled
def import_psplib_command(
    instance: Annotated[Path, typer.Argument(help="A PSPLIB .sm or .mm file.")],
    target: Annotated[Path, typer.Argument(help="Folder to create: input plus model.toml.")],
    xlsx: Annotated[bool, typer.Option(help="Write a workbook instead of a CSV folder.")] = False,
) -> None:
    """Convert a PSPLIB instance into a seqopt input and a makespan model file."""
    _write_new_model(
        target, "imported", lambda: to_problem(read_instance(instance)), psplib_model_file, xlsx
    )


def _write_new_model(
    target: Path,
    how: str,
    make: Callable[[], Problem],
    model_file: Callable[[str, str], str],
    xlsx: bool,
) -> None:
    """Write a new folder with a problem's input and the model file to solve it, atomically."""

    def write() -> Path:
        if target.exists():
            rule = f"already exists: choose a new folder for the {how} model"
            raise InputError([Issue(Location(str(target)), rule)])
        problem = make()
        input_name = "input.xlsx" if xlsx else "input"
        with atomic_folder(target) as folder:
            write_problem(problem, folder / input_name)
            (folder / "model.toml").write_text(
                model_file(problem.name, input_name), encoding="utf-8"
            )
        return target / "model.toml"

    model_path = write()
    out.print(f"Wrote {model_path} and its input; solve it with: seqopt solve {model_path}")


@app.command("report")
@handled
def report_command(
    result_dir: Annotated[
        Path,
        typer.Argument(metavar="RESULT_DIR", help="Folder seqopt solve wrote (has plan.json)."),
    ],
) -> None:
    """Write report.html (self-contained, with charts) and the charts as SVG and PNG.

    The report is drawn from RESULT_DIR/plan.json alone: nothing is solved again.
    """
    from seqopt.report.document import plan_path, read_plan
    from seqopt.report.write import write_report  # matplotlib is slow to import

    folder = plan_path(result_dir).parent
    with hold_output(folder) as held:
        holding(folder)
        document = read_plan(result_dir)
        step(f"read {plan_path(result_dir)}")
        with held.replace() as staging:
            page, *charts = _wrote(folder, write_report(staging, document))
    beside = f" and {len(charts)} chart files (SVG, PNG) beside it" if charts else ""
    out.print(f"Wrote {escape(str(page))}{beside}.")


def _scheduler_available(scheduler: str | None) -> None:
    """Exit 2 with a plain message when --scheduler is asked for without dask installed."""
    if scheduler is None:
        return
    try:
        import distributed  # noqa: F401
    except ImportError:
        err.print(
            "[bold red]--scheduler needs Dask:[/] install it with pip install 'seqopt[dask]' "
            "(or pip install 'dask[distributed]'), or leave --scheduler out to use this "
            "machine's processes."
        )
        raise typer.Exit(Exit.INPUT) from None


def _base_solve(problem: Problem, model: ModelFile) -> SolveResult:
    """Solve the model (a Ctrl-C the solver noticed ends the command here)."""
    with _internal():
        return cases.base_solve(problem, model, TERMINAL)


WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1, max=256, help="Processes on this machine (default: every core); Dask workers."
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="Run on a Dask cluster (tcp://host:8786), or 'local' for a LocalCluster.",
    ),
]


@app.command("simulate")
@handled
def simulate_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    samples: Annotated[
        int, typer.Option(min=1, max=100_000, help="Scenarios to draw and solve.")
    ] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same results.")] = 1,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    output: OutOption = None,
    report: ReportOption = False,
) -> None:
    """Draw scenarios from every estimate's range, re-solve each, and judge the base plan.

    Writes simulation.json (core index, signing periods, value, regret, breakage),
    scenarios.csv (one row per scenario and measure) and samples.csv, beside the
    base plan's plan.json (docs/uncertainty.md).
    """
    _scheduler_available(scheduler)
    model, problem = _load(model_path)
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        _simulate(problem, model, samples, seed, workers, scheduler, report, held)


def _simulate(
    problem: Problem,
    model: ModelFile,
    samples: int,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    report: bool,
    held: OutputFolder,
) -> None:
    with _internal():
        found = cases.simulated(problem, model, samples, seed, workers, scheduler, TERMINAL)
    with held.replace() as staging:
        written = cases.write_simulated(staging, problem, found, report)
    written = _wrote(held.path, written)
    run, elapsed = found.run, found.seconds
    for line in _simulation_lines(run.document):
        out.print(escape(line))
    out.print(
        f"[dim]{samples} scenarios in {elapsed:.1f} s ({samples / elapsed:.1f} per second). "
        f"Wrote {', '.join(str(p) for p in written)}.[/]"
    )


def _simulation_lines(document: dict[str, Any]) -> list[str]:
    value = document["value"]
    lines = [
        f"{document['solved']} of {document['samples']} scenarios solved (seed {document['seed']})."
    ]
    if value.get("count"):
        p = value["percentiles"]
        base = document["base_value"]
        at_base = f"{base:,.2f}" if base is not None else "no plan"
        lines.append(
            f"Optimal value: mean {value['mean']:,.2f}, 5th-95th percentile "
            f"{p['5']:,.2f} to {p['95']:,.2f} (base optimum: {at_base})."
        )
    lines.append("Core index (share of scenarios in which a measure is in the optimal plan):")
    for m in sorted(document["measures"], key=lambda m: -m["core_index"]):
        scope = f", most often {m['most_common_scope_name']}" if m["most_common_scope"] else ""
        lines.append(f"  {m['core_index']:6.1%}  {m['measure_name']}{scope}")
    base = document["base_plan"]
    lines.append(
        f"The base plan breaks a rule in {base['broken']} of {document['samples']} scenarios "
        f"({base['broken_share']:.1%})."
    )
    for rule in base["rules"][:5]:
        lines.append(f"  {rule['share']:6.1%}  {rule['rule']}")
    regret = document["regret"]
    if regret.get("count"):
        lines.append(
            f"Regret of the base plan where it still holds ({regret['count']} scenarios): "
            f"mean {regret['mean']:,.2f}, at most {regret['max']:,.2f}."
        )
    return lines


@app.command("adapt")
@handled
def adapt_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    futures: Annotated[
        int, typer.Option(min=1, max=100_000, help="Futures to draw and act out.")
    ] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same results.")] = 1,
    replan: Annotated[
        Rule,
        typer.Option(
            help="Re-plan on the expected future, or on a sample of futures drawn each period."
        ),
    ] = Rule.EXPECTED,
    replan_samples: Annotated[
        int, typer.Option(min=2, max=200, help="With --replan sample: futures per re-plan.")
    ] = 8,
    robust_scenarios: Annotated[
        int,
        typer.Option(min=0, max=1000, help="Scenarios the robust plan is chosen on (0: none)."),
    ] = 20,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    output: OutOption = None,
    report: ReportOption = False,
) -> None:
    """Re-plan every period as support is observed; compare with fixed plans; map the pathways.

    Writes adaptive.json (the comparison, the value of adaptivity, the first
    decision, the pathways and their signposts) and futures.csv, beside the base
    plan's plan.json (docs/adaptive.md).
    """
    _scheduler_available(scheduler)
    model, problem = _load(model_path)
    if model.objective.kind.value != "value":
        rule = "adapt compares the value of policies: it needs the value objective"
        raise InputError(
            [
                Issue(
                    Location(str(model.path), key="objective.kind"),
                    rule,
                    model.objective.kind.value,
                )
            ]
        )
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        _adapt(
            problem,
            model,
            (futures, seed, replan, replan_samples, robust_scenarios),
            workers,
            scheduler,
            report,
            held,
        )


def _adapt(
    problem: Problem,
    model: ModelFile,
    how: tuple[int, int, Rule, int, int],
    workers: int | None,
    scheduler: str | None,
    report: bool,
    held: OutputFolder,
) -> None:
    from seqopt.adaptive.analysis import adapt
    from seqopt.adaptive.summary import summary_lines, write_adaptive

    count, seed, rule, samples, robust_scenarios = how
    base = _base_solve(problem, model)
    if base.plan is None:
        err.print(
            f"[bold red]The base model has no plan ({base.status.value}): nothing to adapt.[/]"
        )
        raise typer.Exit(EXIT_FOR_STATUS[base.status])
    started = time.perf_counter()
    with _internal(), Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"Acting out {count} futures", total=count)
        run = adapt(
            problem,
            model,
            count,
            seed,
            rule=rule,
            rule_samples=samples,
            robust_scenarios=robust_scenarios,
            workers=workers if workers is not None else os.cpu_count() or 1,
            scheduler=scheduler,
            base=base,
            done=lambda n: progress.advance(task, n),
        )
    interrupt.check()
    elapsed = time.perf_counter() - started
    step(f"acted out {count} futures")
    document = cases.judged(problem, model, base)
    with held.replace() as staging:
        written = write_outputs(staging, document)
        written += write_adaptive(staging, run.document, problem, run.futures)
        if report:
            written += _write_report(staging, document)
    written = _wrote(held.path, written)
    for line in summary_lines(run.document):
        out.print(escape(line))
    out.print(
        f"[dim]{count} futures in {elapsed:.1f} s. Wrote {', '.join(str(p) for p in written)}.[/]"
    )


@app.command("sensitivity")
@handled
def sensitivity_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    break_even: Annotated[
        int, typer.Option(min=0, help="Inputs (widest swings first) to find break-even values for.")
    ] = 5,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    output: OutOption = None,
    report: ReportOption = False,
) -> None:
    """Swing every estimate to its low and high end, one at a time: a tornado of value changes.

    Flags swings that change the plan, and finds break-even values at which a
    measure enters or leaves it. Writes sensitivity.json and sensitivity.csv.
    """
    _scheduler_available(scheduler)
    model, problem = _load(model_path)
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        _sensitivity(problem, model, break_even, workers, scheduler, report, held)


def _sensitivity(
    problem: Problem,
    model: ModelFile,
    break_even: int,
    workers: int | None,
    scheduler: str | None,
    report: bool,
    held: OutputFolder,
) -> None:
    try:
        with _internal():
            found = cases.swung(problem, model, break_even, workers, scheduler, TERMINAL)
    except cases.NoPlan as error:
        err.print(f"[bold red]{escape(str(error))}[/]")
        raise typer.Exit(EXIT_FOR_STATUS[error.result.status]) from None
    with held.replace() as staging:
        written = cases.write_swung(staging, found, report)
    written = _wrote(held.path, written)
    document = found.sensitivity
    out.print(f"Base value {document['base_value']:,.2f}. Widest swings:")
    for swing in document["swings"][:10]:
        changes = [swing[end]["change"] for end in ("low", "high")]
        text = " to ".join("—" if c is None else f"{c:+,.2f}" for c in changes)
        flag = (
            " (plan changes)"
            if swing["low"]["plan_changes"] or swing["high"]["plan_changes"]
            else ""
        )
        out.print(f"  {escape(swing['subject'])}: {text}{flag}")
    for item in document["break_even"]:
        out.print(f"  - {escape(item['text'])}")
    out.print(f"[dim]Wrote {', '.join(str(p) for p in written)}.[/]")


def _solve_robust(
    problem: Problem,
    model: ModelFile,
    count: int,
    measure: RiskMeasure,
    level: float,
    held: OutputFolder,
) -> Status:
    from seqopt.uncertainty.analyses import robust

    base = _base_solve(problem, model)
    with _internal(), err.status(f"Choosing one plan over {count} scenarios…", spinner="dots"):
        run = robust(problem, model, count, measure, level, base)
    interrupt.check()
    step(f"chose one plan over {count} scenarios")
    document = run.document
    with held.replace() as staging:
        write_text(
            staging / "robust.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        )
    target = held.path / "robust.json"
    status = run.robust.status
    out.print(f"Robust plan ({measure.value} over {count} scenarios): {STATUS_WORDS[status]}.")
    for note in document["notes"]:
        out.print(f"  - {escape(note)}")
    if document["plan"] is not None:
        for item in document["plan"]["schedule"]:
            out.print(
                f"  {item['start']}: {escape(item['measure_name'])} ({escape(item['scope_name'])})"
            )
        for up in document["plan"]["upgrades"]:
            out.print(
                f"  {up['start']}: {escape(up['measure_name'])} widened to "
                f"{escape(up['scope_name'])}"
            )
        for use in document["plan"]["lever_uses"]:
            out.print(f"  {use['period']}: {escape(use['lever_name'])}")
    for sample in ("in_sample", "out_of_sample"):
        scenarios = document["scenarios" if sample == "in_sample" else "check_scenarios"]
        words = (
            "on the scenarios it was chosen on"
            if sample == "in_sample"
            else (f"on {scenarios} fresh scenarios")
        )
        for name, scored in document[sample].items():
            value = scored["value_where_feasible"]
            mean = f"mean value {value['mean']:,.2f}" if value.get("count") else "no value"
            out.print(
                f"  {name} plan {words}: breaks a rule in {scored['broken_share']:.1%}; "
                f"{mean} where it holds."
            )
    out.print(f"[dim]Wrote {target}.[/]")
    return status


@app.command("frontier")
@handled
def frontier_command(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    more: Annotated[
        list[float] | None,
        typer.Argument(metavar="[LEVEL]...", help="More reliability levels after --reliability."),
    ] = None,
    reliability: Annotated[
        float | None,
        typer.Option(
            "--reliability",
            help="Trade value for reliability at these levels: --reliability 0 0.5 0.8 0.9 "
            "(default: uncertainty.frontier in the model file).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed of the samples (model file: uncertainty.seed).")
    ] = None,
    cost: Annotated[
        bool,
        typer.Option(
            "--cost",
            help="Instead: the exact frontier of discounted benefit against political cost.",
        ),
    ] = False,
    discounted_cost: Annotated[
        bool,
        typer.Option(
            "--discounted-cost",
            help="With --cost: count cost discounted, as the objective does (many more points).",
        ),
    ] = False,
    least_margin: Annotated[
        bool,
        typer.Option(
            "--least-margin",
            help="Instead: value against the least support margin at any signing.",
        ),
    ] = False,
    margin_step: Annotated[
        float,
        typer.Option(
            min=1e-6, max=100.0, help="With --least-margin: points beyond the last plan's margin."
        ),
    ] = 1e-4,
    workers: WorkersOption = None,
    output: OutOption = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Also write report.html with the frontier."),
    ] = False,
) -> None:
    """The price of safety, or of benefit: the best plan at each level, and what it gives up.

    By default (--reliability): writes frontier.json (every level's plan, value,
    reliability on fresh scenarios and what changes from the previous level),
    frontier.svg and frontier.png (value against reliability, knee marked), beside
    the plan optimal at base values (docs/uncertainty.md).

    With --cost: writes cost_frontier.json (every plan no other beats on both
    discounted benefit and political cost, each proven by an epsilon-constraint
    sweep, and what changes between neighbours), cost_frontier.svg and .png
    (docs/frontier.md).

    With --least-margin: writes margin_frontier.json (the best plan for each least
    margin of support at any signing, from the optimal plan to the safest).
    """
    if least_margin:
        if cost or reliability is not None or more:
            rule = "--least-margin is a frontier of its own: leave out --cost and the levels"
            raise InputError([Issue(Location(key="--least-margin"), rule, True)])
        _margin_frontier(model_path, margin_step, output)
        return
    if cost:
        if reliability is not None or more:
            rule = "--cost trades benefit against cost: leave out the reliability levels"
            raise InputError([Issue(Location(key="--cost"), rule, reliability)])
        _cost_frontier(model_path, discounted_cost, output, report)
        return
    if discounted_cost:
        raise InputError([Issue(Location(key="--discounted-cost"), "needs --cost", True)])
    from seqopt.report.frontier import write_frontier_chart
    from seqopt.uncertainty.frontier import FRONTIER_FILE, frontier, frontier_document

    model, problem = _load(model_path)
    model = model.with_uncertainty(seed=seed)
    levels = _levels(model, reliability, more or [])
    if not sites(problem):
        rule = "no estimate has a range: every plan goes through in every case"
        raise InputError([Issue(Location(str(model.input)), rule)])
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        base = _base_solve(problem, model)
        started = time.perf_counter()
        climbing = f"Climbing to reliability {max(levels):.0%}…"
        with _internal(), err.status(climbing, spinner="dots"):
            count = workers if workers is not None else os.cpu_count() or 1
            points, rungs = frontier(problem, model, levels, base, workers=count)
            document = cases.judged(problem, model, base)
        interrupt.check()
        elapsed = time.perf_counter() - started
        step(f"climbed {len(points)} reliability levels")
        found = frontier_document(problem, model, points, rungs)
        with held.replace() as staging:
            written = write_outputs(staging, document)
            write_text(
                staging / FRONTIER_FILE, json.dumps(found, indent=2, ensure_ascii=False) + "\n"
            )
            written.append(staging / FRONTIER_FILE)
            # The report draws the chart with the others; without it, the chart is alone.
            written += (
                _write_report(staging, document) if report else write_frontier_chart(staging, found)
            )
        written = _wrote(held.path, written)
    for line in _frontier_lines(found):
        out.print(escape(line))
    out.print(f"[dim]{elapsed:.1f} s. Wrote {', '.join(str(p) for p in written)}.[/]")


def _margin_frontier(model_path: Path, step_size: float, output: Path | None) -> None:
    from seqopt.tradeoffs.margin_frontier import (
        MARGIN_FILE,
        margin_frontier,
        margin_frontier_document,
        margin_frontier_lines,
    )

    model, problem = _load(model_path)
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        base = _base_solve(problem, model)
        started = time.perf_counter()
        with _internal(), err.status("Raising the margin…", spinner="dots") as status:
            found = margin_frontier(
                problem,
                model.objective,
                model.solver,
                step=step_size,
                found=lambda p: status.update(
                    f"Raising the margin: {p.least_margin or 0:,.2f} points, value {p.value:,.2f}…"
                ),
            )
        interrupt.check()
        elapsed = time.perf_counter() - started
        step(f"found {len(found.points)} points of the margin frontier")
        document = cases.judged(problem, model, base)
        record = margin_frontier_document(problem, model, found)
        with held.replace() as staging:
            written = write_outputs(staging, document)
            text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
            write_text(staging / MARGIN_FILE, text)
            written.append(staging / MARGIN_FILE)
        written = _wrote(held.path, written)
    for line in margin_frontier_lines(record):
        out.print(escape(line))
    out.print(f"[dim]{elapsed:.1f} s. Wrote {', '.join(str(p) for p in written)}.[/]")
    unproven = any(not p.proven for p in found.points) or not found.complete
    raise typer.Exit(Exit.GAP if unproven else Exit.OK)


def _cost_frontier(model_path: Path, discounted: bool, output: Path | None, report: bool) -> None:
    from seqopt.report.cost_frontier import write_cost_frontier_chart
    from seqopt.tradeoffs.cost_document import (
        COST_FRONTIER_FILE,
        cost_frontier_document,
        cost_frontier_lines,
    )
    from seqopt.tradeoffs.cost_frontier import cost_frontier

    model, problem = _load(model_path)
    if model.objective.kind.value != "value":
        rule = "the benefit–cost frontier needs the value objective"
        where = Location(str(model.path), key="objective.kind")
        raise InputError([Issue(where, rule, model.objective.kind.value)])
    folder = output if output is not None else model.output
    with hold_output(folder) as held:
        holding(folder)
        base = _base_solve(problem, model)
        started = time.perf_counter()
        with _internal(), err.status("Sweeping the budget…", spinner="dots") as status:
            found = cost_frontier(
                problem,
                model.objective,
                model.solver,
                discounted=discounted,
                found=lambda p: status.update(
                    f"Sweeping the budget: cost {p.cost:,.3f}, benefit {p.benefit:,.2f}…"
                ),
            )
        interrupt.check()
        elapsed = time.perf_counter() - started
        step(f"found {len(found.points)} points of the benefit–cost frontier")
        document = cases.judged(problem, model, base)
        record = cost_frontier_document(problem, model, found)
        with held.replace() as staging:
            written = write_outputs(staging, document)
            text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
            write_text(staging / COST_FRONTIER_FILE, text)
            written.append(staging / COST_FRONTIER_FILE)
            written += (
                _write_report(staging, document)
                if report
                else write_cost_frontier_chart(staging, record)
            )
        written = _wrote(held.path, written)
    for line in cost_frontier_lines(record):
        out.print(escape(line))
    out.print(
        f"[dim]{found.solves} programs in {elapsed:.1f} s. "
        f"Wrote {', '.join(str(p) for p in written)}.[/]"
    )
    unproven = any(not p.proven for p in found.points) or not found.complete
    raise typer.Exit(Exit.GAP if unproven else Exit.OK)


def _levels(model: ModelFile, first: float | None, more: list[float]) -> list[float]:
    """Reliability levels from the command line (or the model file), each checked."""
    given = ([first] if first is not None else []) + list(more)
    if not given:
        return list(model.uncertainty.frontier)
    bad = [level for level in given if not 0 <= level < 1]
    if bad:
        issue = Issue(Location(key="--reliability"), "levels must be shares from 0 to below 1", bad)
        raise InputError([issue])
    return sorted(set(given))


def _frontier_lines(document: dict[str, Any]) -> list[str]:
    lines = [
        f"{'Asked':>7}  {'Value':>10}  {'Holds':>6}  Scenarios  Changes from the previous plan"
    ]
    for i, point in enumerate(document["points"]):
        value = "no plan" if point["value"] is None else f"{point['value']:,.2f}"
        asked = f"{point['level']:.0%}" + ("" if point["reached"] else "*")
        knee = "  <- knee" if document["knee"] == i else ""
        changed = "; ".join(point["changes"]) or "-"
        lines.append(
            f"{asked:>7}  {value:>10}  {point['fresh']:6.1%}  {point['scenarios']:>9}  "
            f"{changed}{knee}"
        )
    if any(not p["reached"] for p in document["points"]):
        lines.append("* not reached: the most reliable plan found is shown.")
    return lines


@app.command("compare")
@handled
def compare_command(
    model_paths: Annotated[
        list[Path], typer.Argument(metavar="MODEL...", help="Two or more model files (TOML).")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default: compare_<names> beside the first model's output).",
        ),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Also write report.html and its chart.")
    ] = False,
) -> None:
    """Solve several model files and show their plans side by side, and what moves between them.

    Each plan is compared with the first model's: value, what each signs when and at
    which scope, measures moved (periods earlier or later), added or left out, and
    levers bought. Writes compare.json, compare.md and compare.xlsx; with --report,
    report.html and the roadmap diff chart (docs/compare.md).
    """
    from seqopt.tradeoffs.compare import compare_document, compare_plans, read_models, solve_models
    from seqopt.tradeoffs.compare_files import write_compare

    started = time.perf_counter()
    if len(model_paths) < 2:
        rule = "compare needs at least two model files"
        raise InputError([Issue(Location(key="MODEL..."), rule, len(model_paths))])
    loaded = read_models(model_paths)
    for model, problem in loaded:
        cases.engine(model, problem, Location(str(model.path), key="solver.name"))
    step(f"read {len(loaded)} model files")
    names = "_".join(model.name for model, _ in loaded)
    folder = output if output is not None else loaded[0][0].output.parent / f"compare_{names}"
    with hold_output(folder) as held:
        holding(folder)
        with _internal(), err.status("Solving…", spinner="dots") as status:
            solved = solve_models(
                loaded,
                lambda model, result: status.update(
                    f"Solved {model.name} ({result.status.value})…"
                ),
            )
        interrupt.check()
        step(f"solved {len(solved)} models")
        document = compare_document(compare_plans([s.document for s in solved]))
        with held.replace() as staging:
            written = write_compare(staging, document)
            if report:
                from seqopt.report.compare import write_compare_report

                written += write_compare_report(staging, document)
        written = _wrote(folder, written)
    out.print(_compare_table(document))
    for move in document["moves"]:
        out.print(f"  {escape(move['model'])}: {escape(move['text'])}")
    if not document["moves"]:
        out.print(
            "  Nothing moves: every plan signs the same measures at the same scopes and times."
        )
    for note in document["notes"]:
        out.print(f"  - {escape(note)}")
    elapsed = time.perf_counter() - started
    out.print(f"[dim]{elapsed:.2f} s. Wrote {', '.join(str(p) for p in written)}.[/]")
    raise typer.Exit(max(EXIT_FOR_STATUS[s.result.status] for s in solved))


def _compare_table(document: dict[str, Any]) -> Table:
    from seqopt.tradeoffs.compare_files import signing_words

    table = Table(title="Plans side by side", title_justify="left")
    names = [m["name"] for m in document["models"]]
    table.add_column("")
    for name in names:
        table.add_column(escape(name))
    for label, key in (("Status", "status_words"), ("Net value", "value"), ("Cost", "cost")):
        cells = []
        for m in document["models"]:
            value = m[key]
            cells.append(f"{value:,.2f}" if isinstance(value, float) else escape(str(value)))
        table.add_row(f"[bold]{label}[/]", *cells)
    table.add_row(
        "[bold]Horizon[/]",
        *(escape(f"{m['first_period']} to {m['last_period']}") for m in document["models"]),
    )
    for measure in document["measures"]:
        table.add_row(
            escape(measure["measure_name"]),
            *(escape(signing_words(measure["plans"][n])) for n in names),
        )
    for lever in document["levers"]:
        table.add_row(
            f"[italic]{escape(lever['lever_name'])}[/]",
            *(escape(", ".join(lever["uses"][n]) or "not used") for n in names),
        )
    return table


@app.command("version")
@handled
def version_command() -> None:
    """Print the seqopt version (as seqopt --version does)."""
    out.print(__version__)


def main() -> None:
    """Entry point of the ``seqopt`` script: the Ctrl-C handler is installed for the run."""
    with interrupt.installed():
        app()


__all__ = ["STATUS_WORDS", "Exit", "SolveResult", "app", "main"]
