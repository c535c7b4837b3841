"""Reports for readers, rendered from a plan document (``plan.json``) and nothing else.

``tables`` and ``words`` turn the document into the tables and sentences that
``summary.md``, ``plan.xlsx`` and ``report.html`` share; ``charts`` draws the
roadmap, support and resource figures; ``html`` renders the self-contained page;
``write`` reads a result folder and writes the report files atomically.

This package imports nothing at its top level, so that :mod:`seqopt.outputs`
can use the tables without loading matplotlib or Jinja2.
"""
