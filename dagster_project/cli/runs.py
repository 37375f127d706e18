"""The runs ``kto run`` executes on a Dagster instance: who owns them, what a crashed one
leaves behind, and stopping on SIGTERM / Ctrl-C / SIGHUP.

- Every run ``kto run`` starts is tagged with its process (host, pid, and the process's
  start time, so a re-used pid is not mistaken for it).
- ``release_stale`` (before a run starts): a run in progress whose process is gone (kill -9,
  power cut) is marked failed, and every concurrency slot held or waited for by a run
  that is finished or gone is freed. Otherwise the dead run keeps the ``kto_warehouse``
  pool slot and every later run waits for it for ever. Runs started elsewhere (``dagster
  dev``'s run launcher) carry no such tags; Dagster's run monitoring watches those.
- ``run_interruptibly``: Dagster's in-process execution captures SIGINT and SIGTERM and
  only acts on them inside a step; a run waiting for a pool slot would ignore both. So the
  jobs run in a worker thread (Dagster leaves the signal handlers alone there) while the
  main thread keeps its own handlers: on a signal it marks the process's runs canceling,
  interrupts the worker the way Dagster interrupts a step (the dbt process gets SIGINT),
  waits a short grace period, and the caller then marks the process's unfinished runs
  canceled and frees their slots.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

HOST_TAG = "kto/host"
PID_TAG = "kto/pid"
PROCESS_START_TAG = "kto/process_start"
GRACE_SECONDS = 15.0  # after a signal, before the process gives up on a clean stop
RENUDGE_SECONDS = 4.0


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for the runs it starts."""
    pid = os.getpid()
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(pid),
        PROCESS_START_TAG: _process_start(pid) or "",
    }


def process_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process that started a run still runs; None when that cannot be known
    (not started by ``kto run``, or on another host)."""
    if PID_TAG not in tags or tags.get(HOST_TAG) != socket.gethostname():
        return None
    start = _process_start(int(tags[PID_TAG]))
    return start is not None and start == tags.get(PROCESS_START_TAG, start)


def release_stale(instance, log: Callable[[str], Any] = print) -> list[str]:
    """Fail runs of dead ``kto`` processes and free slots of finished runs; the run ids."""
    from dagster import DagsterRunStatus, RunsFilter

    in_progress = [
        DagsterRunStatus.STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.CANCELING,
        DagsterRunStatus.NOT_STARTED,
    ]
    released = []
    for run in instance.get_runs(RunsFilter(statuses=in_progress)):
        if process_alive(run.tags) is False:
            instance.report_run_failed(
                run,
                message=f"the process of this run (pid {run.tags[PID_TAG]}) is gone; "
                "marked failed by the next `kto run`",
            )
            released.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                if run_id not in released:
                    released.append(run_id)
    for run_id in released:
        log(f"released run {run_id}: its process is gone")
    return released


IN_PROGRESS = (
    "STARTED",
    "STARTING",
    "CANCELING",
    "NOT_STARTED",
    "QUEUED",
)


def _own_unfinished_runs(instance) -> list:
    from dagster import DagsterRunStatus, RunsFilter

    tags = process_tags()
    return list(
        instance.get_runs(
            RunsFilter(
                tags={PID_TAG: tags[PID_TAG], HOST_TAG: tags[HOST_TAG]},
                statuses=[DagsterRunStatus(status) for status in IN_PROGRESS],
            )
        )
    )


def mark_own_runs_canceling(instance, message: str) -> list[str]:
    """Mark this process's unfinished runs CANCELING (a signal came): when the interrupted
    run then ends, Dagster itself records it CANCELED instead of FAILURE."""
    from dagster import DagsterRunStatus

    marked = []
    for run in _own_unfinished_runs(instance):
        if run.status != DagsterRunStatus.CANCELING:
            instance.report_run_canceling(run, message=message)
            marked.append(run.run_id)
    return marked


def cancel_own_runs(instance, message: str) -> list[str]:
    """Mark this process's unfinished runs canceled and free their slots (after a signal);
    the ids of the runs this process started that ended canceled."""
    from dagster import DagsterRunStatus, RunsFilter

    tags = process_tags()
    for run in _own_unfinished_runs(instance):
        instance.report_run_canceled(run, message=message)
    canceled = [
        run.run_id
        for run in instance.get_runs(
            RunsFilter(
                tags={PID_TAG: tags[PID_TAG], HOST_TAG: tags[HOST_TAG]},
                statuses=[DagsterRunStatus.CANCELED],
            )
        )
    ]
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run in instance.get_runs(RunsFilter(tags={PID_TAG: tags[PID_TAG]})):
            storage.free_concurrency_slots_for_run(run.run_id)
    return canceled


# SIGHUP: the terminal went away (a closed SSH session): stop as on SIGTERM, not at once
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(Exception):
    """The process received SIGTERM, SIGINT or SIGHUP during a run."""

    def __init__(self, signum: int, abandoned: bool = False):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.abandoned = abandoned  # the worker did not stop within the grace period


def _raise_in_thread(thread: threading.Thread, error: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(error)
    )


def run_interruptibly(
    work: Callable[[], T],
    grace: float = GRACE_SECONDS,
    on_stop: Callable[[int], Any] | None = None,
) -> T:
    """``work()`` in a worker thread; SIGTERM/SIGINT/SIGHUP stop it and raise ``Stopped``.

    ``on_stop(signum)`` is called in this thread first (``kto run`` marks its runs
    canceling there, so they end canceled, not failed).

    The worker gets Dagster's DagsterExecutionInterruptedError, as a step does on Ctrl-C:
    Dagster fails the step and ends the run (CANCELED when it was marked canceling),
    dagster-dbt hands SIGINT to dbt. A worker that
    has not stopped after ``grace`` seconds is left behind (it is a daemon thread; the
    caller exits the process).
    """
    from dagster import DagsterExecutionInterruptedError

    if threading.current_thread() is not threading.main_thread():
        return work()  # signal handlers belong to the main thread
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the main thread
            outcome["error"] = error

    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    worker = threading.Thread(target=target, name="kto-run", daemon=True)
    try:
        worker.start()
        deadline = nudge = None
        while worker.is_alive():
            worker.join(0.1)
            now = time.monotonic()
            if received and deadline is None:
                deadline, nudge = now + grace, now + RENUDGE_SECONDS
                if on_stop is not None:
                    try:
                        on_stop(received[0])
                    except Exception as error:  # the stop goes on: the caller cancels after
                        print(f"could not mark the runs canceling: {error!r}", file=sys.stderr)
                _raise_in_thread(worker, DagsterExecutionInterruptedError)
            elif deadline is not None and now > deadline:
                break
            elif nudge is not None and now > nudge:
                # Raised where something caught it and went on waiting (a pool-slot loop
                # between steps): raise it again, not so often that cleanup is cut short.
                nudge = now + RENUDGE_SECONDS
                _raise_in_thread(worker, DagsterExecutionInterruptedError)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise Stopped(received[0], abandoned=worker.is_alive())
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
