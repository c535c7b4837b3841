"""The reader's report: report.html with inline charts, the same tables in Markdown and Excel."""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import seqopt.api.cases
from seqopt import __version__
from seqopt.cli import Exit, app
from seqopt.data import Problem
from seqopt.io.scenario_files import load_problem
from seqopt.report.html import inline_svg
from seqopt.report.support import spread_labels
from seqopt.report.tables import inputs_table, measures_table, signings_table
from seqopt.report.write import write_report

ROOT = Path(__file__).resolve().parent.parent


def reference_problem() -> Problem:
    """The reference model's problem, as its model file reads it."""
    from seqopt.settings import read_model_file

    return load_problem(read_model_file(ROOT / "models" / "japan_rok.toml"))


DATA = Path(__file__).parent / "data"
CHARTS = ("roadmap", "support", "resources")
runner = CliRunner()

HOSTILE = {
    "alpha": "<script>alert('x')</script> \"Alpha\" & 한국어",
    "beta": "日本語の措置 & <b>Beta</b>",
}
HOSTILE_SCOPE = "Narrow </svg><img src=x onerror=alert(1)>"
HOSTILE_SERIES = "Public $support$ & 여론"


def solve_into(tmp_path: Path, model: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(model), "--out", str(out), "--quiet", *extra])
    assert result.exit_code == Exit.OK, result.output
    return out


def mini_model(tmp_path: Path, names: dict[str, str] | None = None) -> Path:
    """The tiny fixture as a model; ``names`` replaces measure names (CSV-quoted)."""
    shutil.copytree(DATA / "minimal", tmp_path / "input")
    if names is not None:
        measures = tmp_path / "input" / "measures.csv"
        text = measures.read_text(encoding="utf-8")
        for measure, name in names.items():
            quoted = '"' + name.replace('"', '""') + '"'
            text = text.replace(f"{measure},{measure.title()},", f"{measure},{quoted},")
        measures.write_text(text, encoding="utf-8")
        scopes = tmp_path / "input" / "scopes.csv"
        scopes.write_text(
            scopes.read_text(encoding="utf-8").replace("Narrow", HOSTILE_SCOPE), encoding="utf-8"
        )
        series = tmp_path / "input" / "series.csv"
        series.write_text(
            series.read_text(encoding="utf-8").replace("Public support", HOSTILE_SERIES),
            encoding="utf-8",
        )
    path = tmp_path / "model.toml"
    path.write_text('[model]\nname = "mini"\ninput = "input"\noutput = "out"\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference model solved with --report."""
    tmp = tmp_path_factory.mktemp("reference")
    return solve_into(tmp, ROOT / "models" / "japan_rok.toml", "--report")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture with names that are markup, quotes, ampersands and CJK text."""
    tmp = tmp_path_factory.mktemp("hostile")
    return solve_into(tmp, mini_model(tmp, HOSTILE), "--report")


def plan(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def page(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


class Page(HTMLParser):
    """Tags, ids, references and visible text of a page, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "id" and value:
                self.ids.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}"')
    return html[start : html.index("</section>", start)]


# Content -----------------------------------------------------------------------------------------


def test_reference_headline_numbers_equal_the_plan(reference: Path) -> None:
    document = plan(reference)
    headline = Page(section(page(reference), "headline")).visible
    totals = document["totals"]
    assert "Proven optimal" in headline
    assert f"Net value {totals['net_value']:,.2f}" in headline
    assert f"Benefit {totals['benefit']:,.2f}" in headline
    assert f"Political cost {totals['cost']:,.2f}" in headline
    assert f"Measures done {len(document['schedule'])} of {len(document['schedule'])}" in headline
    assert f"Framing uses {len(document['lever_uses'])}" in headline
    assert "Nothing is left out." in headline
    # What the dynamics do is said with the numbers of plan.json: GSOMIA signed in secret.
    (backlash,) = document["backlashes"]
    assert backlash["measure"] == "gsomia"
    assert (
        f"{backlash['measure_name']} is signed in {backlash['signing']} without "
        f"{backlash['lever_name']}, which costs a backlash"
    ) in headline
    for review in document["reviews"]:
        assert f"{review['measure_name']} in {review['period']}" in headline


def test_reference_report_shows_every_measure_in_tables_and_roadmap(reference: Path) -> None:
    document = plan(reference)
    html = page(reference)
    measures = Page(section(html, "measures")).visible
    roadmap_svg = (reference / "roadmap.svg").read_text(encoding="utf-8")
    for item in document["schedule"]:
        assert item["measure_name"] in measures
        assert item["scope_name"] in measures
        assert item["source"] in measures
        # Chart text is text (not paths), so a reader can search and select it.
        assert f">{item['measure_name']}</text>" in roadmap_svg
        assert f'id="roadmap-negotiation-{item["measure"]}"' in html
    for use in document["lever_uses"]:
        assert f">{use['lever_name']}</text>" in roadmap_svg.replace("&#39;", "'")
    inputs = Page(section(html, "inputs")).visible
    assert document["input"]["sha256"] in inputs
    assert f"seqopt version {__version__}" in inputs


def test_support_chart_shows_thresholds_and_signings(reference: Path) -> None:
    support = (reference / "support.svg").read_text(encoding="utf-8")
    document = plan(reference)
    # The GSOMIA series: the full scope's bar is chosen, the narrow scope's is not.
    gsomia = next(s for s in document["schedule"] if s["measure"] == "gsomia")
    (full,) = [g["threshold"] for g in gsomia["gates"] if g["series"] == "kr_gsomia"]
    assert gsomia["scope"] == "full"
    assert f"{full:g}  GSOMIA (military information): Full text of 2012</text>" in support
    narrow = reference_problem().scope("gsomia", "narrow").gates[0].threshold.base
    assert re.search(rf"{narrow:g}  GSOMIA[^<]*North Korea only \(not chosen\)</text>", support)
    assert 'id="signing-gsomia-kr_gsomia"' in support
    gated = {(s["measure"], g["series"]) for s in document["schedule"] for g in s["gates"]}
    for measure, series in gated:
        assert f'id="signing-{measure}-{series}"' in support


def test_the_page_is_self_contained(reference: Path) -> None:
    html = page(reference)
    parsed = Page(html)
    assert not re.search(r"(?i)\b(https?:|ftp:|file:)", html)
    assert "//" not in " ".join(value for _, _, value in parsed.attributes)
    for forbidden in ("script", "link", "img", "iframe", "object", "embed"):
        assert forbidden not in parsed.tags
    assert "@import" not in html and "@font-face" not in html
    assert {name for _, name, _ in parsed.attributes}.isdisjoint({"src", "srcset", "xlink:href"})
    assert parsed.tags.count("svg") == len(CHARTS)
    for name in CHARTS:
        assert f'id="{name}-chart"' in html


def test_inline_svg_ids_are_unique_and_every_reference_resolves(reference: Path) -> None:
    html = page(reference)
    ids = Page(html).ids
    assert len(ids) == len(set(ids))
    references = re.findall(r"url\(#([^)]+)\)", html) + re.findall(r'href="#([^"]+)"', html)
    assert references  # clip paths and markers are referenced
    assert set(references) <= set(ids)


def test_charts_are_written_beside_the_report_for_slides(reference: Path) -> None:
    for name in CHARTS:
        svg = reference / f"{name}.svg"
        root = ET.parse(svg).getroot()  # a standalone, well-formed SVG document
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert (reference / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(reference.glob(".*.tmp"))


def test_report_is_deterministic(reference: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(reference / "plan.json", again / "plan.json")
    assert runner.invoke(app, ["report", str(again)]).exit_code == 0
    for name in ("report.html", *(f"{c}.{e}" for c in CHARTS for e in ("svg", "png"))):
        assert (again / name).read_bytes() == (reference / name).read_bytes(), name


def test_rewriting_a_report_draws_only_the_charts_that_changed(
    reference: Path, tmp_path: Path
) -> None:
    # A chart whose SVG comes out the same keeps the PNG beside it (drawing PNGs is the
    # slow part of a report); one whose SVG differs from the file on disk is drawn again.
    again = tmp_path / "again"
    shutil.copytree(reference, again)
    (again / "roadmap.png").write_bytes(b"kept")
    (again / "support.svg").write_text("<svg>another chart</svg>", encoding="utf-8")
    (again / "support.png").write_bytes(b"stale")
    document = json.loads((again / "plan.json").read_text(encoding="utf-8"))
    write_report(again, document)
    assert (again / "roadmap.png").read_bytes() == b"kept"
    assert (again / "support.png").read_bytes() == (reference / "support.png").read_bytes()
    assert (again / "support.svg").read_bytes() == (reference / "support.svg").read_bytes()


def test_markdown_and_workbook_carry_the_same_tables(reference: Path) -> None:
    document = plan(reference)
    markdown = (reference / "summary.md").read_text(encoding="utf-8")
    assert "| Source of estimates |" in markdown
    assert f"| Input SHA-256 | {document['input']['sha256']} |" in markdown
    assert f"| seqopt version | {__version__} |" in markdown
    book = load_workbook(reference / "plan.xlsx")
    for table in (measures_table(document), signings_table(document), inputs_table(document)):
        sheet = book[table.key]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == table.headers
        assert len(rows) == len(table.rows) + 1
        for stored, row in zip(rows[1:], table.rows, strict=True):
            # Excel keeps 15 significant digits.
            assert stored == [
                pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for v in row
            ]
        html = page(reference)
        for text_row in table.text_rows():
            for cell in text_row:
                assert cell.replace("&", "&amp;").replace("'", "&#39;") in html


# Untrusted names -------------------------------------------------------------------------------


def test_markup_quotes_ampersands_and_cjk_names_render_as_text(hostile: Path) -> None:
    html = page(hostile)
    parsed = Page(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert parsed.tags.count("svg") == len(CHARTS)  # the SVG was not closed early
    text = parsed.visible
    for name in [*HOSTILE.values(), HOSTILE_SCOPE, HOSTILE_SERIES]:
        assert name in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;Alpha&#34; &amp; 한국어" in html
    markdown = (hostile / "summary.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "\\<script\\>" in markdown


# The command -----------------------------------------------------------------------------------


def test_report_command_reads_plan_json_and_never_solves(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_solving(*args: object, **kwargs: object) -> None:
        raise AssertionError("seqopt report must not solve")

    monkeypatch.setattr(seqopt.api.cases, "solve", no_solving)
    folder = tmp_path / "result"
    folder.mkdir()
    document = plan(reference)
    document["schedule"][0]["measure_name"] = "Renamed in plan.json only"
    (folder / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert "Renamed in plan.json only" in page(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["plan.json", "report.html", *(f"{c}.{e}" for c in CHARTS for e in ("svg", "png"))]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "plan.json: not found. Name a folder written by seqopt solve"),
        ("{", "plan.json: is not valid JSON (line 1, column 2"),
        ("[1, 2]", "plan.json: is not a seqopt plan: must hold a JSON object"),
        ('{"status": "optimal"}', "plan.json: is not a seqopt plan: it has no key schema"),
        ('{"schema": "other/1"}', "key schema must be 'seqopt.plan/1', got 'other/1'"),
    ],
)
def test_report_command_refuses_what_is_not_a_plan(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "plan.json").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == Exit.INPUT
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "report.html").exists()


def test_report_command_lists_every_damaged_key(reference: Path, tmp_path: Path) -> None:
    document = plan(reference)
    del document["totals"]["benefit"]
    document["schedule"][1]["start"] = 3
    document["support"]["kr_coop"]["values"] = "high"
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == Exit.INPUT
    assert "3 problems" in result.stderr
    assert "key totals.benefit is missing" in result.stderr
    assert "key schedule[1].start must be text, got a number" in result.stderr
    assert "key support.kr_coop.values must be a list, got text" in result.stderr


def test_report_command_checks_period_labels(reference: Path, tmp_path: Path) -> None:
    document = plan(reference)
    document["schedule"][0]["signing"] = "2031Q9"
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == Exit.INPUT
    assert "key schedule[0].signing names an unknown period '2031Q9'" in result.stderr


def test_solve_without_report_writes_no_report(tmp_path: Path) -> None:
    out = solve_into(tmp_path, mini_model(tmp_path))
    assert sorted(p.name for p in out.iterdir()) == ["plan.json", "plan.xlsx", "summary.md"]


# Other statuses and older documents ------------------------------------------------------------


def test_a_plan_without_proof_says_so_with_its_gap(reference: Path, tmp_path: Path) -> None:
    document = plan(reference)
    document.update(status="feasible", status_words="feasible, not proven optimal", gap=0.0125)
    document["bound"] = document["value"] * 1.0125
    write_report(tmp_path, document)
    headline = Page(section(page(tmp_path), "headline")).visible
    assert "Not proven optimal: gap 1.25%" in headline
    assert f"no plan can score better than {document['bound']:,.2f}" in headline


def test_no_plan_gives_a_report_without_charts_and_removes_old_ones(
    reference: Path, tmp_path: Path
) -> None:
    for name in CHARTS:
        (tmp_path / f"{name}.svg").write_text("stale", encoding="utf-8")
    document = {
        k: v
        for k, v in plan(reference).items()
        if k not in ("totals", "schedule", "lever_uses", "left_out", "support", "resources")
    }
    document.update(
        status="infeasible",
        status_words="infeasible: no plan satisfies every constraint",
        value=None,
        bound=None,
        gap=None,
        notes=["Alpha must be done, but its support never reaches 95."],
    )
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    assert runner.invoke(app, ["report", str(tmp_path)]).exit_code == 0
    html = page(tmp_path)
    parsed = Page(html)
    assert "svg" not in parsed.tags
    assert "Infeasible: no plan satisfies every constraint" in parsed.visible
    assert "its support never reaches 95" in parsed.visible
    assert document["input"]["sha256"] in parsed.visible
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "report.html"]


def test_a_plan_json_from_before_the_report_keys_still_renders(
    reference: Path, tmp_path: Path
) -> None:
    document = copy.deepcopy(plan(reference))
    document.pop("description")
    for series in document["support"].values():
        series.pop("gates")
    for item in document["left_out"]:
        item.pop("source")
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    assert runner.invoke(app, ["report", str(tmp_path)]).exit_code == 0
    support = (tmp_path / "support.svg").read_text(encoding="utf-8")
    gsomia = next(s for s in document["schedule"] if s["measure"] == "gsomia")
    (full,) = [g["threshold"] for g in gsomia["gates"] if g["series"] == "kr_gsomia"]
    assert f"{full:g}  GSOMIA (military information)</text>" in support  # the plan's own gates


def test_left_out_measures_carry_their_source(tmp_path: Path) -> None:
    path = mini_model(tmp_path)
    measures = tmp_path / "input" / "measures.csv"
    measures.write_text(measures.read_text().replace("beta,Beta,free", "beta,Beta,out"))
    out = solve_into(tmp_path, path, "--report")
    assert plan(out)["left_out"] == [
        {"measure": "beta", "measure_name": "Beta", "force": "out", "source": "test fixture"}
    ]
    left_out = Page(page(out)).visible
    assert "Beta excluded (force = out) test fixture" in left_out
    assert "Left out: Beta." in left_out
    support = (out / "support.svg").read_text(encoding="utf-8")
    assert "55  Beta: Full (left out)</text>" in support


# Pieces ----------------------------------------------------------------------------------------


def test_inline_svg_prefixes_ids_and_drops_the_prologue() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="1pt" '
        'xmlns="http://www.w3.org/2000/svg"><defs><style>*{a:b}</style>'
        '<path id="m1"/><clipPath id="p1"/></defs>'
        '<use xlink:href="#m1"/><g clip-path="url(#p1)"/></svg>'
    )
    inlined = str(inline_svg(svg, "roadmap", 'A & "B"'))
    assert inlined.startswith('<svg role="img" aria-label="A &amp; &#34;B&#34;" width="1pt">')
    assert 'id="roadmap-m1"' in inlined and 'href="#roadmap-m1"' in inlined
    assert 'id="roadmap-p1"' in inlined and "url(#roadmap-p1)" in inlined
    assert "http" not in inlined and "<style" not in inlined


@pytest.mark.parametrize(
    "wanted",
    [[0.5, 0.5, 0.5], [0.0, 0.01, 0.02, 0.9], [0.95, 0.96, 0.97, 0.98, 0.99], [0.1, 0.5, 0.9]],
)
def test_threshold_labels_are_spread_apart_near_their_lines(wanted: list[float]) -> None:
    gap = 0.05
    placed = spread_labels(wanted, gap, -0.1, 1.1)
    assert len(placed) == len(wanted)
    assert all(b - a >= gap - 1e-12 for a, b in itertools.pairwise(placed))
    assert all(-0.1 - 1e-12 <= p <= 1.1 + 1e-12 for p in placed)
    assert max(abs(p - w) for p, w in zip(placed, wanted, strict=True)) <= gap * len(wanted)


# In a real browser -----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def browse(tmp_path: Path, target: Path, *action: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={profile}", *action, target.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian package chromium; .ci/run installs it)",
)
@pytest.mark.parametrize("which", ["reference", "hostile"])
def test_the_report_renders_in_headless_chromium(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from PIL import Image, ImageStat

    folder: Path = request.getfixturevalue(which)
    shot = tmp_path / "report.png"
    browse(tmp_path, folder / "report.html", f"--screenshot={shot}", "--window-size=1280,2400")
    with Image.open(shot) as image:
        assert image.size == (1280, 2400)
        grey = image.convert("L")
        ink = sum(grey.histogram()[:200]) / (grey.width * grey.height)
        assert ink > 0.02, "the page looks blank"
        assert ImageStat.Stat(grey).stddev[0] > 20
        assert len(image.convert("RGB").getcolors(1 << 20) or []) > 50  # charts, not one colour
    dom = browse(tmp_path, folder / "report.html", "--dump-dom").stdout
    assert '<figure class="chart" id="roadmap-chart">' in dom
    assert re.search(r'id="roadmap-chart">\s*<svg', dom)
    assert "<script" not in dom.lower()
    if which == "hostile":
        assert "&lt;script&gt;alert('x')&lt;/script&gt; \"Alpha\" &amp; 한국어" in dom
        assert "日本語の措置 &amp; &lt;b&gt;Beta&lt;/b&gt;" in dom
