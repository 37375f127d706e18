"""`kto check` (quality.cli.run_checks): output and exit code, synthetic and dbt-built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.quality.cli import run_checks
from dagster_project.settings import Settings
from tests.test_quality_warehouse import build_warehouse


def _settings(warehouse: Path, output: Path) -> Settings:
    return Settings.from_env({"KTO_WAREHOUSE": str(warehouse), "KTO_OUTPUT_DIR": str(output)})


def _products_not_summing_up(warehouse: Path) -> None:
    """A GX rule (the products of a cell add up to the cell) fails on one cell."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.kto_product set respons = respons + 1 where rowid = "
            "(select min(rowid) from marts.kto_product)"
        )


def _grade_of_11(warehouse: Path) -> None:
    """A dbt test (row_rules_kto_cel: totaaloordeel in 1..10) fails on one cell."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.kto_cel set totaaloordeel = 11 where rowid = "
            "(select min(rowid) from marts.kto_cel where totaaloordeel is not null)"
        )


def test_exit_codes_and_output(tmp_path):
    settings = _settings(build_warehouse(tmp_path / "w.duckdb"), tmp_path / "out")
    lines: list[str] = []

    assert run_checks(settings, dbt_tests=False, out=lines.append) == 0
    assert "All rules hold." in lines[-1]

    _products_not_summing_up(settings.warehouse)
    lines.clear()
    assert run_checks(settings, dbt_tests=False, out=lines.append) == 1
    assert "FAIL marts/product_respons_sums_to_cell on kto_product_totalen" in lines[-1]
    assert ": 1 rows" in lines[-1]


def test_no_warehouse(tmp_path):
    lines: list[str] = []
    code = run_checks(_settings(tmp_path / "none.duckdb", tmp_path), out=lines.append)
    assert code == 2 and "kto run" in lines[0]


def test_kto_check_without_a_warehouse_leaves_nothing_behind(tmp_path):
    """`kto check` as a user types it, on a warehouse that does not exist: exit 2 with the
    path, and no lock file (or anything else) left in the folder."""
    env = {"KTO_WAREHOUSE": str(tmp_path / "none.duckdb"), "KTO_OUTPUT_DIR": str(tmp_path / "o")}
    kto = Path(sys.executable).parent / "kto"
    run = subprocess.run(
        [str(kto), "check"], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert str(tmp_path / "none.duckdb") in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_warehouse_held_by_a_writer(tmp_path, monkeypatch):
    """A reader waits for a writer's DuckDB lock (warehouse/lock.py); when the wait runs out
    (shortened here from the minutes an orphaned build may take), kto check says it cannot
    read the warehouse and exits 2."""
    import dagster_project.warehouse.connection as connection

    monkeypatch.setattr(connection, "DUCKDB_WAIT_SECONDS", 1.0)
    settings = _settings(build_warehouse(tmp_path / "w.duckdb"), tmp_path / "out")
    lines: list[str] = []
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(settings.warehouse)], stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout.readline().strip() == b"holding"
        code = run_checks(settings, dbt_tests=False, out=lines.append)
    finally:
        writer.kill()
        writer.wait()
    assert code == 2 and "cannot read" in lines[-1]
    # the wait was said, once, before it ran out (not minutes of silence)
    assert [line for line in lines if line.startswith("waiting for")] == lines[:1]


HOLD_WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_kto_check_on_the_dbt_built_sample_warehouse(sample_warehouse, tmp_path):
    """The samples through dbt: every dbt test and GX rule holds; a grade of 11 fails a dbt
    test, products that do not add up fail a GX rule, and `kto check` reports both."""
    from dagster_project.transform.commands import run_dbt

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    settings = _settings(warehouse, tmp_path / "out")
    build = run_dbt(["build"], settings)
    assert build.ok, build.output[-2000:]  # dbt build ran every dbt test: they hold

    lines: list[str] = []
    assert run_checks(settings, dbt_tests=False, out=lines.append) == 0, "\n".join(lines)
    assert "All rules hold." in lines[-1]

    _grade_of_11(warehouse)
    _products_not_summing_up(warehouse)
    lines.clear()
    assert run_checks(settings, out=lines.append) == 1
    text = "\n".join(lines)
    assert "FAIL marts/product_respons_sums_to_cell" in text
    assert lines[0].startswith("dbt tests: ") and "FAIL dbt test.kto.row_rules_kto_cel." in text
    assert "accepted_range(totaaloordeel, 1, 10)" in text
