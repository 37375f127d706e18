"""A factsheet run that reads the warehouse while an ingest run writes it: both succeed.

Two runs of the multiprocess executor on one persistent instance, started together: the
ingest step writes raw.* while the factsheet step wants to read the marts. DuckDB refuses
a second process outright; the warehouse lock (dagster_project/warehouse/lock.py) makes
the later step wait instead, so neither run fails.
"""

from __future__ import annotations

import multiprocessing

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.partitions import PERIODE
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from tests.concurrency_jobs import execute
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
    (home / "dagster.yaml").write_text("", encoding="utf-8")  # a persistent sqlite instance
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(PERIODE.name, ["2020"])
    spawn = multiprocessing.get_context("spawn")
    processes = {
        "ingest": spawn.Process(target=execute, args=("ingest", str(home), {})),
        "factsheets": spawn.Process(
            target=execute, args=("factsheets", str(home), {"dagster/partition": "2020"})
        ),
    }
    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join(timeout=600)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = {r.job_name: r for r in instance.get_runs()}
        assert set(runs) == {"ingest", "factsheets"}
        for name, run in runs.items():
            failures = [
                r.dagster_event.message
                for r in instance.all_logs(run.run_id)
                if r.is_dagster_event and r.dagster_event.is_failure
            ]
            assert run.status == dg.DagsterRunStatus.SUCCESS, (name, failures)
            assert processes[name].exitcode == 0, name
        ingest_window = _window(instance, runs["ingest"].run_id)
        factsheet_window = _window(instance, runs["factsheets"].run_id)
    # the runs were under way at the same time (else this tests nothing)
    assert ingest_window[0] < factsheet_window[1] and factsheet_window[0] < ingest_window[1], (
        ingest_window,
        factsheet_window,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (loaded,) = con.execute(
            "select count(*) from raw.openforms_submissions where source_file = ?", [NEW_FILE]
        ).fetchone()
    assert loaded > 0
    assert list((tmp_path / "output" / "factsheets" / "2020").glob("*.pdf"))
