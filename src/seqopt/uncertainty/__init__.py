"""Decisions under uncertainty: sampling, scenarios, robust plans and sensitivity."""
