import sys
from pathlib import Path

# Test helpers (random_problems, brute_force) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_report_header() -> str:
    """Say which cases tests/test_fuzz_inputs.py runs, so that a failure reproduces."""
    import os

    seed = os.environ.get("SEQOPT_FUZZ_SEED")
    if seed is None:
        return (
            "fuzzing: derandomized (the same cases every run; SEQOPT_FUZZ_SEED=<n> explores others)"
        )
    return f"fuzzing: SEQOPT_FUZZ_SEED={seed}"
