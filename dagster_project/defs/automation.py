"""Jobs, schedules and sensors: how the pipeline runs unattended.

Two jobs, because the factsheet periods are known only after ingest:
``ingest_job`` reads the landing folder and registers the periods;
``refresh_job`` builds staging and marts with dbt, runs the quality checks,
renders the factsheets of the periods it is given and publishes the snapshot. A
failing check stops nothing: ``quality/gate`` records what it withholds, and the
factsheet and publish steps leave that out (defs/gate.py). Every warehouse writer
runs in pool ``kto_warehouse`` (one at a time across runs, see
dagster_home/dagster.yaml), so runs queue in the UI; the warehouse's own lock
(warehouse/lock.py) is what keeps two writers apart.
"""

import hashlib
import json

import dagster as dg

from ..compat.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from ..ingest.loader import scan_landing
from ..settings import Settings
from . import names
from .ingest import LANDING_TOTALS, RAW_SPECS
from .partitions import PERIODE
from .settings_resource import KtoSettings

ingest_job = dg.define_asset_job(
    names.INGEST_JOB,
    selection=dg.AssetSelection.groups(names.INGEST_GROUP),
    description="Read new and changed landing files into raw.* and register their periods.",
)

refresh_job = dg.define_asset_job(
    names.REFRESH_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(names.INGEST_GROUP),
    description=(
        "dbt staging and marts, the quality checks and the gate, factsheets of the selected "
        "periods (a range runs as one run) and the published snapshot."
    ),
)


def period_range_tags(periods: list[str]) -> dict[str, str]:
    """Run tags that select the partitions ``periods[0]..periods[-1]`` in one run."""
    return {ASSET_PARTITION_RANGE_START_TAG: periods[0], ASSET_PARTITION_RANGE_END_TAG: periods[-1]}


def landing_fingerprint(settings: Settings) -> str:
    listing = [
        (f.file_path, f.size_bytes, f.modified_at.isoformat())
        for f in scan_landing(settings.landing_dir)
    ]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED
)
def landing_folder_sensor(context: dg.SensorEvaluationContext, kto_settings: KtoSettings):
    """Starts an ingest run when a file in the landing folder is added, changed or removed."""
    fingerprint = landing_fingerprint(kto_settings.settings())
    if fingerprint == context.cursor:
        return dg.SkipReason("landing folder unchanged")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=refresh_job,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def refresh_after_ingest(context: dg.RunStatusSensorContext):
    """After an ingest that read new data, rebuild the marts and the factsheets of every period.

    An ingest that read no file (only refused, held or unchanged files: its check on the raw
    assets says which) changed no data: no refresh, so no new published version with the same
    data. The factsheet step re-renders only the factsheets whose content changed.
    """
    run_id = context.dagster_run.run_id
    if files_read(context.instance, run_id) == 0:
        return dg.SkipReason(f"ingest run {run_id} read no new or changed file: no data changed")
    periods = context.instance.get_dynamic_partitions(PERIODE.name)
    if not periods:
        return dg.SkipReason("no periods with responses yet")
    return dg.RunRequest(run_key=context.dagster_run.run_id, tags=period_range_tags(periods))


def files_read(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """How many landing files an ingest run read (new or changed content); None: unknown."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is not None and materialization.asset_key == RAW_SPECS[0].key:
            totals = materialization.metadata.get(LANDING_TOTALS)
            return None if totals is None else int(totals.value.get("files_ingested", 0))
    return None


nightly_ingest = dg.ScheduleDefinition(
    name="nightly_ingest",
    job=ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    description="Picks up exports dropped during the day (the refresh follows on success).",
)


@dg.schedule(
    job=refresh_job,
    cron_schedule="0 6 1 1,4,7,10 *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def quarterly_refresh(context: dg.ScheduleEvaluationContext):
    """On the first day of a quarter: every period, so the closed quarter gets its factsheets."""
    periods = context.instance.get_dynamic_partitions(PERIODE.name)
    if not periods:
        return dg.SkipReason("no periods with responses yet")
    return dg.RunRequest(tags=period_range_tags(periods))


JOBS = [ingest_job, refresh_job]
SCHEDULES = [nightly_ingest, quarterly_refresh]
SENSORS = [landing_folder_sensor, refresh_after_ingest]
