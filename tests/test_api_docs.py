"""docs/api.md: every example runs, in order, and prints what the page says; the README's
example is one of them."""

from __future__ import annotations

import doctest
import io
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.fixture
def repository_copy(tmp_path: Path) -> Path:
    """The models and inputs in a folder of their own, so that outputs land there."""
    for folder in ("models", "inputs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_every_example_of_docs_api_md_prints_what_it_says(
    repository_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository_copy)
    examples = "".join(block for block in python_blocks(DOC.read_text("utf-8")) if ">>>" in block)
    test = doctest.DocTestParser().get_doctest(examples, {}, "docs/api.md", str(DOC), 0)
    assert len(test.examples) >= 30
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
    written = {p.name for p in (repository_copy / "reports" / "japan_rok").iterdir()}
    assert {"plan.json", "report.html", "roadmap.svg"} <= written


def test_the_readme_shows_the_docs_first_example() -> None:
    readme = python_blocks((ROOT / "README.md").read_text("utf-8"))
    first = python_blocks(DOC.read_text("utf-8"))[0]
    assert [textwrap.dedent(block).strip() for block in readme] == [first.strip()]


def test_the_first_example_runs(repository_copy: Path) -> None:
    first = python_blocks(DOC.read_text("utf-8"))[0]
    lines = first.strip().splitlines()
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(repository_copy)
    try:
        exec("\n".join(lines[:-1]), namespace)  # the last line is a notebook cell's display
        table = eval(lines[-1], namespace)
    finally:
        os.chdir(cwd)
    assert list(table.columns) == ["measure", "scope", "start", "signing"]
    assert table["measure"].iloc[0] == "gsomia"
