"""Factsheets rendered from the demo pipeline's own marts (ingest + dbt build).

The demo data reproduce the seed's Zoetermeer 2020 factsheet, so every figure
of zoetermeer_2020.json must be on the rendered balie and digitaal factsheets.
The same assertions as on the marts fixture (test_factsheets_render.py).
"""

from __future__ import annotations

import pytest

from dagster_project.dbt_commands import run_dbt
from dagster_project.demo import write_demo_landing
from dagster_project.factsheets import read_only, render_period
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests.test_factsheets import GENERATED_ON, REFERENCE
from tests.test_factsheets_render import html_text, missing, pdf_pages, reference_tokens, tokens

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_factsheets(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    write_demo_landing(root / "landing")
    warehouse = root / "warehouse.duckdb"
    load_landing(root / "landing", warehouse)
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(warehouse), "KTO_OUTPUT_DIR": str(root / "output")}
    )
    run = run_dbt(["build"], settings)
    assert run.ok, run.output
    with read_only(warehouse) as con:
        return render_period(con, str(REFERENCE["jaar"]), settings, generated_on=GENERATED_ON)


@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_demo_factsheet_shows_every_figure_of_the_seed(demo_factsheets, kanaal):
    code = REFERENCE["gemeente"]["code"]
    expected, phrases = reference_tokens(kanaal)
    page1 = pdf_pages(demo_factsheets.directory / f"{code}_{kanaal}.pdf")[0]
    assert not missing(tokens(page1), expected)
    for phrase in phrases:
        assert phrase in page1, phrase
    html = (demo_factsheets.directory / f"{code}_{kanaal}.html").read_text(encoding="utf-8")
    text, _ = html_text(html)
    assert not missing(tokens(text), expected)
    for phrase in phrases:
        assert phrase in text, phrase
