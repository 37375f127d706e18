"""The Dagster names the project needs that Dagster's public API does not export (1.13).

Kept in this one module so a Dagster upgrade that moves them breaks in one place:

- the run tags that select a range of partitions in one run: ``RunRequest`` and
  ``execute_in_process`` take a single ``partition_key`` only, and a range run
  (``BackfillPolicy.single_run()``) is what renders every period in one step;
- the history of an asset check's evaluations: ``DagsterInstance`` has no public reader
  for it, so the quality gate reads the event log storage's records
  (``latest_check_records``, ``check_history``); their status is an internal enum, and a
  check whose latest record is only planned must be looked up further back
  (``COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES``);
- the checks of the code location from inside a step: ``context.repository_def`` raises
  Dagster's internal ``CheckError`` where a job runs without a repository
  (``dg.materialize``), so ``repository_check_keys`` answers None there;
- the pool's concurrency slots: ``kto run`` frees the slots of runs whose process is gone
  and asks whether its own run waits for one; only the event log storage knows them.

The pin of this module is tested (tests/test_compat.py): a Dagster other than
``WRITTEN_FOR`` fails there, naming what to check.
"""

from collections.abc import Iterable

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_shared.check import CheckError

WRITTEN_FOR = "1.13.27"  # the Dagster version these internals were read in


def latest_check_records(instance: dg.DagsterInstance, keys: Iterable[dg.AssetCheckKey]) -> dict:
    """The latest execution record of each check (a key never evaluated is absent)."""
    return instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys))


def check_history(instance: dg.DagsterInstance, key: dg.AssetCheckKey, limit: int) -> list:
    """The last ``limit`` execution records of a check, newest first."""
    return list(instance.event_log_storage.get_asset_check_execution_history(key, limit))


def repository_check_keys(context: dg.AssetExecutionContext) -> set[dg.AssetCheckKey] | None:
    """Every check of the step's code location; None for a job run without a repository."""
    try:
        repository = context.repository_def
    except CheckError:
        return None
    return set(repository.asset_graph.asset_check_keys)


def _pool_slots_supported(instance: dg.DagsterInstance) -> bool:
    """Whether the instance's storage keeps concurrency slots (pools) at all."""
    return instance.event_log_storage.supports_global_concurrency_limits


def runs_holding_slots(instance: dg.DagsterInstance) -> set[str]:
    """The runs that hold or claim a pool slot."""
    if not _pool_slots_supported(instance):
        return set()
    return set(instance.event_log_storage.get_concurrency_run_ids())


def free_slots_of_run(instance: dg.DagsterInstance, run_id: str) -> None:
    """Give back every pool slot of a run (its process is gone or it was canceled)."""
    if _pool_slots_supported(instance):
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def runs_waiting_for_slots(instance: dg.DagsterInstance) -> set[str]:
    """The runs with a step waiting for a pool slot."""
    if not _pool_slots_supported(instance):
        return set()
    storage = instance.event_log_storage
    return {
        run_id
        for key in storage.get_concurrency_keys()
        for run_id in storage.get_concurrency_info(key).pending_run_ids
    }


__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES",
    "WRITTEN_FOR",
    "check_history",
    "free_slots_of_run",
    "latest_check_records",
    "repository_check_keys",
    "runs_holding_slots",
    "runs_waiting_for_slots",
]
