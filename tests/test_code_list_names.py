"""Names on a factsheet come from the code lists; the export's spelling is only a fallback.

A small landing folder spells a municipality with a typo and products with odd case and
blanks; the marts and the factsheet view show the canonical names (CBS list, product list),
and a product outside the list keeps its own (sanitised) name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from dagster_project.factsheets.marts import read_only
from dagster_project.factsheets.view import build_view_models
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt

pytestmark = pytest.mark.slow

N = 12  # above the default threshold of 10, so each cell gets a factsheet
ONE2TEN_HEADER = (
    "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;Product;"
    "Totaaloordeel"
)
OPENFORMS_HEADER = "Formuliernaam,Inzendingdatum,respondentId,gemeentecode,product,totaaloordeel"
# (as the export spells it, as the factsheet must show it)
BALIE_PRODUCTS = [
    ("  paspoort   EN id-KAART ", "Paspoort en ID-kaart"),
    ("RIJBEWIJS", "Rijbewijs"),
    ("Parkeervergunning", "Parkeervergunning"),  # not on the list: its own name
]
DIGITAAL_PRODUCTS = [("verklaring\u00a0omtrent het GEDRAG", "Verklaring omtrent het gedrag")]


def _landing(root: Path) -> Path:
    (root / "one2ten").mkdir(parents=True)
    (root / "openforms").mkdir()
    lines = [ONE2TEN_HEADER]
    for i in range(N * len(BALIE_PRODUCTS)):
        product = BALIE_PRODUCTS[i % len(BALIE_PRODUCTS)][0]
        day = f"{1 + i % 28:02d}-03-2020"
        # GM0637 is Zoetermeer in the CBS list; the export misspells it
        lines.append(
            f"{500 + i};GM0637;Zoetermer;Balie;{day} 10:00;{day} 10:05;Voltooid;{product};"
            f"{6 + i % 4}"
        )
    (root / "one2ten" / "balie_2020.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = [OPENFORMS_HEADER]
    for i in range(N):
        # GM0503 (Delft) answers only the digital form, which carries no municipality name
        rows.append(
            f"KTO digitale dienstverlening,2020-03-{1 + i:02d} 12:00:00,"
            f"{uuid.UUID(int=i + 1)},GM0503,{DIGITAAL_PRODUCTS[0][0]},{5 + i % 5}"
        )
    (root / "openforms" / "digitaal_2020.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    path = root / "warehouse.duckdb"
    load_landing(_landing(root / "landing"), path)
    run = run_dbt(["build"], Settings.from_env({"KTO_WAREHOUSE": str(path)}))
    assert run.ok, run.output
    return path


def test_the_marts_name_municipalities_and_products_from_the_code_lists(warehouse):
    with read_only(warehouse) as con:
        names = dict(
            con.execute("select distinct gemeentecode, gemeente from marts.kto_cel").fetchall()
        )
        products = {
            (k, p)
            for k, p in con.execute(
                "select distinct kanaal, product from marts.kto_product"
            ).fetchall()
        }
    assert names == {"GM0637": "Zoetermeer", "GM0503": "Delft"}
    assert products == {("balie", shown) for _, shown in BALIE_PRODUCTS} | {
        ("digitaal", shown) for _, shown in DIGITAAL_PRODUCTS
    }


def test_the_factsheet_shows_the_canonical_names(warehouse, tmp_path):
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    with read_only(warehouse) as con:
        views = build_view_models(con, "2020", settings, dt.date(2021, 1, 4))
    by_cell = {(v.gemeentecode, v.kanaal): v for v in views}
    assert set(by_cell) == {("GM0637", "balie"), ("GM0503", "digitaal")}
    assert by_cell["GM0637", "balie"].gemeente == "Zoetermeer"
    assert by_cell["GM0503", "digitaal"].gemeente == "Delft"
    balie = by_cell["GM0637", "balie"].producten
    # listed products first in list order, then the one outside the list
    assert [s.naam for s in balie] == ["Paspoort en ID-kaart", "Rijbewijs", "Parkeervergunning"]
    assert balie[0].label == "Paspoort, ID\u2011kaart"  # the list's short name
    (vog,) = by_cell["GM0503", "digitaal"].producten
    assert (vog.naam, vog.label) == ("Verklaring omtrent het gedrag", "VOG")
