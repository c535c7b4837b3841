"""Explanations in the decision's own terms: why a plan is what it is, and what would change it.

- :mod:`seqopt.explain.diagnose`: why a model is infeasible, and the smallest
  relaxation that makes it feasible (an elastic model);
- :mod:`seqopt.explain.reasons`: why each measure starts when it does, or is left out;
- :mod:`seqopt.explain.counterfactual`: the price of forcing a measure in, out
  or earlier, and the smallest change to one input that brings a measure in.
"""
