"""The runs ``kto run`` executes on a Dagster instance: who owns them, what a crashed one
leaves behind, and stopping on SIGTERM / Ctrl-C / SIGHUP.

- Every run ``kto run`` starts is tagged with its process (host, pid, and the process's
  start time, so a re-used pid is not mistaken for it).
- ``release_stale`` (before a run starts): a run in progress whose process is gone (kill -9,
  power cut) is marked failed, and every concurrency slot held or waited for by a run
  that is finished or gone is freed. Otherwise the dead run keeps the ``kto_warehouse``
  pool slot and every later run waits for it for ever. Runs started elsewhere (``dagster
  dev``'s run launcher) carry no such tags; Dagster's run monitoring watches those.
- ``supervise``: the jobs run in a worker process, in its main thread, so Dagster's own
  interrupt handling works as designed there: Dagster captures SIGINT and SIGTERM for the
  whole run and raises them inside a step (dagster-dbt then hands SIGINT to dbt). Between
  steps, waiting for a ``kto_warehouse`` pool slot, the in-process executor never looks at
  a captured signal, so a waiting run cannot be interrupted from inside. The ``kto``
  process is the worker's supervisor: on SIGTERM, SIGINT or SIGHUP it marks its runs
  canceling (Dagster then records an interrupted run CANCELED, not FAILURE), sends the
  worker SIGINT, and ends a worker that only waits for a pool slot (or that has not stopped
  after a grace period) with SIGKILL; then it marks what is still unfinished canceled and
  frees the slots. The worker is in a process group of its own, so a Ctrl-C at the
  terminal reaches it once, through the supervisor, after its runs are marked canceling
  (a Ctrl-Z suspends both groups); and it ends itself when the supervisor is gone
  (kill -9), as the one process did before. What the worker started (dbt) is in its group:
  whatever of it outlives the worker is killed before ``supervise`` returns.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal

HOST_TAG = "kto/host"
PID_TAG = "kto/pid"
PROCESS_START_TAG = "kto/process_start"
GRACE_SECONDS = 15.0  # after a signal, before the worker is killed
STOP_POLL_SECONDS = 0.5  # how often the supervisor looks at its runs while the worker stops


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/PID/stat from field 3 (the state) on; None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    fields = _stat_fields(pid)
    return None if fields is None else fields[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process (the ``kto`` process, which supervises the worker that
    executes the runs), for the runs it starts."""
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

    from ..compat.dagster_internals import free_slots_of_run, runs_holding_slots

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
    for run_id in sorted(runs_holding_slots(instance)):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            free_slots_of_run(instance, run_id)
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

    tags = process_tags()  # the supervisor's: the worker tags its runs with them
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

    from ..compat.dagster_internals import free_slots_of_run

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
    for run in instance.get_runs(RunsFilter(tags={PID_TAG: tags[PID_TAG]})):
        free_slots_of_run(instance, run.run_id)
    return canceled


def own_runs_waiting_for_a_slot(instance) -> bool:
    """Whether a run of this process waits for a pool slot. The in-process executor runs one
    step at a time and ignores signals while it waits: such a worker is ended, not
    interrupted (a step not in the pool, the portal, may run beside; every step survives
    SIGKILL, tests/test_runs_hardening.py)."""
    from ..compat.dagster_internals import runs_waiting_for_slots

    mine = {run.run_id for run in _own_unfinished_runs(instance)}
    return bool(mine & runs_waiting_for_slots(instance))


# SIGHUP: the terminal went away (a closed SSH session): stop as on SIGTERM, not at once
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(Exception):
    """The supervisor received SIGTERM, SIGINT or SIGHUP; the worker has ended."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


Action = Literal["interrupt", "kill"] | None


def supervise(
    command: list[str],
    on_stop: Callable[[int], Any] | None = None,
    while_stopping: Callable[[], Action] | None = None,
    grace: float = GRACE_SECONDS,
) -> int:
    """Run ``command`` (the worker) as a child process; its exit code. SIGTERM, SIGINT and
    SIGHUP stop it and raise ``Stopped`` once it has ended.

    On the first signal ``on_stop(signum)`` is called (``kto run`` marks its runs canceling),
    then the worker gets SIGINT. Until it ends, ``while_stopping()`` is asked every
    STOP_POLL_SECONDS: "interrupt" sends SIGINT again (a run began after the first one),
    "kill" ends the worker now (it only waits for a pool slot); after ``grace`` seconds it
    is killed anyway. Its stdin is a pipe that only this process writes: ``follow_supervisor``
    in the worker ends it when this process is gone.
    """
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)

    def on_suspend(_signum: int, _frame: object) -> None:
        # Ctrl-Z reaches only this process group: suspend the worker's with it, and go on
        # together after `fg` / `bg` (job control as for one process).
        os.killpg(worker.pid, signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)
        os.killpg(worker.pid, signal.SIGCONT)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        sys.stdout.flush()  # the worker writes to the same files
        sys.stderr.flush()
        # A process group of its own: a Ctrl-C at the terminal reaches the worker only
        # through this process, after on_stop (else Dagster records the run FAILURE).
        worker = subprocess.Popen(command, stdin=subprocess.PIPE, process_group=0)
        previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, on_suspend)
        deadline = next_poll = None
        while worker.poll() is None:
            time.sleep(0.05)
            now = time.monotonic()
            if received and deadline is None:
                deadline, next_poll = now + grace, now
                if on_stop is not None:
                    _report_failure(on_stop, received[0])
                worker.send_signal(signal.SIGINT)
            elif deadline is not None and now > deadline:
                _kill_group(worker.pid)
            elif next_poll is not None and now >= next_poll and while_stopping is not None:
                next_poll = now + STOP_POLL_SECONDS
                action = _report_failure(while_stopping)
                if action == "kill":
                    _kill_group(worker.pid)
                elif action == "interrupt":
                    worker.send_signal(signal.SIGINT)
        worker.wait()
        if worker.stdin is not None:
            worker.stdin.close()
        # What the worker started (dbt) is in its group and may outlive it: dagster-dbt
        # waits 25 s for an interrupted dbt, the grace is shorter, and a killed worker
        # waits for nothing. Nothing of a run outlives `kto run`.
        _end_group(worker.pid, deadline if deadline is not None else time.monotonic() + grace)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise Stopped(received[0])
    return worker.returncode if worker.returncode >= 0 else 128 - worker.returncode


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is in group ``pgid``. A zombie counts for
    kill(2); where PID 1 does not reap orphans it would stay for ever, so /proc decides."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields and int(fields[2]) == pgid and fields[0] != "Z":  # pgrp, state
                return True
    return False


def _kill_group(pgid: int) -> None:
    """SIGKILL to the worker and everything it started (its process group)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _end_group(pgid: int, deadline: float) -> None:
    """Wait until the worker's process group is empty; at ``deadline`` kill what is left
    and wait (briefly) for it to be gone."""
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(pgid):
        _kill_group(pgid)
        until = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < until:
            time.sleep(0.05)


def _report_failure(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)``; an error is printed, not raised: the stop goes on regardless."""
    try:
        return call(*args)
    except Exception as error:
        print(f"while stopping: {error!r}", file=sys.stderr)
        return None


def follow_supervisor() -> None:
    """In the worker: end this process when the supervisor is gone (its end of stdin closes:
    it was killed with SIGKILL), as the one `kto run` process ended before; the next run
    releases what its runs left. The thread only reads and imports nothing.

    The worker's process group is not the terminal's foreground group: a write to the
    terminal would stop it (SIGTTOU) where the terminal has ``stty tostop``; ignoring
    SIGTTOU lets the write through (POSIX), as it does for the one foreground process.
    """
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)

    def watch() -> None:
        while os.read(0, 4096):
            pass
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="kto-supervisor-watch", daemon=True).start()
