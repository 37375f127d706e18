"""The factsheet asset in Dagster: keys, partitions, a range run, metadata."""

from __future__ import annotations

import json

import dagster as dg

from dagster_project.compat.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_project.defs.factsheets import factsheets_pdf_html
from dagster_project.defs.partitions import PERIODE
from dagster_project.factsheets import MART_TABLES
from dagster_project.quality.suites import load_suites
from tests.conftest import settings_resources
from tests.test_factsheets import SAMPLES, marts_from_samples, write_marts


def _environment(tmp_path, monkeypatch):
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_samples())
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_MIN_RESPONDENTS", str(SAMPLES["min_n"]))
    instance = dg.DagsterInstance.ephemeral()
    periods = sorted({k.split("|")[2] for k in SAMPLES["cells"]}, key=lambda p: (p[:4], p[4:]))
    instance.add_dynamic_partitions(PERIODE.name, periods)
    return instance, periods


def _cells(periode: str, eligible: bool) -> int:
    return sum(
        1
        for k, c in SAMPLES["cells"].items()
        if k.split("|")[2] == periode and (c["respons"] >= SAMPLES["min_n"]) == eligible
    )


def test_asset_graph_contract():
    spec = factsheets_pdf_html
    assert spec.key == dg.AssetKey(["factsheets", "pdf_html"])
    assert spec.group_names_by_key[spec.key] == "factsheets"
    deps = {d for keys in spec.asset_deps.values() for d in keys}
    # the marts, and every model a GX suite guards: their blocking checks finish first
    guarded = {dg.AssetKey(list(a)) for s in load_suites().values() for a in s.assets()}
    assert deps == {dg.AssetKey(["marts", t]) for t in MART_TABLES} | guarded
    assert dg.AssetKey(["staging", "stg_one2ten__responses"]) in deps
    assert spec.partitions_def == PERIODE
    assert spec.backfill_policy == dg.BackfillPolicy.single_run()


def test_one_partition_writes_its_factsheets_and_reports_metadata(tmp_path, monkeypatch):
    instance, _ = _environment(tmp_path, monkeypatch)
    result = dg.materialize(
        [factsheets_pdf_html],
        instance=instance,
        resources=settings_resources(),
        partition_key="2020",
    )
    assert result.success
    [event] = result.asset_materializations_for_node("factsheets__pdf_html")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert event.partition == "2020"
    assert metadata["factsheets"] == _cells("2020", True)
    assert metadata["cells_skipped"] == _cells("2020", False)
    assert metadata["pages"] == 2 * metadata["factsheets"]
    assert metadata["figures_shown"] > 0 and metadata["figures_not_shown"] > 0
    folder = tmp_path / "output" / "factsheets" / "2020"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(report["factsheets"]) == metadata["factsheets"]
    assert str(folder / report["factsheets"][0]["pdf"]) in metadata["pdf_paths"]


def test_a_range_run_renders_every_period_and_a_rerun_renders_nothing(tmp_path, monkeypatch):
    """The run a range becomes (tags as the backfill policy and the sensors set them; that a
    backfill becomes this one run: test_automation.py) renders every period of the range."""
    instance, periods = _environment(tmp_path, monkeypatch)
    tags = {ASSET_PARTITION_RANGE_START_TAG: periods[0], ASSET_PARTITION_RANGE_END_TAG: periods[-1]}
    result = dg.materialize(
        [factsheets_pdf_html], instance=instance, resources=settings_resources(), tags=tags
    )
    assert result.success
    events = result.asset_materializations_for_node("factsheets__pdf_html")
    assert sorted(e.partition for e in events) == sorted(periods)
    metadata = {k: v.value for k, v in events[0].metadata.items()}
    assert metadata["factsheets"] == sum(_cells(p, True) for p in periods)
    for p in periods:
        assert (tmp_path / "output" / "factsheets" / p / "report.json").is_file()

    # Rerun: the marts did not change, so nothing is rendered again.
    again = dg.materialize(
        [factsheets_pdf_html], instance=instance, resources=settings_resources(), tags=tags
    )
    metadata = {
        k: v.value
        for k, v in again.asset_materializations_for_node("factsheets__pdf_html")[
            0
        ].metadata.items()
    }
    assert metadata["rendered"] == 0
    assert metadata["unchanged"] == metadata["factsheets"]


def test_readers_of_the_warehouse_queue_in_its_pool():
    """A read-only reader holds DuckDB's file lock: an ingest in another run opening the file
    meanwhile would fail. The factsheet and snapshot steps queue with the writers."""
    from dagster_project.defs.ingest import WAREHOUSE_POOL, ingest_landing
    from dagster_project.defs.publish import marts_snapshot

    assert ingest_landing.op.pool == WAREHOUSE_POOL
    assert factsheets_pdf_html.op.pool == WAREHOUSE_POOL
    assert marts_snapshot.op.pool == WAREHOUSE_POOL
