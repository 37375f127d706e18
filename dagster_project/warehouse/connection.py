"""The one place the package opens DuckDB (tests/test_warehouse_connect.py holds every other
module to it).

- ``open_warehouse``: the warehouse file, under the project's lock discipline (``lock.py``).
  A writer first takes the process's ``flock`` on ``{warehouse}.lock`` (re-entrant: free
  inside a step that holds it already), so one process writes at a time however the work
  was started; then, reader or writer, it waits while DuckDB's own lock is held (a dbt
  left running by a killed ``kto run`` holds the file without the flock). The lock order
  is always the flock, then DuckDB's, so two processes never wait for each other. A
  reader takes no flock: DuckDB lets readers share the file, and a reader inside a step
  runs under its step's flock anyway.
- ``open_file``: any other DuckDB database (a published snapshot, a municipality's copy)
  or an in-memory one (``None``). No lock: a publication's files are written once, by the
  publish step under the warehouse lock, into a version folder no reader knows yet, and
  are never written again after the switch.

Connections use DuckDB's defaults (threads, memory): dbt's build caps its memory in
dbt/profiles.yml, the Python steps have never needed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .lock import DUCKDB_WAIT_SECONDS, connect, warehouse_lock


@contextmanager
def open_warehouse(
    warehouse: Path,
    *,
    read_only: bool = False,
    wait: float | None = None,
    on_wait: Callable[[str], object] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse for the block, closed after it.

    ``wait``: seconds to wait for each lock; ``None``, a writer waits for the flock as long
    as it takes (as a step does) and everyone for DuckDB's lock up to
    ``DUCKDB_WAIT_SECONDS``. Raises ``TimeoutError`` (the flock) or ``duckdb.IOException``
    (DuckDB's lock) when the wait runs out; ``on_wait`` gets a message once, naming the
    holder, when either has to be waited for.
    """
    duckdb_wait = DUCKDB_WAIT_SECONDS if wait is None else wait
    if read_only:
        with connect(warehouse, read_only=True, timeout=duckdb_wait, on_wait=on_wait) as con:
            yield con
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with (
        warehouse_lock(warehouse, timeout=wait, on_wait=on_wait),
        connect(warehouse, timeout=duckdb_wait, on_wait=on_wait) as con,
    ):
        yield con


@contextmanager
def open_file(
    database: Path | None = None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a DuckDB file that is not the warehouse, or in memory (``None``)."""
    target = ":memory:" if database is None else str(database)
    with duckdb.connect(target, read_only=read_only) as con:
        yield con
