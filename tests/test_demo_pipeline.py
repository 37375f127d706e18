"""The pipeline (ingest + dbt build) on folders it never saw, held to the oracle.

The demo folder, and random folders with the quirks of real deliveries, are
written by the generator; the marts must equal tests/oracle.py's figures
computed from the ground truth, figure by figure, to the digit.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.dbt_commands import run_dbt
from dagster_project.demo import random_dataset, write_demo_landing, write_landing
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests import oracle
from tests.layers import internal_figures

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures"
MIN_N = 10


def build(landing: Path, root: Path) -> Path:
    warehouse = root / "warehouse.duckdb"
    load_landing(landing, warehouse)
    run = run_dbt(["build"], Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}))
    assert run.ok, run.output
    return warehouse


def records(con, sql: str, *params) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def published(value):
    if value is None:
        return None
    return Decimal(str(value)) if isinstance(value, float) else value


def check_figure(where: str, want: dict, value, exact, n, problems: list[str]) -> None:
    if n != want["n"]:
        problems.append(f"{where}: n {n} != {want['n']}")
        return
    if value != published(want["value"]):
        problems.append(f"{where}: value {value!r} != {want['value']!r}")
    if want["n"] >= MIN_N and (exact is None or abs(exact - want["exact"]) > 1e-9):
        problems.append(f"{where}: exact {exact!r} != {want['exact']!r}")


def compare(warehouse: Path, want: dict) -> list[str]:
    """Every difference between the internal layer and the oracle, as readable lines.

    The internal layer (int_cells, int_figures) keeps every figure METRICS.md defines,
    withheld ones included; test_disclosure.py holds the public marts to it.
    """
    problems: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cel = {
            (r["gemeentecode"], r["kanaal"], r["periode"]): r
            for r in records(con, "select * from intermediate.int_cells")
        }
        figures = internal_figures(con)
        product_respons = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur"]): r["respons"]
            for r in records(
                con, "select * from intermediate.int_figures where figuur_type = 'product'"
            )
        }
    wanted_cells = {tuple(k.split("|")) for k in want["cells"]}
    if set(cel) != wanted_cells:
        problems.append(f"cells: extra {sorted(set(cel) - wanted_cells)[:5]}, "
                        f"missing {sorted(wanted_cells - set(cel))[:5]}")  # fmt: skip
    bm_seen: dict[tuple[str, str], set] = {}

    def check(key: str, figuur_type: str, figuur: str, fig: dict, bm_name: str | None) -> None:
        f = figures.get((*key.split("|"), figuur_type, figuur))
        if f is None:
            problems.append(f"{key} {figuur}: missing")
            return
        check_figure(f"{key} {figuur}", fig, f["value"], f["exact"], f["n"], problems)
        if bm_name:
            group = "|".join(key.split("|")[1:])
            bm_seen.setdefault((group, bm_name), set()).add(f["bm"])

    for key, exp in want["cells"].items():
        k = tuple(key.split("|"))
        if k not in cel:
            continue
        row = cel[k]
        for f in ("respons", "reviews", "verbetertips", "uitnodigingen"):
            if row[f] != exp[f]:
                problems.append(f"{key} {f}: {row[f]} != {exp[f]}")
        check(key, "totaaloordeel", "Totaaloordeel", exp["totaaloordeel"], "totaaloordeel")
        check(key, "ces", "CES", exp["ces"], "ces")
        for a, fig in exp["aspecten"].items():
            check(key, "aspect", a, fig, a)
        percentages = dict(exp.get("stellingen", {}))
        if "in_een_keer_geholpen" in exp:
            percentages[oracle.IN_EEN_KEER] = exp["in_een_keer_geholpen"]
        for s, fig in percentages.items():
            check(key, "stelling", s, fig, s)
        for p, fig in exp["producten"].items():
            got = product_respons.get((*k, p))
            if got != fig["respons"]:
                problems.append(f"{key} product {p}: respons {got} != {fig['respons']}")
            check(key, "product", p, fig, None)
    for group, figures_bm in want["benchmark"].items():
        for f, value in figures_bm.items():
            seen = bm_seen.get((group, f))
            if seen is not None and seen != {published(value)}:
                problems.append(f"BM {group} {f}: {sorted(map(str, seen))} != {value}")
    return problems


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    manifest = write_demo_landing(root / "landing")
    return manifest, build(manifest.landing_dir, root)


def test_pipeline_reproduces_the_demo(demo):
    manifest, warehouse = demo
    problems = compare(warehouse, oracle.expected(manifest.truth, MIN_N))
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
    problems = compare(warehouse, oracle.expected(manifest.truth, MIN_N))
    assert not problems, "\n".join(problems[:40])
    # Not vacuous: the figures of the data before the quirks blanked answers differ.
    assert compare(warehouse, oracle.expected(data, MIN_N))
