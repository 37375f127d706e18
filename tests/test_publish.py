"""Publishing: one switch for every published file, the public paths, cleaning up after a
killed publication. On a small hand-made warehouse: no dbt needed."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import (
    CURRENT,
    PUBLISHED,
    current_version,
    publish_marts,
)

TABLES = ("kto_cel", "kto_tip")


def make_warehouse(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table in TABLES:
            con.execute(f"CREATE OR REPLACE TABLE marts.{table} AS SELECT {value} AS v, 'x' AS t")
    return path


def published_values(output: Path) -> dict[str, int]:
    """What a reader of the public paths sees, per file."""
    got = {}
    with duckdb.connect(str(output / "marts.duckdb"), read_only=True) as con:
        for table in TABLES:
            got[f"snapshot.{table}"] = con.execute(f"SELECT v FROM marts.{table}").fetchone()[0]
    for table in TABLES:
        parquet = output / "marts" / f"{table}.parquet"
        got[f"parquet.{table}"] = duckdb.sql(f"SELECT v FROM '{parquet}'").fetchall()[0][0]
    return got


def test_public_paths_are_links_through_one_pointer(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", 1)
    output = tmp_path / "out"
    first = publish_marts(warehouse, output, TABLES)
    assert os.readlink(output / "marts.duckdb") == f"{PUBLISHED}/{CURRENT}/marts.duckdb"
    assert os.readlink(output / "marts") == f"{PUBLISHED}/{CURRENT}/marts"
    assert current_version(output).name == first.version
    assert set(published_values(output).values()) == {1}
    assert first.rows == {"kto_cel": 1, "kto_tip": 1}

    make_warehouse(warehouse, 2)
    second = publish_marts(warehouse, output, TABLES)
    assert second.version > first.version
    assert current_version(output).name == second.version
    assert set(published_values(output).values()) == {2}
    # The previous publication stays for readers still in it; nothing older.
    versions = sorted(p.name for p in (output / PUBLISHED).iterdir() if p.name != CURRENT)
    assert versions == [first.version, second.version]

    make_warehouse(warehouse, 3)
    third = publish_marts(warehouse, output, TABLES)
    versions = sorted(p.name for p in (output / PUBLISHED).iterdir() if p.name != CURRENT)
    assert versions == [second.version, third.version]
    assert f"{PUBLISHED}/{first.version}" in third.removed


def test_a_reader_holding_the_old_snapshot_keeps_reading_it(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", 1)
    output = tmp_path / "out"
    publish_marts(warehouse, output, TABLES)
    with duckdb.connect(str(output / "marts.duckdb"), read_only=True) as reader:
        make_warehouse(warehouse, 2)
        publish_marts(warehouse, output, TABLES)
        make_warehouse(warehouse, 3)
        publish_marts(warehouse, output, TABLES)  # removes the version the reader holds
        assert reader.execute("SELECT v FROM marts.kto_cel").fetchone()[0] == 1
    assert set(published_values(output).values()) == {3}


def test_a_killed_publication_is_invisible_and_cleaned_up_next_time(tmp_path):
    """What a kill at any point before the switch leaves: a half-written version folder,
    a pointer link being made, temporary files of the old layout and of factsheets."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", 1)
    output = tmp_path / "out"
    first = publish_marts(warehouse, output, TABLES)

    half = output / PUBLISHED / "v99999999T999999999999-1"  # newer than current, never switched
    (half / "marts").mkdir(parents=True)
    (half / "marts" / "kto_cel.parquet").write_bytes(b"PAR1 half")
    os.symlink(half.name, output / PUBLISHED / ".current.1.tmp")
    leftovers = [
        output / ".snapshot-4242.duckdb.tmp",
        output / ".marts.duckdb.4242.tmp",
        output / "factsheets" / "2020" / ".GM0637_balie.pdf.4242.tmp",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert current_version(output).name == first.version
    assert set(published_values(output).values()) == {1}  # readers never see the half one

    make_warehouse(warehouse, 2)
    second = publish_marts(warehouse, output, TABLES)
    assert set(published_values(output).values()) == {2}
    assert not half.exists()
    assert not (output / PUBLISHED / ".current.1.tmp").exists()
    for path in leftovers:
        assert not path.exists(), path
    names = sorted(p.name for p in (output / PUBLISHED).iterdir())
    assert names == sorted([CURRENT, first.version, second.version])


def test_the_old_layout_of_real_files_is_taken_over(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", 5)
    output = tmp_path / "out"
    (output / "marts").mkdir(parents=True)
    (output / "marts" / "kto_cel.parquet").write_bytes(b"old")
    (output / "marts" / ".kto_cel.parquet.tmp").write_bytes(b"old")
    (output / "marts.duckdb").write_bytes(b"old")
    publish_marts(warehouse, output, TABLES)
    assert (output / "marts").is_symlink() and (output / "marts.duckdb").is_symlink()
    assert set(published_values(output).values()) == {5}
    publish_marts(warehouse, output, TABLES)
    assert not [p for p in (output / PUBLISHED).iterdir() if p.name.startswith("old-")]


@pytest.mark.parametrize("table", TABLES)
def test_every_file_of_a_publication_holds_the_same_version(tmp_path, table):
    warehouse = make_warehouse(tmp_path / "w.duckdb", 7)
    output = tmp_path / "out"
    published = publish_marts(warehouse, output, TABLES)
    folder = output / PUBLISHED / published.version
    assert (folder / "marts" / f"{table}.parquet").resolve() == (
        output / "marts" / f"{table}.parquet"
    ).resolve()
    assert (folder / "marts.duckdb").resolve() == (output / "marts.duckdb").resolve()


def test_a_docs_site_is_published_beside_the_marts_and_a_foreign_docs_folder_kept(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", 1)
    site = tmp_path / "static_index.html"
    site.write_text("<html>docs 1</html>")
    output = tmp_path / "out"
    first = publish_marts(warehouse, output, TABLES, docs_site=site)
    assert os.readlink(output / "docs") == f"{PUBLISHED}/{CURRENT}/docs"
    assert first.docs == output / "docs" / "index.html"
    assert first.docs.read_text() == "<html>docs 1</html>"
    assert (output / "marts" / "kto_cel.csv").is_file()

    # someone's own docs/ folder in the output folder is not the pipeline's to replace
    other = tmp_path / "out2"
    (other / "docs").mkdir(parents=True)
    (other / "docs" / "mine.txt").write_text("keep")
    second = publish_marts(warehouse, other, TABLES, docs_site=site)
    assert (other / "docs" / "mine.txt").read_text() == "keep"
    assert second.docs.read_text() == "<html>docs 1</html>"


def test_the_docs_page_key_ignores_when_the_manifest_was_parsed(tmp_path, monkeypatch):
    """A manifest parsed again from the same project keys the same cached page; a changed
    project or marts column does not."""
    import json

    import duckdb

    from dagster_project.settings import Settings
    from dagster_project.transform import commands as dbt_commands

    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.kto_cel (periode varchar)")
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    manifest = tmp_path / "manifest.json"
    monkeypatch.setattr(dbt_commands, "MANIFEST_PATH", manifest)

    def key(created_at: float, generated_at: str, sql: str) -> str:
        node = {"raw_code": sql, "created_at": created_at, "config": {"created_at": created_at}}
        manifest.write_text(
            json.dumps({"metadata": {"generated_at": generated_at}, "nodes": {"m": node}})
        )
        return dbt_commands._docs_key(settings)

    first = key(1.0, "2026-01-01", "select 1")
    assert key(2.0, "2026-01-02", "select 1") == first
    assert key(2.0, "2026-01-02", "select 2") != first
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.kto_cel add column respons integer")
    assert key(1.0, "2026-01-01", "select 1") != first
