"""The portal: static pages next to the factsheets that list exactly what exists.

Built on the sample folder's expected marts (every channel, quarters, cells
below the threshold, suppressed figures) after the factsheets of two periods
are rendered. Expectations are read from expected.json and from the folder
itself, not from the portal's code.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from dagster_project.factsheets import read_only, render_periods
from dagster_project.portal import build_portal, collect, write_portal
from tests.conftest import settings_resources
from tests.test_factsheets import (
    GENERATED_ON,
    SAMPLES,
    marts_from_samples,
    settings_for,
    write_marts,
)
from tests.test_factsheets_render import html_text

PERIODS = ["2020", "2020-Q1"]


class _Page(HTMLParser):
    """Links and table rows (cells' text) of a page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.rows: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "tr":
            self.rows.append({"attrs": attrs, "cells": []})
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture
def portal_folder(tmp_path):
    warehouse = write_marts(tmp_path / "samples.duckdb", marts_from_samples())
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        render_periods(con, PERIODS, settings, generated_on=GENERATED_ON)
    result = build_portal(settings, generated_on="28 november 2026")
    return result, settings


def _factsheets_on_disk(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.glob("*/*")
        if p.suffix in (".pdf", ".html")
    }


def test_portal_links_exactly_the_factsheets_that_exist_and_every_link_resolves(portal_folder):
    result, _ = portal_folder
    folder = result.directory
    pages = sorted(folder.glob("*.html"))
    assert [p.name for p in pages if p.name == "index.html"] == ["index.html"]
    linked_factsheets = set()
    for page in pages:
        for href in parse(page).links:
            url = urlparse(href)
            assert not url.scheme and not url.netloc, (page.name, href)  # no network
            target = (folder / unquote(url.path)).resolve()
            assert target.is_file(), (page.name, href)
            if target.parent != folder and target.suffix in (".pdf", ".html"):
                linked_factsheets.add(target.relative_to(folder).as_posix())
    on_disk = _factsheets_on_disk(folder)
    assert linked_factsheets == on_disk
    expected = {
        f"{k.split('|')[2]}/{k.split('|')[0]}_{k.split('|')[1]}.{ext}"
        for k, c in SAMPLES["cells"].items()
        if k.split("|")[2] in PERIODS and c["respons"] >= SAMPLES["min_n"]
        for ext in ("pdf", "html")
    }
    assert on_disk == expected
    assert result.factsheets_linked == len(expected) // 2


def test_period_page_lists_every_cell_with_its_figures_or_why_not(portal_folder):
    result, _ = portal_folder
    for periode in PERIODS:
        rows = [r for r in parse(result.directory / f"periode-{periode}.html").rows if r["cells"]]
        cells = {k: c for k, c in SAMPLES["cells"].items() if k.split("|")[2] == periode}
        assert len(rows) == len(cells)
        for key, c in cells.items():
            code, kanaal, _ = key.split("|")
            row = [
                r
                for r in rows
                if r["attrs"]["data-kanaal"] == kanaal
                and code.lower() in r["attrs"]["data-gemeente"]
            ]
            assert len(row) == 1, key
            respons, totaal, ces, factsheet = row[0]["cells"][2:6]
            if c["respons"] < SAMPLES["min_n"]:
                # no factsheet: nothing of the cell is shown, and never as 0
                assert (respons, totaal, ces) == ("–", "–", "–"), key
                assert factsheet == f"geen factsheet: respons {c['respons']} < {SAMPLES['min_n']}"
                continue
            assert respons == str(c["respons"])
            assert factsheet == "PDFHTML"
            for text, name in ((totaal, "totaaloordeel"), (ces, "ces")):
                value = c[name]["value"]
                bm = SAMPLES["benchmark"][f"{kanaal}|{periode}"][name]
                if value is None:
                    assert text.startswith("–") and ("n < 10" in text or "afgeschermd" in text)
                    continue
                printed, _, printed_bm = text.partition(" BM ")
                if name == "ces":
                    assert (printed.rstrip(" ▲▼"), printed_bm) == (str(value), str(bm))
                else:
                    assert printed.rstrip(" ▲▼") == f"{value:.1f}".replace(".", ",")
                    assert printed_bm == f"{bm:.1f}".replace(".", ",")


def test_period_page_works_without_its_script(portal_folder):
    result, _ = portal_folder
    html = (result.directory / "periode-2020.html").read_text(encoding="utf-8")
    # the controls need the script, so they start hidden; the table is all there
    assert re.search(r'<form class="filters" id="filters" hidden>', html)
    assert html.count("<script>") == 1 and "src=" not in html
    assert "http://" not in html and "https://" not in html


def test_gemeente_page_links_all_its_channels_and_periods(portal_folder):
    result, _ = portal_folder
    code = "GM0637"
    page = parse(result.directory / f"gemeente-{code}.html")
    want = {
        f"{k.split('|')[2]}/{code}_{k.split('|')[1]}.pdf"
        for k, c in SAMPLES["cells"].items()
        if k.startswith(code) and k.split("|")[2] in PERIODS and c["respons"] >= SAMPLES["min_n"]
    }
    assert {h for h in page.links if h.endswith(".pdf")} == want
    text, _ = html_text((result.directory / f"gemeente-{code}.html").read_text(encoding="utf-8"))
    assert "Totaaloordeel per jaar" in text  # the trend: 2019 and 2020 are in the marts


def test_a_deleted_factsheet_is_not_linked_and_pages_that_left_are_removed(tmp_path):
    tables = marts_from_samples()
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    settings = settings_for(tmp_path, warehouse, SAMPLES["min_n"])
    with read_only(warehouse) as con:
        render_periods(con, PERIODS, settings, generated_on=GENERATED_ON)
    folder = settings.output_dir / "factsheets"
    (folder / "2020" / "GM0637_balie.pdf").unlink()
    (folder / "gemeente-GM9999.html").write_text("old", encoding="utf-8")
    (folder / "notes.html").write_text("not ours", encoding="utf-8")
    with read_only(warehouse) as con:
        portal = collect(con, folder, settings.min_respondents)
    result = write_portal(portal, folder, "28 november 2026")
    links = {h for p in folder.glob("*.html") for h in parse(p).links}
    assert "2020/GM0637_balie.pdf" not in links and "2020/GM0637_balie.html" not in links
    assert result.removed == ["gemeente-GM9999.html"]
    assert (folder / "notes.html").exists()


def test_portal_asset_builds_the_pages_after_the_factsheets(tmp_path, monkeypatch):
    import dagster as dg

    from dagster_project.defs.factsheets import factsheets_pdf_html
    from dagster_project.defs.gate import quality_gate
    from dagster_project.defs.partitions import PERIODE
    from dagster_project.defs.portal import factsheets_portal

    deps = {d for keys in factsheets_portal.asset_deps.values() for d in keys}
    assert dg.AssetKey(["factsheets", "pdf_html"]) in deps
    assert factsheets_portal.group_names_by_key[factsheets_portal.key] == "factsheets"
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_samples())
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_MIN_RESPONDENTS", str(SAMPLES["min_n"]))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PERIODE.name, ["2020"])
    assert dg.materialize(
        [quality_gate, factsheets_pdf_html],  # the factsheets read the gate's verdict
        instance=instance,
        partition_key="2020",
        resources=settings_resources(),
    ).success
    result = dg.materialize([factsheets_portal], instance=instance, resources=settings_resources())
    assert result.success
    [event] = result.asset_materializations_for_node("factsheets__portal")
    metadata = {k: v.value for k, v in event.metadata.items()}
    folder = tmp_path / "output" / "factsheets"
    assert metadata["factsheets_linked"] == len(list((folder / "2020").glob("*.pdf"))) > 0
    assert metadata["pages"] == len(list(folder.glob("*.html")))
