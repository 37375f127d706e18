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

import os
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

# The key of a description in the Parquet file's Arrow schema (field and schema metadata).
DESCRIPTION = "description"


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
    describe_parquet(path, contract)


def describe_parquet(path: str, contract: TableContract) -> None:
    """Put the contract's descriptions (the snapshot's comments) into the Parquet file's
    schema: each column's as field metadata ``{"description": ...}``, the table's as schema
    metadata. DuckDB writes no per-column metadata, so the file DuckDB wrote is read back with
    pyarrow and written again with the same types and nullability (REQUIRED stays REQUIRED;
    decimals keep their integer storage)."""
    table = pq.read_table(path)
    fields = []
    for field, column in zip(table.schema, contract.columns, strict=True):
        assert field.name == column.name, (field.name, column.name)
        fields.append(
            field.with_metadata({DESCRIPTION: column.comment}) if column.comment else field
        )
    schema = pa.schema(
        fields, metadata={DESCRIPTION: contract.comment} if contract.comment else None
    )
    described = pa.Table.from_arrays(table.columns, schema=schema)
    tmp = f"{path}.described.tmp"
    pq.write_table(described, tmp, store_decimal_as_integer=True)
    os.replace(tmp, path)
