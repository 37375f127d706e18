"""HTML factsheets and portal pages at phone width, measured in headless Chromium.

At 360 px no page may scroll sideways (the document's scrollWidth is the
viewport's width), and no text of a factsheet's figures and charts is smaller
than 11 px. Desktop width is measured too: the layout must not depend on a
narrow screen to fit.
"""

from __future__ import annotations

import pytest

from dagster_project.factsheets import read_only, render_periods
from dagster_project.portal import build_portal
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Factsheets of the samples (every channel, a year and a quarter) and of the seed
    (long product names), with the portal; returns (factsheets folder, pages)."""
    root = tmp_path_factory.mktemp("site")
    tables = marts_from_samples()
    for table, rows in marts_from_reference().items():
        tables[table] += [dict(r, gemeentecode="GM0001", gemeente="Seedstad") for r in rows]
    warehouse = write_marts(root / "w.duckdb", tables)
    settings = settings_for(root, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        render_periods(con, ["2020", "2020-Q1"], settings, generated_on=GENERATED_ON)
    build_portal(settings, generated_on="28 november 2026")
    folder = settings.output_dir / "factsheets"
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    return folder, pages


def test_every_channel_and_the_portal_are_measured(site):
    _, pages = site
    sheets = [p for p in pages if "/" in p]
    assert {p.rsplit("_", 1)[1] for p in sheets} == {"balie.html", "telefoon.html", "digitaal.html"}
    assert "index.html" in pages and any(p.startswith("periode-") for p in pages)
    assert any(p.startswith("gemeente-") for p in pages)


@pytest.mark.parametrize("width", [360, 1280])
def test_no_page_scrolls_sideways(site, width):
    folder, pages = site
    measured = measure_pages(folder, pages, width)
    assert sorted(measured) == pages
    for page, m in measured.items():
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
