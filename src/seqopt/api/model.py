"""A model in Python: :func:`load` reads one, its methods solve and analyse it.

The methods run the same use cases as the command line (:mod:`seqopt.api.cases`)
and return immutable results (:mod:`seqopt.api.results`). Bad input raises
:class:`~seqopt.errors.InputError` with every problem, cell by cell, as the
command line prints them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seqopt.api import cases, display
from seqopt.api.results import Check, Explanation, Plan, Sensitivity, Simulation
from seqopt.api.watch import QUIET
from seqopt.data import Problem
from seqopt.errors import InputError, Issue, Location
from seqopt.io.plan_file import read_plan_file
from seqopt.io.scenario_files import load_problem, scenario_settings
from seqopt.plan import Plan as Schedule
from seqopt.settings import ModelFile, checked_name, is_input, with_settings
from seqopt.solve import SolveResult

PathLike = str | os.PathLike[str]


def load(path: PathLike) -> Model:
    """Read a model file, or an input (workbook or CSV folder) with the default settings.

    Parameters
    ----------
    path
        A model file (``models/japan_rok.toml``; paths in it are relative to it),
        or an input workbook or CSV folder, solved with the default settings
        (value objective, no discounting, the auto engine, 60 s), as
        ``seqopt solve`` does.

    Raises
    ------
    InputError
        With every problem of the model file and of its input, each naming the
        file, sheet, row, column or setting, the rule and the bad value.
    """
    given = Path(path)
    file = cases.model_file(given)
    return Model(file, cases.problem_of(file), from_input=is_input(given))


@dataclass(frozen=True)
class Model:
    """A model file and the problem it describes, read and checked.

    Use :func:`load` to make one. Settings are changed by making a new model
    (:meth:`with_settings`, :meth:`what_if`); the model itself never changes.
    """

    file: ModelFile
    """The model file's settings (objective, solver, uncertainty, scenario)."""
    problem: Problem
    """The input, with the scenario's changes applied."""
    from_input: bool = False
    """Whether it was loaded from an input with the default settings, not a model file."""

    @property
    def name(self) -> str:
        """The model's name (it names the default output folder, ``reports/<name>``)."""
        return self.file.name

    @property
    def output(self) -> Path:
        """The output folder results are written to by default."""
        return self.file.output

    @property
    def periods(self) -> tuple[str, ...]:
        """The labels of the periods planned over."""
        return tuple(self.problem.periods)

    def with_settings(self, **settings: Any) -> Model:
        """A copy with solver or uncertainty settings changed (see :meth:`solve` for the names).

        Raises
        ------
        InputError
            For an unknown setting or a value out of its range, as in a model file.
        """
        file = with_settings(self.file, settings, "settings given in Python")
        if file.solver.name != self.file.solver.name:
            cases.engine(file, self.problem, Location("settings given in Python", key="solver"))
        return replace(self, file=file)

    def what_if(
        self,
        name: str | None = None,
        *,
        force: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Model:
        """A scenario of this model: measures forced in or out, input cells set by id.

        As a scenario file that ``extends`` this model's file, with ``[force]``
        and ``[overrides]`` tables (docs/model-files.md): ``force={"acsa": "out"}``,
        ``overrides={"gates.gsomia.full.kr_gsomia.threshold": 61}``.

        Parameters
        ----------
        name
            The scenario's name (default: this model's name with ``_what_if``); its
            outputs go to a folder of that name beside this model's.
        force
            Measure id to ``"in"``, ``"out"`` or ``"free"``.
        overrides
            Cell id (``sheet.key.….column``) to its new value (``""`` for a blank cell).

        Raises
        ------
        InputError
            With every problem: an unknown measure, sheet, row or column, a value
            that breaks the input's rules.
        """
        where = f"what_if({name!r})" if name else "what_if()"
        new_name = checked_name(name, where) if name is not None else f"{self.name}_what_if"
        issues: list[Issue] = []
        data = {"force": dict(force or {}), "overrides": dict(overrides or {})}
        child = scenario_settings(data, Path(where), self.file.path.parent, issues)
        if issues:
            raise InputError(issues)
        file = replace(
            self.file,
            name=new_name,
            output=self.file.output.parent / new_name,
            scenario=self.file.scenario.then(child),
        )
        return Model(file, load_problem(file), self.from_input)

    def solve(self, **settings: Any) -> Plan:
        """Find the best plan, check it with the independent evaluator, judge its reliability.

        Parameters
        ----------
        **settings
            Model-file settings for this solve: ``solver`` (``"auto"``, ``"highs"``,
            ``"highs-pulp"``, ``"cbc"``, ``"cpsat"``), ``time_limit``, ``gap``,
            ``threads``, ``random_seed``, ``warm_start``, ``log``; ``reliability``,
            ``margin``, ``seed``, ``samples``, ``check_samples``, ``method``.

        Returns
        -------
        Plan
            Whatever the status: check :attr:`Plan.status` (an infeasible model's
            plan has :attr:`Plan.relaxations` instead of a schedule).

        Raises
        ------
        InputError
            For a bad setting.
        PlanRejected
            When the solver's plan fails the independent check (a bug in seqopt).
        """
        model = self.with_settings(**settings) if settings else self
        found = cases.solved(model.problem, model.file, QUIET)
        return Plan(model, found.result, found.recorded.base, found.document)

    def explain(
        self, measure: str | None = None, *, what_if: bool = True, base: SolveResult | None = None
    ) -> Explanation:
        """Explain the plan optimal at base values, as ``seqopt explain`` does.

        Parameters
        ----------
        measure
            Explain only this measure (its id); all by default.
        what_if
            Also re-solve to price forcing each measure in or out and to find the
            change of input that would bring a left-out measure in.
        base
            The solve at base values, when already done (:attr:`Plan.base`).
        """
        if measure is not None:
            problem = cases.unknown_measure(self.problem, measure, self.name)
            if problem is not None:
                raise InputError([Issue(Location(key="measure"), problem)])
        result, document = cases.explained(self.problem, self.file, measure, what_if, QUIET, base)
        return Explanation(Plan(self, result, result, document))

    def check(self, plan: Plan | Schedule | PathLike) -> Check:
        """Score a plan with the evaluator and list every rule it breaks, as ``seqopt check``.

        Parameters
        ----------
        plan
            A plan file (CSV, workbook or ``plan.json``), a :class:`Plan` solved
            before (of this model or another scenario of the same input), or a
            :class:`seqopt.plan.Plan` schedule.

        Raises
        ------
        InputError
            When the plan file has problems (each by row and column).
        """
        path: Path | None = None
        if isinstance(plan, Plan):
            if plan.evaluation is None:
                rule = f"has no schedule to check ({plan.status.value})"
                raise InputError([Issue(Location(key="plan"), rule)])
            schedule = plan.evaluation.plan
        elif isinstance(plan, Schedule):
            schedule = plan
        else:
            path = Path(plan)
            schedule = read_plan_file(path, self.problem)
        found = cases.checked(self.problem, self.file, schedule)
        return Check(self, found.evaluation, found.relaxations, path)

    def simulate(
        self,
        samples: int = 200,
        *,
        seed: int = 1,
        workers: int | None = None,
        scheduler: str | None = None,
        base: SolveResult | None = None,
    ) -> Simulation:
        """Draw scenarios from every estimate's range, solve each, judge the base plan.

        As ``seqopt simulate``: the same ``samples`` and ``seed`` give the same results
        on any number of ``workers`` (default: one per core; ``scheduler`` names a
        Dask cluster). ``base`` is the solve at base values when already done.
        """
        found = cases.simulated(
            self.problem, self.file, samples, seed, workers, scheduler, QUIET, base
        )
        return Simulation(Plan(self, found.base, found.base, found.document), found.run)

    def sensitivity(
        self,
        *,
        break_even: int = 5,
        workers: int | None = None,
        scheduler: str | None = None,
        base: SolveResult | None = None,
    ) -> Sensitivity:
        """Swing every estimate to its low and high end, one at a time; find break-even values.

        As ``seqopt sensitivity``; ``break_even`` is how many of the widest swings
        to find break-even values for.

        Raises
        ------
        NoPlan
            When the base model has no plan to judge (a :class:`ValueError`).
        """
        found = cases.swung(self.problem, self.file, break_even, workers, scheduler, QUIET, base)
        return Sensitivity(Plan(self, found.base, found.base, found.document), found.sensitivity)

    # Still to come (issue 18): compare(*others) for plans side by side, and
    # frontier(cost=...) / frontier(reliability=...) for the trade-off curves.

    def _repr_html_(self) -> str:
        return display.model_html(self.file, self.problem)

    def __repr__(self) -> str:
        return (
            f"<seqopt Model {self.name}: {len(self.problem.measures)} measures, {self.file.input}>"
        )
