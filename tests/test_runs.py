"""`kto run`'s housekeeping on a real (sqlite) Dagster instance with the project's
dagster.yaml, and its signal handling; without running the pipeline."""

from __future__ import annotations

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


def test_a_run_waiting_for_a_slot_is_found(instance):
    """What `kto run` ends with SIGKILL at once on a stop: Dagster ignores signals there."""
    started_run(instance, dead_process_tags())  # another process's run holds the slot
    mine = create_run_for_test(instance, job_name="refresh_job", tags=runs.process_tags())
    assert not runs.own_runs_waiting_for_a_slot(instance)
    storage = instance.event_log_storage
    assert not storage.claim_concurrency_slot(POOL, mine.run_id, "kto_dbt_models").is_claimed
    assert runs.own_runs_waiting_for_a_slot(instance)
    runs.cancel_own_runs(instance, "stopped by SIGTERM")
    assert not runs.own_runs_waiting_for_a_slot(instance)


def worker(tmp_path: Path, body: str) -> list[str]:
    """A worker process for ``runs.supervise``: ``body`` after it has written "ready"."""
    script = tmp_path / "worker.py"
    script.write_text(
        "import os, signal, sys, time\n"
        f"LOG = {str(tmp_path / 'log')!r}\n"
        "def log(line):\n"
        "    with open(LOG, 'a') as f:\n"
        "        f.write(line + '\\n')\n"
        f"{body}\n"
    )
    return [sys.executable, str(script)]


def logged(tmp_path: Path) -> list[str]:
    path = tmp_path / "log"
    return path.read_text().splitlines() if path.exists() else []


def signal_when_ready(tmp_path: Path, signum: int) -> None:
    """Send this process ``signum`` once the worker has logged "ready"."""

    def wait() -> None:
        deadline = time.monotonic() + 30
        while "ready" not in logged(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signum)

    threading.Thread(target=wait, daemon=True).start()


INTERRUPTIBLE = """
def on_sigint(signum, frame):
    log(f"interrupted in group {os.getpgid(0) == os.getpid()}")
    sys.exit(1)
signal.signal(signal.SIGINT, on_sigint)
log("ready")
time.sleep(60)
"""

DEAF = """
signal.signal(signal.SIGINT, lambda *_: log("ignored"))
log("ready")
end = time.monotonic() + 60
while time.monotonic() < end:
    time.sleep(0.05)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_marks_first_then_interrupts_the_worker(tmp_path, signum):
    """on_stop (kto run marks its runs canceling) comes before the worker's SIGINT, which
    the worker, in a process group of its own, receives once."""
    previous = signal.getsignal(signum)
    signal_when_ready(tmp_path, signum)
    started = time.monotonic()
    with pytest.raises(runs.Stopped) as stop:
        runs.supervise(
            worker(tmp_path, INTERRUPTIBLE),
            on_stop=lambda n: (tmp_path / "log").open("a").write(f"stop {n}\n"),
            grace=30,
        )
    assert stop.value.signum == signum
    assert logged(tmp_path) == ["ready", f"stop {signum}", "interrupted in group True"]
    assert time.monotonic() - started < 10
    assert signal.getsignal(signum) is previous  # this process's handler is back


def test_a_worker_waiting_for_a_slot_is_killed_at_once(tmp_path):
    signal_when_ready(tmp_path, signal.SIGTERM)
    started = time.monotonic()
    with pytest.raises(runs.Stopped):
        runs.supervise(worker(tmp_path, DEAF), while_stopping=lambda: "kill", grace=60)
    assert time.monotonic() - started < 10
    assert logged(tmp_path) == ["ready", "ignored"]


def test_a_run_begun_after_the_first_interrupt_is_interrupted_too(tmp_path):
    body = """
count = []
def on_sigint(signum, frame):
    count.append(signum)
    log(f"sigint {len(count)}")
    if len(count) == 2:
        sys.exit(1)
signal.signal(signal.SIGINT, on_sigint)
log("ready")
end = time.monotonic() + 60
while time.monotonic() < end:
    time.sleep(0.05)
"""
    answers = iter(["interrupt"])
    signal_when_ready(tmp_path, signal.SIGINT)
    with pytest.raises(runs.Stopped):
        runs.supervise(worker(tmp_path, body), while_stopping=lambda: next(answers, None), grace=60)
    assert logged(tmp_path) == ["ready", "sigint 1", "sigint 2"]


def test_a_worker_that_does_not_stop_is_killed_after_the_grace_period(tmp_path):
    signal_when_ready(tmp_path, signal.SIGTERM)
    started = time.monotonic()
    with pytest.raises(runs.Stopped):
        runs.supervise(worker(tmp_path, DEAF), while_stopping=lambda: None, grace=1)
    assert 1 <= time.monotonic() - started < 10


# The worker starts a child that ignores SIGINT (dbt still writing) and leaves without it.
LEAVES_A_CHILD = """
import subprocess
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(120)"])
log(f"child {child.pid}")
def on_sigint(signum, frame):
    os._exit(1)
signal.signal(signal.SIGINT, on_sigint)
time.sleep(0.5)
log("ready")
time.sleep(60)
"""


def alive(pid: int) -> bool:
    """``pid`` runs (a zombie, dead but not reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("grace", [1, 30])
def test_nothing_the_worker_started_outlives_a_stop(tmp_path, grace):
    """A dbt that the interrupted worker left behind (dagster-dbt waits 25 s for it; a
    killed worker for nothing) is ended by the time ``supervise`` returns."""
    signal_when_ready(tmp_path, signal.SIGTERM)
    with pytest.raises(runs.Stopped):
        runs.supervise(worker(tmp_path, LEAVES_A_CHILD), while_stopping=lambda: None, grace=grace)
    child = int(next(line for line in logged(tmp_path) if line.startswith("child "))[6:])
    assert not alive(child)


def test_nothing_the_worker_started_outlives_its_end(tmp_path):
    body = LEAVES_A_CHILD.replace('log("ready")\ntime.sleep(60)', "sys.exit(0)")
    started = time.monotonic()
    assert runs.supervise(worker(tmp_path, body), grace=2) == 0
    child = int(next(line for line in logged(tmp_path) if line.startswith("child "))[6:])
    assert not alive(child)
    assert time.monotonic() - started < 30


def test_exit_codes_pass_through(tmp_path):
    assert runs.supervise(worker(tmp_path, "sys.exit(3)")) == 3
    killed = "os.kill(os.getpid(), signal.SIGKILL)"
    assert runs.supervise(worker(tmp_path, killed)) == 128 + signal.SIGKILL


def test_the_worker_ends_with_its_supervisor(tmp_path):
    """kill -9 of `kto run` leaves no worker running on: the next run releases its runs."""
    body = """
from dagster_project.cli.runs import follow_supervisor
follow_supervisor()
log(str(os.getpid()))
log("ready")
time.sleep(60)
"""
    command = worker(tmp_path, body)
    supervisor = subprocess.Popen(
        [sys.executable, "-c", f"from dagster_project.cli import runs; runs.supervise({command!r})"]
    )
    try:
        deadline = time.monotonic() + 30
        while "ready" not in logged(tmp_path):
            assert time.monotonic() < deadline and supervisor.poll() is None
            time.sleep(0.05)
        pid = int(logged(tmp_path)[0])
        supervisor.kill()
        supervisor.wait()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
            assert time.monotonic() < deadline, "the worker outlived its supervisor"
            time.sleep(0.05)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def test_ctrl_z_suspends_the_worker_with_its_supervisor(tmp_path):
    """The worker's process group is not the terminal's: a Ctrl-Z (SIGTSTP) to `kto run`
    stops its worker too, and both go on after SIGCONT (`fg`)."""
    body = """
log(str(os.getpid()))
log("ready")
time.sleep(60)
"""
    command = worker(tmp_path, body)
    supervisor = subprocess.Popen(
        [sys.executable, "-c", f"from dagster_project.cli import runs; runs.supervise({command!r})"]
    )

    def states(want: str) -> None:
        deadline = time.monotonic() + 10
        while {_state(supervisor.pid), _state(pid)} != {want}:
            assert time.monotonic() < deadline, (_state(supervisor.pid), _state(pid))
            time.sleep(0.05)

    try:
        deadline = time.monotonic() + 30
        while "ready" not in logged(tmp_path):
            assert time.monotonic() < deadline and supervisor.poll() is None
            time.sleep(0.05)
        pid = int(logged(tmp_path)[0])
        supervisor.send_signal(signal.SIGTSTP)
        states("T")
        supervisor.send_signal(signal.SIGCONT)
        states("S")
    finally:
        supervisor.kill()
        supervisor.wait()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
