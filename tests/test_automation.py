"""Unattended runs: the landing-folder sensor, the quarterly schedule and the jobs' shape."""

from __future__ import annotations

import dagster as dg

from dagster_project.dagster_internals import (
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
