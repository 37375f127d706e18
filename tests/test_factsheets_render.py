"""Rendered factsheets: every figure of the reference in the PDF text and in the HTML.

The PDF is read back with `pdftotext -layout` (poppler-utils). Expectations come
from the JSON fixtures, formatted here independently of the project's code.
Which warehouse is rendered is decided by the fixtures of test_factsheets.py;
pointing them at the demo pipeline's marts keeps these assertions as they are.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import typst

from dagster_project.factsheets import (
    build_view_models,
    output,
    read_only,
    render,
    render_period,
    render_periods,
)
from tests.test_factsheets import (
    GENERATED_ON,
    REFERENCE,
    SAMPLES,
    marts_from_reference,
    marts_from_samples,
    nl_grade,
    settings_for,
    write_marts,
)

# Only the tests that read a PDF back need pdftotext; the HTML, report and locking tests run
# without it.
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)
DASH = "–"


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")


class _Text(HTMLParser):
    """Visible text of an HTML page (SVG text included), and its table rows."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self._skip = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "title", "script"):
            self._skip += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("tspan", "text", "p", "div", "li", "h1", "h2", "h3", "span", "td", "th"):
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._cell is not None:
                self._cell.append(data)


def html_text(html: str) -> tuple[str, list[list[str]]]:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split()), parser.rows


def tokens(text: str) -> Counter:
    return Counter(text.split())


def reference_tokens(kanaal: str) -> tuple[Counter, list[str]]:
    """Figures of zoetermeer_2020.json: tokens to find (with multiplicity) and phrases."""
    ref = REFERENCE[kanaal]
    expected = Counter(
        [
            str(ref["respons"]),
            str(ref["reviews"]),
            str(ref["verbetertips"]),
            nl_grade(ref["totaaloordeel"]),
            str(ref["ces"]),
        ]
    )
    phrases = [
        f"BM: {nl_grade(ref['totaaloordeel_bm'])}",
        f"BM: {ref['ces_bm']}",
        *(f"N={p['n']}" for p in ref["producten"]),
    ]
    expected.update(nl_grade(p["totaaloordeel"]) for p in ref["producten"] if "totaaloordeel" in p)
    for a in ref.get("aspecten", []):
        expected.update([nl_grade(a["score"]), nl_grade(a["bm"])])
    for s in ref.get("stellingen_pct_eens", []):
        expected.update([f"{s['pct']}%", f"{s['bm']}%"])
    for jaar, grade in ref.get("trend_totaaloordeel", {}).items():
        expected.update([jaar, nl_grade(grade)])
    return expected, phrases


def missing(found: Counter, expected: Counter) -> Counter:
    return expected - found


@pytest.fixture
def reference_output(tmp_path):
    warehouse = write_marts(tmp_path / "reference.duckdb", marts_from_reference())
    settings = settings_for(tmp_path, warehouse)
    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    return result


@needs_pdftotext
@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_pdf_holds_every_reference_figure_in_dutch(reference_output, kanaal):
    code = REFERENCE["gemeente"]["code"]
    path = reference_output.directory / f"{code}_{kanaal}.pdf"
    pages = pdf_pages(path)
    assert len([p for p in pages if p.strip()]) == 3
    page1 = pages[0]
    expected, phrases = reference_tokens(kanaal)
    assert not missing(tokens(page1), expected)
    for phrase in phrases:
        assert phrase in page1, phrase
    title = {"balie": "Dienstverlening aan de balie", "digitaal": "Digitale dienstverlening"}
    assert title[kanaal] in page1
    assert "Resultaten continu klantonderzoek 2020" in page1
    assert REFERENCE["gemeente"]["naam"] in page1
    assert "Gegenereerd op 28 november 2026" in page1
    assert "Waar gaan de opmerkingen over" in pages[1]
    assert "Toelichting" in pages[2]
    assert f"minder dan {10} antwoorden" in " ".join(pages[2].split())


@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_html_holds_the_same_figures_in_the_same_rows(reference_output, kanaal):
    code = REFERENCE["gemeente"]["code"]
    html = (reference_output.directory / f"{code}_{kanaal}.html").read_text(encoding="utf-8")
    text, rows = html_text(html)
    expected, phrases = reference_tokens(kanaal)
    assert not missing(tokens(text), expected)
    for phrase in phrases:
        assert phrase in text, phrase
    ref = REFERENCE[kanaal]
    if kanaal == "balie":
        want = [[a["aspect"], nl_grade(a["score"]), nl_grade(a["bm"])] for a in ref["aspecten"]]
    else:
        want = [[s["stelling"], f"{s['pct']}%", f"{s['bm']}%"] for s in ref["stellingen_pct_eens"]]
    body = [[r[0], r[1].rstrip(" ▲▼"), r[2]] for r in rows[1:]]
    assert body == want
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://', "")


# Tips as a citizen may write them: HTML and Typst markup, entities, quotes, backslashes.
HOSTILE_TIPS = [
    '<script>alert("x")</script> & <b>vet</b>',
    "#set page(fill: red) *vet* _schuin_ $x^2$ @label <ref>",
    'Tom & Jerry\'s "balie" \\ `code` [link](http://x) // geen commentaar',
    "#{1 + 1} #box[x] = kop",
]


def test_tips_are_escaped_in_html_and_typst(tmp_path):
    """The tips print as the text they are: no tag, entity or Typst markup is interpreted."""
    tables = marts_from_reference()
    tables["kto_tip"] = [
        {**{k: r[k] for k in r if k != "tekst"}, "tekst": tekst}
        for r, tekst in zip(
            [t for t in tables["kto_tip"] if t["kanaal"] == "balie"], HOSTILE_TIPS, strict=False
        )
    ] + [t for t in tables["kto_tip"] if t["kanaal"] != "balie"]
    warehouse = write_marts(tmp_path / "hostile.duckdb", tables)
    settings = settings_for(tmp_path, warehouse)
    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    html = (result.directory / "GM0637_balie.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<b>vet</b>" not in html and "<ref>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    text, _ = html_text(html)
    for tip in HOSTILE_TIPS:
        assert " ".join(tip.split()) in text, tip
    assert html.count("<li>") == len(HOSTILE_TIPS)
    if shutil.which("pdftotext"):
        page1 = " ".join(pdf_pages(result.directory / "GM0637_balie.pdf")[0].split())
        fragments = (
            "#set page(fill: red) *vet* _schuin_",
            "$x^2$",
            "#{1 + 1} #box[x]",
            '<script>alert("x")</script> &',
            "@label <ref>",
            'Tom & Jerry\'s "balie" \\ `code` [link](http://x) // geen commentaar',
        )
        for fragment in fragments:
            assert fragment in page1, fragment


def test_typst_reads_the_view_exactly_as_python_wrote_it(tmp_path):
    """The view goes into Typst as a string literal in the main file (render._main_source):
    whatever the texts hold, Typst's json() gives back exactly the view's dict."""
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_reference())
    settings = settings_for(tmp_path, warehouse)
    with read_only(warehouse) as con:
        view = build_view_models(con, "2020", settings, GENERATED_ON)[0]
    hostile = [*HOSTILE_TIPS, 'a\\b \\" \x01 \u2028 \\u{41} ") #panic("x") // /* ]', "🙂 é ß"]
    view = dataclasses.replace(view, tips=hostile, gemeente='Den "Haag" \\')
    main = render._main_source(view)
    call = b'#import "factsheet.typ": factsheet\n#factsheet('
    assert main.startswith(call)
    probe = b"#metadata(" + main.removeprefix(call).rstrip() + b" <view>\n"
    value = typst.Compiler(input=probe).query("<view>", field="value", one=True)
    assert json.loads(value) == json.loads(view.to_json())
    assert json.loads(value)["tips"] == hostile


def test_tips_are_the_marts_and_the_redaction_tags_pass_through(reference_output):
    html = (reference_output.directory / "GM0637_balie.html").read_text(encoding="utf-8")
    assert html.count("<li>") == 4  # kto_tip holds four for this cell
    assert "[TELEFOON]" in html  # the redaction tag passes through as text


def _suppressed_figures(key: str) -> int:
    """Dashes with "n < 10" on page 1 of the factsheet of `key` (from expected.json)."""
    cells = SAMPLES["cells"]
    cell = cells[key]
    code, kanaal, periode = key.split("|")
    jaar, _, quarter = periode.partition("-")
    earlier = [
        cells[k]
        for back in (1, 2)
        if (k := f"{code}|{kanaal}|{int(jaar) - back}{'-' + quarter if quarter else ''}") in cells
    ]
    if earlier:  # the trend chart: earlier periods and this one again
        trend = [*earlier, cell]
        count = sum(1 for c in trend if c["totaaloordeel"]["value"] is None)
    else:
        count = 0
    count += sum(1 for name in ("totaaloordeel", "ces") if cell[name]["value"] is None)
    if not quarter:  # a year's sheet: its quarters, when there are at least two
        quarters = [c for q in "1234" if (c := cells.get(f"{code}|{kanaal}|{jaar}-Q{q}"))]
        if len(quarters) > 1:
            count += sum(
                1 for c in quarters for n in ("totaaloordeel", "ces") if c[n]["value"] is None
            )
    count += sum(1 for f in cell.get("aspecten", {}).values() if f["value"] is None)
    count += sum(1 for f in cell.get("stellingen", {}).values() if f["value"] is None)
    count += sum(1 for f in cell.get("producten", {}).values() if f["value"] is None)
    if "in_een_keer_geholpen" in cell:
        count += cell["in_een_keer_geholpen"]["value"] is None
    return count


@pytest.fixture
def samples_output(tmp_path):
    warehouse = write_marts(tmp_path / "samples.duckdb", marts_from_samples())
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        result = render_periods(con, ["2020", "2020-Q1"], settings, generated_on=GENERATED_ON)
    return result, settings, warehouse


@needs_pdftotext
def test_suppressed_figures_show_a_dash_and_never_zero(samples_output):
    result, _, _ = samples_output
    checked = 0
    for period in result.periods:
        for f in period.factsheets:
            suppressed = _suppressed_figures(f"{f.gemeentecode}|{f.kanaal}|{period.periode}")
            page1 = pdf_pages(period.directory / f.pdf)[0]
            # one "n < 10" per suppressed figure, plus the legend's
            assert page1.count("n < 10") == suppressed + 1, f.pdf
            assert tokens(page1)[DASH] >= suppressed
            assert "0,0" not in tokens(page1)
            html = (period.directory / f.html).read_text(encoding="utf-8")
            figures = html.split('<section class="toelichting">')[0]  # as page 1 of the PDF
            text, _ = html_text(figures)
            assert text.count("n < 10") == suppressed + 1
            assert tokens(text)[DASH] >= suppressed
            checked += suppressed
    assert checked > 10


def test_cells_below_the_threshold_get_no_factsheet_but_a_report_line(samples_output):
    result, settings, _ = samples_output
    for period in result.periods:
        cells = {k: c for k, c in SAMPLES["cells"].items() if k.split("|")[2] == period.periode}
        low = sorted(k for k, c in cells.items() if c["respons"] < settings.min_respondents)
        high = sorted(k for k, c in cells.items() if c["respons"] >= settings.min_respondents)
        report = json.loads(period.report.read_text(encoding="utf-8"))
        assert report["periode"] == period.periode
        assert report["min_respondents"] == settings.min_respondents
        listed = sorted(
            f"{s['gemeentecode']}|{s['kanaal']}|{period.periode}" for s in report["overgeslagen"]
        )
        assert listed == low
        assert all(
            s["reden"].startswith(f"respons {s['respons']} < ") for s in report["overgeslagen"]
        )
        made = sorted(
            f"{f['gemeentecode']}|{f['kanaal']}|{period.periode}" for f in report["factsheets"]
        )
        assert made == high
        on_disk = sorted(p.name for p in period.directory.iterdir() if p.suffix == ".pdf")
        assert on_disk == sorted(f"{k.split('|')[0]}_{k.split('|')[1]}.pdf" for k in high)
        assert all(f["pages"] == 3 for f in report["factsheets"])


@needs_pdftotext
def test_no_personal_data_in_any_output(samples_output):
    result, _, _ = samples_output
    pii = SAMPLES["pii"]
    assert pii
    for period in result.periods:
        for path in sorted(period.directory.iterdir()):
            text = (
                "\n".join(pdf_pages(path))
                if path.suffix == ".pdf"
                else path.read_text(encoding="utf-8")
            )
            found = [p for p in pii if p in text]
            assert not found, (path.name, found[:3])


def test_rerun_on_the_same_marts_leaves_the_same_folder(samples_output):
    result, settings, warehouse = samples_output
    folder = result.periods[0].directory
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with read_only(warehouse) as con:
        again = render_period(con, "2020", settings)  # another day: nothing changed
    assert again.rendered == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    with read_only(warehouse) as con:
        forced = render_period(con, "2020", settings, generated_on=GENERATED_ON, force=True)
    assert forced.rendered == len(forced.factsheets) > 0
    # the same view renders to the same bytes: the PDF's date is the view's date
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@needs_pdftotext
def test_changed_marts_rerender_only_what_changed_and_remove_what_left(tmp_path):
    tables = marts_from_samples()
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        first = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    assert first.rendered == len(first.factsheets) >= 3
    (target, other) = first.factsheets[0], first.factsheets[1]
    for row in tables["kto_cel"]:
        key = (row["gemeentecode"], row["kanaal"], row["periode"])
        if key == (target.gemeentecode, target.kanaal, "2020"):
            row["respons"] = SAMPLES["min_n"] - 1
            row["respons_publiceerbaar"] = False
        if key == (other.gemeentecode, other.kanaal, "2020"):
            row["reviews"] += 1
    write_marts(tmp_path / "w.duckdb", tables)
    with read_only(warehouse) as con:
        second = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    assert second.rendered == 1
    assert sorted(second.removed) == [target.html, target.pdf]
    assert not (second.directory / target.pdf).exists()
    assert (target.gemeentecode, target.kanaal) in {
        (s["gemeentecode"], s["kanaal"]) for s in second.skipped
    }
    assert (
        f"{SAMPLES['cells'][f'{other.gemeentecode}|{other.kanaal}|2020']['reviews'] + 1} personen"
        in (pdf_pages(second.directory / other.pdf)[0])
    )


def test_process_pool_renders_the_same_files(tmp_path, monkeypatch, samples_output):
    result, settings, warehouse = samples_output
    serial = {p.name: p.read_bytes() for p in result.periods[0].directory.iterdir()}
    monkeypatch.setattr(output, "PARALLEL_MIN_FACTSHEETS", 2)
    out = tmp_path / "parallel"
    with read_only(warehouse) as con:
        parallel = render_periods(
            con, ["2020"], settings, output_dir=out, generated_on=GENERATED_ON, workers=2
        )
    assert parallel.workers == 2
    folder = parallel.periods[0].directory
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == serial
    assert parallel.pages_per_second > 0


def test_atomic_write_leaves_no_temporary_files(reference_output):
    leftovers = [p for p in reference_output.directory.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_factsheets_are_flushed_once_before_any_report_names_them(tmp_path, monkeypatch):
    """No fsync per factsheet: one flush of the filesystem after every file is in place and
    before the report (which the next run trusts to keep unchanged files) is written
    durably, the only file synced on its own."""
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_reference())
    settings = settings_for(tmp_path, warehouse)
    flushes: list[dict] = []
    synced: list[str] = []
    real_flush, real_fsync = output.flush_filesystem, os.fsync

    def flush(folder):
        period = output.period_directory(settings.output_dir, "2020")
        flushes.append(
            {
                "files": sorted(p.name for p in period.iterdir()),
                "report": (period / output.REPORT_NAME).exists(),
            }
        )
        real_flush(folder)

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(output, "flush_filesystem", flush)
    monkeypatch.setattr(os, "fsync", fsync)
    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON, workers=1)
    names = sorted(n for f in result.factsheets for n in (f.pdf, f.html))
    assert len(names) >= 4
    assert flushes == [{"files": names, "report": False}]
    assert [Path(p).name for p in synced] == [f".{output.REPORT_NAME}.{os.getpid()}.tmp"]
    # unchanged marts: nothing rendered, so nothing to flush
    with read_only(warehouse) as con:
        again = render_period(con, "2020", settings, generated_on=GENERATED_ON, workers=1)
    assert again.rendered == 0 and len(flushes) == 1


def test_marts_are_read_through_a_read_only_connection(tmp_path):
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_reference())
    with read_only(warehouse) as con, pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE marts.x (a INTEGER)")


def test_reader_waits_for_a_writer_in_another_process(tmp_path):
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_reference())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(1.5); c.close()",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException), read_only(warehouse, wait_seconds=0):
            pass
        with read_only(warehouse, wait_seconds=30) as con:
            assert con.execute("SELECT count(*) FROM marts.kto_cel").fetchone()[0] > 0
    finally:
        holder.wait(timeout=30)


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) not installed")
def test_poppler_reads_every_pdf_without_a_syntax_error(samples_output):
    """pdfinfo (poppler 22.12) printed "Syntax Error: Suspects object is wrong type" on every
    factsheet: Typst's valid /Suspects false, which render_pdf blanks. Every PDF of every
    channel must read without a word on stderr, still tagged, with its three pages."""
    _, settings, _ = samples_output
    pdfs = sorted((settings.output_dir / "factsheets").rglob("*.pdf"))
    assert {p.stem.rsplit("_", 1)[1] for p in pdfs} == {"balie", "telefoon", "digitaal"}
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        assert info.stderr == "", (pdf.name, info.stderr)
        fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
        assert fields["Tagged"].strip() == "yes", pdf.name
        assert fields["Suspects"].strip() == "no", pdf.name
        assert fields["Pages"].strip() == "3", pdf.name
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert text.returncode == 0 and text.stderr == "", (pdf.name, text.stderr)
        assert b"/Suspects" not in pdf.read_bytes()
