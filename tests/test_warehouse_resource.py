"""The ``kto_warehouse`` resource: the path ``kto`` and definitions.py give it, the lock and
connection it hands a step, and the failure when it disagrees with ``kto_settings``."""

import os

import dagster as dg

from dagster_project.defs.settings_resource import RESOURCE_KEY, KtoSettings, run_config_of
from dagster_project.defs.warehouse_resource import RESOURCE_KEY as WAREHOUSE_KEY
from dagster_project.defs.warehouse_resource import WarehouseResource
from dagster_project.settings import Settings
from dagster_project.warehouse.lock import holder


@dg.asset
def _writes(
    context: dg.AssetExecutionContext, kto_settings: KtoSettings, kto_warehouse: WarehouseResource
) -> str:
    path = kto_warehouse.check(kto_settings.settings())
    with kto_warehouse.lock(context), kto_warehouse.open(context) as con:
        con.execute("create or replace table t as select 42 as x")
        held_by = holder(path)
    with kto_warehouse.open(context, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(42,)]
    return held_by


def _run(run_config: dict) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=[_writes],
        resources={RESOURCE_KEY: KtoSettings(), WAREHOUSE_KEY: WarehouseResource()},
    )
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(run_config=run_config, raise_on_error=False)


def test_kto_run_config_sets_both_resources_to_its_warehouse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the defaults would be data/warehouse.duckdb here
    wanted = Settings.from_env({"KTO_WAREHOUSE": str(tmp_path / "elsewhere" / "w.duckdb")})
    result = _run(run_config_of(wanted))
    assert result.success
    assert f"pid {os.getpid()}" in result.output_for_node("_writes")  # the lock was held
    assert (tmp_path / "elsewhere" / "w.duckdb").is_file()
    assert not (tmp_path / "data").exists()


def test_a_run_whose_resources_name_two_warehouses_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = run_config_of(Settings.from_env({"KTO_WAREHOUSE": str(tmp_path / "a.duckdb")}))
    config["resources"][WAREHOUSE_KEY]["config"]["path"] = str(tmp_path / "b.duckdb")
    result = _run(config)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "b.duckdb" in failure.description and "a.duckdb" in failure.description
    assert not (tmp_path / "a.duckdb").exists() and not (tmp_path / "b.duckdb").exists()


def test_from_environment_reads_the_variable_when_the_run_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("KTO_WAREHOUSE", "first.duckdb")
    resource = WarehouseResource.from_environment()
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "later.duckdb"))
    seen = dg.build_resources({WAREHOUSE_KEY: resource})
    with seen as built:
        assert getattr(built, WAREHOUSE_KEY).location() == tmp_path / "later.duckdb"
    monkeypatch.delenv("KTO_WAREHOUSE")
    assert WarehouseResource.from_environment().location() == Settings.from_env().warehouse


def test_every_step_that_opens_the_warehouse_takes_the_resource_and_its_pool():
    from dagster_project.defs.dbt import kto_dbt_models
    from dagster_project.defs.disclosure import disclosure_audit
    from dagster_project.defs.factsheets import factsheets_pdf_html
    from dagster_project.defs.ingest import ingest_landing
    from dagster_project.defs.publish import marts_snapshot
    from dagster_project.defs.quality import QUALITY_CHECKS

    steps = [
        ingest_landing,
        kto_dbt_models,
        *QUALITY_CHECKS,
        disclosure_audit,
        factsheets_pdf_html,
        marts_snapshot,
    ]
    for step in steps:
        assert WAREHOUSE_KEY in step.required_resource_keys, step.node_def.name
        assert step.op.pool == WarehouseResource.POOL, step.node_def.name
