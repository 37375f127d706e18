"""dbt assets: staging, intermediate and marts (groups ``staging`` and ``marts``).

Every dbt model is an asset keyed by its schema and name (``staging/stg_one2ten__responses``,
``intermediate/int_cells``, ``marts/kto_cel``); the dbt sources are ``raw/<table>``, the
keys of the ingest assets, so the graph runs from each landing folder to each mart. dbt tests
are blocking asset checks on the model they test. One ``dbt run`` and one ``dbt test``
per run, in one step in the warehouse pool: DuckDB allows a single writer.

The manifest must exist before this module is imported. Under ``dagster dev`` it is
(re)built here when missing or older than the dbt project, with the dbt next to this
interpreter (``DbtProject.prepare_if_dev`` would look for ``dbt`` on PATH, which a venv that
is not activated does not have); everything else calls
``dagster_project.dbt_commands.prepare_manifest`` first (the ``kto`` command, the tests).
"""

import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import using_dagster_dev

from ..dbt_commands import DBT_PROJECT_DIR, dbt_executable, prepare_manifest
from ..quality.dbt_breaches import dbt_breaches
from ..quality.gate import BREACHES
from ..settings import Settings
from ..warehouse_catalog import table_facts
from ..warehouse_lock import warehouse_lock
from .ingest import WAREHOUSE_POOL
from .settings_resource import KtoSettings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
RUN_TARGETS = DBT_PROJECT_DIR / "target" / "runs"
if using_dagster_dev():
    prepare_manifest()


class KtoDbtTranslator(DagsterDbtTranslator):
    """Keys ``<schema>/<model>`` (sources: ``raw/<table>``); groups staging and marts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None  # the ingest assets own raw/*
        return "marts" if dbt_resource_props["schema"] == "marts" else "staging"


TRANSLATOR = KtoDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))


@contextmanager
def _settings_in_environment(settings: Settings) -> Iterator[None]:
    """dbt runs in its project directory: hand it the settings with absolute paths."""
    env = settings.as_env()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    name="kto_dbt_models",
    pool=WAREHOUSE_POOL,
)
def kto_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, kto_settings: KtoSettings
):
    """``dbt run`` of the selected models, then ``dbt test`` of them (blocking checks).

    Not ``dbt build``: it skips every model downstream of a failing test, so one failing
    rule on a cell would leave every mart stale and withhold the country. Here every model
    is built, every test judged, and a failing test says in its result which cells or
    periods it withholds (``breaches``); the factsheet and publish steps, which start only
    after every check, withhold exactly those (docs/quality.md).
    """
    # One target folder per warehouse, emptied before each run: it keeps the last run's
    # artifacts for inspection without one more folder per run (a nightly schedule would
    # pile them up). Runs on one warehouse never overlap: its writers share one pool slot.
    settings = kto_settings.settings()
    warehouse = settings.warehouse
    target = RUN_TARGETS / hashlib.sha256(str(warehouse).encode()).hexdigest()[:12]
    with warehouse_lock(warehouse, on_wait=context.log.info):
        shutil.rmtree(target, ignore_errors=True)
        with _settings_in_environment(settings):
            run = dbt.cli(["run"], context=context, target_path=target)
            built, failure = [], None
            try:
                for event in run.stream():
                    built.append(event)
            except Exception as error:  # a failed run still reports what it built, then fails
                failure = error
            yield from with_table_metadata(context, built, warehouse)
            if failure is not None:
                raise failure
            tests = dbt.cli(["test"], context=context, target_path=target, raise_on_error=False)
            events = list(tests.stream())
        breaches = dbt_breaches(
            tests.get_artifact("run_results.json"), tests.get_artifact("manifest.json"), warehouse
        )
        by_check = {b.rule.removeprefix("dbt "): b for b in breaches.values()}
        for event in events:
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                found = by_check.get(event.check_name)
                if found is not None:
                    for line in found.text():
                        context.log.error(line)
                yield dg.AssetCheckResult(
                    asset_key=event.asset_key,
                    check_name=event.check_name,
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,  # withheld by the gate, see above
                    metadata={
                        **event.metadata,
                        BREACHES: dg.MetadataValue.json([found.as_dict()] if found else []),
                    },
                    description=event.description,
                )
            else:
                yield event
        if tests.process.returncode not in (0, 1):  # 1: tests failed; anything else: dbt broke
            raise dg.Failure(f"dbt test exited with code {tests.process.returncode}")


def with_table_metadata(
    context: dg.AssetExecutionContext, events: list[Any], warehouse
) -> Iterator[Any]:
    """The dbt events, each built model's with its row count and column schema.

    Read through one read-only connection once dbt has released the warehouse, rather
    than dagster-dbt's ``fetch_row_counts()``, which opens a connection per model while
    the dbt process still holds DuckDB's single write lock.
    """
    keys = {
        id(event): context.asset_key_for_output(event.output_name)
        for event in events
        if isinstance(event, dg.Output)
    }
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            facts = table_facts(con, [tuple(key.path) for key in keys.values()])
    except duckdb.Error as error:  # metadata is a courtesy: never fail the build over it
        context.log.warning(f"row counts and column schemas not read: {error}")
        facts = {}
    specs = context.assets_def.specs_by_key
    for event in events:
        found = facts.get(tuple(keys[id(event)].path)) if id(event) in keys else None
        if found is None:
            yield event
            continue
        documented = specs[keys[id(event)]].metadata.get("dagster/column_schema")
        descriptions = {c.name: c.description for c in documented.columns} if documented else {}
        yield event.with_metadata(
            {
                **event.metadata,
                "dagster/row_count": dg.MetadataValue.int(found.row_count),
                "dagster/column_schema": dg.TableSchema(
                    columns=[
                        dg.TableColumn(
                            name=c.name,
                            type=c.data_type,
                            description=descriptions.get(c.name),
                            constraints=dg.TableColumnConstraints(nullable=c.nullable),
                        )
                        for c in found.columns
                    ]
                ),
            }
        )


def dbt_resource() -> DbtCliResource:
    """The ``dbt`` resource the assets above need."""
    return DbtCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
