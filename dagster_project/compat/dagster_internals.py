"""The Dagster names the project needs that Dagster's public API does not export (1.13).

Kept in this one module so a Dagster upgrade that moves them breaks in one place:

- the run tags that select a range of partitions in one run: ``RunRequest`` and
  ``execute_in_process`` take a single ``partition_key`` only, and a range run
  (``BackfillPolicy.single_run()``) is what renders every period in one step;
- the statuses of an asset check's execution record that mean it finished: the event
  log's records (``get_latest_asset_check_execution_by_key``) carry an internal status
  enum, and a check whose latest record is only planned must be looked up further back.
"""

from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES",
]
