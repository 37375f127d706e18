"""The warehouse lock file: waited for across processes, re-entrant within one, dropped
when its holder is killed; and DuckDB's own lock waited for by ``connect``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.warehouse.lock import connect, holder, warehouse_lock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dagster_project.warehouse.lock import warehouse_lock
    with warehouse_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def hold_in_child(warehouse: Path, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_process_waits_until_the_first_lets_go(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    child = hold_in_child(warehouse, 1.5)
    messages = []
    started = time.monotonic()
    with warehouse_lock(warehouse, on_wait=messages.append):
        waited = time.monotonic() - started
    child.wait()
    assert waited >= 0.5
    assert len(messages) == 1 and f"pid {child.pid}" in messages[0]


def test_a_killed_holder_releases_the_lock_at_once(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    child = hold_in_child(warehouse, 600)
    with pytest.raises(TimeoutError, match="in use"), warehouse_lock(warehouse, timeout=0.3):
        pass
    child.send_signal(signal.SIGKILL)
    child.wait()
    started = time.monotonic()
    with warehouse_lock(warehouse, timeout=5):
        assert "pid" in holder(warehouse)
    assert time.monotonic() - started < 1


def test_reentrant_within_a_process(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_lock(warehouse), warehouse_lock(warehouse, timeout=0.1):
        pass
    # and released after the outer block: another process gets it
    child = hold_in_child(warehouse, 0)
    child.wait()


def test_connect_waits_while_duckdb_holds_the_file(tmp_path):
    """A writer DuckDB knows of (a dbt left running by a killed run) blocks a connect;
    connect waits for it instead of failing."""
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True);"
            " time.sleep(2); c.close()",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "open"
    with pytest.raises(duckdb.IOException):
        duckdb.connect(str(warehouse), read_only=True)
    messages = []
    with connect(warehouse, read_only=True, timeout=60, on_wait=messages.append) as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]
    writer.wait()
    assert messages and "waiting for" in messages[0]


def test_threads_of_one_process_share_it(tmp_path):
    """A step run in a worker thread by `kto run` re-enters the lock of its process."""
    warehouse = tmp_path / "warehouse.duckdb"
    entered = []

    def step() -> None:
        with warehouse_lock(warehouse, timeout=0.5):
            entered.append(True)

    with warehouse_lock(warehouse):
        thread = threading.Thread(target=step)
        thread.start()
        thread.join()
    assert entered == [True]
