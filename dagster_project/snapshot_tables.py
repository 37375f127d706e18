"""Copying a mart into the published snapshot with its contract: types, NOT NULL, comments.

``CREATE TABLE ... AS SELECT`` would keep the types but drop every NOT NULL and every
comment. The marts are dbt models with an enforced contract (types and ``not_null``
constraints) and ``persist_docs`` (their descriptions as DuckDB comments), so the
warehouse's catalog holds the contract as built; each snapshot table is declared from it
and then filled. The Parquet files are written from the snapshot tables with the same types
and nullability, so their schemas follow the contract, never the data (a column that is NULL
throughout keeps its type; one that happens to hold no NULL stays OPTIONAL).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # DuckDB's spelling: VARCHAR, DECIMAL(3,1), ...
    nullable: bool
    comment: str | None


@dataclass(frozen=True)
class TableContract:
    name: str
    comment: str | None
    columns: tuple[Column, ...]


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_contract(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str
) -> TableContract:
    """The table as the catalog of ``database`` describes it, columns in table order."""
    found = con.execute(
        "SELECT comment FROM duckdb_tables()"
        " WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [database, schema, table],
    ).fetchone()
    if found is None:
        raise LookupError(f"{database}.{schema}.{table}: no such table")
    columns = con.execute(
        "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns()"
        " WHERE database_name = ? AND schema_name = ? AND table_name = ?"
        " ORDER BY column_index",
        [database, schema, table],
    ).fetchall()
    return TableContract(
        name=table,
        comment=found[0],
        columns=tuple(Column(n, t, bool(nullable), c) for n, t, nullable, c in columns),
    )


def create_like(con: duckdb.DuckDBPyConnection, contract: TableContract, source: str) -> int:
    """Create ``main.<table>`` as the contract declares it, fill it from ``source`` (a
    qualified table name) and comment it; the number of rows copied."""
    table = f"main.{ident(contract.name)}"
    declared = ", ".join(
        f"{ident(c.name)} {c.data_type}{'' if c.nullable else ' NOT NULL'}"
        for c in contract.columns
    )
    names = ", ".join(ident(c.name) for c in contract.columns)
    con.execute(f"CREATE TABLE {table} ({declared})")
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {source}")
    if contract.comment:
        con.execute(f"COMMENT ON TABLE {table} IS {literal(contract.comment)}")
    for column in contract.columns:
        if column.comment:
            con.execute(
                f"COMMENT ON COLUMN {table}.{ident(column.name)} IS {literal(column.comment)}"
            )
    (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return rows


def copy_to_parquet(con: duckdb.DuckDBPyConnection, contract: TableContract, path: str) -> None:
    """Write ``main.<table>`` as Parquet with the contract's nullability: NOT NULL columns
    REQUIRED, every other column OPTIONAL.

    DuckDB decides REQUIRED from the statistics of what it writes, so a nullable column that
    happens to hold no NULL would come out REQUIRED and the schema would change with the
    data. A nullable column is therefore written through an expression DuckDB cannot prove
    non-NULL (``random()`` is volatile, so the condition is never folded; it is always true).
    """
    fields = ", ".join(
        f"CASE WHEN random() < 2 THEN {ident(c.name)} END AS {ident(c.name)}"
        if c.nullable
        else ident(c.name)
        for c in contract.columns
    )
    con.execute(
        f"COPY (SELECT {fields} FROM main.{ident(contract.name)}) TO {literal(path)}"
        " (FORMAT parquet)"
    )
