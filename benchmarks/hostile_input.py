"""Replay the hostile and careless inputs of issue 13 and print what seqopt does with each.

Each case builds its own broken input (from tests/data/minimal or the reference
model) in a temporary folder, runs one ``seqopt`` command in a fresh process,
and prints one line: the exit code, whether a traceback was printed, the time
taken, and the first line of what seqopt said (or an observation about the
files it wrote, such as formula cells in plan.xlsx).

    python benchmarks/hostile_input.py                   # every case, this checkout
    python benchmarks/hostile_input.py --only far_cell   # one case (substring match)
    python benchmarks/hostile_input.py --src /tmp/base/src   # the cases against another checkout

Cases that need root (a tiny full file system, a read-only mount) are skipped
without it. Nothing here is a test: tests/ holds one test per class.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal"
REFERENCE_CSV = ROOT / "inputs" / "japan_rok"
REFERENCE_XLSX = ROOT / "inputs" / "japan_rok.xlsx"


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float = 0.0


@dataclass
class Case:
    group: str
    name: str
    make: Callable[[Path], list[str]]
    """Build the input in a folder; return the seqopt arguments."""
    observe: Callable[[Path, Run], str] | None = None
    timeout: float = 60
    needs_root: bool = False
    interrupt_after: float | None = None
    concurrent: bool = False
    prelude: str = ""
    """Python run in the seqopt process before the command (to time a Ctrl-C exactly)."""


SRC: Path = ROOT / "src"


def seqopt(
    args: list[str], cwd: Path, timeout: float, interrupt_after: float | None, prelude: str = ""
) -> Run:
    env = dict(os.environ, PYTHONPATH=str(SRC), COLUMNS="200")
    # The child measures its own peak memory: ru_maxrss of the process that ran seqopt.
    wrapper = (
        "import resource, runpy, signal, sys\n"
        # As started from a terminal, even when this script runs in the background
        # (where the shell makes children ignore SIGINT, and Python keeps that).
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "sys.argv = ['seqopt', *sys.argv[1:]]\n" + prelude + "\n"
        "try:\n"
        "    runpy.run_module('seqopt', run_name='__main__')\n"
        "finally:\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    sys.stderr.write(f'\\n@@peak_kb {peak}\\n')\n"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", wrapper, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            # What a terminal's Ctrl-C does: SIGINT to the whole process group.
            os.killpg(process.pid, signal.SIGINT)
            interrupted = time.perf_counter()
        stdout, stderr = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        code = None
    seconds = time.perf_counter() - started
    if interrupt_after is not None:
        stderr += f"\n({time.perf_counter() - interrupted:.1f} s after Ctrl-C)"
    peak = 0.0
    for line in stderr.splitlines():
        if line.startswith("@@peak_kb "):
            peak = int(line.split()[1]) / 1024
    stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith("@@peak_kb"))
    return Run(code, stdout, stderr, seconds, peak)


# -- building inputs -------------------------------------------------------------------


def minimal(folder: Path, name: str = "input") -> Path:
    target = folder / name
    shutil.copytree(MINIMAL, target)
    return target


def model_file(
    folder: Path, input_name: str = "input", extra: str = "", name: str = "mini"
) -> Path:
    path = folder / "model.toml"
    path.write_text(
        f'[model]\nname = "{name}"\ninput = "{input_name}"\noutput = "out"\n{extra}\n',
        encoding="utf-8",
    )
    return path


def set_cell(csv_folder: Path, sheet: str, row: int, column: str, value: str) -> None:
    file = csv_folder / f"{sheet}.csv"
    with file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with file.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def rewrite(csv_folder: Path, sheet: str, edit: Callable[[list[list[str]]], None]) -> None:
    file = csv_folder / f"{sheet}.csv"
    with file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with file.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def workbook_from_minimal(folder: Path, edit: Callable[[object], None] | None = None) -> Path:
    """The minimal input as a workbook written with openpyxl, optionally edited."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for file in sorted(MINIMAL.glob("*.csv")):
        sheet = workbook.create_sheet(file.stem)
        with file.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                sheet.append([_typed(v) for v in row])
    if edit is not None:
        edit(workbook)
    path = folder / "input.xlsx"
    workbook.save(path)
    return path


def _typed(text: str) -> object:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def replace_in_zip(path: Path, member: str, change: Callable[[str], str]) -> None:
    source = path.with_suffix(".orig.xlsx")
    path.rename(source)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    source.unlink()


# -- observations of written files -----------------------------------------------------

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_cells(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return sum(
        1
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    )


def csv_trigger_cells(path: Path) -> int:
    count = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            for cell in row:
                if cell[:1] in TRIGGERS:
                    try:
                        float(cell)
                    except ValueError:
                        count += 1
    return count


def observe_formulas(folder: Path, run: Run) -> str:
    out = folder / "out"
    parts = []
    for file in sorted(out.glob("*.xlsx")):
        parts.append(f"{file.name}: {formula_cells(file)} formula cells")
    for file in sorted(out.glob("*.csv")):
        parts.append(f"{file.name}: {csv_trigger_cells(file)} unneutralised cells")
    return "; ".join(parts) or "no files written"


def observe_plan(folder: Path, run: Run) -> str:
    path = folder / "out" / "plan.json"
    if not path.exists():
        return "no plan.json"
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    done = sorted(s["measure"] for s in document.get("schedule", []))
    extra = " (plan.json holds Infinity)" if "Infinity" in text else ""
    return f"plan: {', '.join(done) or 'nothing'}; value {document['value']}{extra}"


def observe_mode(folder: Path, run: Run) -> str:
    path = folder / "out" / "plan.json"
    if not path.exists():
        return "no plan.json"
    return f"plan.json mode {stat.S_IMODE(path.stat().st_mode):04o} under umask 022"


def observe_mixture(folder: Path, run: Run) -> str:
    out = folder / "out"
    if not (out / "plan.json").exists():
        return "no plan.json"
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    page = (
        (out / "report.html").read_text(encoding="utf-8") if (out / "report.html").exists() else ""
    )
    plan_run = "2" if "gamma" in json.dumps(plan) else "1"
    page_run = "2" if "Gamma" in page else "1"
    leftovers = len([p for p in out.parent.iterdir() if p.name.startswith(".")])
    return (
        f"plan.json of run {plan_run}, report.html of run {page_run}; {leftovers} temporaries left"
    )


def observe_convert(folder: Path, run: Run) -> str:
    changed = 0
    target = folder / "japan_rok"
    for file in sorted(REFERENCE_CSV.glob("*.csv")):
        old = file.read_text(encoding="utf-8").splitlines()
        new = (target / file.name).read_text(encoding="utf-8").splitlines()
        changed += sum(1 for a, b in zip(old, new, strict=False) if a != b)
    return f"{changed} lines of the committed CSV folder rewritten"


# -- the cases -------------------------------------------------------------------------


def unsafe_xlsx(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "name", '=HYPERLINK("http://example.com","click")')
    set_cell(data, "scopes", 3, "name", "\t=1+1")
    set_cell(data, "series", 2, "name", "@SUM(1,1)")
    return ["solve", str(model_file(folder)), "--quiet"]


def unsafe_sensitivity(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "name", "=1+1")
    set_cell(data, "measures", 3, "name", "+cmd|' /C calc'!A0")
    return ["sensitivity", str(model_file(folder)), "--workers", "1", "--break-even", "0"]


def unsafe_simulate(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "measure", "=alpha")
    for sheet, column in (
        ("scopes", "measure"),
        ("scope_use", "measure"),
        ("gates", "measure"),
        ("dependencies", "other_measure"),
    ):
        rewrite(data, sheet, lambda rows, c=column: _rename(rows, c, "alpha", "=alpha"))
    rewrite(data, "effects", lambda rows: _rename(rows, "cause", "alpha", "=alpha"))
    return ["simulate", str(model_file(folder)), "--samples", "5", "--workers", "1"]


def _rename(rows: list[list[str]], column: str, old: str, new: str) -> None:
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[index] == old:
            row[index] = new


def number_case(value: str, sheet: str = "scopes", row: int = 2, column: str = "benefit"):
    def make(folder: Path) -> list[str]:
        data = minimal(folder)
        set_cell(data, sheet, row, column, value)
        if column == "benefit":  # keep low <= base <= high meaningful
            set_cell(data, sheet, row, "benefit_low", "")
            set_cell(data, sheet, row, "benefit_high", "")
        return ["solve", str(model_file(folder)), "--quiet"]

    return make


def percent_threshold(folder: Path) -> list[str]:
    def edit(workbook: object) -> None:
        sheet = workbook["gates"]  # type: ignore[index]
        for row in sheet.iter_rows(min_row=2):
            row[3].value = row[3].value / 100
            row[3].number_format = "0%"
            row[4].value = None
            row[5].value = None

    path = workbook_from_minimal(folder, edit)
    return ["solve", str(model_file(folder, path.name)), "--quiet"]


def duplicate_header(folder: Path) -> list[str]:
    data = minimal(folder)

    def edit(rows: list[list[str]]) -> None:
        rows[0].append("benefit")
        for row in rows[1:]:
            row.append("0")

    rewrite(data, "scopes", edit)
    return ["solve", str(model_file(folder)), "--quiet"]


def beyond_header(folder: Path) -> list[str]:
    data = minimal(folder)

    def edit(rows: list[list[str]]) -> None:
        rows[2].append("oops")

    rewrite(data, "measures", edit)
    return ["validate", str(data)]


def formula_no_cache(folder: Path) -> list[str]:
    def edit(workbook: object) -> None:
        sheet = workbook["scopes"]  # type: ignore[index]
        sheet["E2"] = "=D2-1"  # benefit_low: optional
        sheet["D3"] = "=2+1"  # benefit: required

    path = workbook_from_minimal(folder, edit)
    return ["validate", str(path)]


def typo_column(folder: Path) -> list[str]:
    data = minimal(folder)
    rewrite(data, "scopes", lambda rows: rows[0].__setitem__(8, "duration_hihg"))
    return ["validate", str(data)]


def latin1(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "name", "Défense")
    file = data / "measures.csv"
    file.write_bytes(file.read_text(encoding="utf-8").encode("latin-1"))
    return ["validate", str(data)]


def huge_cell(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "source", "x" * 200_000)
    return ["validate", str(data)]


def nul_name(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "name", "Al\x00pha")
    return ["solve", str(model_file(folder)), "--quiet"]


def rtl_name(folder: Path) -> list[str]:
    data = minimal(folder)
    set_cell(data, "measures", 2, "name", "Alpha\u202egnp.exe")
    return ["validate", str(data)]


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def entity_bomb(folder: Path) -> list[str]:
    path = workbook_from_minimal(folder)

    def change(text: str) -> str:
        return BOMB + text.replace("<t>test fixture</t>", "<t>&lol9;</t>", 1)

    replace_in_zip(path, "xl/worksheets/sheet1.xml", change)
    return ["validate", str(path)]


def external_entity(folder: Path) -> list[str]:
    path = workbook_from_minimal(folder)

    def change(text: str) -> str:
        head = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        return head + text.replace("<t>test fixture</t>", "<t>&xxe;</t>", 1)

    replace_in_zip(path, "xl/worksheets/sheet1.xml", change)
    return ["validate", str(path)]


def far_cell(folder: Path) -> list[str]:
    def edit(workbook: object) -> None:
        workbook["measures"]["XFD1048576"] = "x"  # type: ignore[index]

    path = workbook_from_minimal(folder, edit)
    return ["validate", str(path)]


def out_is_file(folder: Path) -> list[str]:
    minimal(folder)
    (folder / "taken").write_text("a file", encoding="utf-8")
    return ["solve", str(model_file(folder)), "--quiet", "--out", str(folder / "taken")]


def out_under_file(folder: Path) -> list[str]:
    minimal(folder)
    (folder / "taken").write_text("a file", encoding="utf-8")
    return ["solve", str(model_file(folder)), "--quiet", "--out", str(folder / "taken" / "out")]


def read_only(folder: Path) -> list[str]:
    minimal(folder)
    target = folder / "ro"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(target)], check=True)
    return ["solve", str(model_file(folder)), "--quiet", "--out", str(target)]


def disk_full(folder: Path) -> list[str]:
    minimal(folder)
    target = folder / "full"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(target)], check=True)
    return ["solve", str(model_file(folder)), "--quiet", "--out", str(target), "--report"]


def big_terminal(folder: Path) -> list[str]:
    minimal(folder)
    extra = "[objective]\nterminal = 1000000000\n"
    return ["solve", str(model_file(folder, extra=extra)), "--quiet"]


def huge_generate(folder: Path) -> list[str]:
    return ["generate", str(folder / "g"), "--measures", "10000000", "--periods", "100000"]


def long_solve(folder: Path) -> list[str]:
    subprocess.run(
        [sys.executable, "-m", "seqopt", "generate", str(folder / "g"), "--measures", "60"],
        env=dict(os.environ, PYTHONPATH=str(SRC)),
        check=True,
        capture_output=True,
    )
    return ["solve", str(folder / "g" / "model.toml"), "--time-limit", "55", "--quiet"]


def reference_simulation(folder: Path) -> list[str]:
    return [
        "simulate",
        str(ROOT / "models" / "japan_rok.toml"),
        "--samples",
        "200",
        "--workers",
        "2",
        "--out",
        str(folder / "out"),
    ]


def interrupted_report(folder: Path) -> list[str]:
    data = minimal(folder)
    path = model_file(folder)
    subprocess.run(
        [sys.executable, "-m", "seqopt", "solve", str(path), "--quiet", "--report"],
        env=dict(os.environ, PYTHONPATH=str(SRC)),
        check=True,
        capture_output=True,
    )
    set_cell(data, "measures", 3, "name", "Gamma")  # the second run's report names Gamma
    set_cell(data, "measures", 3, "measure", "gamma")
    for sheet, column in (("scopes", "measure"), ("scope_use", "measure"), ("gates", "measure")):
        rewrite(data, sheet, lambda rows, c=column: _rename(rows, c, "beta", "gamma"))
    rewrite(data, "dependencies", lambda rows: _rename(rows, "measure", "beta", "gamma"))
    return ["solve", str(path), "--quiet", "--report"]


CTRL_C_IN_REPORT = """
import os, signal, seqopt.report.write as report_write
_draw = report_write.write_report
def _ctrl_c_then_draw(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives as the report is being drawn
    return _draw(*args, **kwargs)
report_write.write_report = _ctrl_c_then_draw
"""


def xlsx_as_model(folder: Path) -> list[str]:
    return ["solve", str(REFERENCE_XLSX), "--quiet", "--out", str(folder / "out")]


def folder_as_model(folder: Path) -> list[str]:
    data = minimal(folder)
    return ["solve", str(data), "--quiet", "--out", str(folder / "out")]


def name_as_path(folder: Path) -> list[str]:
    minimal(folder)
    path = folder / "model.toml"
    path.write_text('[model]\nname = "../../escaped"\ninput = "input"\n', encoding="utf-8")
    (folder / "a" / "b").mkdir(parents=True)
    return ["solve", "../../model.toml", "--quiet"]


def observe_escape(folder: Path, run: Run) -> str:
    # Run from folder/a/b, reports/../../escaped is folder/a/escaped.
    escaped = folder / "a" / "escaped"
    return f"wrote {escaped}" if escaped.exists() else "nothing written outside reports/"


def umask_mode(folder: Path) -> list[str]:
    minimal(folder)
    return ["solve", str(model_file(folder)), "--quiet"]


def report_true(folder: Path) -> list[str]:
    minimal(folder)
    return ["solve", str(model_file(folder)), "--quiet", "--report", "true"]


def help_flags(folder: Path) -> list[str]:
    return ["solve", "--help"]


def observe_help(folder: Path, run: Run) -> str:
    lines = [
        line.strip(" │")
        for line in run.stdout.splitlines()
        if line.strip(" │").startswith("--report") or line.strip(" │").startswith("--no-report")
    ]
    return lines[0] if lines else "no --report line"


def version_flag(folder: Path) -> list[str]:
    return ["--version"]


def measure_typo(folder: Path) -> list[str]:
    minimal(folder)
    return ["explain", str(model_file(folder)), "--measure", "nato", "--no-what-if"]


def convert_committed(folder: Path) -> list[str]:
    shutil.copytree(REFERENCE_CSV, folder / "japan_rok")
    return ["convert", str(REFERENCE_XLSX), str(folder / "japan_rok"), "--overwrite"]


def check_after_horizon(folder: Path) -> list[str]:
    data = minimal(folder)
    # Two periods; beta at scope full (duration 2) started in P2 signs after the last one.
    rewrite(data, "periods", lambda rows: rows.__delitem__(slice(3, None)))
    rewrite(data, "baseline", lambda rows: rows.__delitem__(slice(2, None)))
    rewrite(data, "scopes", lambda rows: rows[3].__setitem__(10, ""))
    plan = folder / "plan.csv"
    plan.write_text("kind,id,scope,period\nmeasure,beta,full,P2\n", encoding="utf-8")
    return ["check", str(plan), "--model", str(model_file(folder))]


def check_json(folder: Path) -> list[str]:
    minimal(folder)
    plan = folder / "plan.csv"
    plan.write_text("kind,id,scope,period\nmeasure,beta,full,P1\n", encoding="utf-8")
    return ["check", str(plan), "--model", str(model_file(folder)), "--json"]


def observe_json(folder: Path, run: Run) -> str:
    try:
        document = json.loads(run.stdout)
    except json.JSONDecodeError:
        return "stdout is not JSON"
    return f"JSON with {len(document.get('violations', []))} violations"


CASES = [
    Case("unsafe output", "formula in names -> plan.xlsx", unsafe_xlsx, observe_formulas),
    Case(
        "unsafe output", "formula in names -> sensitivity.csv", unsafe_sensitivity, observe_formulas
    ),
    Case("unsafe output", "formula in an id -> scenarios.csv", unsafe_simulate, observe_formulas),
    Case("silent misread", "benefit '1,5'", number_case("1,5"), observe_plan),
    Case("silent misread", "benefit '1.000,5'", number_case("1.000,5"), observe_plan),
    Case(
        "silent misread",
        "threshold '50%'",
        number_case("50%", "gates", 2, "threshold"),
        observe_plan,
    ),
    Case("silent misread", "benefit 1e308", number_case("1e308"), observe_plan),
    Case("silent misread", "benefit 'inf'", number_case("inf"), observe_plan),
    Case("silent misread", "benefit 'INF'", number_case("INF"), observe_plan),
    Case("silent misread", "benefit 'NaN'", number_case("NaN"), observe_plan),
    Case("silent misread", "threshold formatted as 50 %", percent_threshold, observe_plan),
    Case("silent misread", "two benefit columns", duplicate_header, observe_plan),
    Case("silent misread", "cell beyond the header", beyond_header),
    Case("silent misread", "formulas without cached values", formula_no_cache),
    Case("silent misread", "typo'd optional column", typo_column),
    Case("reader", "CSV saved as Latin-1", latin1),
    Case("reader", "cell over the CSV field limit", huge_cell),
    Case("reader", "NUL byte in a name (solve)", nul_name),
    Case("reader", "right-to-left override in a name", rtl_name),
    Case("reader", "XML entity bomb", entity_bomb),
    Case("reader", "XML external entity", external_entity),
    Case("reader", "one cell at XFD1048576", far_cell, timeout=120),
    Case("os", "--out is a file", out_is_file),
    Case("os", "--out under a file", out_under_file),
    Case("os", "read-only output folder", read_only, needs_root=True),
    Case("os", "disk full", disk_full, needs_root=True),
    Case("os", "umask 022", umask_mode, observe_mode),
    Case("hang", "terminal = 1e9", big_terminal, timeout=30),
    Case("hang", "generate 1e7 measures", huge_generate, timeout=30),
    Case("interrupt", "Ctrl-C 8 s into a solve", long_solve, timeout=80, interrupt_after=8),
    Case(
        "interrupt",
        "Ctrl-C 10 s into simulate (200 scenarios, 2 workers)",
        reference_simulation,
        timeout=400,
        interrupt_after=10,
    ),
    Case(
        "interrupt",
        "Ctrl-C while the report is drawn",
        interrupted_report,
        observe_mixture,
        prelude=CTRL_C_IN_REPORT,
    ),
    Case("interrupt", "two solves into one folder", long_solve, timeout=80, concurrent=True),
    Case("slip", "solve a workbook", xlsx_as_model),
    Case("slip", "solve a folder", folder_as_model),
    Case("slip", "model name ../../escaped", name_as_path, observe_escape),
    Case("slip", "--report true", report_true),
    Case("slip", "solve --help", help_flags, observe_help),
    Case("slip", "--version", version_flag),
    Case("slip", "explain --measure nato", measure_typo),
    Case("slip", "convert into the committed CSV folder", convert_committed, observe_convert),
    Case("check", "signing after the last period", check_after_horizon),
    Case("check", "check --json", check_json, observe_json),
]


def first_line(run: Run) -> str:
    text = (run.stderr + "\n" + run.stdout).strip()
    after = [line for line in text.splitlines() if line.endswith("s after Ctrl-C)")]
    if after:
        text = "\n".join(line for line in text.splitlines() if line not in after)
        return f"{after[0]} {first_line(Run(run.code, '', text, run.seconds))}"
    if "Traceback" in text:
        last = [line for line in text.splitlines() if line.strip()][-1]
        return f"TRACEBACK: {last.strip()[:120]}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    interesting = [line for line in lines if not line.startswith("1 problem")]
    return (interesting[0] if interesting else "(no output)")[:150]


def run_case(case: Case, folder: Path) -> str:
    args = case.make(folder)
    cwd = folder / "a" / "b" if (folder / "a" / "b").exists() else folder
    if case.concurrent:
        env = dict(os.environ, PYTHONPATH=str(SRC))
        out = ["--out", str(folder / "shared")]
        first = subprocess.Popen(
            [sys.executable, "-m", "seqopt", *args, "--time-limit", "8", *out],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        second = seqopt([*args, *out], cwd, case.timeout, None)
        first.communicate()
        return (
            f"first exit {first.returncode}, second exit {second.code} "
            f"in {second.seconds:.1f} s: {first_line(second)}"
        )
    run = seqopt(args, cwd, case.timeout, case.interrupt_after, case.prelude)
    code = "TIMEOUT" if run.code is None else str(run.code)
    text = first_line(run)
    if case.observe is not None:
        try:
            text = f"{case.observe(folder, run)} | {text}"
        except Exception as exc:  # an observation must not stop the replay
            text = f"(observation failed: {exc}) | {text}"
    memory = f", peak {run.peak_mb:.0f} MB" if run.peak_mb else ""
    return f"exit {code} in {run.seconds:.1f} s{memory}: {text}"


def main() -> None:
    global SRC
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--src", type=Path, default=SRC, help="the src folder to run")
    args = parser.parse_args()
    SRC = args.src.resolve()
    root = os.geteuid() == 0
    os.umask(0o022)
    for case in CASES:
        if args.only and args.only not in case.name and args.only not in case.group:
            continue
        if case.needs_root and not root:
            print(f"[{case.group}] {case.name}: skipped (needs root to mount a tmpfs)")
            continue
        folder = Path(tempfile.mkdtemp(prefix="hostile."))
        try:
            line = run_case(case, folder)
        finally:
            for mount in ("ro", "full"):
                if (folder / mount).is_mount():
                    subprocess.run(["umount", str(folder / mount)], check=False)
            shutil.rmtree(folder, ignore_errors=True)
        print(f"[{case.group}] {case.name}: {line}", flush=True)


if __name__ == "__main__":
    main()
