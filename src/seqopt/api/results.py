"""What the Python API returns: a plan, its explanation, a check, a simulation, a sensitivity.

Each is an immutable value holding the JSON-ready documents the command line
writes (``plan.json``, ``simulation.json`` …) and shows them as pandas tables.
Tables are built afresh on each access, so changing one never changes the
result. ``write`` writes the same files as the command line, into an output
folder that is held for the run and replaced as a whole (:mod:`seqopt.atomic`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import escape

from seqopt.api import cases, display, frames
from seqopt.atomic import hold_output
from seqopt.evaluate import Evaluation
from seqopt.explain.diagnose import Relaxation
from seqopt.outputs import check_document, headline
from seqopt.solve import SolveResult, Status

if TYPE_CHECKING:
    from seqopt.api.model import Model

PathLike = str | Path


def _write(folder: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Hold ``folder``, write a new set of files into it with ``write``, swap it in."""
    with hold_output(folder) as held, held.replace() as staging:
        written = write(staging)
    return [folder / path.name for path in written]


@dataclass(frozen=True)
class Plan:
    """A solve's answer: the status, the plan (when there is one) and everything recomputed from it.

    Returned by :meth:`Model.solve <seqopt.api.model.Model.solve>`. Every figure
    comes from the independent evaluator, as in ``plan.json``, which
    :attr:`document` holds.
    """

    model: Model
    """The model solved (with the settings of the solve)."""
    result: SolveResult
    """The solve of the plan recorded."""
    base: SolveResult
    """The solve at base values: the same as :attr:`result` unless a reliability or
    margin asked for another plan."""
    document: dict[str, Any]
    """``plan.json``, as written by :meth:`write`."""

    @property
    def status(self) -> Status:
        """What the solve established (optimal, feasible, infeasible, no solution in time …)."""
        return self.result.status

    @property
    def has_plan(self) -> bool:
        """Whether there is a plan (the status is optimal or feasible)."""
        return self.result.status.has_plan

    @property
    def value(self) -> float | None:
        """Net value (or makespan) of the plan, by the evaluator; ``None`` without a plan."""
        return self.result.objective

    @property
    def bound(self) -> float | None:
        """The best bound the solver proved."""
        return self.result.bound

    @property
    def gap(self) -> float | None:
        """Relative gap between value and bound (0 for a proven optimum)."""
        return self.result.gap

    @property
    def solver(self) -> str:
        """The engine that ran (``highs``, ``highs-pulp``, ``cbc`` or ``cpsat``)."""
        return self.result.solver

    @property
    def evaluation(self) -> Evaluation | None:
        """The evaluator's account of the plan (support, resources, violations …)."""
        return self.result.evaluation

    @property
    def notes(self) -> tuple[str, ...]:
        """What the solve found worth saying (e.g. why a model is infeasible)."""
        return self.result.notes

    @property
    def reliability(self) -> float | None:
        """Share of fresh sampled scenarios the plan goes through in (``None``: no ranges)."""
        part = self.document.get("reliability")
        return float(part["share"]) if part else None

    @property
    def relaxations(self) -> list[str]:
        """For an infeasible model: the smallest relaxation that makes it feasible, in words."""
        return [r["text"] for r in self.document.get("diagnosis", {}).get("relaxations", [])]

    @property
    def headline(self) -> str:
        """One paragraph: the status and what the plan is worth (as in ``summary.md``)."""
        return headline(self.document).replace("**", "")

    @property
    def schedule(self) -> pd.DataFrame:
        """One row per measure in the plan (see :func:`seqopt.api.frames.schedule`)."""
        return frames.schedule(self.document)

    @property
    def lever_uses(self) -> pd.DataFrame:
        """One row per use of a lever."""
        return frames.lever_uses(self.document)

    @property
    def support(self) -> pd.DataFrame:
        """Support of every series in every period under the plan."""
        return frames.support(self.document)

    @property
    def thresholds(self) -> pd.DataFrame:
        """Every signing threshold, with the support and margin at the plan's signings."""
        return frames.thresholds(self.document)

    @property
    def resources(self) -> pd.DataFrame:
        """Use of every resource in every period, against its capacity."""
        return frames.resources(self.document)

    @property
    def left_out(self) -> pd.DataFrame:
        """The measures the plan does not do."""
        return frames.left_out(self.document)

    def write(self, folder: PathLike | None = None, *, report: bool = False) -> list[Path]:
        """Write ``plan.json``, ``plan.xlsx``, ``summary.md`` (and with ``report`` the report).

        Parameters
        ----------
        folder
            The output folder; the model's (``[model] output``) by default. It is
            held for the run and its files replaced as a whole; files there that
            this does not write (a ``simulation.json``) are kept.
        report
            Also write ``report.html`` and its charts (SVG and PNG).

        Returns
        -------
        list of Path
            The files written.
        """
        target = Path(folder) if folder is not None else self.model.output
        return _write(target, lambda staging: cases.write_plan(staging, self.document, report))

    def explain(self, measure: str | None = None, *, what_if: bool = True) -> Explanation:
        """Why each measure of the plan at base values is where it is (:meth:`Model.explain`)."""
        return self.model.explain(measure, what_if=what_if, base=self.base)

    def simulate(
        self,
        samples: int = 200,
        *,
        seed: int = 1,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> Simulation:
        """Judge the plan at base values on sampled scenarios (see :meth:`Model.simulate`)."""
        return self.model.simulate(
            samples, seed=seed, workers=workers, scheduler=scheduler, base=self.base
        )

    def sensitivity(
        self, *, break_even: int = 5, workers: int | None = None, scheduler: str | None = None
    ) -> Sensitivity:
        """Swing every estimate around the plan at base values (see :meth:`Model.sensitivity`)."""
        return self.model.sensitivity(
            break_even=break_even, workers=workers, scheduler=scheduler, base=self.base
        )

    def _repr_html_(self) -> str:
        return display.plan_html(self.document)

    def __repr__(self) -> str:
        value = "no plan" if self.value is None else f"value {self.value:,.2f}"
        return f"<seqopt Plan of {self.model.name}: {self.status.value}, {value}>"


def _records(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))


@dataclass(frozen=True)
class Explanation:
    """Why each measure is where it is, what forcing it would cost, what would bring it in.

    Returned by :meth:`Model.explain <seqopt.api.model.Model.explain>`. The
    plan explained is the one optimal at base values; :attr:`plan`'s document
    holds the explanations as ``explanations.json`` does.
    """

    plan: Plan

    @property
    def document(self) -> dict[str, Any]:
        """``explanations.json``."""
        return cases.explanations_file(self.plan.document)

    @property
    def reasons(self) -> pd.DataFrame:
        """Per measure: done or left out, the earliest start possible, and why, in words."""
        rows = self.plan.document.get("explanations", {}).get("reasons", [])
        return _records(rows, ("measure", "measure_name", "status", "earliest", "start", "text"))

    @property
    def forcing(self) -> pd.DataFrame:
        """Per measure: the value of the best plan that does it otherwise (in, out, earlier)."""
        rows = self.plan.document.get("explanations", {}).get("forcing", [])
        return _records(
            rows, ("measure", "measure_name", "how", "status", "value", "delta", "text")
        )

    @property
    def changes(self) -> pd.DataFrame:
        """Per measure left out: the change of one input that would bring it in."""
        rows = self.plan.document.get("explanations", {}).get("changes", [])
        return _records(rows, ("measure", "measure_name", "input", "current", "needed", "text"))

    def write(self, folder: PathLike | None = None, *, report: bool = False) -> list[Path]:
        """Write the plan's outputs and ``explanations.json``.

        The report too with ``report``, or when one is there already.
        """
        target = Path(folder) if folder is not None else self.plan.model.output
        return _write(
            target, lambda staging: cases.write_explanations(staging, self.plan.document, report)
        )

    def _repr_html_(self) -> str:
        from seqopt.report.why import why_sections

        parts = [display.plan_html(self.plan.document, chart=False)]
        for section in why_sections(self.plan.document):
            items = "".join(f"<li>{escape(item)}</li>" for item in section.items)
            parts.append(f"<h4>{escape(section.title)}</h4><ul>{items}</ul>")
        return "\n".join(parts)


VIOLATION_COLUMNS = ("rule", "subject", "message", "period", "amount")


@dataclass(frozen=True)
class Check:
    """A plan scored by the evaluator: its value, every rule it breaks, what would fix it.

    Returned by :meth:`Model.check <seqopt.api.model.Model.check>`.
    """

    model: Model
    evaluation: Evaluation
    relaxations: tuple[Relaxation, ...]
    plan_file: Path | None = None
    """The plan file checked, when the plan came from one."""

    @property
    def feasible(self) -> bool:
        """Whether the plan breaks no rule."""
        return self.evaluation.feasible

    @property
    def value(self) -> float:
        """Net value (or makespan), as the evaluator computes it, rules broken or not."""
        return self.evaluation.objective

    @property
    def violations(self) -> pd.DataFrame:
        """Every rule the plan breaks: the rule's tag, what, in words, when and by how much."""
        labels = self.model.problem.periods
        rows = [
            {
                "rule": v.rule,
                "subject": v.subject,
                "message": v.message,
                "period": labels[v.period]
                if v.period is not None and 0 <= v.period < len(labels)
                else None,
                "amount": v.amount,
            }
            for v in self.evaluation.violations
        ]
        return pd.DataFrame(rows, columns=list(VIOLATION_COLUMNS))

    @property
    def document(self) -> dict[str, Any]:
        """What ``seqopt check --json`` prints."""
        return check_document(
            self.model.problem,
            self.model.file,
            self.plan_file if self.plan_file is not None else Path("(a plan given in Python)"),
            self.evaluation,
            cases.relaxation_records(self.model.problem, self.relaxations),
        )

    def _repr_html_(self) -> str:
        if self.feasible:
            verdict = "<strong style='color:#1a7f37'>The plan breaks no rule.</strong>"
        else:
            count = len(self.evaluation.violations)
            items = "".join(
                f"<li>[{escape(v.rule)}] {escape(v.message)}</li>"
                for v in self.evaluation.violations
            )
            verdict = (
                f"<strong style='color:#cf222e'>The plan breaks {count} rule(s):</strong>"
                f"<ul>{items}</ul>"
            )
        return f"<div style='{display.BOX}'><p>Value {self.value:,.2f}.</p>{verdict}</div>"


@dataclass(frozen=True)
class Simulation:
    """Scenarios drawn from the estimates' ranges, each solved again, and the base plan judged.

    Returned by :meth:`Model.simulate <seqopt.api.model.Model.simulate>`.
    """

    plan: Plan
    """The plan at base values, judged."""
    run: Any
    """The run itself (:class:`seqopt.uncertainty.analyses.Simulation`)."""

    @property
    def document(self) -> dict[str, Any]:
        """``simulation.json``."""
        document: dict[str, Any] = self.run.document
        return document

    @property
    def core_index(self) -> pd.DataFrame:
        """Per measure: the share of scenarios whose optimal plan does it, with its interval."""
        rows = [
            {
                "measure": m["measure"],
                "measure_name": m["measure_name"],
                "core_index": m["core_index"],
                "low_95": m["interval_95"][0],
                "high_95": m["interval_95"][1],
                "most_common_scope": m["most_common_scope"],
            }
            for m in self.document["measures"]
        ]
        columns = ("measure", "measure_name", "core_index", "low_95", "high_95")
        return pd.DataFrame(rows, columns=[*columns, "most_common_scope"])

    @property
    def scenarios(self) -> pd.DataFrame:
        """One row per scenario and measure, as ``scenarios.csv``."""
        from seqopt.uncertainty.results import scenarios_csv

        text = scenarios_csv(self.plan.model.problem, self.run.outcomes)
        return pd.read_csv(io.StringIO(text))

    @property
    def broken_share(self) -> float:
        """Share of scenarios in which the base plan breaks a rule."""
        return float(self.document["base_plan"]["broken_share"])

    def write(self, folder: PathLike | None = None, *, report: bool = False) -> list[Path]:
        """Write the base plan's outputs, ``simulation.json``, ``scenarios.csv``, ``samples.csv``.

        The report too with ``report``.
        """
        target = Path(folder) if folder is not None else self.plan.model.output
        simulated = cases.Simulated(self.plan.base, self.run, self.plan.document, 0.0)
        problem = self.plan.model.problem
        return _write(
            target, lambda staging: cases.write_simulated(staging, problem, simulated, report)
        )

    def _repr_html_(self) -> str:
        document = self.document
        table = self.core_index.sort_values("core_index", ascending=False)
        return (
            f"<div style='{display.BOX}'><p>{document['solved']} of {document['samples']} "
            f"scenarios solved (seed {document['seed']}); the base plan breaks a rule in "
            f"{self.broken_share:.1%} of them.</p>"
            f"{table.to_html(index=False, float_format=lambda x: f'{x:.3f}')}</div>"
        )


@dataclass(frozen=True)
class Sensitivity:
    """Every estimate swung to its low and high end, one at a time, and break-even values.

    Returned by :meth:`Model.sensitivity <seqopt.api.model.Model.sensitivity>`.
    """

    plan: Plan
    """The plan at base values, judged."""
    document: dict[str, Any]
    """``sensitivity.json``."""

    @property
    def swings(self) -> pd.DataFrame:
        """Per estimate, widest first: the optimal value's change at each end of its range.

        Also its base value and whether the plan changes at each end.
        """
        rows = [
            {
                "subject": s["subject"],
                "path": s["path"],
                "base": s["base"],
                "width": s["width"],
                "low": s["low"]["value"],
                "low_change": s["low"]["change"],
                "low_plan_changes": s["low"]["plan_changes"],
                "high": s["high"]["value"],
                "high_change": s["high"]["change"],
                "high_plan_changes": s["high"]["plan_changes"],
            }
            for s in self.document["swings"]
        ]
        columns = ["subject", "path", "base", "width", "low", "low_change", "low_plan_changes"]
        return pd.DataFrame(rows, columns=[*columns, "high", "high_change", "high_plan_changes"])

    @property
    def break_even(self) -> pd.DataFrame:
        """Values of an estimate at which a measure enters or leaves the plan."""
        columns = ("subject", "path", "base", "measure", "measure_name", "threshold", "text")
        return _records(self.document["break_even"], columns)

    def write(self, folder: PathLike | None = None, *, report: bool = False) -> list[Path]:
        """Write the base plan's outputs, ``sensitivity.json`` and ``sensitivity.csv``."""
        target = Path(folder) if folder is not None else self.plan.model.output
        found = cases.Swung(self.plan.base, self.document, self.plan.document)
        return _write(target, lambda staging: cases.write_swung(staging, found, report))

    def _repr_html_(self) -> str:
        table = self.swings.head(10)[["subject", "base", "low_change", "high_change"]]
        return (
            f"<div style='{display.BOX}'><p>Base value {self.document['base_value']:,.2f}. "
            f"Widest swings:</p>{table.to_html(index=False)}</div>"
        )
