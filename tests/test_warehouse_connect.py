"""Nothing outside dagster_project/warehouse/ opens DuckDB: every module goes through
``open_warehouse`` (the warehouse, under its locks) or ``open_file`` (other DuckDB files)."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from dagster_project.warehouse import open_file, open_warehouse
from dagster_project.warehouse.lock import lock_path

PACKAGE = Path(__file__).resolve().parents[1] / "dagster_project"
ALLOWED = PACKAGE / "warehouse"


def duckdb_connects(source: str) -> list[int]:
    """The lines of ``source`` that call ``duckdb.connect``, however duckdb or connect was
    imported (``import duckdb as db``, ``from duckdb import connect as c``)."""
    tree = ast.parse(source)
    modules: set[str] = set()  # local names of the duckdb module
    functions: set[str] = set()  # local names of duckdb.connect
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "duckdb"}
        elif isinstance(node, ast.ImportFrom) and node.module == "duckdb":
            functions |= {a.asname or a.name for a in node.names if a.name == "connect"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if (
            isinstance(called, ast.Attribute)
            and called.attr == "connect"
            and isinstance(called.value, ast.Name)
            and called.value.id in modules
        ) or (isinstance(called, ast.Name) and called.id in functions):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_every_spelling():
    assert duckdb_connects("import duckdb\nduckdb.connect('w')") == [2]
    assert duckdb_connects("import duckdb as db\nx = db.connect()") == [2]
    assert duckdb_connects("from duckdb import connect as c\nc(':memory:')") == [2]
    assert duckdb_connects("import sqlite3\nsqlite3.connect('x')") == []
    assert duckdb_connects("def f(con):\n    return con.connect()") == []


def test_only_the_warehouse_package_calls_duckdb_connect():
    found = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if ALLOWED not in path.parents
        for line in duckdb_connects(path.read_text(encoding="utf-8"))
    }
    assert found == set(), "open DuckDB through dagster_project.warehouse"
    # and the scan does see the one place that opens it
    assert duckdb_connects((ALLOWED / "connection.py").read_text(encoding="utf-8"))


def test_a_writer_holds_the_warehouse_lock_a_reader_does_not(tmp_path):
    """A writer takes the flock (a second process's writer would wait or be refused); a
    reader takes none, so a look at the warehouse never waits for a run's steps."""
    import subprocess
    import sys

    warehouse = tmp_path / "w.duckdb"
    probe = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
        "\ntry:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')"
        "\nexcept BlockingIOError:\n    print('held')"
    )

    def flock_state() -> str:
        probed = subprocess.run(
            [sys.executable, "-c", probe, str(lock_path(warehouse.resolve()))],
            capture_output=True,
            text=True,
            check=True,
        )
        return probed.stdout.strip()

    with open_warehouse(warehouse) as con:
        con.execute("create table t as select 1 as x")
        assert flock_state() == "held"
    assert flock_state() == "free"
    with open_warehouse(warehouse, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
        assert flock_state() == "free"
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("insert into t values (2)")


def test_other_files_and_memory_open_without_the_warehouse_lock(tmp_path):
    snapshot = tmp_path / "marts.duckdb"
    with open_file(snapshot) as con:
        con.execute("create table kto_cel as select 7 as n")
    with open_file(snapshot, read_only=True) as con:
        assert con.execute("select n from kto_cel").fetchall() == [(7,)]
    with open_file() as con:
        assert con.execute("select current_database()").fetchone() == ("memory",)
    assert not lock_path(snapshot).exists()
