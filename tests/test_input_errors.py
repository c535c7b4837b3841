"""One deliberately broken input per error path.

Every message must name the file, sheet, row and column, the rule broken and
the bad value; all problems are listed at once; one bad cell is reported once;
the command line exits with code 2, shows no traceback and writes nothing.

Each test copies the small valid input in ``tests/data/minimal`` and breaks it
with a few :class:`Set` / :class:`Add` / :class:`Drop` edits. Rows are counted
as a spreadsheet shows them: row 1 is the header, the first data row is row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from seqopt.cli import app
from seqopt.errors import InputError
from seqopt.io.convert import convert
from seqopt.io.reader import read_problem
from seqopt.settings import read_model_file

MINIMAL = Path(__file__).parent / "data" / "minimal"

# -- editing a copy of the minimal input ---------------------------------------------


def _read_csv(folder: Path, sheet: str) -> list[list[str]]:
    with (folder / f"{sheet}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write_csv(folder: Path, sheet: str, rows: list[list[str]]) -> None:
    with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


class Set(NamedTuple):
    """Put ``value`` into one cell of a CSV file."""

    sheet: str
    row: int
    column: str
    value: str

    def apply(self, folder: Path) -> None:
        rows = _read_csv(folder, self.sheet)
        rows[self.row - 1][rows[0].index(self.column)] = self.value
        _write_csv(folder, self.sheet, rows)


class Add(NamedTuple):
    """Append a row to a CSV file; cells not given stay blank."""

    sheet: str
    cells: dict[str, str]

    def apply(self, folder: Path) -> None:
        rows = _read_csv(folder, self.sheet)
        assert set(self.cells) <= set(rows[0]), "a test names a column the sheet lacks"
        rows.append([self.cells.get(header, "") for header in rows[0]])
        _write_csv(folder, self.sheet, rows)


class Drop(NamedTuple):
    """Remove a whole column from a CSV file."""

    sheet: str
    column: str

    def apply(self, folder: Path) -> None:
        rows = _read_csv(folder, self.sheet)
        i = rows[0].index(self.column)
        _write_csv(folder, self.sheet, [row[:i] + row[i + 1 :] for row in rows])


Edit = Set | Add | Drop


def broken(tmp_path: Path, *edits: Edit) -> Path:
    """Copy the minimal input into ``tmp_path`` and apply ``edits`` to the copy."""
    folder = tmp_path / "input"
    shutil.copytree(MINIMAL, folder)
    for edit in edits:
        edit.apply(folder)
    return folder


def problems(path: Path) -> list[str]:
    """Read an input that must be rejected; return its messages, in order."""
    with pytest.raises(InputError) as caught:
        read_problem(path)
    return [str(issue) for issue in caught.value.issues]


def at(file: Path | str, sheet: str, row: int | None = None, column: str | None = None) -> str:
    """The location a message starts with."""
    parts = [str(file), f"sheet {sheet}"]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column}")
    return ", ".join(parts)


def in_csv(folder: Path, sheet: str, row: int | None = None, column: str | None = None) -> str:
    """The location of a cell of a CSV input."""
    return at(folder / f"{sheet}.csv", sheet, row, column)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_minimal_input_is_valid() -> None:
    # Every other test breaks a copy of it: it must itself be clean.
    assert read_problem(MINIMAL).horizon == 4


# -- one bad cell, reported at that cell -------------------------------------------------

BAD_CELLS = [
    # wrong type
    pytest.param(
        Set("scopes", 2, "benefit", "lots"), "must be a number, got 'lots'.", id="text-in-number"
    ),
    pytest.param(
        Set("levers", 2, "max_uses", "two"), "must be a number, got 'two'.", id="text-in-integer"
    ),
    pytest.param(
        Set("scopes", 3, "duration", "1.5"),
        "must be a whole number >= 1, got '1.5'.",
        id="fraction-in-integer",
    ),
    pytest.param(
        Set("dependencies", 2, "lag", "0.5"),
        "must be a whole number >= 0, got '0.5'.",
        id="fraction-lag",
    ),
    pytest.param(
        Set("scopes", 2, "benefit_low", "few"), "must be a number, got 'few'.", id="text-in-low"
    ),
    # empty required cell
    pytest.param(
        Set("scope_use", 2, "resource", ""),
        "required value is missing, got an empty cell.",
        id="empty-text",
    ),
    pytest.param(
        Set("gates", 2, "threshold", ""),
        "required value is missing, got an empty cell.",
        id="empty-number",
    ),
    pytest.param(
        Set("resources", 3, "kind", ""),
        "required value is missing, got an empty cell.",
        id="empty-choice",
    ),
    # ranges
    pytest.param(
        Set("scopes", 3, "duration", "-1"),
        "must be a whole number >= 1, got '-1'.",
        id="negative-duration",
    ),
    pytest.param(
        Set("scopes", 3, "duration", "0"),
        "must be a whole number >= 1, got '0'.",
        id="zero-duration",
    ),
    pytest.param(
        Set("gates", 2, "threshold", "101"),
        "must be a number from 0 to 100, got '101'.",
        id="threshold-101",
    ),
    pytest.param(
        Set("gates", 2, "threshold", "-1"),
        "must be a number from 0 to 100, got '-1'.",
        id="threshold-minus-1",
    ),
    pytest.param(
        Set("baseline", 3, "value", "120"),
        "must be a number from 0 to 100, got '120'.",
        id="baseline-120",
    ),
    pytest.param(
        Set("scopes", 3, "benefit", "-3"), "must be a number >= 0, got '-3'.", id="negative-benefit"
    ),
    pytest.param(
        Set("resources", 2, "capacity", "-1"),
        "must be a number >= 0, got '-1'.",
        id="negative-capacity",
    ),
    pytest.param(
        Set("effects", 2, "amount", "150"),
        "must be a number from -100 to 100, got '150'.",
        id="amount-150",
    ),
    pytest.param(
        Set("effects", 2, "decay", "1.5"),
        "must be a number from 0 to 1, got '1.5'.",
        id="decay-1.5",
    ),
    pytest.param(
        Set("effects", 2, "decay", "-0.1"),
        "must be a number from 0 to 1, got '-0.1'.",
        id="decay-negative",
    ),
    pytest.param(
        Set("effects", 3, "delay", "-2"),
        "must be a whole number >= 0, got '-2'.",
        id="negative-delay",
    ),
    pytest.param(
        Set("dependencies", 2, "lag", "-1"),
        "must be a whole number >= 0, got '-1'.",
        id="negative-lag",
    ),
    pytest.param(
        Set("levers", 2, "max_uses", "-1"),
        "must be a whole number >= 0, got '-1'.",
        id="negative-max-uses",
    ),
    # low <= base <= high
    pytest.param(
        Set("scopes", 2, "benefit_low", "6"),
        "low must not exceed high (benefit_high = 5), got 6.",
        id="low-above-high",
    ),
    pytest.param(
        Set("scopes", 2, "benefit", "9"),
        "base must lie between low (3) and high (5), got 9.",
        id="base-above-high",
    ),
    pytest.param(
        Set("baseline", 2, "value", "40"),
        "base must lie between low (45) and high (55), got 40.",
        id="base-below-low",
    ),
    pytest.param(
        Set("resources", 2, "price", ""),
        "a low or high value needs a base value beside it, got an empty cell.",
        id="low-high-without-base",
    ),
    # period labels
    pytest.param(
        Set("scopes", 4, "latest_finish", "P9"),
        "must be a period listed in sheet periods, got 'P9'.",
        id="unknown-period",
    ),
    pytest.param(
        Set("baseline", 3, "period", "P33"),
        "must be a period listed in sheet periods, got 'P33'. Did you mean 'P3'?",
        id="misspelt-period",
    ),
    pytest.param(
        Set("capacity", 2, "period", "p2"),
        "must be a period listed in sheet periods, got 'p2'. Did you mean 'P2'?",
        id="period-in-lower-case",
    ),
    # choices
    pytest.param(
        Set("measures", 2, "force", "maybe"),
        "must be one of free, in, out, got 'maybe'.",
        id="force-maybe",
    ),
    pytest.param(
        Set("dependencies", 2, "kind", "sometimes"),
        "must be one of requires, excludes, together, got 'sometimes'.",
        id="dependency-kind-sometimes",
    ),
    pytest.param(
        Set("resources", 2, "kind", "both"),
        "must be one of renewable, nonrenewable, got 'both'.",
        id="resource-kind-both",
    ),
    pytest.param(
        Set("effects", 2, "cause_kind", "policy"),
        "must be one of lever, measure, event, got 'policy'.",
        id="cause-kind-policy",
    ),
    # unknown measure
    pytest.param(
        Set("gates", 2, "measure", "gamma"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-measure-in-gates",
    ),
    pytest.param(
        Set("gates", 2, "measure", "alpah"),
        "must name a measure listed in sheet measures, got 'alpah'. Did you mean 'alpha'?",
        id="misspelt-measure-in-gates",
    ),
    pytest.param(
        Set("scope_use", 2, "measure", "gamma"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-measure-in-scope-use",
    ),
    pytest.param(
        Set("dependencies", 2, "measure", "gamma"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-measure-in-dependencies",
    ),
    pytest.param(
        Set("dependencies", 2, "other_measure", "gamma"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-other-measure-in-dependencies",
    ),
    pytest.param(
        Set("effects", 3, "cause", "gamma"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-measure-in-effects",
    ),
    # unknown scope
    pytest.param(
        Set("scope_use", 3, "scope", "wide"),
        "must name a scope of measure 'beta' listed in sheet scopes, got 'wide'.",
        id="unknown-scope-in-scope-use",
    ),
    pytest.param(
        Set("gates", 3, "scope", "wide"),
        "must name a scope of measure 'beta' listed in sheet scopes, got 'wide'.",
        id="unknown-scope-in-gates",
    ),
    pytest.param(
        Set("dependencies", 2, "scope", "wide"),
        "must name a scope of measure 'beta', got 'wide'.",
        id="unknown-scope-in-dependencies",
    ),
    pytest.param(
        Set("dependencies", 2, "other_scope", "only2"),
        "must name a scope of measure 'alpha', got 'only2'.",
        id="unknown-other-scope-in-dependencies",
    ),
    pytest.param(
        Set("effects", 3, "cause_scope", "wide"),
        "must name a scope of measure 'alpha', got 'wide'.",
        id="unknown-cause-scope",
    ),
    # unknown resource, lever, series
    pytest.param(
        Set("scope_use", 2, "resource", "money"),
        "must name a resource listed in sheet resources, got 'money'.",
        id="unknown-resource-in-scope-use",
    ),
    pytest.param(
        Set("lever_use", 2, "resource", "money"),
        "must name a resource listed in sheet resources, got 'money'.",
        id="unknown-resource-in-lever-use",
    ),
    pytest.param(
        Set("capacity", 2, "resource", "money"),
        "must name a resource listed in sheet resources, got 'money'.",
        id="unknown-resource-in-capacity",
    ),
    pytest.param(
        Set("lever_use", 2, "lever", "fraiming"),
        "must name a lever listed in sheet levers, got 'fraiming'. Did you mean 'framing'?",
        id="unknown-lever-in-lever-use",
    ),
    pytest.param(
        Set("effects", 2, "cause", "fraiming"),
        "must name a lever listed in sheet levers, got 'fraiming'.",
        id="unknown-lever-in-effects",
    ),
    pytest.param(
        Set("gates", 2, "series", "elite"),
        "must name a series listed in sheet series, got 'elite'.",
        id="unknown-series-in-gates",
    ),
    pytest.param(
        Set("effects", 2, "series", "elite"),
        "must name a series listed in sheet series, got 'elite'.",
        id="unknown-series-in-effects",
    ),
    pytest.param(
        Set("baseline", 3, "series", "elite"),
        "must name a series listed in sheet series, got 'elite'.",
        id="unknown-series-in-baseline",
    ),
    # rules linking cells
    pytest.param(
        Set("effects", 2, "cause_scope", "only"),
        "applies to measures only: leave it blank for a lever, got 'only'.",
        id="cause-scope-for-a-lever",
    ),
    pytest.param(
        Set("capacity", 2, "resource", "reserve"),
        "per-period capacity applies to renewable resources only, got 'reserve'.",
        id="capacity-override-of-nonrenewable",
    ),
    pytest.param(
        Set("dependencies", 2, "other_measure", "beta"),
        "a measure cannot depend on itself, got 'beta'.",
        id="self-dependency",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD_CELLS)
def test_a_bad_cell_is_reported_once_at_that_cell(tmp_path: Path, edit: Set, message: str) -> None:
    folder = broken(tmp_path, edit)
    assert problems(folder) == [f"{in_csv(folder, edit.sheet, edit.row, edit.column)}: {message}"]


# -- problems reported somewhere else than the edited cell -----------------------------

ELSEWHERE = [
    pytest.param(
        [Set("scopes", 2, "benefit_high", "2")],
        ("scopes", 2, "benefit_low"),
        "low must not exceed high (benefit_high = 2), got 3.",
        id="high-below-low",
    ),
    pytest.param(
        [Set("dependencies", 2, "kind", "excludes"), Set("dependencies", 2, "lag", "2")],
        ("dependencies", 2, "lag"),
        "a lag applies to 'requires' only, not to 'excludes', got 2.",
        id="lag-on-excludes",
    ),
    pytest.param(
        [Set("scopes", 4, "earliest_start", "P4")],
        ("scopes", 4, "latest_finish"),
        "window P4 to P4 (1 period) cannot hold the duration, got 2.",
        id="window-too-short",
    ),
    pytest.param(
        [Set("scopes", 3, "duration", "3"), Set("scopes", 3, "earliest_start", "P3")],
        ("scopes", 3, "latest_finish"),
        "window P3 to P4 (2 periods) cannot hold the duration, got 3.",
        id="window-too-short-for-3",
    ),
    pytest.param(
        [Set("scopes", 4, "earliest_start", "P4"), Set("scopes", 4, "latest_finish", "P2")],
        ("scopes", 4, "earliest_start"),
        "window must run forwards: earliest_start is after latest_finish, got 'P4 to P2'.",
        id="window-backwards",
    ),
    pytest.param(
        [Set("levers", 2, "earliest", "P3"), Set("levers", 2, "latest", "P1")],
        ("levers", 2, "latest"),
        "window must run forwards within the horizon, got 'P3 to P1'.",
        id="lever-window-backwards",
    ),
    pytest.param(
        [Set("baseline", 2, "period", "P2")],
        ("series", 2, "series"),
        "needs a baseline value for the first period 'P1' in sheet baseline, got 'public'.",
        id="no-baseline-in-first-period",
    ),
    pytest.param(
        [Add("measures", {"measure": "gamma", "name": "Gamma"})],
        ("measures", 4, "measure"),
        "needs at least one row in sheet scopes, got 'gamma'.",
        id="measure-without-scope",
    ),
    pytest.param(
        [Add("scopes", {"measure": "gamma", "scope": "g", "benefit": "1", "duration": "1"})],
        ("scopes", 5, "measure"),
        "must name a measure listed in sheet measures, got 'gamma'.",
        id="unknown-measure-in-scopes",
    ),
    # duplicates: the first row stands, the repeat is reported
    pytest.param(
        [Add("measures", {"measure": "alpha", "name": "Alpha again"})],
        ("measures", 4, "measure"),
        "duplicate measure: already given in row 2, got 'measure=alpha'.",
        id="duplicate-measure",
    ),
    pytest.param(
        [Add("periods", {"period": "P2"})],
        ("periods", 6, "period"),
        "duplicate period: already given in row 3, got 'period=P2'.",
        id="duplicate-period",
    ),
    pytest.param(
        [Add("resources", {"resource": "reserve", "kind": "renewable", "capacity": "1"})],
        ("resources", 4, "resource"),
        "duplicate resource: already given in row 3, got 'resource=reserve'.",
        id="duplicate-resource",
    ),
    pytest.param(
        [Add("series", {"series": "public"})],
        ("series", 3, "series"),
        "duplicate series: already given in row 2, got 'series=public'.",
        id="duplicate-series",
    ),
    pytest.param(
        [Add("scopes", {"measure": "beta", "scope": "full", "benefit": "1", "duration": "1"})],
        ("scopes", 5, None),
        "duplicate measure / scope: already given in row 4, got 'measure=beta, scope=full'.",
        id="duplicate-scope-within-measure",
    ),
    pytest.param(
        [Add("baseline", {"series": "public", "period": "P3", "value": "40"})],
        ("baseline", 4, None),
        "duplicate series / period: already given in row 3, got 'series=public, period=P3'.",
        id="duplicate-baseline-period",
    ),
]


@pytest.mark.parametrize(("edits", "where", "message"), ELSEWHERE)
def test_a_broken_rule_is_reported_where_it_is_fixed(
    tmp_path: Path, edits: list[Edit], where: tuple[str, int, str | None], message: str
) -> None:
    folder = broken(tmp_path, *edits)
    assert problems(folder) == [f"{in_csv(folder, *where)}: {message}"]


def test_the_same_scope_id_under_two_measures_is_no_duplicate(tmp_path: Path) -> None:
    scope = {"measure": "alpha", "scope": "full", "benefit": "1", "duration": "1"}
    problem = read_problem(broken(tmp_path, Add("scopes", scope)))
    assert [s.id for s in problem.measure_by_id["alpha"].scopes] == ["only", "full"]


# -- dependency cycles -------------------------------------------------------------------

GAMMA = [
    Add("measures", {"measure": "gamma"}),
    Add("scopes", {"measure": "gamma", "scope": "g", "benefit": "1", "duration": "1"}),
]


@pytest.mark.parametrize(
    ("edits", "cycle"),
    [
        pytest.param(
            [
                Add(
                    "dependencies",
                    {"kind": "requires", "measure": "alpha", "other_measure": "beta"},
                )
            ],
            "beta requires alpha requires beta",
            id="two-measures",
        ),
        pytest.param(
            [
                *GAMMA,
                Add(
                    "dependencies",
                    {"kind": "requires", "measure": "alpha", "other_measure": "gamma"},
                ),
                Add(
                    "dependencies",
                    {"kind": "requires", "measure": "gamma", "other_measure": "beta"},
                ),
            ],
            "beta requires alpha requires gamma requires beta",
            id="three-measures",
        ),
    ],
)
def test_a_requires_cycle_is_reported_with_the_whole_cycle(
    tmp_path: Path, edits: list[Edit], cycle: str
) -> None:
    folder = broken(tmp_path, *edits)
    assert problems(folder) == [
        f"{in_csv(folder, 'dependencies', 2, 'other_measure')}: dependency cycle: measures "
        f"cannot each require the other, got {cycle!r}. Remove one 'requires' row of the cycle."
    ]


def test_excludes_and_together_links_make_no_cycle(tmp_path: Path) -> None:
    back = {"kind": "excludes", "measure": "alpha", "other_measure": "beta"}
    together = {"kind": "together", "measure": "beta", "other_measure": "alpha"}
    read_problem(broken(tmp_path, Add("dependencies", back), Add("dependencies", together)))


# -- missing sheets and columns ----------------------------------------------------------

TEMPLATE_HINT = "Run 'seqopt template' for a workbook with every sheet."


def test_a_missing_csv_file_is_a_missing_sheet(tmp_path: Path) -> None:
    folder = broken(tmp_path)
    (folder / "gates.csv").unlink()
    assert problems(folder) == [
        f"{folder / 'gates.csv'}, sheet gates: required sheet is missing. {TEMPLATE_HINT}"
    ]


def test_a_sheet_named_in_another_case_is_pointed_out(tmp_path: Path) -> None:
    folder = broken(tmp_path)
    (folder / "gates.csv").rename(folder / "Gates.csv")
    assert problems(folder) == [
        f"{folder / 'gates.csv'}, sheet gates: required sheet is missing. "
        "Found 'Gates': sheet names are lower case, as in the template."
    ]


def test_a_misspelt_sheet_is_pointed_out_and_known_sheets_are_not(tmp_path: Path) -> None:
    # levers is missing: lever_use is a sheet of its own, not a misspelling of it.
    folder = broken(tmp_path)
    (folder / "levers.csv").rename(folder / "lever.csv")
    (folder / "gates.csv").unlink()
    assert problems(folder) == [
        f"{folder / 'levers.csv'}, sheet levers: required sheet is missing. "
        "Found 'lever': rename it 'levers', as in the template.",
        f"{folder / 'gates.csv'}, sheet gates: required sheet is missing. {TEMPLATE_HINT}",
    ]


def test_every_missing_sheet_is_listed_and_other_sheets_are_still_checked(
    tmp_path: Path,
) -> None:
    folder = broken(tmp_path, Set("scopes", 2, "benefit", "lots"))
    (folder / "gates.csv").unlink()
    (folder / "levers.csv").unlink()
    assert problems(folder) == [
        f"{folder / 'levers.csv'}, sheet levers: required sheet is missing. {TEMPLATE_HINT}",
        f"{folder / 'gates.csv'}, sheet gates: required sheet is missing. {TEMPLATE_HINT}",
        f"{in_csv(folder, 'scopes', 2, 'benefit')}: must be a number, got 'lots'.",
    ]


def test_a_periods_sheet_without_periods_is_reported(tmp_path: Path) -> None:
    folder = broken(tmp_path)
    (folder / "periods.csv").write_text("period,source\n", encoding="utf-8")
    assert problems(folder) == [f"{in_csv(folder, 'periods')}: must list at least one period."]


def test_a_misspelt_column_header_is_pointed_out(tmp_path: Path) -> None:
    folder = broken(tmp_path, Set("scopes", 1, "benefit", "benfit"))  # row 1: the header
    assert problems(folder) == [
        f"{in_csv(folder, 'scopes', 1, 'benefit')}: required column is missing. "
        "Found 'benfit' instead."
    ]


@pytest.mark.parametrize(
    ("sheet", "column"),
    [("gates", "threshold"), ("scopes", "duration"), ("measures", "measure"), ("series", "source")],
)
def test_a_missing_required_column_is_reported_in_row_1(
    tmp_path: Path, sheet: str, column: str
) -> None:
    # No "Found ... instead": the companions (threshold_low ...) are columns of their own.
    folder = broken(tmp_path, Drop(sheet, column))
    assert problems(folder) == [f"{in_csv(folder, sheet, 1, column)}: required column is missing."]


# -- all problems at once, each once ---------------------------------------------------


def test_all_problems_in_all_sheets_are_listed_at_once(tmp_path: Path) -> None:
    folder = broken(
        tmp_path,
        Set("scopes", 2, "benefit", "lots"),
        Set("gates", 2, "threshold", "101"),
        Set("measures", 2, "force", "maybe"),
        Set("levers", 2, "max_uses", "-1"),
        Set("baseline", 3, "period", "P9"),
        Add("dependencies", {"kind": "requires", "measure": "alpha", "other_measure": "beta"}),
    )
    with pytest.raises(InputError) as caught:
        read_problem(folder)
    issues = caught.value.issues
    assert len(issues) == 6
    assert {(i.where.sheet, i.where.row, i.where.column) for i in issues} == {
        ("scopes", 2, "benefit"),
        ("gates", 2, "threshold"),
        ("measures", 2, "force"),
        ("levers", 2, "max_uses"),
        ("baseline", 3, "period"),
        ("dependencies", 2, "other_measure"),  # the cycle, found by the link checks
    }
    lines = str(caught.value).splitlines()
    assert lines[0] == "6 problems in the input:"
    assert lines[1:] == [f"  - {issue}" for issue in issues]


BETA_FULL_EFFECT = {
    "cause_kind": "measure",
    "cause": "beta",
    "cause_scope": "full",
    "series": "public",
    "amount": "1",
}


@pytest.mark.parametrize(
    ("others", "bad", "message"),
    [
        pytest.param(
            # gates row 3 and scope_use rows 4-5 name beta/full, and so do these two rows
            [Set("dependencies", 2, "scope", "full"), Add("effects", BETA_FULL_EFFECT)],
            Set("scopes", 4, "benefit", "x"),
            "must be a number, got 'x'.",
            id="scope-with-bad-benefit",
        ),
        pytest.param(
            [],
            Set("measures", 2, "force", "maybe"),
            "must be one of free, in, out, got 'maybe'.",
            id="measure-with-bad-force",
        ),
        pytest.param(
            [],
            Set("levers", 2, "max_uses", "x"),
            "must be a number, got 'x'.",
            id="lever-with-bad-max-uses",
        ),
        pytest.param(
            [],
            Set("levers", 2, "earliest", "P9"),
            "must be a period listed in sheet periods, got 'P9'.",
            id="lever-with-bad-period",
        ),
        pytest.param(
            [],
            Set("resources", 2, "capacity", "x"),
            "must be a number, got 'x'.",
            id="resource-with-bad-capacity",
        ),
        pytest.param(
            [],
            Set("resources", 2, "kind", "x"),
            "must be one of renewable, nonrenewable, got 'x'.",
            id="resource-with-bad-kind",
        ),
        pytest.param(
            [],
            Set("baseline", 2, "value", "x"),
            "must be a number, got 'x'.",
            id="first-baseline-with-bad-value",
        ),
        pytest.param(
            # a repeated id is reported once the bad cell of its row is fixed
            [Add("measures", {"measure": "alpha"})],
            Set("measures", 4, "force", "maybe"),
            "must be one of free, in, out, got 'maybe'.",
            id="repeated-id-with-bad-cell",
        ),
    ],
)
def test_one_bad_cell_is_not_reported_again_where_its_row_is_named(
    tmp_path: Path, others: list[Edit], bad: Set, message: str
) -> None:
    folder = broken(tmp_path, *others, bad)
    assert problems(folder) == [f"{in_csv(folder, bad.sheet, bad.row, bad.column)}: {message}"]


def test_a_repeated_period_named_in_a_window_is_reported_once(tmp_path: Path) -> None:
    folder = broken(
        tmp_path,
        Add("periods", {"period": "P2"}),
        Set("scopes", 4, "duration", "1"),
        Set("scopes", 4, "latest_finish", "P2"),
    )
    assert problems(folder) == [
        f"{in_csv(folder, 'periods', 6, 'period')}: "
        "duplicate period: already given in row 3, got 'period=P2'."
    ]


def test_a_blank_period_label_shifts_no_other_period(tmp_path: Path) -> None:
    # P2 is gone, so the capacity row naming it is rightly reported; P4 stays in the horizon.
    folder = broken(
        tmp_path, Set("periods", 3, "source", "dropped"), Set("periods", 3, "period", "")
    )
    assert problems(folder) == [
        f"{in_csv(folder, 'periods', 3, 'period')}: required value is missing, got an empty cell.",
        f"{in_csv(folder, 'capacity', 2, 'period')}: "
        "must be a period listed in sheet periods, got 'P2'.",
    ]


# -- workbooks ---------------------------------------------------------------------------


def as_workbook(folder: Path) -> Path:
    """Convert a (broken) CSV folder into a workbook beside it."""
    workbook = folder.parent / "input.xlsx"
    convert(folder, workbook)
    return workbook


def edit_workbook(path: Path, sheet: str, row: int, column: str, value: object) -> None:
    """Put ``value`` into one cell of a workbook, found by its header."""
    book = load_workbook(path)
    worksheet = book[sheet]
    headers = [cell.value for cell in worksheet[1]]
    worksheet.cell(row=row, column=headers.index(column) + 1, value=value)
    book.save(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            Set("scopes", 2, "benefit", "lots"),
            "must be a number, got 'lots'.",
            id="text-in-number",
        ),
        pytest.param(
            Set("scope_use", 2, "resource", ""),
            "required value is missing, got an empty cell.",
            id="empty-required-cell",
        ),
        pytest.param(
            Set("gates", 2, "threshold", "101"),
            "must be a number from 0 to 100, got 101.",  # a number in a workbook, not text
            id="threshold-101",
        ),
        pytest.param(
            Set("scopes", 3, "duration", "1.5"),
            "must be a whole number >= 1, got 1.5.",
            id="fraction-in-integer",
        ),
        pytest.param(
            Set("dependencies", 2, "other_measure", "gamma"),
            "must name a measure listed in sheet measures, got 'gamma'.",
            id="unknown-measure",
        ),
    ],
)
def test_a_bad_workbook_cell_names_the_workbook_sheet_row_and_column(
    tmp_path: Path, edit: Set, message: str
) -> None:
    workbook = as_workbook(broken(tmp_path, edit))
    assert problems(workbook) == [f"{at(workbook, edit.sheet, edit.row, edit.column)}: {message}"]


def test_a_date_in_a_workbook_number_cell_is_shown_as_a_date(tmp_path: Path) -> None:
    workbook = as_workbook(broken(tmp_path))
    edit_workbook(workbook, "scopes", 3, "benefit", dt.datetime(2015, 4, 1))
    assert problems(workbook) == [
        f"{at(workbook, 'scopes', 3, 'benefit')}: must be a number, got '2015-04-01'."
    ]


def test_a_missing_workbook_sheet_names_the_workbook(tmp_path: Path) -> None:
    workbook = as_workbook(broken(tmp_path))
    book = load_workbook(workbook)
    del book["gates"]
    book["levers"].title = "renaming"  # openpyxl refuses a title differing in case only
    book["renaming"].title = "Levers"
    book.save(workbook)
    assert problems(workbook) == [
        f"{workbook}, sheet levers: required sheet is missing. "
        "Found 'Levers': sheet names are lower case, as in the template.",
        f"{workbook}, sheet gates: required sheet is missing. {TEMPLATE_HINT}",
    ]


def test_a_missing_workbook_column_names_the_workbook(tmp_path: Path) -> None:
    workbook = as_workbook(broken(tmp_path))
    edit_workbook(workbook, "scopes", 1, "benefit", "Benefit")
    assert problems(workbook) == [
        f"{at(workbook, 'scopes', 1, 'benefit')}: required column is missing. "
        "Found 'Benefit' instead."
    ]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("missing.xlsx", "input not found: no such file or folder."),
        ("input.txt", "must be an Excel workbook (.xlsx) or a folder of CSV files, got '.txt'."),
    ],
)
def test_an_input_that_is_no_input_says_so(tmp_path: Path, name: str, rule: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("not an input", encoding="utf-8")
    assert problems(path) == [f"{path}: {rule}"]


def test_a_damaged_workbook_says_so(tmp_path: Path) -> None:
    path = tmp_path / "input.xlsx"
    path.write_bytes(b"this is not a zip file")
    (message,) = problems(path)
    assert message.startswith(f"{path}: could not be opened as an Excel workbook, got ")


# -- model files -------------------------------------------------------------------------


def model_file(tmp_path: Path, text: str) -> Path:
    """Write a model file into ``tmp_path/models``, beside a valid input in ``tmp_path/input``."""
    if not (tmp_path / "input").exists():
        broken(tmp_path)
    path = tmp_path / "models" / "model.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


VALID_MODEL = '[model]\ninput = "../input"\n'


def model_problems(path: Path) -> list[str]:
    """Read a model file that must be rejected; return its messages, in order."""
    with pytest.raises(InputError) as caught:
        read_model_file(path)
    return [str(issue) for issue in caught.value.issues]


def test_a_valid_model_file_reads(tmp_path: Path) -> None:
    model = read_model_file(model_file(tmp_path, VALID_MODEL))
    assert model.input == tmp_path / "input"


def test_a_model_naming_a_missing_workbook_says_so_plainly(tmp_path: Path) -> None:
    path = model_file(tmp_path, '[model]\ninput = "../inputs/missing.xlsx"\n')
    assert model_problems(path) == [
        f"{path}, setting model.input: input workbook not found: "
        f"{tmp_path / 'inputs' / 'missing.xlsx'} (paths are relative to the model file), "
        "got '../inputs/missing.xlsx'."
    ]


def test_a_model_without_an_input_says_so(tmp_path: Path) -> None:
    path = model_file(tmp_path, '[model]\nname = "x"\n')
    assert model_problems(path) == [
        f"{path}, setting model.input: is missing: name the input workbook or CSV folder."
    ]


def test_an_unknown_section_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    path = model_file(tmp_path, VALID_MODEL + "[solve]\ngap = 0.1\n")
    assert model_problems(path) == [
        f"{path}, setting solve: unknown section, got 'solve'. "
        "Known sections: model, objective, solver, uncertainty, force, overrides (and extends = "
        '"file.toml").'
    ]


@pytest.mark.parametrize(
    ("tail", "key", "known"),
    [
        (
            "[solver]\ntime_limt = 10",
            "solver.time_limt",
            "gap, log, name, random_seed, threads, time_limit, warm_start",
        ),
        (
            "[objective]\ndiscount = 0.1",
            "objective.discount",
            "discount_rate, discount_rate_high, discount_rate_low, distribution, kind, "
            "random_events, terminal, terminal_high, terminal_low, tie_break",
        ),
        (
            "inputs = 'x'",
            "model.inputs",
            "description, horizon, input, name, output, overlay",
        ),  # still in [model]
    ],
)
def test_an_unknown_setting_is_reported_with_the_known_ones(
    tmp_path: Path, tail: str, key: str, known: str
) -> None:
    path = model_file(tmp_path, f"{VALID_MODEL}{tail}\n")
    name = key.split(".")[1]
    assert model_problems(path) == [
        f"{path}, setting {key}: unknown setting, got {name!r}. Known settings: {known}."
    ]


def test_every_bad_setting_is_listed_at_once(tmp_path: Path) -> None:
    text = (
        VALID_MODEL
        + '[objective]\nkind = "fastest"\nterminal = "perpetuity"\ndiscount_rate = 0\n'
        + "[solver]\ngap = 2\ntime_limit = -1\n"
    )
    path = model_file(tmp_path, text)
    assert model_problems(path) == [
        f"{path}, setting objective.kind: must be 'value' or 'makespan', got 'fastest'.",
        f"{path}, setting objective.terminal: a perpetuity needs objective.discount_rate >= "
        "0.0001 (at a lower rate it counts more than 10,000 periods), got 'perpetuity'.",
        f"{path}, setting solver.time_limit: must be a number of seconds > 0 and at most "
        "604,800 (a week), got -1.",
        f"{path}, setting solver.gap: must be a number from 0 to below 1, got 2.",
    ]


@pytest.mark.parametrize(
    ("tail", "key", "rule"),
    [
        (
            "[objective]\ndiscount_rate = 1",
            "objective.discount_rate",
            "must be a number from 0 to below 1, got 1",
        ),
        (
            "[objective]\nterminal = -1",
            "objective.terminal",
            "must be a whole number of periods from 0 to 10,000 or 'perpetuity', got -1",
        ),
        (
            '[objective]\ntie_break = "yes"',
            "objective.tie_break",
            "must be true or false, got 'yes'",
        ),
        (
            '[solver]\nname = "gurobi"',
            "solver.name",
            "must be one of 'auto', 'highs', 'highs-pulp', 'cbc', 'cpsat', got 'gurobi'",
        ),
        ("[solver]\nthreads = 0", "solver.threads", "must be a whole number from 1 to 256, got 0"),
        (
            '[solver]\ntime_limit = "1m"',
            "solver.time_limit",
            "must be a number of seconds > 0 and at most 604,800 (a week), got '1m'",
        ),
        ("[solver]\nlog = 1", "solver.log", "must be true or false, got 1"),
    ],
)
def test_a_bad_setting_names_the_setting_rule_and_value(
    tmp_path: Path, tail: str, key: str, rule: str
) -> None:
    path = model_file(tmp_path, f"{VALID_MODEL}{tail}\n")
    assert model_problems(path) == [f"{path}, setting {key}: {rule}."]


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = model_file(tmp_path, '[model\ninput = "../input"\n')
    (message,) = model_problems(path)
    assert message.startswith(f"{path}: is not valid TOML, got ")
    assert "line 1" in message


def test_a_missing_model_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert model_problems(path) == [f"{path}: model file not found."]


# -- the command line --------------------------------------------------------------------


def run(*args: str | Path) -> tuple[int, str, str, BaseException | None]:
    """Run seqopt; return the exit code, stdout, stderr and the exception that ended it."""
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr, result.exception


def assert_rejected(args: tuple[str | Path, ...], expected: list[str]) -> None:
    """The command exits 2, lists exactly ``expected`` on stderr, and shows no traceback."""
    code, stdout, stderr, exception = run(*args)
    count = len(expected)
    assert code == 2
    assert isinstance(exception, SystemExit)
    assert stderr.splitlines() == [
        f"{count} problem{'s' if count != 1 else ''} in the input:",
        *(f"  - {message}" for message in expected),
    ]
    assert stdout == ""
    assert "Traceback" not in stdout + stderr


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    folder = broken(tmp_path, Set("gates", 2, "threshold", "101"), Set("levers", 2, "latest", "P9"))
    before = snapshot(tmp_path)
    assert_rejected(
        ("validate", folder),
        [
            f"{in_csv(folder, 'levers', 2, 'latest')}: "
            "must be a period listed in sheet periods, got 'P9'.",
            f"{in_csv(folder, 'gates', 2, 'threshold')}: "
            "must be a number from 0 to 100, got '101'.",
        ],
    )
    assert snapshot(tmp_path) == before


def test_validate_a_broken_workbook_exits_2(tmp_path: Path) -> None:
    workbook = as_workbook(broken(tmp_path, Set("scopes", 2, "benefit", "lots")))
    before = snapshot(tmp_path)
    assert_rejected(
        ("validate", workbook),
        [f"{at(workbook, 'scopes', 2, 'benefit')}: must be a number, got 'lots'."],
    )
    assert snapshot(tmp_path) == before


def test_validate_a_missing_input_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "missing.xlsx"
    assert_rejected(("validate", path), [f"{path}: input not found: no such file or folder."])


def test_validate_a_model_file_with_a_bad_setting_exits_2(tmp_path: Path) -> None:
    path = model_file(tmp_path, VALID_MODEL + "[solver]\ntime_limt = 10\n")
    assert_rejected(
        ("validate", path),
        [
            f"{path}, setting solver.time_limt: unknown setting, got 'time_limt'. "
            "Known settings: gap, log, name, random_seed, threads, time_limit, warm_start."
        ],
    )


def test_validate_a_valid_input_exits_0(tmp_path: Path) -> None:
    code, stdout, _, _ = run("validate", broken(tmp_path))
    assert code == 0
    assert "valid." in stdout


def test_solve_with_a_broken_input_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    folder = broken(tmp_path, Set("scopes", 3, "duration", "0"))
    path = model_file(tmp_path, VALID_MODEL + 'output = "../reports/out"\n')
    before = snapshot(tmp_path)
    assert_rejected(
        ("solve", path),
        [f"{in_csv(folder, 'scopes', 3, 'duration')}: must be a whole number >= 1, got '0'."],
    )
    assert not (tmp_path / "reports").exists()
    assert snapshot(tmp_path) == before  # the input is untouched and nothing was added


def test_solve_with_a_missing_workbook_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    text = '[model]\ninput = "../inputs/missing.xlsx"\noutput = "../reports/out"\n'
    path = model_file(tmp_path, text)
    before = snapshot(tmp_path)
    assert_rejected(
        ("solve", path),
        [
            f"{path}, setting model.input: input workbook not found: "
            f"{tmp_path / 'inputs' / 'missing.xlsx'} (paths are relative to the model file), "
            "got '../inputs/missing.xlsx'."
        ],
    )
    assert not (tmp_path / "reports").exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("value", ["[red]5", "[/bold]"])
def test_a_cell_that_looks_like_markup_is_shown_as_it_is(tmp_path: Path, value: str) -> None:
    folder = broken(tmp_path, Set("gates", 2, "threshold", value))
    assert_rejected(
        ("validate", folder),
        [f"{in_csv(folder, 'gates', 2, 'threshold')}: must be a number, got {value!r}."],
    )
