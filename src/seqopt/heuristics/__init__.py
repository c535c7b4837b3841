"""Plans found without proof: starting plans for the solvers, and tie-breaking.

- :mod:`~seqopt.heuristics.greedy`: serial schedule generation under priority rules;
- :mod:`~seqopt.heuristics.schedule_search`: activity-list search for pure
  scheduling problems (makespan);
- :mod:`~seqopt.heuristics.ties`: the fixed rule between equally good plans.

Every plan found here is a starting point: the solver proves (or not) and the
independent evaluator checks.
"""
