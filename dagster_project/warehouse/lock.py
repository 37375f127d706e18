"""One process at a time on the warehouse and the output folder: a lock file, waited for.

DuckDB lets one process open a database file for writing and refuses every other
process at once ("Could not set lock on file") instead of waiting. Dagster's pool
``kto_warehouse`` only orders the steps of one instance, and only when its
``dagster.yaml`` gives the pool a limit. So every piece of work that opens the
warehouse (ingest, dbt, the quality checks, reading the marts for the factsheets,
publishing, ``kto check``) first takes an exclusive ``flock`` on
``{warehouse}.lock``, waiting for it as long as needed. The kernel drops the lock
when its process ends, however it ends (kill -9 included), so a crashed run never
holds it.

The lock file does not cover a process that outlives its parent: dbt runs as a child
process and goes on to the end of its build when the ``kto run`` that started it is
killed. ``connect`` therefore also waits while DuckDB reports its own lock held. Both are
used through ``connection.open_warehouse``, the one place the package opens DuckDB.

The lock is re-entrant within a process: a step may run inside work that already
holds it. It is always the innermost thing a process waits for (taken inside a
Dagster step, after the step's pool slot), so a holder never waits for a slot and
two processes cannot wait for each other.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

POLL_SECONDS = 0.2
DUCKDB_WAIT_SECONDS = 900.0  # an orphaned dbt build at national scale takes minutes

_held: dict[Path, list[int]] = {}  # lock file -> [file descriptor, depth] in this process
_guard = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def holder(warehouse: Path) -> str:
    """Who holds (or last held) the lock, as its holder wrote it: for messages."""
    try:
        return lock_path(warehouse).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _describe() -> str:
    return f"pid {os.getpid()}: {' '.join(os.path.basename(a) for a in sys.argv[:2])}"


@contextmanager
def warehouse_lock(
    warehouse: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], object] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's lock for the block; wait for it (for ever when timeout is None).

    ``on_wait`` is called once, with a message naming the holder, when the lock is taken.
    Raises TimeoutError when ``timeout`` seconds pass first. The wait sleeps in short
    steps, so signals (SIGTERM, Ctrl-C) are handled while waiting.
    """
    path = lock_path(warehouse.resolve())
    with _guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield
        finally:
            with _guard:
                entry[1] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"{warehouse} is in use ({holder(warehouse) or 'unknown process'}); "
                        f"waited {timeout:.0f} s"
                    ) from None
                if on_wait is not None and not told:
                    on_wait(
                        f"waiting for {warehouse}: in use by "
                        f"{holder(warehouse) or 'another process'}"
                    )
                    told = True
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (_describe() + "\n").encode(), 0)
        with _guard:
            _held[path] = [fd, 1]
        try:
            yield
        finally:
            with _guard:
                _held.pop(path, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _retry_on_duckdb_lock(action, what: str, timeout: float, on_wait):
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            return action()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            if on_wait is not None and not told:
                on_wait(f"waiting for {what}: {str(error).splitlines()[0]}")
                told = True
            time.sleep(POLL_SECONDS * 5)


def connect(
    warehouse: Path,
    *,
    read_only: bool = False,
    timeout: float = DUCKDB_WAIT_SECONDS,
    on_wait: Callable[[str], object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, waiting (up to ``timeout`` s) while another process holds the file."""
    return _retry_on_duckdb_lock(
        lambda: duckdb.connect(str(warehouse), read_only=read_only),
        str(warehouse),
        timeout,
        on_wait,
    )


def attach_read_only(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    alias: str,
    *,
    timeout: float = DUCKDB_WAIT_SECONDS,
) -> None:
    """``ATTACH warehouse AS alias (READ_ONLY)`` on ``con``, waiting like ``connect``."""
    _retry_on_duckdb_lock(
        lambda: con.execute(f"ATTACH '{warehouse}' AS {alias} (READ_ONLY)"),
        str(warehouse),
        timeout,
        None,
    )
