"""Adaptive plans: re-plan every period as support is observed, and the pathways runs take."""
