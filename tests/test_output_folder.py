"""Output folders (issue 13): replaced as a whole, held against a second run, OS errors as messages.

A failed or interrupted run must leave the previous complete set of files
untouched, never a mixture; a second seqopt writing into a held folder is
refused at once; a crashed run leaves nothing stuck; a read-only folder, a
full disk, or an output path that is (or lies under) a file gives exit code 2
naming the path; files get the permissions the umask allows.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seqopt.report.write
from seqopt.atomic import hold_output
from seqopt.cli import Exit, app
from seqopt.errors import OutputError

from edit_inputs import JAPAN_ROK, JAPAN_ROK_XLSX, copy_input, set_cell

ROOT = Path(__file__).resolve().parents[1]


def model(tmp_path: Path, output: str = "out") -> Path:
    copy_input(tmp_path)
    path = tmp_path / "model.toml"
    path.write_text(f'[model]\nname = "mini"\ninput = "input"\noutput = "{output}"\n', "utf-8")
    return path


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def solved(tmp_path: Path) -> Path:
    """A model solved once with its report: the previous complete set of outputs."""
    path = model(tmp_path)
    assert invoke("solve", path, "--report", "--quiet")[0] == Exit.OK
    set_cell(tmp_path / "input", "measures", 2, "name", "Alpha the second")
    return path


# -- replaced as a whole -----------------------------------------------------------------


def test_ctrl_c_while_the_report_is_drawn_leaves_the_previous_set(
    solved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = solved.parent / "out"
    before = digest(out)
    draw = seqopt.report.write.write_report

    def draw_then_ctrl_c(folder: Path, document: dict[str, object]) -> list[Path]:
        draw(folder, document)  # the new report is complete in the new set…
        raise KeyboardInterrupt  # …when Ctrl-C arrives, before the set is swapped in

    monkeypatch.setattr(seqopt.report.write, "write_report", draw_then_ctrl_c)
    code, output = invoke("solve", solved, "--report", "--quiet")
    assert code == Exit.INTERRUPTED == 130
    assert "Interrupted (Ctrl-C) after" in output
    assert "Done: read" in output and "solved (optimal, value 16.00)" in output
    assert f"Nothing written: {out} keeps the files it had before." in output
    assert digest(out) == before
    assert leftovers(solved.parent) == []


def test_a_run_that_fails_while_writing_leaves_the_previous_set(
    solved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = solved.parent / "out"
    before = digest(out)

    def broken(folder: Path, document: dict[str, object]) -> list[Path]:
        raise RuntimeError("a bug in the report")

    monkeypatch.setattr(seqopt.report.write, "write_report", broken)
    code, output = invoke("solve", solved, "--report", "--quiet")
    assert code == Exit.INTERNAL
    assert "Internal error (a bug in seqopt), nothing written: RuntimeError: a bug" in output
    assert "Traceback" not in output
    assert digest(out) == before
    assert leftovers(solved.parent) == []


def test_a_new_run_replaces_the_set_and_keeps_the_files_it_does_not_write(solved: Path) -> None:
    out = solved.parent / "out"
    (out / "simulation.json").write_text("{}", encoding="utf-8")  # from an earlier simulate
    assert invoke("solve", solved, "--quiet")[0] == Exit.OK
    assert json.loads((out / "plan.json").read_text())["schedule"][0]["measure_name"] == (
        "Alpha the second"
    )
    assert (out / "simulation.json").read_text() == "{}"
    assert (out / "report.html").exists()


def test_a_real_ctrl_c_in_a_seqopt_process(solved: Path) -> None:
    """The installed handler, a real SIGINT, and the old set intact (no CliRunner)."""
    out = solved.parent / "out"
    before = digest(out)
    script = (
        "import os, signal, sys\n"
        "import seqopt.report.write as w\n"
        "draw = w.write_report\n"
        "def ctrl_c(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return draw(*a, **k)\n"
        "w.write_report = ctrl_c\n"
        "from seqopt.cli import main\n"
        f"sys.argv = ['seqopt', 'solve', {str(solved)!r}, '--report', '--quiet']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 130, done.stderr
    assert "Interrupted (Ctrl-C)" in done.stderr and "Traceback" not in done.stderr
    assert digest(out) == before
    assert leftovers(solved.parent) == []


# -- held against a second run -----------------------------------------------------------


def test_a_second_run_into_a_held_folder_is_refused(tmp_path: Path) -> None:
    path = model(tmp_path)
    with hold_output(tmp_path / "out"):
        code, output = invoke("solve", path, "--quiet")
        assert code == Exit.INPUT
        assert "out: is being written by another seqopt run (process" in " ".join(output.split())
        assert not (tmp_path / "out" / "plan.json").exists()
    assert invoke("solve", path, "--quiet")[0] == Exit.OK, "released at the end of the block"
    assert not (tmp_path / ".out.lock").exists()


def test_a_crashed_run_leaves_nothing_stuck(tmp_path: Path) -> None:
    path = model(tmp_path)
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from seqopt.atomic import hold_output\n"
        f"out = Path({str(tmp_path / 'out')!r})\n"
        "with hold_output(out) as held:\n"
        "    with held.replace() as staging:\n"
        "        (staging / 'plan.json').write_text('half')\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert (tmp_path / ".out.lock").exists(), "the killed run left its lock file…"
    assert any(name.startswith(".out.new-") for name in leftovers(tmp_path))
    assert invoke("solve", path, "--quiet")[0] == Exit.OK, "…but not its lock"
    assert leftovers(tmp_path) == [], "and its half-written set is cleared away"
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["status"] == "optimal"


def test_a_folder_with_folders_of_its_own_is_not_an_output_folder(tmp_path: Path) -> None:
    path = model(tmp_path)
    code, output = invoke("solve", path, "--quiet", "--out", tmp_path)
    assert code == Exit.INPUT
    assert "holds folders (input) that seqopt did not write" in " ".join(output.split())


# -- the operating system says no ---------------------------------------------------------


def test_out_that_is_a_file(tmp_path: Path) -> None:
    path = model(tmp_path)
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    code, output = invoke("solve", path, "--quiet", "--out", tmp_path / "taken")
    assert code == Exit.INPUT
    assert f"{tmp_path / 'taken'}: is a file, not a folder for the outputs." in output


def test_out_under_a_file(tmp_path: Path) -> None:
    path = model(tmp_path)
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    code, output = invoke("solve", path, "--quiet", "--out", tmp_path / "taken" / "out")
    assert code == Exit.INPUT
    assert f"{tmp_path / 'taken'}: is a file, not a folder." in output


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "it is on a read-only file system"),
        (errno.EACCES, "permission denied: this user may not write there"),
    ],
)
def test_os_errors_while_writing_are_messages_and_keep_the_old_set(
    solved: Path, monkeypatch: pytest.MonkeyPatch, number: int, words: str
) -> None:
    out = solved.parent / "out"
    before = digest(out)
    write = Path.write_text

    def failing(self: Path, *args: object, **kwargs: object) -> int:
        if self.name.startswith(".summary.md."):
            raise OSError(number, os.strerror(number), str(self))
        return write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing)
    code, output = invoke("solve", solved, "--quiet")
    assert code == Exit.INPUT
    assert f"Nothing was written:\n  - {out / 'summary.md'}: could not be written: {words}." in (
        output
    )
    assert digest(out) == before
    assert leftovers(solved.parent) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path: Path) -> None:
    path = model(tmp_path, output="locked/out")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, output = invoke("solve", path, "--quiet")
    finally:
        locked.chmod(0o755)
    assert code == Exit.INPUT
    assert "could not be written: permission denied" in output


def test_files_get_the_permissions_the_umask_allows(tmp_path: Path) -> None:
    path = model(tmp_path)
    previous = os.umask(0o027)
    try:
        assert invoke("solve", path, "--quiet", "--report")[0] == Exit.OK
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == {0o640}, "mkstemp's 0600 would keep the report from a group that may read it"


def test_an_output_error_is_an_input_error_with_its_own_heading() -> None:
    error = OutputError([])
    assert error.describe() == "Nothing was written:"


# -- convert and template into existing folders ------------------------------------------


def test_convert_into_the_committed_csv_folder_changes_no_line(tmp_path: Path) -> None:
    target = copy_input(tmp_path, JAPAN_ROK, "japan_rok")
    (target / "NOTES.md").write_text("kept", encoding="utf-8")
    before = digest(target)
    code, output = invoke("convert", JAPAN_ROK_XLSX, target, "--overwrite")
    assert code == Exit.OK, output
    assert digest(target) == before


def test_convert_into_a_folder_rewrites_only_the_rows_that_changed(tmp_path: Path) -> None:
    target = copy_input(tmp_path, JAPAN_ROK, "japan_rok")
    source = copy_input(tmp_path, JAPAN_ROK, "edited")
    set_cell(source, "measures", 2, "name", "ACSA, renamed")
    assert invoke("convert", source, tmp_path / "edited.xlsx")[0] == Exit.OK
    assert invoke("convert", tmp_path / "edited.xlsx", target, "--overwrite")[0] == Exit.OK
    old = (JAPAN_ROK / "measures.csv").read_text(encoding="utf-8").splitlines()
    new = (target / "measures.csv").read_text(encoding="utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert changed == [1]
    for other in JAPAN_ROK.glob("*.csv"):
        if other.name != "measures.csv":
            assert (target / other.name).read_bytes() == other.read_bytes(), other.name


def test_template_over_a_csv_folder_keeps_its_other_files(tmp_path: Path) -> None:
    folder = copy_input(tmp_path)
    (folder / "NOTES.md").write_text("kept", encoding="utf-8")
    assert invoke("template", folder, "--overwrite")[0] == Exit.OK
    assert (folder / "NOTES.md").read_text() == "kept"
    assert (folder / "measures.csv").read_text().splitlines() == [
        "measure,name,force,renew_every,source"
    ]


def test_the_harness_replays_without_error() -> None:
    """benchmarks/hostile_input.py imports and lists its cases (it is run by hand)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import hostile_input
    finally:
        sys.path.pop(0)
    assert len(hostile_input.CASES) >= 40
