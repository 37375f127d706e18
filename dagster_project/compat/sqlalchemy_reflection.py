"""What the published snapshot carries so that SQLAlchemy can reflect it.

BI tools reach ``marts.duckdb`` through SQLAlchemy with duckdb-engine (README,
"Connecting a BI tool"). duckdb-engine 0.17 reflects through SQLAlchemy's PostgreSQL
dialect, whose queries for constraints and comments cast a table name to ``REGCLASS``:
a PostgreSQL type DuckDB 2.0 no longer has, so ``MetaData.reflect``, ``Table(...,
autoload_with=...)``, ``pandas.read_sql_table`` and the key look-ups fail with "Type with
name REGCLASS does not exist". No released duckdb-engine works with DuckDB 2.0 here, so the
snapshot declares the type itself, as a name for VARCHAR: the cast then yields the table's
name, which is what those queries compare with. It holds no data and changes no table.

``tests/test_snapshot_bi.py`` reflects the published snapshot with SQLAlchemy and pandas,
and fails when the pinned duckdb-engine no longer needs this (then remove it).
"""

from __future__ import annotations

import duckdb

REFLECTION_TYPES = {"regclass": "VARCHAR"}


def add_reflection_types(con: duckdb.DuckDBPyConnection) -> None:
    """Declare the types SQLAlchemy's reflection casts to, in the connection's database."""
    for name, base in REFLECTION_TYPES.items():
        con.execute(f"CREATE TYPE {name} AS {base}")
