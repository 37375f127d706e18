"""What the warehouse holds per table: row count and columns, read in one pass.

Dagster-free, so the dbt assets (row counts and column schemas in the UI) and
anything else that describes the warehouse share one reading of DuckDB's catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool


@dataclass(frozen=True)
class TableFacts:
    schema: str
    name: str
    row_count: int
    columns: tuple[Column, ...]


def table_facts(
    con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]
) -> dict[tuple[str, str], TableFacts]:
    """Row count and columns of each ``(schema, name)`` that exists as a table or view."""
    wanted = set(tables)
    columns: dict[tuple[str, str], list[Column]] = {}
    for schema, name, column, data_type, nullable in con.execute(
        """
        select table_schema, table_name, column_name, data_type, is_nullable = 'YES'
        from information_schema.columns
        where table_catalog = current_database()
        order by table_schema, table_name, ordinal_position
        """
    ).fetchall():
        if (schema, name) in wanted:
            columns.setdefault((schema, name), []).append(Column(column, data_type, nullable))
    facts = {}
    for schema, name in columns:
        quoted = f'"{schema.replace(chr(34), chr(34) * 2)}"."{name.replace(chr(34), chr(34) * 2)}"'
        (count,) = con.execute(f"select count(*) from {quoted}").fetchone()
        facts[(schema, name)] = TableFacts(schema, name, count, tuple(columns[(schema, name)]))
    return facts
