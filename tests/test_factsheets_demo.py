"""Factsheets rendered from the demo pipeline's own marts (ingest + dbt build).

The demo data reproduce the seed's Zoetermeer 2020 factsheet, so every figure
of zoetermeer_2020.json must be on the rendered balie and digitaal factsheets.
The same assertions as on the marts fixture (test_factsheets_render.py), with
one allowance: a figure marked significant whose value and BM round to the same
number is printed with extra decimals (docs/factsheets.md), and then the extra
precision must round back to the seed's figure.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from kto_devtools.demo import write_demo_landing

from dagster_project.factsheets import read_only, render_period
from dagster_project.factsheets.view import build_period
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from tests.test_factsheets import GENERATED_ON, REFERENCE, nl_grade
from tests.test_factsheets_display import assert_marks_have_a_visible_reason
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
        result = render_period(con, str(REFERENCE["jaar"]), settings, generated_on=GENERATED_ON)
        views, _ = build_period(con, str(REFERENCE["jaar"]), settings, GENERATED_ON)
    return result, {v.stem: v for v in views}


def _rounds_to(printed: str, seed: str) -> bool:
    decimals = len(seed.split(",")[1]) if "," in seed else 0
    value = Decimal(printed.rstrip("%").replace(",", "."))
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".replace(".", ",") == seed.rstrip("%")


def seed_expectations(kanaal: str, view) -> tuple:
    """The seed's tokens and phrases, with refined figures in place of their rounded form."""
    expected, phrases = reference_tokens(kanaal)
    ref = REFERENCE[kanaal]
    pairs = [
        (view.totaaloordeel, nl_grade(ref["totaaloordeel"]), nl_grade(ref["totaaloordeel_bm"])),
        (view.ces, str(ref["ces"]), str(ref["ces_bm"])),
    ]
    rows = ref.get("aspecten", []) or ref.get("stellingen_pct_eens", [])
    for fig, row in zip(view.tabel, rows, strict=False):
        if "score" in row:
            pairs.append((fig, nl_grade(row["score"]), nl_grade(row["bm"])))
        else:
            pairs.append((fig, f"{row['pct']}%", f"{row['bm']}%"))
    for fig, value, bm in pairs:
        if not fig.verfijnd:
            continue
        assert fig.teken and _rounds_to(fig.waarde, value) and _rounds_to(fig.bm, bm), fig
        expected.subtract([value, bm])
        expected.update([fig.waarde, fig.bm])
        phrases = [f"BM: {fig.bm}" if p == f"BM: {bm}" else p for p in phrases]
    return +expected, phrases


@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_demo_factsheet_shows_every_figure_of_the_seed(demo_factsheets, kanaal):
    result, views = demo_factsheets
    code = REFERENCE["gemeente"]["code"]
    expected, phrases = seed_expectations(kanaal, views[f"{code}_{kanaal}"])
    page1 = pdf_pages(result.directory / f"{code}_{kanaal}.pdf")[0]
    assert not missing(tokens(page1), expected)
    for phrase in phrases:
        assert phrase in page1, phrase
    html = (result.directory / f"{code}_{kanaal}.html").read_text(encoding="utf-8")
    text, _ = html_text(html)
    assert not missing(tokens(text), expected)
    for phrase in phrases:
        assert phrase in text, phrase


def test_demo_marks_have_a_visible_reason(demo_factsheets):
    _, views = demo_factsheets
    checked = assert_marks_have_a_visible_reason(list(views.values()))
    refined = [f for v in views.values() for f in (v.totaaloordeel, v.ces, *v.tabel) if f.verfijnd]
    assert checked > 50 and refined  # the demo has figures that round to their BM
