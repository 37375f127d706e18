"""`kto run`'s housekeeping on a real (sqlite) Dagster instance with the project's
dagster.yaml, and its signal handling; without running the pipeline."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from dagster_project.cli import runs

REPO = Path(__file__).resolve().parents[1]
POOL = "kto_warehouse"


@pytest.fixture
def instance(tmp_path):
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    inst = dg.DagsterInstance.from_config(str(tmp_path))  # reads tmp_path/dagster.yaml
    try:
        yield inst
    finally:
        inst.dispose()


def dead_process_tags() -> dict[str, str]:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    tags = runs.process_tags()
    return {**tags, runs.PID_TAG: str(child.pid)}


def started_run(instance, tags: dict[str, str], step: str = "ingest_landing"):
    run = create_run_for_test(instance, job_name="ingest_job", tags=tags)
    instance.report_engine_event("start", run)
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name="ingest_job"
        ),
    )
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(POOL)
    assert storage.claim_concurrency_slot(POOL, run.run_id, step).is_claimed
    return instance.get_run_by_id(run.run_id)


def test_the_project_pool_admits_one_step(instance):
    first = started_run(instance, runs.process_tags())
    claim = instance.event_log_storage.claim_concurrency_slot(POOL, "other-run", "kto_dbt_models")
    assert not claim.is_claimed
    assert instance.event_log_storage.get_concurrency_run_ids() >= {first.run_id}


def test_a_run_whose_process_is_gone_is_failed_and_its_slot_freed(instance):
    dead = started_run(instance, dead_process_tags())
    assert dead.status == dg.DagsterRunStatus.STARTED
    lines = []
    released = runs.release_stale(instance, log=lines.append)
    assert released == [dead.run_id]
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_run_ids() == set()
    assert lines == [f"released run {dead.run_id}: its process is gone"]
    # the slot is free for the next run
    claim = instance.event_log_storage.claim_concurrency_slot(POOL, "next", "ingest_landing")
    assert claim.is_claimed


def test_a_live_run_and_a_foreign_run_are_left_alone(instance):
    alive = started_run(instance, runs.process_tags())
    foreign = create_run_for_test(instance, job_name="ingest_job", tags={})  # dagster dev's
    instance.handle_run_event(
        foreign.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name="ingest_job"
        ),
    )
    assert runs.release_stale(instance, log=lambda _: None) == []
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
    assert instance.get_run_by_id(foreign.run_id).status == dg.DagsterRunStatus.STARTED
    assert alive.run_id in instance.event_log_storage.get_concurrency_run_ids()


def test_a_finished_run_still_holding_a_slot_is_freed(instance):
    run = started_run(instance, runs.process_tags())
    instance.report_run_failed(run, message="failed without freeing its slot")
    assert runs.release_stale(instance, log=lambda _: None) == [run.run_id]
    assert instance.event_log_storage.get_concurrency_run_ids() == set()


def test_a_reused_pid_is_not_mistaken_for_the_run_process():
    tags = runs.process_tags()
    assert runs.process_alive(tags) is True
    assert runs.process_alive({**tags, runs.PROCESS_START_TAG: "1"}) is False
    assert runs.process_alive(dead_process_tags()) is False
    assert runs.process_alive({}) is None
    assert runs.process_alive({**tags, runs.HOST_TAG: "elsewhere"}) is None


def test_runs_marked_canceling_end_canceled_not_failed(instance):
    """What kto run does on a signal before it interrupts its runs: Dagster then records an
    interrupted run as CANCELED (dagster/_core/execution/api.py), not FAILURE."""
    mine = started_run(instance, runs.process_tags())
    other = create_run_for_test(instance, job_name="ingest_job", tags=dead_process_tags())
    instance.handle_run_event(
        other.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name="ingest_job"
        ),
    )
    assert runs.mark_own_runs_canceling(instance, "stopped by SIGINT") == [mine.run_id]
    assert instance.get_run_by_id(mine.run_id).status == dg.DagsterRunStatus.CANCELING
    assert instance.get_run_by_id(other.run_id).status == dg.DagsterRunStatus.STARTED
    assert runs.cancel_own_runs(instance, "stopped by SIGINT") == [mine.run_id]
    assert instance.get_run_by_id(mine.run_id).status == dg.DagsterRunStatus.CANCELED


def test_cancel_own_runs_after_a_signal(instance):
    mine = started_run(instance, runs.process_tags())
    assert runs.cancel_own_runs(instance, "stopped by SIGTERM") == [mine.run_id]
    assert instance.get_run_by_id(mine.run_id).status == dg.DagsterRunStatus.CANCELED
    assert instance.event_log_storage.get_concurrency_run_ids() == set()


def _signal_soon(signum: int, after: float = 0.5) -> None:
    threading.Timer(after, os.kill, (os.getpid(), signum)).start()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_interrupts_work_that_waits(signum):
    """Work that sleeps in a loop (as Dagster does waiting for a pool slot) is interrupted;
    ``on_stop`` (kto run marks its runs canceling there) is called before."""
    from dagster import DagsterExecutionInterruptedError

    seen = []

    def wait_for_ever() -> None:
        try:
            while True:
                time.sleep(0.05)
        except DagsterExecutionInterruptedError:
            seen.append("interrupted")
            raise

    _signal_soon(signum)
    started = time.monotonic()
    with pytest.raises(runs.Stopped) as stop:
        runs.run_interruptibly(wait_for_ever, grace=5, on_stop=lambda n: seen.append(n))
    assert stop.value.signum == signum and not stop.value.abandoned
    assert seen == [signum, "interrupted"]
    assert time.monotonic() - started < 3
    assert signal.getsignal(signum) is not None  # the previous handler is back


def test_work_that_swallows_the_interrupt_is_nudged_again():
    from dagster import DagsterExecutionInterruptedError

    swallowed = []

    def stubborn() -> None:
        while True:
            try:
                while True:
                    time.sleep(0.05)
            except DagsterExecutionInterruptedError:
                swallowed.append(1)
                if len(swallowed) == 2:
                    raise

    _signal_soon(signal.SIGTERM, 0.2)
    with pytest.raises(runs.Stopped) as stop:
        runs.run_interruptibly(stubborn, grace=runs.RENUDGE_SECONDS * 3)
    assert len(swallowed) == 2 and not stop.value.abandoned


def test_work_that_never_stops_is_abandoned_after_the_grace_period():
    def deaf() -> None:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            with contextlib.suppress(BaseException):
                time.sleep(0.05)

    _signal_soon(signal.SIGTERM, 0.2)
    started = time.monotonic()
    with pytest.raises(runs.Stopped) as stop:
        runs.run_interruptibly(deaf, grace=1)
    assert stop.value.abandoned and time.monotonic() - started < 3


def test_results_and_errors_pass_through():
    assert runs.run_interruptibly(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        runs.run_interruptibly(lambda: 1 / 0)
