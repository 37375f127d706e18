"""dbt assets: staging, intermediate and marts (groups of the same names).

Every dbt model is an asset keyed by its schema and name (``staging/stg_one2ten__responses``,
``intermediate/int_cells``, ``marts/kto_cel``); the dbt sources are ``raw/<table>``, the
keys of the ingest assets, so the graph runs from each landing folder to each mart. dbt tests
are asset checks on the model they test, not blocking (see ``KtoDbtTranslator``). One
``dbt build`` per run, in one step
in the warehouse pool: DuckDB allows a single writer.

dbt's manifest is read when this module is imported. It is parsed here when missing, and
under ``dagster dev`` also when older than the dbt project, with the dbt next to this
interpreter (``DbtProject.prepare_if_dev`` would look for ``dbt`` on PATH, which a venv that
is not activated does not have); the ``kto`` command and the tests call
``dagster_project.transform.commands.prepare_manifest`` first, which also re-parses a stale one.
"""

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
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

from ..compat.dagster_dbt_internals import LeanDbtCliResource
from ..quality.dbt_breaches import dbt_breaches, row_rule_counts
from ..quality.gate import BREACHES
from ..settings import Settings
from ..transform.by_year import by_year_args, dbt_vars
from ..transform.commands import DBT_PROJECT_DIR, dbt_executable, prepare_manifest, with_vars
from ..warehouse import open_warehouse
from ..warehouse.catalog import table_facts
from . import names
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
RUN_TARGETS = DBT_PROJECT_DIR / "target" / "runs"
KEPT_RUN_TARGETS = 16  # warehouses whose dbt state is kept for partial parsing
# Under `dagster dev`, parsed anew when older than the project. A webserver or daemon started
# on its own (a deployment that runs them as two services, `dagster definitions validate` in
# a fresh clone) has no `kto` to prepare it: it is parsed once when missing. A deployment that
# ships a prepared manifest (`kto-dbt parse`, dbt/target/manifest.json) does not parse.
if using_dagster_dev() or not DBT_PROJECT.manifest_path.exists():
    prepare_manifest()


class KtoDbtTranslator(DagsterDbtTranslator):
    """Keys ``<schema>/<model>`` (sources: ``raw/<table>``); the group is the schema
    (staging, intermediate, marts), the layers of dbt's project structure."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None  # the ingest assets own raw/*
        return dbt_resource_props["schema"]

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check, declared not blocking: the tests run inside the dbt step, at
        severity warn (a failure stops nothing), and what gates is quality/gate, downstream of
        their models (dagster-dbt calls a test blocking when the manifest's severity is
        error, as the project's default is for ``dbt test`` and ``kto check``)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            blocking=False,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
        )


TRANSLATOR = KtoDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))
# The dbt unit tests check the models' SQL, not the data: CI runs them (tests/), the
# pipeline does not (a failing one would skip its model and everything downstream).
BUILD_ARGS = ["build", "--vars", "{test_severity: warn}", "--exclude-resource-type", "unit_test"]


def build_args(context: dg.AssetExecutionContext, settings: Settings) -> list[str]:
    """``dbt build`` as this run needs it: the settings and the build key as ``--vars`` (the
    process's environment is left alone: other threads of a run read it), and what the
    models built by year need (transform/by_year.py)."""
    every_model = set(context.selected_asset_keys) == set(context.assets_def.keys)
    return with_vars(BUILD_ARGS, dbt_vars(settings)) + by_year_args(
        settings, every_model=every_model
    )


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    name=names.DBT_STEP,
    pool=WarehouseResource.POOL,
)
def kto_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    kto_settings: KtoSettings,
    kto_warehouse: WarehouseResource,
):
    """One ``dbt build`` of the selected models and their tests (asset checks).

    The tests run at severity ``warn`` here (dbt_project.yml, ``test_severity``): with
    ``error``, ``dbt build`` skips every model downstream of a failing test, so one failing
    rule on a cell would leave every mart stale and withhold the country. Here every model is
    built, every test judged, and a failing test says in its result which cells or periods it
    withholds (``breaches``); quality/gate, downstream of every model, turns them into the
    verdict the factsheet and publish steps withhold by (docs/quality.md). One invocation,
    not ``dbt run`` then ``dbt test``: dbt's start and parse are a large part of a small run.
    """
    # One target folder per warehouse, kept between runs: dbt's partial parse state lives
    # there (a new folder would parse the whole project again), and the last run's artifacts
    # stay for inspection. Runs on one warehouse take turns in its lock, and share this folder.
    settings = kto_settings.settings()
    warehouse = kto_warehouse.check(settings)
    target = run_target(warehouse)
    target.mkdir(parents=True, exist_ok=True)
    os.utime(target)  # most recently used first when pruning
    prune_run_targets(keep=KEPT_RUN_TARGETS)
    with kto_warehouse.lock(context):
        (target / "run_results.json").unlink(missing_ok=True)
        args = build_args(context, settings)
        build = dbt.cli(args, context=context, target_path=target, raise_on_error=False)
        events = list(build.stream())
        # Still in the lock: the next run on this warehouse starts by removing this run's
        # run_results.json from the shared folder and then writes the warehouse. Row counts
        # and column schemas once dbt has released DuckDB's file lock (its process ended).
        events = list(with_table_metadata(context, events, warehouse))
        manifest = build.get_artifact("manifest.json")
        breaches = dbt_breaches(build.get_artifact("run_results.json"), manifest, warehouse)
    rule_counts = row_rule_counts(manifest, breaches, settings.gemeentecodes)
    for event in events:
        if not isinstance(event, dg.AssetCheckResult):
            yield event
            continue
        metadata = {**event.metadata, **rules_metadata(rule_counts.get(event.check_name))}
        if event.passed:
            yield dg.AssetCheckResult(
                asset_key=event.asset_key,
                check_name=event.check_name,
                passed=True,
                severity=event.severity,
                metadata=metadata,
                description=event.description,
            )
            continue
        found = breaches.get(event.check_name, [])
        for line in (line for b in found for line in b.text()):
            context.log.error(line)
        yield dg.AssetCheckResult(
            asset_key=event.asset_key,
            check_name=event.check_name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,  # withheld by the gate, see above
            metadata={**metadata, BREACHES: dg.MetadataValue.json([b.as_dict() for b in found])},
            description=event.description,
        )
    if build.process.returncode != 0:  # failing tests only warn: a model or dbt itself broke
        raise dg.Failure(
            f"dbt build exited with code {build.process.returncode}: {dbt_error(build, target)}"
        )


def rules_metadata(counts: Sequence[tuple[str, int]] | None) -> dict[str, Any]:
    """A ``row_rules`` check's rules, each its own line with its failing row count: the
    model's rules are one dbt test (one scan), and the UI still shows which rule broke."""
    if counts is None:
        return {}
    return {
        "rules": dg.MetadataValue.table(
            records=[dg.TableRecord({"rule": r, "failing_rows": n}) for r, n in counts],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("rule", "string"),
                    dg.TableColumn("failing_rows", "int"),
                ]
            ),
        ),
        "rules_evaluated": len(counts),
        "rules_failing": sum(1 for _, n in counts if n),
    }


PROGRESS_LINE = re.compile(r"\d+ of \d+ ERROR ")  # "59 of 88 ERROR creating ... [ERROR]"


def dbt_error(build, target: Path) -> str:
    """The first line of what made dbt fail (a full disk leaves its log empty): the first
    errored node's message in run_results.json (the database's own words), else dbt's first
    error event that is not a progress line."""
    with suppress(OSError, ValueError, KeyError, TypeError):
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
        for result in results["results"]:
            if result["status"] in ("error", "runtime error") and result.get("message"):
                lines = [line.strip() for line in result["message"].splitlines() if line.strip()]
                # "Runtime Error in model x (path)" heads the database's message
                cause = lines[1] if len(lines) > 1 and " Error in " in lines[0] else lines[0]
                return f"{result['unique_id']}: {cause}"
    error = build.get_error()
    parsed = str(error or "").split("Errors parsed from dbt logs:", 1)
    for line in parsed[1].splitlines() if len(parsed) == 2 else []:
        if line.strip() and not PROGRESS_LINE.match(line.strip()):
            return line.strip()
    return f"dbt gave no error message (its log: {target / 'dbt.log'})"


def run_target(warehouse: Path) -> Path:
    """The dbt target folder of a warehouse's builds."""
    return RUN_TARGETS / hashlib.sha256(str(warehouse).encode()).hexdigest()[:12]


def prune_run_targets(keep: int) -> list[Path]:
    """Remove all but the ``keep`` most recently used run target folders.

    Every warehouse gets a folder of about 10 MB (manifest, compiled SQL, partial-parse
    state), and test runs or trial warehouses would otherwise pile them up for good.
    """
    folders = sorted(
        (f for f in RUN_TARGETS.iterdir() if f.is_dir()),
        key=lambda f: f.stat().st_mtime,
        reverse=True,
    )
    for stale in folders[keep:]:
        shutil.rmtree(stale, ignore_errors=True)
    return folders[keep:]


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
        with open_warehouse(warehouse, read_only=True) as con:
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


class KtoDbtCliResource(LeanDbtCliResource):
    """dagster-dbt's resource without two costs a run of ours does not need: no ``dbt
    --version`` subprocess before every command (the version is the installed dbt-core's,
    pinned in pyproject.toml) and no dbt adapter loaded in this process (this project reads
    row counts and columns itself, ``with_table_metadata``). The two overrides are
    dagster-dbt internals, kept in ``compat/dagster_dbt_internals.py``."""


def dbt_resource() -> DbtCliResource:
    """The ``dbt`` resource the assets above need."""
    return KtoDbtCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
