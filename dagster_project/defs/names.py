"""The names Dagster knows this project's jobs, groups, steps, assets and checks by, each
written once: the definitions take them from here, and ``kto run``'s report and phases
(dagster_project/cli/) match Dagster's events by them. Plain strings, so that reading them
imports nothing of Dagster."""

# jobs (defs/automation.py)
INGEST_JOB = "ingest_job"
REFRESH_JOB = "refresh_job"

# asset groups: the dbt models take their layer's (staging, intermediate, marts)
INGEST_GROUP = "ingest"
QUALITY_GROUP = "quality"
FACTSHEETS_GROUP = "factsheets"
PUBLISH_GROUP = "publish"

# steps that are not named after one asset
INGEST_STEP = "ingest_landing"  # the multi-asset that writes raw.* (defs/ingest.py)
DBT_STEP = "kto_dbt_models"  # the dbt build (defs/dbt.py)
GX_PREFIX = "gx_"  # the GX checks (gx_<suite>) and their step
GX_STEP = f"{GX_PREFIX}suites"

# checks that are not dbt's or GX's
DISCLOSURE_CHECK = "disclosure_audit"  # on marts/kto_figuur (defs/disclosure.py)
SIGNALS_CHECK = "signalen"  # on marts/kto_verandering, news not a rule (defs/signals.py)

# assets, as key paths
GATE = (QUALITY_GROUP, "gate")
FACTSHEETS = (FACTSHEETS_GROUP, "pdf_html")
PORTAL = (FACTSHEETS_GROUP, "portal")
SNAPSHOT = (PUBLISH_GROUP, "marts_snapshot")

# metadata of the snapshot's failure while a quality rule fails (defs/publish.py)
SNAPSHOT_WITHHELD = "snapshot_withheld"


def step_key(path: tuple[str, ...]) -> str:
    """The step of an asset defined on its own (Dagster names its op after the key)."""
    return "__".join(path)
