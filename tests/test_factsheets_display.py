"""What a reader sees: marks with a visible reason, bar labels in whole words.

- A figure marked ▲/▼ never prints the same number as its BM: when both round
  to the same figure, both are printed with the fewest extra decimals that tell
  them apart (expected strings below are worked out by hand from the inputs).
- A bar label is never hyphenated inside a word, and no two words on page 1
  overlap (read back with `pdftotext -bbox`).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
import subprocess
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest

from dagster_project.factsheets import read_only, render_period, render_periods
from dagster_project.factsheets.render import render_pdf
from dagster_project.factsheets.view import MAX_THEMAS, FactsheetView, Staaf
from dagster_project.themes import default_matcher
from tests.test_factsheets import (
    DISPLAY_NAMES,
    GENERATED_ON,
    REFERENCE,
    SAMPLES,
    marts_from_reference,
    marts_from_samples,
    settings_for,
    views_of,
    write_marts,
)
from tests.test_factsheets_render import html_text, pdf_pages

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)

CODE = REFERENCE["gemeente"]["code"]


def _number(text: str) -> Decimal:
    return Decimal(text.rstrip("%").replace(",", "."))


def marked_figures(view: FactsheetView):
    for f in (view.totaaloordeel, view.ces, *view.tabel):
        if f.teken:
            yield f


def assert_marks_have_a_visible_reason(views: list[FactsheetView]) -> int:
    """Every marked figure differs from its printed BM, in the direction of its mark."""
    checked = 0
    for v in views:
        for f in marked_figures(v):
            value, bm = _number(f.waarde), _number(f.bm)
            assert value != bm, (v.stem, f.label, f.waarde, f.bm)
            assert (value > bm) == (f.teken == "▲"), (v.stem, f.label, f.waarde, f.bm)
            checked += 1
    return checked


def _equal_when_rounded(tables: dict) -> dict:
    """The seed's balie with four figures that round to their BM but differ significantly."""
    cel = next(r for r in tables["kto_cel"] if r["kanaal"] == "balie" and r["periode"] == "2020")
    # totaaloordeel 8.38 against BM 8.43: both print 8,4; the interval lies below the BM
    cel |= {
        "totaaloordeel": 8.4,
        "totaaloordeel_exact": 8.3811,
        "totaaloordeel_bm": 8.4,
        "totaaloordeel_bm_exact": 8.4302,
        "totaaloordeel_ci_low": 8.33,
        "totaaloordeel_ci_high": 8.42,
        "totaaloordeel_significant": True,
        "totaaloordeel_richting": "lager",
        # as int_public_figures rounds them (its dbt unit test every_printed_number_is_rounded_here
        # holds the same exact values to these columns)
        "totaaloordeel_ci_low_afgerond": Decimal("8.33"),
        "totaaloordeel_ci_high_afgerond": Decimal("8.42"),
        "totaaloordeel_verfijnd_decimalen": 2,
        "totaaloordeel_verfijnd": Decimal("8.38"),
        "totaaloordeel_bm_verfijnd": Decimal("8.43"),
    }
    aspects = [r for r in tables["kto_aspect"] if r["kanaal"] == "balie"]
    # 8.444 against 8.436: one extra decimal still prints 8,44 twice, two tell them apart
    aspects[0] |= {
        "score": 8.4,
        "score_exact": 8.4441,
        "bm": 8.4,
        "bm_exact": 8.4359,
        "ci_low": 8.4401,
        "ci_high": 8.4481,
        "significant": True,
        "richting": "hoger",
        "ci_low_afgerond": Decimal("8.44"),
        "ci_high_afgerond": Decimal("8.45"),
        "verfijnd_decimalen": 3,
        "waarde_verfijnd": Decimal("8.444"),
        "bm_verfijnd": Decimal("8.436"),
    }
    # an unrelated row whose printed figures differ keeps its own precision
    aspects[1] |= {"score": 8.6, "score_exact": 8.61, "bm": 8.1, "bm_exact": 8.12}
    aspects[1] |= {"ci_low": 8.5, "ci_high": 8.7, "significant": True, "richting": "hoger"}
    aspects[1] |= {"ci_low_afgerond": Decimal("8.5"), "ci_high_afgerond": Decimal("8.7")}
    stelling = next(r for r in tables["kto_stelling"] if r["kanaal"] == "digitaal")
    # 64.3% against 63.6%: both print 64%
    stelling |= {
        "pct": 64,
        "pct_exact": 64.31,
        "bm": 64,
        "bm_exact": 63.62,
        "ci_low": 63.9,
        "ci_high": 64.7,
        "significant": True,
        "richting": "hoger",
        "ci_low_afgerond": Decimal("63.9"),
        "ci_high_afgerond": Decimal("64.7"),
        "verfijnd_decimalen": 1,
        "waarde_verfijnd": Decimal("64.3"),
        "bm_verfijnd": Decimal("63.6"),
    }
    return tables


def test_a_mark_between_equal_printed_figures_prints_the_marts_extra_decimals(tmp_path):
    tables = _equal_when_rounded(marts_from_reference())
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    settings = settings_for(tmp_path, warehouse)
    views, _ = views_of(warehouse, "2020", settings)
    balie = next(v for v in views if v.kanaal == "balie")
    digitaal = next(v for v in views if v.kanaal == "digitaal")
    assert (balie.totaaloordeel.waarde, balie.totaaloordeel.bm) == ("8,38", "8,43")
    assert balie.totaaloordeel.teken == "▼"
    first, second = balie.tabel[0], balie.tabel[1]
    assert (first.waarde, first.bm, first.teken) == ("8,444", "8,436", "▲")
    assert (second.waarde, second.bm, second.teken) == ("8,6", "8,1", "▲")
    stelling = digitaal.tabel[0]
    assert (stelling.waarde, stelling.bm, stelling.teken) == ("64,3%", "63,6%", "▲")
    assert assert_marks_have_a_visible_reason(views) >= 4
    assert any("decimaal extra" in regel for regel in balie.legenda)
    assert not any(
        "decimaal extra" in regel
        for regel in views_of(
            write_marts(tmp_path / "plain.duckdb", marts_from_reference()), "2020", settings
        )[0][0].legenda
    )

    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    page1 = " ".join(pdf_pages(result.directory / f"{CODE}_balie.pdf")[0].split())
    assert "8,38 ▼" in page1 and "BM: 8,43" in page1
    assert {"8,444", "8,436"} <= set(page1.split())
    html = (result.directory / f"{CODE}_digitaal.html").read_text(encoding="utf-8")
    _, rows = html_text(html)
    assert [stelling.label, "64,3% ▲", "63,6%"] in [r[:3] for r in rows]
    # the largest differences list the same printed figures, and their difference
    assert [(a.label, a.waarde, a.bm, a.verschil) for a in balie.afwijkingen][:2] == [
        (second.label, "8,6", "8,1", "+0,5"),
        (first.label, "8,444", "8,436", "+0,008"),
    ]


def test_marks_on_the_samples_have_a_visible_reason(tmp_path):
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_samples())
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    views = [v for p in ("2020", "2020-Q1") for v in views_of(warehouse, p, settings)[0]]
    assert assert_marks_have_a_visible_reason(views) > 10


# --- bar labels -----------------------------------------------------------------------

LONG_UNKNOWN = "Gehandicaptenparkeerkaart aanvragen"
SEED = "GM0001"


def _words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) of every word on page 1."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (unescape(t), float(a), float(b), float(c), float(d))
        for a, b, c, d, t in re.findall(pattern, out)
    ]


@pytest.fixture
def label_sheets(tmp_path):
    """Every channel's factsheet, one with a long product name outside the code list."""
    tables = marts_from_samples()
    for table, rows in marts_from_reference().items():  # the seed as a fourth gemeente
        tables[table] += [dict(r, gemeentecode=SEED, gemeente="Seedstad") for r in rows]
    extra = next(
        r
        for r in tables["kto_product"]
        if r["kanaal"] == "balie" and r["gemeentecode"] == SEED and r["periode"] == "2020"
    )
    tables["kto_product"].append(dict(extra, product=LONG_UNKNOWN, volgorde=99))
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        result = render_periods(con, ["2020", "2020-Q1"], settings, generated_on=GENERATED_ON)
    views = {
        (p, v.stem): v for p in ("2020", "2020-Q1") for v in views_of(warehouse, p, settings)[0]
    }
    return result, views


def test_bar_labels_keep_every_word_whole_and_nothing_overlaps(label_sheets):
    result, views = label_sheets
    kanalen = set()
    for period in result.periods:
        for f in period.factsheets:
            view = views[(period.periode, f.pdf.removesuffix(".pdf"))]
            words = _words(period.directory / f.pdf)
            texts = [w[0] for w in words]
            for staaf in view.producten:
                for word in staaf.label.split():
                    assert word in texts, (f.pdf, staaf.label, word)
            # a word broken by hyphenation leaves a fragment ending in "-"
            fragments = [t for t in texts if t.endswith("-") and len(t) > 1]
            assert fragments == [], (f.pdf, fragments)
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    same_line = abs(a[2] - b[2]) < 1 and abs(a[4] - b[4]) < 1
                    overlap = min(a[3], b[3]) - max(a[1], b[1])
                    assert not (same_line and overlap > 0.5), (f.pdf, a, b)
            kanalen.add(f.pdf.split("_")[1])
    assert kanalen == {"balie.pdf", "telefoon.pdf", "digitaal.pdf"}
    seed = views[("2020", f"{SEED}_balie")]
    assert LONG_UNKNOWN in [s.label for s in seed.producten]  # outside the list: as given


def test_display_names_come_from_the_code_list_with_the_full_name_as_title(label_sheets):
    result, views = label_sheets
    seed = views[("2020", f"{SEED}_balie")]
    html = (result.periods[0].directory / f"{SEED}_balie.html").read_text(encoding="utf-8")
    for staaf in seed.producten:
        assert staaf.label == DISPLAY_NAMES.get(staaf.naam, staaf.naam)
        assert f'title="{staaf.naam}">{staaf.label}<' in html


def test_the_worst_case_still_fits_on_three_pages(tmp_path):
    """Ten products with long names outside the code list, four tips of maximum
    length, seven statements, four quarters, a trend, a long gemeente name, and every
    theme shown with a BM and a change (page 2)."""
    tables = marts_from_reference()
    keys = ("gemeentecode", "gemeente", "kanaal", "periode", "jaar", "kwartaal")
    for row in (r for t in tables.values() for r in t):
        row["gemeente"] = "Westerkwartiers"  # 15 characters
    cel = next(r for r in tables["kto_cel"] if r["kanaal"] == "digitaal" and r["periode"] == "2020")
    base = {k: cel[k] for k in keys}
    tables["kto_product"] = [r for r in tables["kto_product"] if r["kanaal"] != "digitaal"]
    for i in range(10):
        name = f"Aanvraag gehandicaptenparkeerkaart met medische keuring {i}"
        tables["kto_product"].append(
            {
                **base,
                "product": name,
                "volgorde": i,
                "respons": 100 + i,
                "totaaloordeel": 7.5,
                "totaaloordeel_exact": 7.5,
                "totaaloordeel_n": 100,
                "publiceerbaar": True,
            }
        )
    tip = "Heel lange tip over de wachttijd aan de balie en de website die beter kan " * 8
    tables["kto_tip"] = [r for r in tables["kto_tip"] if r["kanaal"] != "digitaal"]
    tables["kto_tip"] += [{**base, "rang": i, "tekst": tip} for i in range(1, 5)]
    for q in range(1, 5):
        tables["kto_cel"].append(
            dict(cel, periode=f"2020-Q{q}", kwartaal=q, respons=cel["respons"] // 4)
        )
    taxonomy = default_matcher().taxonomy.themes
    tables["kto_thema"] = [
        {
            **base,
            "thema": t.code,
            "label": t.label,
            "volgorde": i,
            "n": 400,
            "aantal": 100 - i,
            "aandeel": round(100 * (100 - i) / 400),
            "aandeel_exact": 100 * (100 - i) / 400,
            "bm": 99,
            "publiceerbaar": True,
            "aandeel_vorig_jaar": 1,
            "verschil_vorig_jaar": -100 + i,
        }
        for i, t in enumerate(taxonomy, start=1)
    ]
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    settings = settings_for(tmp_path, warehouse)
    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    sheet = next(f for f in result.factsheets if f.kanaal == "digitaal")
    view = views_of(warehouse, "2020", settings)[0]
    digitaal = next(v for v in view if v.kanaal == "digitaal")
    assert len(digitaal.producten) == 10 and len(digitaal.tips) == 4
    assert len(digitaal.kwartalen) == 4 and len(digitaal.tabel) == 7 and digitaal.trend
    assert len(digitaal.themas) == MAX_THEMAS < len(taxonomy)
    assert sheet.pages == 3


def _chart_sheet(tmp_path: Path, base: FactsheetView, n: int) -> Path:
    producten = [
        Staaf(
            f"Kwispelvergunning met medische keuring aanvragen nr{i}",
            f"Kwispelvergunning {i}",
            "7,5" if i % 3 else "–",
            bool(i % 3),
            "" if i % 3 else "n < 10",
            0.75 if i % 3 else None,
            f"N={1000 + i}",
        )
        for i in range(n)
    ]
    pdf = tmp_path / f"chart{n}.pdf"
    pdf.write_bytes(render_pdf(dataclasses.replace(base, producten=producten)))
    return pdf


def test_product_chart_keeps_its_height_budget_and_shrinks_labels_only_when_needed(tmp_path):
    """factsheet.typ's `staven` sizes the rows from their cells' heights (not by measuring
    the whole chart): for 1 to 10 products with long names the chart stays within its
    80 mm, rows stay in order without overlap, and labels get smaller only when the rows
    would not fit at full size."""
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_reference())
    settings = settings_for(tmp_path, warehouse)
    base = next(v for v in views_of(warehouse, "2020", settings)[0] if v.kanaal == "balie")
    budget = 80 / 25.4 * 72  # points
    label_heights = {}
    for n in (1, 2, 4, 7, 10):
        words = _words(_chart_sheet(tmp_path, base, n))
        texts = [w[0] for w in words]
        chart = [w for w in words if re.fullmatch(r"Kwispelvergunning|nr\d+|N=10\d\d", w[0])]
        counts = sorted(w[0] for w in chart if w[0].startswith("N="))
        assert counts == [f"N={1000 + i}" for i in range(n)]
        for i in range(n):  # every word of every label, whole
            for word in f"Kwispelvergunning met medische keuring aanvragen nr{i}".split():
                assert word in texts, (n, i, word)
        top, bottom = min(w[2] for w in chart), max(w[4] for w in chart)
        assert bottom - top <= budget, (n, bottom - top, budget)
        rows = [next(w for w in chart if w[0] == f"N={1000 + i}") for i in range(n)]
        assert all(a[4] <= b[2] for a, b in itertools.pairwise(rows)), n
        for i, a in enumerate(words):  # nothing on page 1 overlaps
            for b in words[i + 1 :]:
                same_line = abs(a[2] - b[2]) < 1 and abs(a[4] - b[4]) < 1
                assert not (same_line and min(a[3], b[3]) - max(a[1], b[1]) > 0.5), (n, a, b)
        label_heights[n] = next(w[4] - w[2] for w in chart if w[0] == "Kwispelvergunning")
    assert label_heights[1] == label_heights[2]  # room enough: full size
    assert label_heights[10] < label_heights[1]  # ten long labels: smaller
