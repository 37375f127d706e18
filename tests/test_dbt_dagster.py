"""The dbt models as Dagster assets: keys, groups, lineage from raw to marts, checks, pool,
and one materialization of them on the samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.transform.commands import prepare_manifest
from tests.conftest import settings_resources

RAW = {
    dg.AssetKey(["raw", t])
    for t in ("one2ten_responses", "openforms_submissions", "inviter_invitations")
}
STAGING = {
    dg.AssetKey(["staging", m])
    for m in ("stg_one2ten__responses", "stg_openforms__submissions", "stg_inviter__invitations")
}
MARTS = {
    dg.AssetKey(["marts", m])
    for m in ("kto_cel", "kto_aspect", "kto_stelling", "kto_product", "kto_tip")
}


@pytest.fixture(scope="module")
def dbt_defs():
    prepare_manifest()
    from dagster_project.defs import dbt as dbt_defs  # needs the manifest

    return dbt_defs


@pytest.fixture(scope="module")
def graph(dbt_defs):
    from dagster_project.defs.ingest import ingest_landing

    defs = dg.Definitions(
        assets=[ingest_landing, dbt_defs.kto_dbt_models],
        resources=settings_resources(dbt=dbt_defs.dbt_resource()),
    )
    return defs.resolve_asset_graph()


def upstream(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_keys_and_groups(dbt_defs, graph):
    models = set(dbt_defs.kto_dbt_models.keys)
    assert models >= STAGING | MARTS
    assert {k.path[0] for k in models} == {"staging", "intermediate", "marts"}
    for key in models:  # the group is the layer: staging, intermediate, marts
        assert graph.get(key).group_name == key.path[0], key
    for key in RAW:
        assert graph.get(key).group_name == "ingest"


def test_lineage_runs_from_raw_through_staging_to_the_marts(graph):
    for mart in MARTS:
        above = upstream(graph, mart)
        assert {
            dg.AssetKey(["raw", "one2ten_responses"]),
            dg.AssetKey(["raw", "openforms_submissions"]),
        } <= above, mart
        assert above & STAGING, mart
        assert any(k.path[0] == "intermediate" for k in above), mart
    assert upstream(graph, dg.AssetKey(["marts", "kto_cel"])) >= RAW | STAGING
    for stg in STAGING:
        assert graph.get(stg).parent_keys <= RAW and graph.get(stg).parent_keys


def test_dbt_tests_are_checks_on_their_models_not_blocking(dbt_defs):
    """They run in the dbt step at severity warn, so Dagster's blocking would stop nothing:
    quality/gate, downstream of their models, withholds what a failing test concerns. The
    manifest's severity is error (dbt test, kto check), which dagster-dbt calls blocking."""
    specs = list(dbt_defs.kto_dbt_models.check_specs)
    assert specs and not any(spec.blocking for spec in specs)
    assert all("(quality/gate)" in spec.description for spec in specs), [
        spec.name for spec in specs if "(quality/gate)" not in spec.description
    ]
    checked = {spec.asset_key for spec in specs}
    assert checked >= MARTS | STAGING
    # every model's row rules are one check (tests/generic/row_rules.sql)
    models = set(dbt_defs.kto_dbt_models.keys)
    assert {(s.asset_key, s.name) for s in specs if s.name.startswith("row_rules_")} == {
        (key, f"row_rules_{key.path[-1]}") for key in models
    }


def test_the_resource_asks_no_dbt_version_and_loads_no_adapter(dbt_defs, monkeypatch):
    """KtoDbtCliResource replaces two dagster-dbt internals: if they move, this fails."""
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dagster_dbt import DbtCliResource
    from dbt.version import __version__

    assert "_cli_version" in vars(DbtCliResource)
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = dbt_defs.dbt_resource()
    assert str(resource._cli_version) == __version__
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_runs_in_the_warehouse_pool(dbt_defs):
    assert dbt_defs.kto_dbt_models.op.pool == "kto_warehouse"


@pytest.mark.slow
def test_materialize_on_the_samples(dbt_defs, sample_warehouse: Path, tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, warehouse)
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    result = dg.materialize(
        [dbt_defs.kto_dbt_models], resources=settings_resources(dbt=dbt_defs.dbt_resource())
    )
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(dbt_defs.kto_dbt_models.keys)
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(list(dbt_defs.kto_dbt_models.check_specs))
    assert all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    # Row counts and column schemas for the UI, read from the warehouse after the build.
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in result.get_asset_materialization_events():
            schema, name = event.asset_key.path
            metadata = event.materialization.metadata
            (count,) = con.execute(f"select count(*) from {schema}.{name}").fetchone()
            assert metadata["dagster/row_count"].value == count, event.asset_key
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            shown = metadata["dagster/column_schema"].value.columns
            assert [(c.name, c.type) for c in shown] == columns, event.asset_key
            if schema == "marts":
                assert all(c.description for c in shown), event.asset_key


def test_run_targets_beyond_the_most_recent_are_pruned(tmp_path, monkeypatch):
    import os

    from dagster_project.defs import dbt as dbt_defs_module

    monkeypatch.setattr(dbt_defs_module, "RUN_TARGETS", tmp_path)
    for age, name in enumerate(["newest", "second", "third", "oldest"]):
        folder = tmp_path / name
        (folder / "compiled").mkdir(parents=True)
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    removed = dbt_defs_module.prune_run_targets(keep=2)
    assert sorted(f.name for f in removed) == ["oldest", "third"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["newest", "second"]


def test_the_run_results_are_read_while_the_warehouse_is_still_locked(
    dbt_defs, sample_warehouse: Path, tmp_path, monkeypatch
):
    """The next run on the warehouse shares the dbt target folder and starts by removing
    run_results.json: this run must read its artifacts before it lets go of the lock (a
    second `kto run` once found the file gone)."""
    import fcntl

    from dagster_project.warehouse.lock import lock_path

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, warehouse)
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    held = []
    original = dbt_defs.dbt_breaches

    def breaches_checking_the_lock(*args, **kwargs):
        with open(lock_path(warehouse), "a+") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(False)
                fcntl.flock(other, fcntl.LOCK_UN)
            except BlockingIOError:
                held.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(dbt_defs, "dbt_breaches", breaches_checking_the_lock)
    result = dg.materialize(
        [dbt_defs.kto_dbt_models], resources=settings_resources(dbt=dbt_defs.dbt_resource())
    )
    assert result.success
    assert held == [True]


# The longest check name the UI's asset-check list shows whole (at its default width).
MAX_CHECK_NAME = 40


def test_every_asset_check_says_what_it_checks_and_what_a_failure_does(definitions):
    """Every check of the code location (dbt tests through their meta.description, the GX
    suites, the disclosure audit, landing_files_used) has a description in the UI, and a
    short name."""
    graph = definitions.resolve_asset_graph()
    keys = graph.asset_check_keys
    assert len(keys) > 60  # the dbt tests are among them
    missing = []
    for key in keys:
        spec = graph.get_check_spec(key)
        if not (spec.description and len(spec.description) > 40):
            missing.append(f"{key.asset_key.to_user_string()}:{key.name}")
        assert len(key.name) <= MAX_CHECK_NAME, key.name
    assert missing == []
    dbt_checks = [
        graph.get_check_spec(k)
        for k in keys
        if k.name.startswith(("row_rules_", "unique_", "suppressed_"))
    ]
    assert dbt_checks and all("On failure" in c.description for c in dbt_checks)
