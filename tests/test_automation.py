"""Unattended runs: the landing-folder sensor, the quarterly schedule and the jobs' shape."""

from __future__ import annotations

import dagster as dg

from dagster_project.compat.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_project.defs.automation import landing_folder_sensor, quarterly_refresh
from dagster_project.defs.partitions import PERIODE
from tests.conftest import settings_resources


def test_landing_sensor_requests_an_ingest_only_when_the_folder_changed(
    sample_landing, monkeypatch
):
    monkeypatch.setenv("KTO_LANDING_DIR", str(sample_landing))
    instance = dg.DagsterInstance.ephemeral()

    first = landing_folder_sensor(
        dg.build_sensor_context(instance=instance, resources=settings_resources())
    )
    assert isinstance(first, dg.RunRequest)
    cursor = first.run_key

    unchanged = landing_folder_sensor(
        dg.build_sensor_context(instance=instance, cursor=cursor, resources=settings_resources())
    )
    assert isinstance(unchanged, dg.SkipReason)

    (sample_landing / "inviter" / "nieuw.csv").write_text(
        "Gemeentecode;Kanaal;Verzonden op;E-mailadres;Status\n", encoding="utf-8"
    )
    changed = landing_folder_sensor(
        dg.build_sensor_context(instance=instance, cursor=cursor, resources=settings_resources())
    )
    assert isinstance(changed, dg.RunRequest) and changed.run_key != cursor


def test_quarterly_refresh_covers_every_registered_period():
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance) as context:
            assert isinstance(quarterly_refresh(context), dg.SkipReason)

        instance.add_dynamic_partitions(PERIODE.name, ["2019", "2019-Q1", "2020", "2020-Q4"])
        with dg.build_schedule_context(instance=instance) as context:
            request = quarterly_refresh(context)
    assert request.tags[ASSET_PARTITION_RANGE_START_TAG] == "2019"
    assert request.tags[ASSET_PARTITION_RANGE_END_TAG] == "2020-Q4"


def test_jobs_split_ingest_from_everything_downstream(definitions):
    graph = definitions.resolve_asset_graph()
    ingest = definitions.resolve_job_def("ingest_job")
    refresh = definitions.resolve_job_def("refresh_job")
    ingest_keys = set(ingest.asset_layer.executable_asset_keys)
    refresh_keys = set(refresh.asset_layer.executable_asset_keys)

    assert {k.path[0] for k in ingest_keys} == {"raw"}
    assert not ingest_keys & refresh_keys
    assert ingest_keys | refresh_keys == set(graph.get_all_asset_keys()) - {
        k for k in graph.get_all_asset_keys() if not graph.get(k).is_executable
    }
    assert dg.AssetKey(["factsheets", "pdf_html"]) in refresh_keys
    assert dg.AssetKey(["publish", "marts_snapshot"]) in refresh_keys
    assert dg.AssetKey(["factsheets", "portal"]) in refresh_keys


def test_the_instance_settings_load(tmp_path):
    """dagster_home/dagster.yaml is what `make dev` and scheduled runs start from."""
    import shutil
    from pathlib import Path

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).parents[1] / "dagster_home" / "dagster.yaml", home)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    finally:
        instance.dispose()


def test_one_connected_graph_from_each_landing_folder_to_the_outputs(definitions):
    graph = definitions.resolve_asset_graph()
    outputs = {
        dg.AssetKey(["factsheets", "pdf_html"]),
        dg.AssetKey(["factsheets", "portal"]),
        dg.AssetKey(["publish", "marts_snapshot"]),
    }
    for raw in ("one2ten_responses", "openforms_submissions", "inviter_invitations"):
        reached, frontier = set(), {dg.AssetKey(["raw", raw])}
        while frontier:
            key = frontier.pop()
            reached.add(key)
            frontier |= set(graph.get(key).child_keys) - reached
        assert outputs <= reached, raw
        assert dg.AssetKey(["marts", "kto_cel"]) in reached, raw


def test_a_backfill_of_a_range_of_periods_is_one_run(tmp_path):
    """The factsheet asset's BackfillPolicy.single_run, exercised by Dagster's own backfill
    loop (what the UI's "Materialize" over several partitions and the daemon do): a
    backfill of four periods submits exactly one run, tagged with the range."""
    import logging
    from pathlib import Path

    # Dagster's backfill machinery has no public test entry point: the daemon's iteration
    # over an in-process code location is what its own tests drive.
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.test_utils import InProcessTestWorkspaceLoadTarget
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._daemon.backfill import execute_backfill_iteration

    periods = ["2019", "2019-Q4", "2020", "2020-Q1"]
    factsheets = dg.AssetKey(["factsheets", "pdf_html"])
    origin = LoadableTargetOrigin(
        python_file=str(Path(__file__).with_name("backfill_definitions.py")),
        attribute="defs",
        working_directory=str(Path(__file__).parents[1]),
    )
    # Queued: the runs are only submitted, the test counts them and does not execute them.
    overrides = {
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        }
    }
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        instance.add_dynamic_partitions(PERIODE.name, periods)
        target = InProcessTestWorkspaceLoadTarget(InProcessCodeLocationOrigin(origin))
        with WorkspaceProcessContext(instance, target) as workspace:
            asset_graph = workspace.create_request_context().asset_graph
            policy = asset_graph.get(factsheets).backfill_policy
            assert policy == dg.BackfillPolicy.single_run()
            backfill = PartitionBackfill.from_asset_partitions(
                backfill_id="periodes",
                asset_graph=asset_graph,
                partition_names=periods,
                asset_selection=[factsheets],
                backfill_timestamp=0.0,
                tags={},
                dynamic_partitions_store=instance,
                all_partitions=False,
                title=None,
                description=None,
                run_config=None,
            )
            instance.add_backfill(backfill)
            for _ in range(3):  # one iteration requests the runs; the others find nothing left
                errors = list(execute_backfill_iteration(workspace, logging.getLogger("test")))
                assert not [e for e in errors if e is not None], errors
        runs = instance.get_runs()
    assert len(runs) == 1, [r.tags for r in runs]
    (run,) = runs
    assert run.tags[ASSET_PARTITION_RANGE_START_TAG] == periods[0]
    assert run.tags[ASSET_PARTITION_RANGE_END_TAG] == periods[-1]
    assert run.asset_selection == {factsheets}
