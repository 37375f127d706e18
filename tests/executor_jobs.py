"""A partitioned job on the code location's executor, importable by module path so that the
executor's step processes can rebuild it (``dg.reconstructable``); for test_executor.py."""

import multiprocessing
import sys

import dagster as dg

from dagster_project.defs.executor import STEP_EXECUTOR

PARTS = dg.StaticPartitionsDefinition(["2020", "2021"])


@dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
def step_process(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """What the step's process was started as, and what it found already imported."""
    with open("/proc/self/cmdline", "rb") as cmdline:
        command = cmdline.read().replace(b"\0", b" ").decode()
    return dg.MaterializeResult(
        metadata={
            "command": command,
            "parent_pid": str(multiprocessing.parent_process().pid)
            if multiprocessing.parent_process()
            else "",
            "great_expectations_loaded": "great_expectations" in sys.modules,
        }
    )


def job() -> dg.JobDefinition:
    return dg.Definitions(
        assets=[step_process],
        jobs=[dg.define_asset_job("step_process_job", selection=[step_process])],
        executor=STEP_EXECUTOR,
    ).resolve_job_def("step_process_job")
