"""The quality gate in Dagster: what the factsheet and publish steps wait for, and read.

Both steps depend on every model a blocking check guards, so every check (the dbt
tests, in the dbt step, and the GX suites, a step each) has finished before they
start, in any run: ``kto run``, ``refresh_job`` on the multiprocess executor, or a
materialization started in the UI. They then read the latest evaluation of every
check of the code location from the instance (so a run that materializes only the
factsheets is still gated by the last verdict on the marts) and withhold what the
failing rules concern (dagster_project/quality/gate.py).
"""

from __future__ import annotations

from contextlib import suppress

import dagster as dg
from dagster_shared.check import CheckError

from ..compat.dagster_internals import COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES
from ..publish import MART_TABLES
from ..quality.gate import BREACHES, Gate, gate_of_checks
from ..quality.suites import load_suites
from .ingest import CODE_LIST_CHECK, FILES_USED_CHECK

# The marts, and every model a GX suite guards (staging and intermediate): the dbt tests
# run in the step that builds the marts, the GX checks are blocking checks on these.
GATED_DEPS = sorted(
    {dg.AssetKey(["marts", table]) for table in MART_TABLES}
    | {dg.AssetKey(list(asset)) for suite in load_suites().values() for asset in suite.assets()},
    key=lambda key: key.to_user_string(),
)
HISTORY = 10  # evaluations looked back over for a check whose latest is only planned


def _latest_evaluation(instance: dg.DagsterInstance, key: dg.AssetCheckKey, record):
    """The latest completed evaluation of a check (a planned one never ran: look back)."""
    if record is not None and record.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES:
        return record.event.asset_check_evaluation if record.event else None
    for older in instance.event_log_storage.get_asset_check_execution_history(key, HISTORY):
        if older.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES and older.event:
            return older.event.asset_check_evaluation
    return None


def _check_keys(context: dg.AssetExecutionContext) -> set[dg.AssetCheckKey]:
    """Every check of the code location, and at least every check of this run's job.

    The job's own graph always holds its checks; the code location's may hold more (a run
    that materializes only the factsheets is still gated by the checks on the marts). A job
    run on its own (``dg.execute_job(reconstructable(...))``, ``dg.materialize``) has an
    implicit repository whose graph holds no checks at all: the job's keys gate it then.
    """
    keys = set(context.job_def.asset_layer.asset_graph.asset_check_keys)
    with suppress(CheckError):  # no repository at all (dg.materialize)
        keys |= set(context.repository_def.asset_graph.asset_check_keys)
    # An unused landing file is not a quality rule on the data built: `kto run` and the
    # ingest's own check report it; what was built from the other files is published. Nor
    # is a Gemeentecode outside the CBS code list accepted under KTO_GEMEENTECODES=melden:
    # the format specification accepts it, the ingest's check and `kto run` report it.
    return {key for key in keys if key.name not in (FILES_USED_CHECK, CODE_LIST_CHECK)}


def current_gate(context: dg.AssetExecutionContext) -> Gate:
    """The gate from the latest evaluation of every check of the code location."""
    keys = sorted(_check_keys(context), key=str)
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    checks = []
    for key in keys:
        evaluation = _latest_evaluation(context.instance, key, records.get(key))
        if evaluation is None:
            continue  # never evaluated: nothing known against it
        listed = evaluation.metadata.get(BREACHES)
        checks.append(
            (
                f"{key.name} on {key.asset_key.to_user_string()}",
                key.asset_key.to_user_string(),
                evaluation.passed,
                listed.value if listed is not None else None,
            )
        )
    return gate_of_checks(checks)
