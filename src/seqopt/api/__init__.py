"""The Python API: load a model, solve it, look at the plan as tables, analyse, write.

>>> import seqopt
>>> model = seqopt.load("models/japan_rok.toml")  # doctest: +SKIP
>>> plan = model.solve(time_limit=30)  # doctest: +SKIP

See docs/api.md. The command line runs the same use cases (:mod:`seqopt.api.cases`).
"""

from seqopt.api.cases import NoPlan
from seqopt.api.model import Model, load
from seqopt.api.results import Check, Explanation, Plan, Sensitivity, Simulation

__all__ = ["Check", "Explanation", "Model", "NoPlan", "Plan", "Sensitivity", "Simulation", "load"]
