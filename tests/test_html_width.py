"""HTML factsheets and portal pages at phone width, measured in headless Chromium.

At 360 px no page may scroll sideways (the document's scrollWidth is the
viewport's width), and no text of a factsheet's figures and charts is smaller
than 11 px. Desktop width is measured too: the layout must not depend on a
narrow screen to fit. At every width from a small phone to a wide desktop no
word or number is broken across lines and no cell is narrower than its
content, and on a phone the headline figures are on the first screen.
"""

from __future__ import annotations

import pytest

from dagster_project.factsheets import read_only, render_periods
from dagster_project.portal import build_portal
from dagster_project.themes import default_matcher
from tests.browser import measure_pages
from tests.test_factsheets import (
    GENERATED_ON,
    SAMPLES,
    marts_from_reference,
    marts_from_samples,
    settings_for,
    write_marts,
)

pytestmark = pytest.mark.slow

MIN_CHART_PX = 11
WIDTHS = (360, 390, 768, 1280, 1600)
# What a phone shows before scrolling: 844 px of a 390 x 844 screen minus the browser's bars.
FIRST_SCREEN_PX = 750
PHONES = (360, 390)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Factsheets of the samples (every channel, a year and a quarter) and of the seed
    (long product names), with the portal; returns (factsheets folder, pages)."""
    root = tmp_path_factory.mktemp("site")
    tables = marts_from_samples()
    for table, rows in marts_from_reference().items():
        tables[table] += [dict(r, gemeentecode="GM0001", gemeente="Seedstad") for r in rows]
        # long municipality names in the table's header: with a hyphen, and the longest
        # word of all (16 characters), which no browser may break
        tables[table] += [dict(r, gemeentecode="GM1900", gemeente="Súdwest-Fryslân") for r in rows]
        tables[table] += [dict(r, gemeentecode="GM0085", gemeente="Ooststellingwerf") for r in rows]
    tables["kto_thema"] = theme_rows(tables["kto_cel"])
    warehouse = write_marts(root / "w.duckdb", tables)
    settings = settings_for(root, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        render_periods(con, ["2020", "2020-Q1"], settings, generated_on=GENERATED_ON)
    build_portal(settings, generated_on="28 november 2026")
    folder = settings.output_dir / "factsheets"
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    return folder, pages


def theme_rows(cells: list[dict]) -> list[dict]:
    """Every theme in every cell, at the widest a share prints: 100% with an arrow, a BM
    of 100% and a change of -100 pp, and 0% against a higher BM."""
    taxonomy = default_matcher().taxonomy.themes
    keys = ("gemeentecode", "gemeente", "kanaal", "periode", "jaar", "kwartaal", "soort")
    return [
        {
            **{k: cell.get(k) for k in keys},
            "thema": t.code,
            "label": t.label,
            "volgorde": i,
            "n": 400,
            "aantal": 400 if i % 2 else 0,
            "aandeel": 100 if i % 2 else 0,
            "aandeel_exact": 100.0 if i % 2 else 0.0,
            "bm": 100 if i % 2 else 12,
            "publiceerbaar": True,
            "richting": "hoger" if i % 2 else "lager",
            "aandeel_vorig_jaar": 100,
            "verschil_vorig_jaar": 0 if i % 2 else -100,
        }
        for cell in cells
        for i, t in enumerate(taxonomy, start=1)
    ]


@pytest.fixture(scope="module")
def measured(site):
    """measured(width): every page measured once per width (a Chromium start each)."""
    folder, pages = site
    cache: dict[int, dict] = {}

    def at(width: int) -> dict:
        if width not in cache:
            cache[width] = measure_pages(folder, pages, width)
            assert sorted(cache[width]) == pages
        return cache[width]

    return at


def test_every_channel_and_the_portal_are_measured(site):
    _, pages = site
    sheets = [p for p in pages if "/" in p]
    assert {p.rsplit("_", 1)[1] for p in sheets} == {"balie.html", "telefoon.html", "digitaal.html"}
    assert "index.html" in pages and any(p.startswith("periode-") for p in pages)
    assert any(p.startswith("gemeente-") for p in pages)


@pytest.mark.parametrize("width", [360, 1280])
def test_no_page_scrolls_sideways(measured, width):
    for page, m in measured(width).items():
        assert m["innerWidth"] == width, page
        assert m["scrollWidth"] <= width, (page, m["scrollWidth"], m["wide"])
        assert m["bodyScrollWidth"] <= width, (page, m)


def test_factsheet_chart_text_is_at_least_11px_at_phone_width(site):
    folder, pages = site
    sheets = [p for p in pages if "/" in p]
    measured = measure_pages(folder, sheets, 360, selector="main *")
    for page, m in measured.items():
        assert m["smallest"] is not None, page
        assert m["smallest"]["size"] >= MIN_CHART_PX, (page, m["smallest"])


@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_or_number_is_broken_and_no_cell_overflows(measured, width):
    """ "Zoeterme/er", "68/%", "B/M": a word drawn on two lines (compared per word through
    the line boxes of its text) or a cell narrower than its content fails."""
    for page, m in measured(width).items():
        assert m["broken"] == [], (width, page, m["broken"])
        assert m["overflowing"] == [], (width, page, m["overflowing"])


def test_a_broken_word_is_seen(tmp_path):
    """The measurement itself: a cell too narrow for its word, as overflow-wrap: anywhere
    breaks it, and the same word overflowing a cell that may not break it."""
    page = tmp_path / "p.html"
    page.write_text(
        '<!DOCTYPE html><html><body><table><tr><td style="width: 40px; max-width: 40px;'
        ' overflow-wrap: anywhere">Zoetermeer</td></tr></table>'
        '<table style="table-layout: fixed; width: 60px"><tr><td>Zoetermeer 68%</td></tr>'
        "</table></body></html>",
        encoding="utf-8",
    )
    m = measure_pages(tmp_path, ["p.html"], 390)["p.html"]
    assert [b["word"] for b in m["broken"]] == ["Zoetermeer"]
    assert [o["text"] for o in m["overflowing"]] == ["Zoetermeer 68%"]


@pytest.mark.parametrize("width", PHONES)
def test_headline_figures_on_a_phones_first_screen(measured, width):
    sheets = {p: m for p, m in measured(width).items() if "/" in p}
    assert sheets
    for page, m in sheets.items():
        assert m["kpiBottom"] is not None, page
        assert m["kpiBottom"] <= FIRST_SCREEN_PX, (width, page, m["kpiBottom"])
