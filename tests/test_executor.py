"""Runs from the daemon and the UI fork their steps from a preloaded forkserver.

A run launched with partition-range tags (the UI's partition picker, the sensors, a
backfill) carries no executor config of its own; the forkserver must come from the
executor, not from a job's default config (which such runs ignore: every step was a fresh
interpreter importing Dagster, dagster-dbt and Great Expectations again).
"""

import dagster as dg

from dagster_project.defs.automation import period_range_tags
from dagster_project.defs.executor import STEP_EXECUTOR
from tests import executor_jobs


def test_every_job_of_the_code_location_uses_the_forkserver_executor(definitions):
    for name in ("ingest_job", "refresh_job"):
        assert definitions.resolve_job_def(name).executor_def is STEP_EXECUTOR, name


def test_a_range_run_without_run_config_forks_its_steps_from_the_preloaded_forkserver(
    tmp_path, definitions
):
    # ``definitions``: the forkserver preloads them, and they need dbt's manifest.
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.execute_job(
            dg.reconstructable(executor_jobs.job),
            instance=instance,
            tags=period_range_tags(["2020", "2021"]),
        )
        assert result.success
        materializations = result.asset_materializations_for_node("step_process")
    assert {m.partition for m in materializations} == {"2020", "2021"}  # one step, both
    for materialization in materializations:
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        # A forkserver's children carry its command line; spawned ones run spawn_main.
        assert "multiprocessing.forkserver" in metadata["command"], metadata["command"]
        assert metadata["great_expectations_loaded"] is True
