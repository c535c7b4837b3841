import sys
from pathlib import Path

# Test helpers (random_problems, brute_force) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))
