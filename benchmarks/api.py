"""Benchmark the Python API against the command line on the reference model.

Prints medians (this machine is noisy) of:

- ``import seqopt`` in a fresh interpreter (the API's names are imported on first use),
  and ``import seqopt`` followed by ``seqopt.load`` (what a notebook's first cell costs);
- ``model.solve()`` in one process (imports, reading and the first solve already done)
  against ``seqopt solve`` as a new process (imports, reading, solving, writing);
- executing the example notebook (docs/examples/japan_rok.ipynb) with nbclient.

    python benchmarks/api.py              # 5 repeats
    python benchmarks/api.py --repeat 9 --no-notebook
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "models" / "japan_rok.toml"


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def show(what: str, times: list[float]) -> None:
    print(
        f"{what}: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, n={len(times)})"
    )


def python(code: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in ("models", "inputs"):
            shutil.copytree(ROOT / name, root / name)
        here = root / "docs" / "examples"
        here.mkdir(parents=True)
        book = nbformat.read(ROOT / "docs" / "examples" / "japan_rok.ipynb", as_version=4)
        started = time.perf_counter()
        NotebookClient(
            book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}}
        ).execute()
        seconds = time.perf_counter() - started
        print(f"example notebook executed in {seconds:.1f} s (kernel start included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-notebook", action="store_true")
    args = parser.parse_args()
    show("import seqopt (fresh interpreter)", timed(python("import seqopt"), args.repeat))
    show(
        "import seqopt; seqopt.load(reference) (fresh interpreter)",
        timed(python(f"import seqopt; seqopt.load({str(REFERENCE)!r})"), args.repeat),
    )
    import seqopt

    model = seqopt.load(REFERENCE)
    model.solve()  # the first solve imports the solver
    show("model.solve() on the reference model (in process)", timed(model.solve, args.repeat))
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "seqopt", "solve", str(REFERENCE), "--out", out, "--quiet"]
        show(
            "seqopt solve on the reference model (new process, writes its outputs)",
            timed(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat),
        )
    if not args.no_notebook:
        notebook()


if __name__ == "__main__":
    main()
