"""Disclosure control: nothing a factsheet hides can be worked out from what is published.

For the samples, the demo and generated folders: the published snapshot and its Parquet
files are attacked with every linear combination a BI user can form (tests/attack.py:
year minus the other quarters with exact x n, a cell minus its other products, exact BMs
against the municipalities' values, interval midpoints, and every published change since
an earlier period, the difference of two figures). No suppressed or withheld figure comes
out. The same attack on the internal layer (int_figures, which keeps the withheld
values, as the marts once published them) does recover figures, exactly, so the attack
is real and the test can fail; so does the attack with changes published between a shown
and a withheld figure (what kto_verandering would hold without its rule), and the attack
with the comparison groups' exact BMs of the internal layer (KTO_VERGELIJKINGSGROEPEN). On
the demo, the BMs withheld because their window closes a hidden share are exactly where the
disclosure audit, with them shown, finds a hidden share given away.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from kto_devtools.demo import random_dataset, write_demo_landing, write_landing

from dagster_project.disclosure.audit import Publication, audit
from dagster_project.disclosure.ledger import read_candidate
from dagster_project.ingest import load_landing
from dagster_project.publish import publish_marts
from dagster_project.publish.public_marts import PUBLIC_MARTS
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from tests.attack import recover
from tests.layers import Changes, Figures, internal_figures, public_changes, public_figures, records

pytestmark = pytest.mark.slow
DREMPEL = 10


def build(warehouse: Path, **env: str) -> Settings:
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse), **env})
    run = run_dbt(["build"], settings)
    assert run.ok, run.output
    return settings


def truth(warehouse: Path) -> dict:
    """The exact value of every figure (n > 0), from int_cell_figures' integers."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = records(con, "select * from intermediate.int_cell_figures where n > 0")
    return {
        (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"]): (
            int(r["teller"]) / int(r["noemer"])
        )
        for r in rows
    }


def layers(warehouse: Path, out: Path) -> tuple[Figures, Figures, Figures, Changes, Changes]:
    """(internal, the published snapshot, the published Parquet files, and the changes of
    the snapshot and of the Parquet files)."""
    published = publish_marts(warehouse, out)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        internal = internal_figures(con)
    with duckdb.connect(str(published.snapshot), read_only=True) as con:
        snapshot = public_figures(con, "main")
        snapshot_changes = public_changes(con, "main")
    with duckdb.connect() as con:
        con.execute("create schema pq")
        for table in PUBLIC_MARTS:
            path = published.parquet[table]
            con.execute(f"create view pq.{table} as select * from read_parquet('{path}')")
        parquet = public_figures(con, "pq")
        parquet_changes = public_changes(con, "pq")
    return internal, snapshot, parquet, snapshot_changes, parquet_changes


def unguarded_changes(changes: Changes, exact: dict) -> Changes:
    """Every pair of kto_verandering with the exact difference, shown or not: what the mart
    would publish without the rule that both figures be shown."""
    return [
        {**c, "verschil_exact": exact[c["key"]] - exact[c["key_vorig"]]}
        for c in changes
        if c["key"] in exact and c["key_vorig"] in exact
    ]


def assert_nothing_recovered(warehouse: Path, out: Path, *, internal_leaks: bool = True) -> dict:
    """The attack on the published forms finds nothing; on the internal layer (shaped like
    the marts before the public layer: only suppressed values NULL, exact BMs) it finds
    hidden figures, exactly, when ``internal_leaks``."""
    internal, snapshot, parquet, snapshot_changes, parquet_changes = layers(warehouse, out)
    assert set(snapshot) == set(internal)
    protected = {k for k, f in internal.items() if f["n"] > 0 and not f["publiceerbaar"]}
    assert protected, "the data must have hidden figures for the attack to mean anything"
    withheld = {k for k in protected if internal[k]["n"] >= DREMPEL}
    for name, public, changes in (
        ("snapshot", snapshot, snapshot_changes),
        ("parquet", parquet, parquet_changes),
    ):
        leaks = sorted(
            (k, c)
            for k in protected
            for c in ("value", "exact", "ci_low", "ci_high", "richting")
            if public[k][c] is not None
        )
        assert not leaks, f"{name}: hidden figures published: {leaks[:5]}"
        shown = {k for k, f in public.items() if f["publiceerbaar"]}
        change_leaks = [
            c
            for c in changes
            if not (c["key"] in shown and c["key_vorig"] in shown)
            and any(c[col] is not None for col in ("verschil_exact", "ci_low", "p_waarde"))
        ]
        assert not change_leaks, f"{name}: changes of hidden figures: {change_leaks[:3]}"
        found = recover(public, DREMPEL, changes)
        assert not found, f"{name}: recovered {sorted(found.items())[:5]}"
    exact = truth(warehouse)
    # Changes between a shown and a hidden figure would give the hidden one away, exactly.
    mixed = [
        c
        for c in snapshot_changes
        if (c["key"] in protected) != (c["key_vorig"] in protected)
        and c["key"] in exact
        and c["key_vorig"] in exact
    ]
    assert snapshot_changes, "the data must have changes for the attack to hold them"
    found = recover(snapshot, DREMPEL, unguarded_changes(snapshot_changes, exact))
    if mixed:  # (the demo hides no figure beside a shown one of the period before)
        assert found, "the attack recovers nothing even from changes of hidden figures"
    for key, value in found.items():
        assert math.isclose(value, exact[key], abs_tol=1e-6), (key, value, exact[key])
    # The same attack on what the marts published before does recover, and exactly.
    found = recover(internal, DREMPEL)
    recovered_hidden = {k: v for k, v in found.items() if k in protected}
    if internal_leaks:
        assert recovered_hidden, "the attack recovers nothing even from the internal layer"
    for key, value in recovered_hidden.items():
        assert math.isclose(value, exact[key], abs_tol=1e-6), (key, value, exact[key])
    # Shown figures are the internal ones, digit for digit.
    for key, f in internal.items():
        p = snapshot[key]
        if f["publiceerbaar"] and key[3] == "product":  # kto_product: no interval, no BM
            assert (p["value"], p["exact"]) == (f["value"], f["exact"]), key
        elif f["publiceerbaar"]:
            assert (p["value"], p["exact"], p["ci_low"], p["ci_high"], p["richting"]) == (
                f["value"],
                f["exact"],
                f["ci_low"],
                f["ci_high"],
                f["richting"] if p["bm"] is not None else None,
            ), key
        if p["bm"] is not None:
            assert p["bm"] == f["bm"], key
        if p["bm_exact"] is not None:
            assert p["bm_exact"] == f["bm_exact"], key
    return {
        "protected": len(protected),
        "withheld": len(withheld),
        "internal": recovered_hidden,
        "mixed_changes": len(mixed),
    }


def test_samples_published_forms_give_nothing_away(built_sample_warehouse, tmp_path):
    # The samples need no complementary suppression with the municipalities' BM: every
    # relation has none or several suppressed figures. The pooled BM below does leak.
    result = assert_nothing_recovered(
        built_sample_warehouse, tmp_path / "out", internal_leaks=False
    )
    # a change between a shown and a hidden figure would have given the hidden one away
    assert result["mixed_changes"]


def test_samples_with_pooled_benchmark(sample_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    build(warehouse, KTO_BENCHMARK_METHOD="respondenten")
    result = assert_nothing_recovered(warehouse, tmp_path / "out")
    # the pooled BM includes suppressed cells: exact, it gave a lone one away
    assert any(k[3] != "product" for k in result["internal"])


def test_samples_with_pooled_benchmark_and_comparison_groups(sample_warehouse, tmp_path):
    """The comparison groups' BMs (kto_vergelijkingsgroep) are relations the attack forms
    too: published under the rules they give nothing away; their exact values of the
    internal layer, published for every group (a group of three among them), do."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    codes = ["GM0627", "GM0637", "GM0644", "GM0651", "GM0658"]
    groups = tmp_path / "groepen.csv"
    rows = [f"Alle;{c}" for c in codes] + [f"Drie;{c}" for c in codes[1:4]]
    groups.write_text("groep;gemeentecode\n" + "\n".join(rows) + "\n", encoding="utf-8")
    build(warehouse, KTO_BENCHMARK_METHOD="respondenten", KTO_VERGELIJKINGSGROEPEN=str(groups))
    assert_nothing_recovered(warehouse, tmp_path / "out")
    _, snapshot, *_ = layers(warehouse, tmp_path / "again")
    assert {g for f in snapshot.values() for g in f.get("groepen", {})} == {"Alle", "Drie"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        internal = {
            (r["groep"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"]): r["bm_exact"]
            for r in records(con, "select * from intermediate.int_group_benchmarks")
            if r["indeling"] == "vergelijkingsgroep"
        }
    for key, f in snapshot.items():
        for groep in f.get("groepen", {}):
            f["groepen"][groep] = internal[(groep, *key[1:])]
    exact = truth(warehouse)
    found = recover(snapshot, DREMPEL)
    assert found, "exact group BMs over suppressed cells give nothing away?"
    for key, mean in found.items():
        assert math.isclose(mean, exact[key], abs_tol=1e-6), (key, mean, exact[key])


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory) -> Path:
    """The demo built by dbt (read only: the tests publish into folders of their own)."""
    root = tmp_path_factory.mktemp("demo")
    write_demo_landing(root / "landing")
    warehouse = root / "warehouse.duckdb"
    load_landing(root / "landing", warehouse)
    build(warehouse)
    return warehouse


def test_demo_published_forms_give_nothing_away(built_demo, tmp_path):
    assert_nothing_recovered(built_demo, tmp_path / "out")


def test_demo_bms_withheld_by_their_window_are_what_the_audit_finds(built_demo):
    """A rounded BM whose window, with the years, leaves a hidden member one whole count at
    most is not shown (int_benchmarks.bm_venster_sluit). On the demo that is what the audit
    used to find in four rounds of withholding (theme shares of a few responses, docs/
    metrics.md): the marts as built pass it at once, and each of those BMs shown again gives
    a hidden member of its own relation away, by its window (``by_bm``)."""
    candidate = read_candidate(built_demo)
    result = audit([candidate])
    assert result.passed, [f.text() for f in result.findings[:5]]
    with duckdb.connect(str(built_demo), read_only=True) as con:
        closing = {
            tuple(r[:4]): r[4] / 10 ** r[5]
            for r in con.execute(
                "select kanaal, periode, figuur_type, figuur, bm_scaled, decimalen "
                "from intermediate.int_benchmarks where bm_venster_sluit"
            ).fetchall()
        }
    assert closing, "the demo must have a BM whose window closes a hidden share"
    shown = {
        key: replace(f, bm=closing[key[1:]]) if key[1:] in closing else f
        for key, f in candidate.figures.items()
    }
    again = audit([Publication(candidate.version, candidate.drempel, shown)])
    assert again.findings and all(f.by_bm for f in again.findings)
    assert set(closing) <= {f.key[1:] for f in again.findings}


@pytest.mark.parametrize("seed", [31])
def test_generated_published_forms_give_nothing_away(tmp_path, seed):
    data = random_dataset(seed, municipalities=6, years=(2019, 2020), size=30)
    manifest = write_landing(tmp_path / "landing", data, seed=seed)
    warehouse = tmp_path / "warehouse.duckdb"
    load_landing(manifest.landing_dir, warehouse)
    # The models and the disclosure test only: this folder is about what can be worked out,
    # and a Wilson bound a hair above 100 (a range test, fixed where intervals are clipped)
    # must not hide that.
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    for args in (["run"], ["test", "--select", "disclosure_no_single_hidden"]):
        run = run_dbt(args, settings)
        assert run.ok, run.output
    assert_nothing_recovered(warehouse, tmp_path / "out")


def test_every_published_table_is_a_public_mart(built_sample_warehouse, tmp_path):
    """The snapshot holds exactly the public marts; nothing internal is copied."""
    published = publish_marts(built_sample_warehouse, tmp_path / "out")
    with duckdb.connect(str(published.snapshot), read_only=True) as con:
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert tables == set(PUBLIC_MARTS)
    assert set(published.parquet) == set(PUBLIC_MARTS)


def test_factsheets_follow_the_build_not_a_changed_setting(built_sample_warehouse, tmp_path):
    """Built with threshold 10, rendered with KTO_MIN_RESPONDENTS=5: the factsheets, their
    dashes and the report follow the marts."""
    import json

    from dagster_project.factsheets.output import write_periods
    from dagster_project.factsheets.view import build_period

    settings = Settings.from_env(
        {
            "KTO_WAREHOUSE": str(built_sample_warehouse),
            "KTO_OUTPUT_DIR": str(tmp_path / "out"),
            "KTO_MIN_RESPONDENTS": "5",
        }
    )
    periode = "2019-Q3"
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        views, skipped = build_period(con, periode, settings)
        cells = records(con, "select * from marts.kto_cel where periode = ?", [periode])
    between = [c for c in cells if 5 <= c["respons"] < DREMPEL]
    assert between, "the samples must have cells that only the changed setting would show"
    assert {(v.gemeentecode, v.kanaal) for v in views} == {
        (c["gemeentecode"], c["kanaal"]) for c in cells if c["respons"] >= DREMPEL
    }
    assert {(c["gemeentecode"], c["kanaal"]) for c in skipped} >= {
        (c["gemeentecode"], c["kanaal"]) for c in between
    }
    assert {v.drempel for v in views} == {DREMPEL}
    notes = {f.opmerking for v in views for f in [v.totaaloordeel, v.ces, *v.tabel]}
    assert "n < 5" not in notes and "n < 10" in notes
    result = write_periods([(periode, views, skipped)], settings)
    report = json.loads(result.periods[0].report.read_text(encoding="utf-8"))
    assert report["min_respondents"] == DREMPEL
    html = (result.periods[0].directory / f"{views[0].stem}.html").read_text(encoding="utf-8")
    assert "n &lt; 10" in html or "n < 10" in html
