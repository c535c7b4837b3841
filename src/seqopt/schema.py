"""The input format: every sheet and column, in one place.

The reader, the template writer, the CSV/workbook converter and the
documentation test all read this table, so that they cannot drift apart.
An *estimate* column ``x`` comes with two optional companions ``x_low`` and
``x_high`` (blank means "same as the base value").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a cell is read."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    """One column of one sheet.

    Parameters
    ----------
    name
        Header text, exactly as it must appear in row 1.
    kind
        How cells are read.
    doc
        One line for the header note and the documentation.
    required
        Whether every row must fill this cell.
    choices
        Allowed values for a :attr:`Kind.CHOICE` column.
    minimum, maximum
        Inclusive bounds for numbers.
    estimate
        Whether ``<name>_low`` and ``<name>_high`` companions exist.
    refers_to
        ``"sheet.column"`` whose values this column must name (drives dropdowns).
    default
        What a blank optional cell means, for the documentation.
    points
        Whether the column is in percentage points (support, from 0 to 100):
        a cell Excel formats as a percentage (it shows 50 % and holds 0.5) is
        refused rather than read as half a point.
    """

    name: str
    kind: Kind
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    estimate: bool = False
    refers_to: str | None = None
    default: str = ""
    points: bool = False

    def headers(self) -> tuple[str, ...]:
        """Return this column's header and, for an estimate, its companions."""
        if self.estimate:
            return (self.name, f"{self.name}_low", f"{self.name}_high")
        return (self.name,)


@dataclass(frozen=True)
class Sheet:
    """One sheet (or one CSV file) of an input.

    An ``optional`` sheet may be left out of an input altogether (it then has no
    rows): the sheets of the policy dynamics, added after the first inputs were
    written, are optional so that those inputs keep working unchanged.
    """

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False

    def headers(self) -> tuple[str, ...]:
        """Return every header of this sheet, estimates expanded, in order."""
        return tuple(h for column in self.columns for h in column.headers())

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


LARGEST_QUANTITY = 1e9
"""Largest benefit, capacity, price or use a cell may hold. Beyond it the integer
program's coefficients span more than its tolerances allow (HiGHS treats 1e20 as
infinite), and no plausible value unit or resource count comes near it."""

LONGEST = 10_000
"""Most periods (or uses) a duration, delay, lag or use limit may count."""


def _source() -> Column:
    return Column(
        "source",
        Kind.TEXT,
        "Where the numbers on this row come from: a citation, or 'estimate' with its reasoning.",
    )


DISTRIBUTIONS = ("triangular", "uniform", "pert")
"""How a simulation reads an estimate's range (``seqopt simulate``, docs/uncertainty.md)."""


def _distribution() -> Column:
    return Column(
        "distribution",
        Kind.CHOICE,
        "How seqopt simulate draws this row's estimates from their ranges: triangular "
        "(peak at the base value), uniform, or pert (a smooth bell peaking at the base value).",
        choices=DISTRIBUTIONS,
        default="triangular",
    )


def _period(name: str, doc: str, *, required: bool = False, default: str = "") -> Column:
    return Column(
        name, Kind.TEXT, doc, required=required, refers_to="periods.period", default=default
    )


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "periods",
        "The planning horizon, one row per period, in time order.",
        (
            Column("period", Kind.TEXT, "Period label, e.g. 2014Q1.", required=True),
            _source(),
        ),
        key=("period",),
    ),
    Sheet(
        "measures",
        "Cooperation measures that may be pursued (each at one of its scopes).",
        (
            Column("measure", Kind.TEXT, "Measure id, unique.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            Column(
                "force",
                Kind.CHOICE,
                "free: the optimiser decides; in: must be done; out: must not be done.",
                choices=("free", "in", "out"),
                default="free",
            ),
            Column(
                "renew_every",
                Kind.INTEGER,
                "An agreement that renews: in force this many periods at a time, reviewed in the "
                "last period of each term against its thresholds in sheet maintain; below any, "
                "it lapses.",
                minimum=1,
                default="never reviewed, never lapses",
                maximum=LONGEST,
            ),
            _source(),
        ),
        key=("measure",),
    ),
    Sheet(
        "scopes",
        "Ways of doing a measure (e.g. narrow or full); at most one is chosen per measure.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Scope id, unique within its measure.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            Column(
                "benefit",
                Kind.NUMBER,
                "Strategic value per period once in force (value units).",
                required=True,
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
            ),
            Column(
                "duration",
                Kind.INTEGER,
                "Negotiation periods before signing (whole number >= 1).",
                required=True,
                minimum=1,
                maximum=LONGEST,
                estimate=True,
            ),
            _period(
                "earliest_start", "First period negotiation may start.", default="first period"
            ),
            _period(
                "latest_finish", "Last period in which it may be signed.", default="last period"
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "scope"),
    ),
    Sheet(
        "resources",
        "Limited means: renewable (a capacity each period) or nonrenewable (one total).",
        (
            Column("resource", Kind.TEXT, "Resource id, unique.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            Column(
                "kind",
                Kind.CHOICE,
                "renewable: capacity per period; nonrenewable: total over the horizon.",
                required=True,
                choices=("renewable", "nonrenewable"),
            ),
            Column(
                "capacity",
                Kind.NUMBER,
                "Units available per period (renewable) or in total (nonrenewable).",
                required=True,
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
            ),
            Column(
                "price",
                Kind.NUMBER,
                "Cost in value units per unit used (the political cost in the objective).",
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
                default="0",
            ),
            Column("unit", Kind.TEXT, "Unit of measurement, for reports."),
            _distribution(),
            _source(),
        ),
        key=("resource",),
    ),
    Sheet(
        "capacity",
        "Per-period capacity overrides of renewable resources (e.g. election quarters).",
        (
            Column(
                "resource",
                Kind.TEXT,
                "Renewable resource id.",
                required=True,
                refers_to="resources.resource",
            ),
            _period("period", "Period the override applies to.", required=True),
            Column(
                "capacity",
                Kind.NUMBER,
                "Units available in that period, replacing the resource's capacity.",
                required=True,
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("resource", "period"),
    ),
    Sheet(
        "scope_use",
        "Resources a scope uses while it is negotiated.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Scope id of that measure.", required=True),
            Column(
                "resource", Kind.TEXT, "Resource id.", required=True, refers_to="resources.resource"
            ),
            Column(
                "use",
                Kind.NUMBER,
                "Renewable: units in each negotiation period; nonrenewable: units in total.",
                required=True,
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "scope", "resource"),
    ),
    Sheet(
        "levers",
        "Framing and messaging actions that raise support for a while.",
        (
            Column("lever", Kind.TEXT, "Lever id, unique.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            Column(
                "max_uses",
                Kind.INTEGER,
                "Most periods in which it may be used (at most once per period).",
                required=True,
                minimum=0,
                maximum=LONGEST,
            ),
            _period("earliest", "First period it may be used.", default="first period"),
            _period("latest", "Last period it may be used.", default="last period"),
            _source(),
        ),
        key=("lever",),
    ),
    Sheet(
        "lever_use",
        "Resources one use of a lever takes, in the period it is used.",
        (
            Column("lever", Kind.TEXT, "Lever id.", required=True, refers_to="levers.lever"),
            Column(
                "resource", Kind.TEXT, "Resource id.", required=True, refers_to="resources.resource"
            ),
            Column(
                "use",
                Kind.NUMBER,
                "Units per use.",
                required=True,
                minimum=0,
                maximum=LARGEST_QUANTITY,
                estimate=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("lever", "resource"),
    ),
    Sheet(
        "series",
        "Support series (e.g. Korean public opinion) that gate signings.",
        (
            Column("series", Kind.TEXT, "Series id, unique.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            _source(),
        ),
        key=("series",),
    ),
    Sheet(
        "baseline",
        "Support without any action, in percent; a period left out repeats the one before.",
        (
            Column("series", Kind.TEXT, "Series id.", required=True, refers_to="series.series"),
            _period("period", "Period.", required=True),
            Column(
                "value",
                Kind.NUMBER,
                "Baseline support in that period, 0 to 100.",
                required=True,
                minimum=0,
                maximum=100,
                estimate=True,
                points=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("series", "period"),
    ),
    Sheet(
        "effects",
        "How a lever use, a measure in force or an outside event moves a support series.",
        (
            Column(
                "cause_kind",
                Kind.CHOICE,
                "lever: each use; measure: while the measure is in force; event: each time the "
                "event happens.",
                required=True,
                choices=("lever", "measure", "event"),
            ),
            Column("cause", Kind.TEXT, "Lever id, measure id or event id.", required=True),
            Column(
                "cause_scope",
                Kind.TEXT,
                "For a measure: only when in force at this scope.",
                default="any scope",
            ),
            Column("series", Kind.TEXT, "Series moved.", required=True, refers_to="series.series"),
            Column(
                "amount",
                Kind.NUMBER,
                "Points added at full strength (negative lowers support), -100 to 100.",
                required=True,
                minimum=-100,
                maximum=100,
                estimate=True,
                points=True,
            ),
            Column(
                "delay",
                Kind.INTEGER,
                "Periods between the use (or entry into force) and the first effect.",
                minimum=0,
                maximum=LONGEST,
                default="0",
            ),
            Column(
                "decay",
                Kind.NUMBER,
                "Share of the effect lost each period after the first, 0 (lasting) to 1 "
                "(one period only).",
                minimum=0,
                maximum=1,
                estimate=True,
                default="0",
            ),
            _distribution(),
            _source(),
        ),
        key=("cause_kind", "cause", "cause_scope", "series"),
    ),
    Sheet(
        "gates",
        "Support a scope needs at signing: each listed series must be at or above threshold.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Scope id.", default="every scope of the measure"),
            Column("series", Kind.TEXT, "Series id.", required=True, refers_to="series.series"),
            Column(
                "threshold",
                Kind.NUMBER,
                "Least support, in percent, in the signing period.",
                required=True,
                minimum=0,
                maximum=100,
                estimate=True,
                points=True,
            ),
            _distribution(),
            Column(
                "reliability",
                Kind.NUMBER,
                "Share of sampled scenarios in which the signing must clear this gate "
                "(a chance constraint; docs/uncertainty.md).",
                minimum=0,
                maximum=1,
                default="no requirement of its own",
            ),
            _source(),
        ),
        key=("measure", "scope", "series"),
    ),
    Sheet(
        "dependencies",
        "Links between measures: requires (finish-to-start), excludes, together.",
        (
            Column(
                "kind",
                Kind.CHOICE,
                "requires: measure needs other_measure in force first; excludes: not both; "
                "together: both or neither.",
                required=True,
                choices=("requires", "excludes", "together"),
            ),
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Only when measure has this scope.", default="any scope"),
            Column(
                "other_measure",
                Kind.TEXT,
                "The other measure id.",
                required=True,
                refers_to="measures.measure",
            ),
            Column(
                "other_scope",
                Kind.TEXT,
                "Only when other_measure has this scope.",
                default="any scope",
            ),
            Column(
                "lag",
                Kind.INTEGER,
                "requires only: least periods between other_measure entering into force and "
                "measure starting.",
                minimum=0,
                maximum=LONGEST,
                default="0",
            ),
            _source(),
        ),
        key=("kind", "measure", "scope", "other_measure", "other_scope"),
    ),
    Sheet(
        "maintain",
        "Renewing agreements: support each needs at every review to stay in force.",
        (
            Column(
                "measure",
                Kind.TEXT,
                "Measure id (it needs renew_every in sheet measures).",
                required=True,
                refers_to="measures.measure",
            ),
            Column("series", Kind.TEXT, "Series id.", required=True, refers_to="series.series"),
            Column(
                "threshold",
                Kind.NUMBER,
                "Least support, in percent, in a review period; below it the measure lapses.",
                required=True,
                minimum=0,
                maximum=100,
                estimate=True,
                points=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "series"),
        optional=True,
    ),
    Sheet(
        "upgrades",
        "Staged scope: widening a measure in force from one scope to another.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column(
                "from_scope",
                Kind.TEXT,
                "The scope the measure is signed at (the narrower one).",
                required=True,
            ),
            Column("to_scope", Kind.TEXT, "The scope it is widened to.", required=True),
            Column(
                "duration",
                Kind.INTEGER,
                "Negotiation periods of the upgrade, up to and including its signing.",
                required=True,
                minimum=1,
                estimate=True,
                maximum=LONGEST,
            ),
            _period(
                "earliest_start", "First period the upgrade may start.", default="first period"
            ),
            _period(
                "latest_finish", "Last period the upgrade may be signed.", default="last period"
            ),
            Column(
                "lag",
                Kind.INTEGER,
                "Least periods between the measure entering into force and the upgrade starting.",
                minimum=0,
                default="0",
                maximum=LONGEST,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "from_scope", "to_scope"),
        optional=True,
    ),
    Sheet(
        "upgrade_use",
        "Resources an upgrade uses while it is negotiated.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("from_scope", Kind.TEXT, "The upgrade's narrower scope.", required=True),
            Column("to_scope", Kind.TEXT, "The upgrade's wider scope.", required=True),
            Column(
                "resource", Kind.TEXT, "Resource id.", required=True, refers_to="resources.resource"
            ),
            Column(
                "use",
                Kind.NUMBER,
                "Renewable: units in each negotiation period; nonrenewable: units in total.",
                required=True,
                minimum=0,
                estimate=True,
                maximum=LARGEST_QUANTITY,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "from_scope", "to_scope", "resource"),
        optional=True,
    ),
    Sheet(
        "upgrade_gates",
        "Support an upgrade needs at its signing: each listed series at or above threshold.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("from_scope", Kind.TEXT, "The upgrade's narrower scope.", required=True),
            Column("to_scope", Kind.TEXT, "The upgrade's wider scope.", required=True),
            Column("series", Kind.TEXT, "Series id.", required=True, refers_to="series.series"),
            Column(
                "threshold",
                Kind.NUMBER,
                "Least support, in percent, in the upgrade's signing period.",
                required=True,
                minimum=0,
                maximum=100,
                estimate=True,
                points=True,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "from_scope", "to_scope", "series"),
        optional=True,
    ),
    Sheet(
        "events",
        "Outside events: scheduled (one row per period it happens in) or random (a probability).",
        (
            Column("event", Kind.TEXT, "Event id, unique.", required=True),
            Column("name", Kind.TEXT, "Readable name.", default="the id"),
            _period(
                "period",
                "Scheduled event: the period it happens in (leave probability blank).",
                default="random event",
            ),
            Column(
                "probability",
                Kind.NUMBER,
                "Random event: chance it happens in each period of its window, 0 to 1 (leave "
                "period blank).",
                minimum=0,
                maximum=1,
                estimate=True,
                default="scheduled event",
            ),
            _period(
                "earliest", "Random event: first period it may happen.", default="first period"
            ),
            _period("latest", "Random event: last period it may happen.", default="last period"),
            _distribution(),
            _source(),
        ),
        key=("event", "period"),
        optional=True,
    ),
    Sheet(
        "event_capacity",
        "How an outside event moves the per-period capacity of a renewable resource.",
        (
            Column("event", Kind.TEXT, "Event id.", required=True, refers_to="events.event"),
            Column(
                "resource",
                Kind.TEXT,
                "Renewable resource id.",
                required=True,
                refers_to="resources.resource",
            ),
            Column(
                "amount",
                Kind.NUMBER,
                "Units of capacity added at full strength (negative removes; capacity never "
                "falls below 0).",
                required=True,
                estimate=True,
                minimum=-LARGEST_QUANTITY,
                maximum=LARGEST_QUANTITY,
            ),
            Column(
                "delay",
                Kind.INTEGER,
                "Periods between the event and the first change.",
                minimum=0,
                default="0",
                maximum=LONGEST,
            ),
            Column(
                "decay",
                Kind.NUMBER,
                "Share of the change lost each period after the first, 0 (lasting) to 1 "
                "(one period only).",
                minimum=0,
                maximum=1,
                estimate=True,
                default="0",
            ),
            _distribution(),
            _source(),
        ),
        key=("event", "resource"),
        optional=True,
    ),
    Sheet(
        "substitutes",
        "Measures delivering partly the same thing: overlap subtracted while both are in force.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Only while measure is at this scope.", default="any scope"),
            Column(
                "other_measure",
                Kind.TEXT,
                "The other measure id.",
                required=True,
                refers_to="measures.measure",
            ),
            Column(
                "other_scope",
                Kind.TEXT,
                "Only while other_measure is at this scope.",
                default="any scope",
            ),
            Column(
                "overlap",
                Kind.NUMBER,
                "Value units per period subtracted while both are in force.",
                required=True,
                minimum=0,
                estimate=True,
                maximum=LARGEST_QUANTITY,
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "scope", "other_measure", "other_scope"),
        optional=True,
    ),
    Sheet(
        "backlash",
        "Backlash: signing a measure without a lever used during its negotiation moves a series.",
        (
            Column(
                "measure", Kind.TEXT, "Measure id.", required=True, refers_to="measures.measure"
            ),
            Column("scope", Kind.TEXT, "Only when signed at this scope.", default="any scope"),
            Column(
                "lever",
                Kind.TEXT,
                "Lever whose use in any negotiation period averts the backlash.",
                required=True,
                refers_to="levers.lever",
            ),
            Column("series", Kind.TEXT, "Series moved.", required=True, refers_to="series.series"),
            Column(
                "amount",
                Kind.NUMBER,
                "Points added from the period after the signing (usually negative), -100 to 100.",
                required=True,
                minimum=-100,
                maximum=100,
                estimate=True,
                points=True,
            ),
            Column(
                "delay",
                Kind.INTEGER,
                "Periods between the period after the signing and the first effect.",
                minimum=0,
                default="0",
                maximum=LONGEST,
            ),
            Column(
                "decay",
                Kind.NUMBER,
                "Share of the effect lost each period after the first, 0 (lasting) to 1 "
                "(one period only).",
                minimum=0,
                maximum=1,
                estimate=True,
                default="0",
            ),
            _distribution(),
            _source(),
        ),
        key=("measure", "scope", "lever", "series"),
        optional=True,
    ),
)

SHEETS_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}
