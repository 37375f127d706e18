"""The ingest assets in Dagster: metadata per source and the periods they register."""

from __future__ import annotations

import dagster as dg
import duckdb

from dagster_project.defs.ingest import ingest_landing
from dagster_project.defs.partitions import PERIODE
from tests.conftest import settings_resources


def test_ingest_asset_reports_per_source_and_registers_periods(
    tmp_path, sample_landing, expected, monkeypatch
):
    monkeypatch.setenv("KTO_LANDING_DIR", str(sample_landing))
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "w.duckdb"))
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize([ingest_landing], instance=instance, resources=settings_resources())

    assert result.success
    metadata = {
        m.asset_key.path[-1]: m.metadata
        for m in result.asset_materializations_for_node("ingest_landing")
    }
    one2ten = {k: v.value for k, v in metadata["one2ten_responses"].items()}
    files = {p: f for p, f in expected["files"].items() if p.startswith("one2ten/")}
    assert one2ten["rows_read"] == sum(f["rows"] for f in files.values())
    assert one2ten["rows_quarantined"] == sum(f["quarantined"] for f in files.values())
    assert one2ten["files_rejected"] == 1
    assert "export_zonder_gemeentecode.csv" in one2ten["files"]

    periods = instance.get_dynamic_partitions(PERIODE.name)
    want = {key.split("|")[2] for key in expected["cells"]}
    assert set(periods) == want
    assert periods == sorted(periods, key=lambda p: (p[:4], p[4:]))

    # A second run reads nothing again and adds no period.
    again = dg.materialize([ingest_landing], instance=instance, resources=settings_resources())
    second = {
        m.asset_key.path[-1]: m.metadata
        for m in again.asset_materializations_for_node("ingest_landing")
    }
    assert second["one2ten_responses"]["files_ingested"].value == 0
    assert instance.get_dynamic_partitions(PERIODE.name) == periods

    # dagster/row_count is the raw table's size after the run (the UI's row count), not the
    # run's delta: the same after a run that read nothing.
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for table in ("one2ten_responses", "openforms_submissions", "inviter_invitations"):
            (rows,) = con.execute(f"select count(*) from raw.{table}").fetchone()
            assert rows > 0, table
            assert metadata[table]["dagster/row_count"].value == rows, table
            assert second[table]["dagster/row_count"].value == rows, table
            assert second[table]["rows_accepted"].value == 0, table


def test_a_held_file_is_in_the_ingest_metadata_and_in_what_kto_run_reads(
    tmp_path, sample_landing, monkeypatch
):
    from dagster_project.defs.ingest import HELD_FILES, held_files_of
    from tests.test_ingest_redelivery import BALIE_2020, comma_copy

    monkeypatch.setenv("KTO_LANDING_DIR", str(sample_landing))
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "w.duckdb"))
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([ingest_landing], instance=instance, resources=settings_resources())
    assert held_files_of(first) == []

    comma_copy(sample_landing / BALIE_2020)
    for _ in range(2):  # the hold is reported on every run until it is resolved
        result = dg.materialize([ingest_landing], instance=instance, resources=settings_resources())
        assert result.success
        metadata = {
            m.asset_key.path[-1]: m.metadata
            for m in result.asset_materializations_for_node("ingest_landing")
        }
        assert metadata["one2ten_responses"]["files_held"].value == 1
        assert metadata["openforms_submissions"][HELD_FILES].value == []
        (line,) = held_files_of(result)
        assert line.startswith(f"{BALIE_2020}: header has no ';' delimiter")
