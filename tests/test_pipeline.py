"""`kto run` end to end on the samples: factsheets, published marts, no personal data,
rerun to the same result, and a failing blocking check that stops the factsheets."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import cli
from dagster_project.compat.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_project.publish import MART_TABLES
from dagster_project.settings import Settings
from tests.conftest import REFUSED_ON_PURPOSE, copy_samples, settings_resources

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    """The samples through `kto run` once; the module's tests only read the result."""
    root = tmp_path_factory.mktemp("pipeline")
    env = {
        "KTO_LANDING_DIR": str(copy_samples(root / "landing")),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        assert cli.main(["run"]) == 1
        settings = Settings.from_env()
    assert_only_the_samples_refused(settings)
    return settings


def assert_only_the_samples_refused(settings: Settings) -> None:
    """Exit 1 above is for the samples' files refused on purpose, and for nothing else."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("SELECT file_path FROM raw.rejected_files").fetchall()
    assert sorted(p for (p,) in rows) == sorted(REFUSED_ON_PURPOSE)
    assert (settings.output_dir / "marts.duckdb").is_file()


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_factsheet_for_every_cell_that_reaches_the_threshold(built, expected):
    factsheets = built.output_dir / "factsheets"
    for key, cell in expected["cells"].items():
        code, kanaal, periode = key.split("|")
        pdf = factsheets / periode / f"{code}_{kanaal}.pdf"
        html = pdf.with_suffix(".html")
        if cell["respons"] >= expected["min_n"]:
            assert pdf.is_file() and html.is_file(), key
            assert pdf.read_bytes().startswith(b"%PDF")
        else:
            assert not pdf.exists() and not html.exists(), key
            report = json.loads((factsheets / periode / "report.json").read_text())
            skipped = {(s["gemeentecode"], s["kanaal"]) for s in report["overgeslagen"]}
            assert (code, kanaal) in skipped, key


def test_published_snapshot_and_parquet_equal_the_marts(built):
    with duckdb.connect(str(built.warehouse), read_only=True) as warehouse:
        for table in MART_TABLES:
            want = sorted(map(repr, warehouse.execute(f"SELECT * FROM marts.{table}").fetchall()))
            with duckdb.connect(str(built.output_dir / "marts.duckdb"), read_only=True) as snap:
                # Opened as marts.duckdb, both names resolve for a BI tool.
                got = sorted(map(repr, snap.execute(f"SELECT * FROM marts.{table}").fetchall()))
                assert got == want, table
                assert snap.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == len(want)
            parquet = built.output_dir / "marts" / f"{table}.parquet"
            got = sorted(map(repr, duckdb.sql(f"SELECT * FROM '{parquet}'").fetchall()))
            assert got == want, table
            assert (built.output_dir / "marts" / f"{table}.csv").is_file(), table
    # the publish asset also publishes the dbt docs site (tests/test_snapshot_bi.py: content)
    assert (built.output_dir / "docs" / "index.html").stat().st_size > 100_000


def test_no_personal_data_leaves_the_raw_layer(built, expected):
    texts = []
    for path in (built.output_dir / "factsheets").rglob("*"):
        if path.suffix in (".html", ".json"):
            texts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".pdf":
            out = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
            )
            texts.append(out.stdout)
    for parquet in (built.output_dir / "marts").glob("*.parquet"):
        texts.append(repr(duckdb.sql(f"SELECT * FROM '{parquet}'").fetchall()))
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema <> 'raw'"
        ).fetchall():
            texts.append(repr(con.execute(f'SELECT * FROM {schema}."{table}"').fetchall()))
    corpus = "\n".join(texts)
    assert len(corpus) > 100_000
    leaked = [pii for pii in expected["pii"] if pii in corpus]
    assert leaked == []


def test_a_rerun_gives_the_same_result(built, tmp_path):
    before_output = tree_digest(built.output_dir / "factsheets")
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        before_marts = {
            t: sorted(map(repr, con.execute(f"SELECT * FROM marts.{t}").fetchall()))
            for t in MART_TABLES
        }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in built.as_env().items():
            mp.setenv(name, value)
        assert cli.main(["run"]) == 1
    assert_only_the_samples_refused(built)
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        after_marts = {
            t: sorted(map(repr, con.execute(f"SELECT * FROM marts.{t}").fetchall()))
            for t in MART_TABLES
        }
    assert after_marts == before_marts
    assert tree_digest(built.output_dir / "factsheets") == before_output


def test_a_failing_rule_on_a_cell_withholds_that_cell_only(built, tmp_path, monkeypatch):
    """The real checks and factsheet asset in one run, on a warehouse where one cell's
    products do not add up to the cell: the check fails, that cell's factsheet is withheld
    (report.json says by which rule) and the other cells of the period are written."""
    from dagster_project.defs.factsheets import factsheets_pdf_html
    from dagster_project.defs.gate import quality_gate
    from dagster_project.defs.partitions import PERIODE
    from dagster_project.defs.quality import QUALITY_CHECKS

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # the products of one cell no longer add up to it (a GX rule)
        con.execute(
            "UPDATE marts.kto_product SET respons = respons + 1 WHERE rowid = (SELECT min(rowid)"
            " FROM marts.kto_product WHERE (gemeentecode, kanaal, periode)"
            " = ('GM0637', 'balie', '2020'))"
        )
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))

    guarded = sorted({key for check in QUALITY_CHECKS for key in check.check_keys}, key=str)
    guarded_assets = sorted({k.asset_key for k in guarded}, key=str)

    @dg.multi_asset(specs=[dg.AssetSpec(k) for k in guarded_assets], can_subset=True)
    def models(context):
        """Stands in for dbt: the warehouse is already built."""
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PERIODE.name, ["2020", "2020-Q4"])
    result = dg.materialize(
        [models, quality_gate, factsheets_pdf_html, *QUALITY_CHECKS],
        instance=instance,
        resources=settings_resources(),
        tags={ASSET_PARTITION_RANGE_START_TAG: "2020", ASSET_PARTITION_RANGE_END_TAG: "2020-Q4"},
        raise_on_error=False,
    )

    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key.path[-1], e.check_name) for e in failed] == [("kto_product", "gx_marts")]
    assert "GM0637" in failed[0].metadata["sample_rows"].value
    assert result.success  # the factsheet step ran, and withheld the one cell
    # the gate, between the checks and the factsheets, recorded why
    [gate] = result.asset_materializations_for_node("quality__gate")
    assert gate.metadata["open"].value is False
    assert gate.metadata["withheld_cells"].value == "- GM0637/balie/2020"
    folder = tmp_path / "output" / "factsheets" / "2020"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    (held,) = report["achtergehouden"]
    assert (held["gemeentecode"], held["kanaal"]) == ("GM0637", "balie")
    assert held["regels"] == ["gx marts/product_respons_sums_to_cell"]
    assert not (folder / "GM0637_balie.pdf").exists()
    published = {f["pdf"] for f in report["factsheets"]}
    assert "GM0637_digitaal.pdf" in published and (folder / "GM0637_digitaal.pdf").exists()
    # the quarters are other cells: published
    q4 = json.loads((folder.parent / "2020-Q4" / "report.json").read_text(encoding="utf-8"))
    assert q4["achtergehouden"] == [] and q4["factsheets"]
