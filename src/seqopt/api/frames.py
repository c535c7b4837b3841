"""pandas tables of a plan, drawn from its plan document (``plan.json``) alone.

Pure functions of the document, as the report's are: a table here says what
``plan.json`` says, and the document is itself recomputed from the schedule by
the independent evaluator. Periods are the input's labels (``"2013Q4"``);
every table has a fixed set of columns, also when it has no rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

SCHEDULE_COLUMNS = (
    "measure",
    "measure_name",
    "scope",
    "scope_name",
    "start",
    "signing",
    "in_force",
    "lapse",
    "benefit",
    "cost",
    "widened_to",
    "widened_start",
)
LEVER_COLUMNS = ("lever", "lever_name", "period")
SUPPORT_COLUMNS = ("series", "series_name", "period", "support")
THRESHOLD_COLUMNS = (
    "series",
    "measure",
    "measure_name",
    "scope",
    "scope_name",
    "threshold",
    "chosen",
    "signing",
    "support_at_signing",
    "margin",
)
RESOURCE_COLUMNS = ("resource", "resource_name", "kind", "unit", "period", "use", "capacity")
LEFT_OUT_COLUMNS = ("measure", "measure_name", "force")


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def schedule(document: dict[str, Any]) -> pd.DataFrame:
    """One row per measure in the plan, in order of start: scope, key periods, value, cost.

    ``in_force`` is empty when the measure comes into force after the horizon;
    ``lapse`` is the first period out of force after a failed review;
    ``widened_to`` and ``widened_start`` name a later upgrade to a wider scope.
    """
    rows = []
    for item in document.get("schedule", []):
        upgrade = item.get("upgrade") or {}
        rows.append(
            {
                **{key: item.get(key) for key in SCHEDULE_COLUMNS[:10]},
                "widened_to": upgrade.get("scope"),
                "widened_start": upgrade.get("start"),
            }
        )
    return _frame(rows, SCHEDULE_COLUMNS)


def lever_uses(document: dict[str, Any]) -> pd.DataFrame:
    """One row per use of a lever (framing action), in order of period."""
    return _frame(list(document.get("lever_uses", [])), LEVER_COLUMNS)


def support(document: dict[str, Any]) -> pd.DataFrame:
    """Support of every series in every period, under the plan (long form)."""
    periods = document["periods"]
    rows = [
        {"series": key, "series_name": series["name"], "period": period, "support": value}
        for key, series in document.get("support", {}).items()
        for period, value in zip(periods, series["values"], strict=True)
    ]
    return _frame(rows, SUPPORT_COLUMNS)


def thresholds(document: dict[str, Any]) -> pd.DataFrame:
    """Every threshold support must reach at a signing, of every measure and scope.

    For the scopes the plan signs, ``signing`` is the period of signing,
    ``support_at_signing`` the support then and ``margin`` the points to spare
    (negative: short); for the others they are empty.
    """
    signed: dict[tuple[str, str, str], tuple[str, float]] = {}
    for item in document.get("schedule", []):
        for gate in item["gates"]:
            key = (item["measure"], item["scope"], gate["series"])
            signed[key] = (item["signing"], gate["support_at_signing"])
    rows = []
    for key, series in document.get("support", {}).items():
        for gate in series["gates"]:
            at = signed.get((gate["measure"], gate["scope"], key)) if gate["chosen"] else None
            rows.append(
                {
                    "series": key,
                    **{name: gate[name] for name in THRESHOLD_COLUMNS[1:7]},
                    "signing": at[0] if at else None,
                    "support_at_signing": at[1] if at else None,
                    "margin": at[1] - gate["threshold"] if at else None,
                }
            )
    return _frame(rows, THRESHOLD_COLUMNS)


def resources(document: dict[str, Any]) -> pd.DataFrame:
    """Use of every resource in every period, with its capacity (long form).

    A budget (a non-renewable resource) has one capacity for the whole horizon,
    repeated on each row; its ``use`` is what is booked in that period.
    """
    periods = document["periods"]
    rows = []
    for key, resource in document.get("resources", {}).items():
        capacity = resource["capacity"]
        for t, period in enumerate(periods):
            rows.append(
                {
                    "resource": key,
                    "resource_name": resource["name"],
                    "kind": resource["kind"],
                    "unit": resource["unit"],
                    "period": period,
                    "use": resource["use"][t],
                    "capacity": capacity[t] if isinstance(capacity, list) else capacity,
                }
            )
    return _frame(rows, RESOURCE_COLUMNS)


def left_out(document: dict[str, Any]) -> pd.DataFrame:
    """The measures the plan does not do, and whether the input forces them out."""
    rows = [{key: m[key] for key in LEFT_OUT_COLUMNS} for m in document.get("left_out", [])]
    return _frame(rows, LEFT_OUT_COLUMNS)
