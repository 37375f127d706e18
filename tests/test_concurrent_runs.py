"""A factsheet run that reads the warehouse while an ingest run writes it: both succeed.

Two runs of the multiprocess executor on one persistent instance, started together: the
ingest step writes raw.* while the factsheet step wants to read the marts. DuckDB refuses
a second process outright; the warehouse lock (dagster_project/warehouse_lock.py) makes
the later step wait instead, so neither run fails.
"""

from __future__ import annotations

import threading
import time

import dagster as dg
import duckdb
import pytest

from dagster_project.dbt_commands import run_dbt
from dagster_project.defs.partitions import PERIODE
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests.concurrency_jobs import factsheets_job, ingest_job
from tests.conftest import copy_samples

pytestmark = pytest.mark.slow

NEW_FILE = "openforms/kto_digitaal_nalevering.csv"


def _window(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float]:
    """When the run's step ran: from its step start to its last step event."""
    records = instance.all_logs(run_id)
    steps = [r.timestamp for r in records if r.is_dagster_event and r.dagster_event.step_key]
    return min(steps), max(steps)


def test_a_factsheet_read_during_an_ingest_waits_and_neither_fails(tmp_path, monkeypatch):
    landing = copy_samples(tmp_path / "landing")
    warehouse = tmp_path / "warehouse.duckdb"
    env = {
        "KTO_LANDING_DIR": str(landing),
        "KTO_WAREHOUSE": str(warehouse),
        "KTO_OUTPUT_DIR": str(tmp_path / "output"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    load_landing(landing, warehouse)
    run = run_dbt(["build"], Settings.from_env(env))
    assert run.ok, run.output
    # a late delivery: the ingest run has a file to write while the factsheets read
    (landing / NEW_FILE).write_text(
        (landing / "openforms" / "kto_digitaal_2019.csv").read_text(encoding="utf-8"),
        encoding="utf-8",
    )

    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        instance.add_dynamic_partitions(PERIODE.name, ["2020"])
        results: dict[str, dg.ExecuteJobResult] = {}

        def execute(name, job, tags=None):
            results[name] = dg.execute_job(dg.reconstructable(job), instance=instance, tags=tags)

        threads = [
            threading.Thread(target=execute, args=("ingest", ingest_job)),
            threading.Thread(
                target=execute, args=("factsheets", factsheets_job, {"dagster/partition": "2020"})
            ),
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.monotonic() - started

        for name, result in results.items():
            failures = [e.message for e in result.all_events if e.is_failure]
            assert result.success, (name, failures)
        assert set(results) == {"ingest", "factsheets"}
        ingest_window = _window(instance, results["ingest"].run_id)
        factsheet_window = _window(instance, results["factsheets"].run_id)
    # the runs were under way at the same time (else this tests nothing)
    assert ingest_window[0] < factsheet_window[1] and factsheet_window[0] < ingest_window[1], (
        ingest_window,
        factsheet_window,
        elapsed,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (loaded,) = con.execute(
            "select count(*) from raw.openforms_submissions where source_file = ?", [NEW_FILE]
        ).fetchone()
    assert loaded > 0
    assert list((tmp_path / "output" / "factsheets" / "2020").glob("*.pdf"))
