"""seqopt: decide what to do, at what scope, in what order and when, under public support.

The Python API (docs/api.md)::

    import seqopt

    model = seqopt.load("models/japan_rok.toml")
    plan = model.solve()
    plan.schedule  # a pandas DataFrame

Its names are imported on first use, so that ``import seqopt`` stays quick
(the solvers, pandas and matplotlib take seconds to import).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("seqopt")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from seqopt.api import (
        Check,
        Explanation,
        Model,
        NoPlan,
        Plan,
        Sensitivity,
        Simulation,
        load,
    )
    from seqopt.errors import InputError, Issue, Location, OutputError
    from seqopt.solvers.result import PlanRejected, Status

_LAZY = {
    "load": "seqopt.api",
    "Model": "seqopt.api",
    "Plan": "seqopt.api",
    "Explanation": "seqopt.api",
    "Check": "seqopt.api",
    "Simulation": "seqopt.api",
    "Sensitivity": "seqopt.api",
    "NoPlan": "seqopt.api",
    "Status": "seqopt.solvers.result",
    "PlanRejected": "seqopt.solvers.result",
    "InputError": "seqopt.errors",
    "OutputError": "seqopt.errors",
    "Issue": "seqopt.errors",
    "Location": "seqopt.errors",
}
"""Public names, and the module each is imported from on first use."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'seqopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Check",
    "Explanation",
    "InputError",
    "Issue",
    "Location",
    "Model",
    "NoPlan",
    "OutputError",
    "Plan",
    "PlanRejected",
    "Sensitivity",
    "Simulation",
    "Status",
    "__version__",
    "load",
]
