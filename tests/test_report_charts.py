"""Report charts fixed in issue 13: intervals within 0-100 %, no empty regret panel, the
tornado's key clear of its bars, distinct names, axis titles, period labels on tall charts."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from seqopt.report.roadmap import roadmap_figure
from seqopt.report.style import TALL_ROWS, distinct_labels
from seqopt.report.uncertainty import (
    core_index_figure,
    core_index_table,
    regret_figure,
    signing_figure,
    tornado_figure,
)
from seqopt.uncertainty.sampling import wilson_interval

PERIODS = [f"P{t}" for t in range(1, 9)]


def simulation(shares: list[float], solved: int = 60, regret: bool = True) -> dict[str, Any]:
    histogram = {"edges": [0.0, 1.0, 2.0], "counts": [3, 4]}
    return {
        "samples": solved,
        "solved": solved,
        "periods": PERIODS,
        "measures": [
            {
                "measure": f"m{k}",
                "measure_name": f"Measure {k}",
                "core_index": share,
                "standard_error": (share * (1 - share) / solved) ** 0.5,
                "most_common_scope": None,
                "most_common_scope_name": None,
                "most_common_scope_share": None,
                "signing": {
                    p: (solved // 2 if t == k % len(PERIODS) else 0) for t, p in enumerate(PERIODS)
                },
            }
            for k, share in enumerate(shares)
        ],
        "value": {"count": solved, "histogram": histogram},
        "base_value": 1.5,
        "regret": {"count": 7, "histogram": histogram, "unit": "value"} if regret else {"count": 0},
        "base_plan": {"broken": solved - 7 if regret else solved, "rules": []},
    }


def sensitivity(subjects: list[str]) -> dict[str, Any]:
    return {
        "base_value": 10.0,
        "swings": [
            {
                "subject": subject,
                "low": {"change": -5.0 + k, "plan_changes": k % 2 == 0},
                "high": {"change": 3.0 - k / 10, "plan_changes": False},
            }
            for k, subject in enumerate(subjects)
        ],
    }


def axes_of(figure: Figure) -> list[Axes]:
    """The plotting axes of a figure (not colour bars)."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]


# -- core index: the Wilson interval --------------------------------------------------


@pytest.mark.parametrize(("share", "count"), [(1.0, 60), (59 / 60, 60), (0.0, 10), (0.5, 7)])
def test_the_wilson_interval_stays_within_0_and_1_and_holds_the_share(
    share: float, count: int
) -> None:
    low, high = wilson_interval(share, count)
    assert 0.0 <= low <= share <= high <= 1.0
    assert high - low > 0, "a share of 0 or 1 from a sample is not certain"


def test_the_wilson_interval_matches_the_textbook_value() -> None:
    # 0.5 from 100 draws: 0.5 +- 1.96 * sqrt(0.25/100 + 1.96**2/40000) / (1 + 1.96**2/100)
    low, high = wilson_interval(0.5, 100)
    assert (low, high) == pytest.approx((0.40383, 0.59617), abs=1e-5)


def test_core_index_whiskers_never_pass_100_percent() -> None:
    figure = core_index_figure({"simulation": simulation([1.0, 59 / 60, 0.92, 0.0])})
    assert figure is not None
    (ax,) = axes_of(figure)
    whiskers = [c for c in ax.collections if isinstance(c, LineCollection)]
    xs = [
        x for collection in whiskers for segment in collection.get_segments() for x in segment[:, 0]
    ]
    assert xs and min(xs) >= 0.0 and max(xs) <= 1.0 + 1e-12


def test_core_index_table_gives_the_interval() -> None:
    rows = core_index_table(simulation([1.0])).rows
    assert rows[0][2] == "94.0–100.0"


# -- regret: no empty panel ------------------------------------------------------------


def test_no_regret_means_no_empty_regret_panel() -> None:
    figure = regret_figure({"simulation": simulation([0.5], regret=False)})
    assert figure is not None
    (ax,) = axes_of(figure)
    assert ax.get_title(loc="left") == "Optimal value across scenarios"
    assert "no regret to show" in figure.get_supxlabel().lower()  # type: ignore[attr-defined]


def test_regret_is_drawn_when_there_is_some() -> None:
    figure = regret_figure({"simulation": simulation([0.5])})
    assert figure is not None
    assert [ax.get_title(loc="left") for ax in axes_of(figure)] == [
        "Optimal value across scenarios",
        "Regret of the base plan where it still holds",
    ]


# -- tornado: key clear of the bars, names that differ ---------------------------------


def test_the_tornado_key_does_not_cover_any_bar() -> None:
    subjects = [f"Estimate {k}: benefit" for k in range(15)]
    figure = tornado_figure({"sensitivity": sensitivity(subjects)})
    assert figure is not None
    FigureCanvasAgg(figure).draw()
    (ax,) = axes_of(figure)
    assert ax.get_legend() is None and len(figure.legends) == 1
    key = figure.legends[0].get_window_extent()
    for bar in ax.patches:
        assert not key.overlaps(bar.get_window_extent()), "the key covers a bar"


def test_long_names_that_differ_at_the_end_stay_different() -> None:
    long = "GSOMIA (military information) (Full text of 2012)"
    subjects = [f"{long}: benefit", f"{long}: duration", f"{long}: use of Political capital"]
    labels = distinct_labels(subjects, 40)
    assert len(set(labels)) == 3 and all(len(label) <= 40 for label in labels)
    assert [label.rsplit(": ", 1)[1] for label in labels] == [
        "benefit",
        "duration",
        "use of Political capital",
    ]
    figure = tornado_figure({"sensitivity": sensitivity(subjects)})
    assert figure is not None
    (ax,) = axes_of(figure)
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert len(set(shown)) == 3


def test_names_that_still_read_the_same_are_numbered() -> None:
    same = ["x" * 80 + "a", "x" * 80 + "b", "x" * 80 + "a"]
    labels = distinct_labels(same, 30)
    assert len(set(labels)) == 3 and labels[2].endswith("(2)")


# -- axis titles and the time axis on tall charts --------------------------------------


def test_every_chart_has_axis_titles() -> None:
    document: dict[str, Any] = {
        "simulation": simulation([0.5, 0.9]),
        "sensitivity": sensitivity(["a: benefit", "b: benefit"]),
    }
    for make in (core_index_figure, signing_figure, regret_figure, tornado_figure):
        figure = make(document)
        assert figure is not None
        for ax in axes_of(figure):
            if (
                ax.get_title(loc="left") == "Optimal value across scenarios"
                or make is not regret_figure
            ):
                assert ax.get_xlabel(), (make.__name__, ax.get_title(loc="left"))
            assert ax.get_ylabel(), (make.__name__, ax.get_title(loc="left"))


def roadmap_document(measures: int) -> dict[str, Any]:
    return {
        "periods": PERIODS,
        "schedule": [
            {
                "measure": f"m{k}",
                "measure_name": f"Measure {k}",
                "scope_name": "only",
                "start": PERIODS[k % 4],
                "signing": PERIODS[k % 4 + 1],
                "in_force": PERIODS[k % 4 + 2],
            }
            for k in range(measures)
        ],
        "lever_uses": [],
    }


@pytest.mark.parametrize("rows", [3, TALL_ROWS + 5])
def test_tall_charts_repeat_the_period_labels_above(rows: int) -> None:
    tall = rows >= TALL_ROWS
    roadmap = roadmap_figure(roadmap_document(rows))
    signing = signing_figure({"simulation": simulation([0.5] * rows)})
    assert signing is not None
    for figure in (roadmap, signing):
        ax = axes_of(figure)[0]
        assert ax.get_xlabel() in ("Period", "Signing period")
        top = [tick.label2.get_visible() for tick in ax.xaxis.get_major_ticks()]
        assert any(top) is tall
