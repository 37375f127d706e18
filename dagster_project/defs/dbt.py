"""dbt assets: staging, intermediate and marts (groups ``staging`` and ``marts``).

Every dbt model is an asset keyed by its schema and name (``staging/stg_one2ten__responses``,
``intermediate/int_cells``, ``marts/kto_cel``); the dbt sources are ``raw/<table>``, the
keys of the ingest assets, so the graph runs from each landing folder to each mart. dbt tests
are blocking asset checks on the model they test. One ``dbt build`` per run, in the
warehouse pool: DuckDB allows a single writer.

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
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import using_dagster_dev

from ..dbt_commands import DBT_PROJECT_DIR, dbt_executable, prepare_manifest
from ..settings import Settings
from ..warehouse_lock import warehouse_lock
from .ingest import WAREHOUSE_POOL

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
def _settings_in_environment() -> Iterator[None]:
    """dbt runs in its project directory: hand it the settings with absolute paths."""
    settings = Settings.from_env().as_env()
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
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
def kto_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """``dbt build`` of the selected models and their tests (blocking checks)."""
    # One target folder per warehouse, emptied before each run: it keeps the last run's
    # artifacts for inspection without one more folder per run (a nightly schedule would
    # pile them up). Runs on one warehouse never overlap: its writers share one pool slot.
    warehouse = Settings.from_env().warehouse
    target = RUN_TARGETS / hashlib.sha256(str(warehouse).encode()).hexdigest()[:12]
    with warehouse_lock(warehouse, on_wait=context.log.info):
        shutil.rmtree(target, ignore_errors=True)
        with _settings_in_environment():
            invocation = dbt.cli(["build"], context=context, target_path=target)
        yield from invocation.stream()


def dbt_resource() -> DbtCliResource:
    """The ``dbt`` resource the assets above need."""
    return DbtCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
