"""Trade-offs between plans: the benefit–cost frontier, and plans of several models side by side.

- :mod:`seqopt.tradeoffs.cost_frontier`: the exact frontier of discounted benefit
  against political cost, by an epsilon-constraint sweep (``seqopt frontier --cost``).
- :mod:`seqopt.tradeoffs.margin_frontier`: value against the least support margin at
  any signing (``seqopt frontier --margin``).
- :mod:`seqopt.tradeoffs.compare`: the plans of several model files side by side, and
  what moves between them (``seqopt compare``).
"""
