"""The pipeline (ingest + dbt build) on folders it never saw, held to the oracle.

The demo folder, and random folders with the quirks of real deliveries, are
written by the generator; the marts must equal tests/oracle.py's figures
computed from the ground truth, figure by figure, to the digit.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from kto_devtools.demo import random_dataset, write_demo_landing, write_landing

from tests import oracle
from tests.marts_compare import MIN_N, build, compare, published, records

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    manifest = write_demo_landing(root / "landing")
    return manifest, build(manifest.landing_dir, root)


def test_pipeline_reproduces_the_demo(demo):
    manifest, warehouse = demo
    problems = compare(warehouse, oracle.expected(manifest.truth, MIN_N, intervals=True))
    assert not problems, "\n".join(problems[:40])


def test_marts_reproduce_the_seed_factsheet(demo):
    """Every figure of zoetermeer_2020.json straight from the demo's marts, to the digit."""
    _, warehouse = demo
    ref = json.loads((FIXTURES / "zoetermeer_2020.json").read_text(encoding="utf-8"))
    code, year = ref["gemeente"]["code"], str(ref["jaar"])
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def one(sql: str, *params):
            found = records(con, sql.replace("?c", f"'{code}'"), *params)
            assert len(found) == 1, (sql, params, found)
            return found[0]

        for kanaal in ("balie", "digitaal"):
            want = ref[kanaal]
            cel = one(
                "select * from marts.kto_cel where gemeentecode = ?c and kanaal = ?"
                " and periode = ?",
                kanaal,
                year,
            )
            assert cel["gemeente"] == ref["gemeente"]["naam"]
            for figure in ("respons", "reviews", "verbetertips"):
                assert cel[figure] == want[figure], (kanaal, figure)
            for figure in ("totaaloordeel", "totaaloordeel_bm", "ces", "ces_bm"):
                assert published(cel[figure]) == published(want[figure]), (kanaal, figure)
            products = records(
                con,
                "select * from marts.kto_product where gemeentecode = ?"
                " and kanaal = ? and periode = ? order by volgorde",
                code,
                kanaal,
                year,
            )
            assert [(p["product"], p["respons"]) for p in products] == [
                (p["product"], p["n"]) for p in want["producten"]
            ]
            for p, w in zip(products, want["producten"], strict=True):
                if "totaaloordeel" in w:
                    assert published(p["totaaloordeel"]) == published(w["totaaloordeel"]), p
            for trend_year, grade in want.get("trend_totaaloordeel", {}).items():
                earlier = one(
                    "select totaaloordeel from marts.kto_cel where gemeentecode = ?c"
                    " and kanaal = ? and periode = ?",
                    kanaal,
                    trend_year,
                )
                assert published(earlier["totaaloordeel"]) == published(grade), trend_year
        for w in ref["balie"]["aspecten"]:
            a = one(
                "select * from marts.kto_aspect where gemeentecode = ?c and kanaal = 'balie'"
                " and periode = ? and aspect = ?",
                year,
                w["aspect"],
            )
            assert (published(a["score"]), published(a["bm"])) == (
                published(w["score"]),
                published(w["bm"]),
            ), w
        for w in ref["digitaal"]["stellingen_pct_eens"]:
            s = one(
                "select * from marts.kto_stelling where gemeentecode = ?c"
                " and kanaal = 'digitaal' and periode = ? and stelling = ?",
                year,
                w["stelling"],
            )
            assert (s["pct"], s["bm"]) == (w["pct"], w["bm"]), w


@pytest.mark.parametrize("seed", [101, 202])
def test_pipeline_on_a_random_folder_with_quirks(tmp_path, seed):
    data = random_dataset(seed, municipalities=5, years=(2019, 2020), size=45)
    manifest = write_landing(tmp_path / "landing", data, seed=seed, quirks=True)
    warehouse = build(manifest.landing_dir, tmp_path)
    problems = compare(warehouse, oracle.expected(manifest.truth, MIN_N, intervals=True))
    assert not problems, "\n".join(problems[:40])
    # Not vacuous: the figures of the data before the quirks blanked answers differ.
    assert compare(warehouse, oracle.expected(data, MIN_N))
