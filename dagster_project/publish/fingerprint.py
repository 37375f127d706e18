"""The content fingerprint of a publication: what decides whether a run has anything new.

A run whose landing drop changes no data (nothing new, a copy of a loaded file, a file
refused whole) builds the very marts that are already published. Publishing them again
would add a version and a release to the ledger that differ from the last in their
timestamps only. The fingerprint is what a publication holds, computed in DuckDB: per
public table its contract (columns, types, NOT NULL, the comments the snapshot carries),
its row count and the sum of its rows' 64-bit hashes (order-free, every duplicate
counted). Timestamps are no part of it: no published table holds the time it was built.

It is computed from the warehouse's marts before the publish step writes anything and
stored beside the version (``.published/{version}/fingerprint``); a version published
before fingerprints were stored gets its fingerprint from its own snapshot.
Dagster-free.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from ..warehouse import open_file
from ..warehouse.lock import attach_read_only
from .public_marts import PUBLIC_MARTS
from .snapshot_tables import ident, literal, read_contract

FILE = "fingerprint"  # in the version's folder, beside marts.duckdb


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str
) -> dict:
    """The contract, row count and summed row hash of one table."""
    contract = read_contract(con, database, schema, table)
    rows, hashed = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR "
        f"FROM {ident(database)}.{ident(schema)}.{ident(table)} AS t"
    ).fetchone()
    return {
        "comment": contract.comment,
        "columns": [[c.name, c.data_type, c.nullable, c.comment] for c in contract.columns],
        "rows": rows,
        "hash": hashed,
    }


def fingerprint_of(
    con: duckdb.DuckDBPyConnection,
    database: str,
    schema: str,
    tables: tuple[str, ...] = PUBLIC_MARTS,
) -> str:
    """The fingerprint of ``tables`` in ``database.schema`` (a hex digest)."""
    content = {table: table_fingerprint(con, database, schema, table) for table in tables}
    text = json.dumps(content, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def warehouse_fingerprint(warehouse: Path, tables: tuple[str, ...] = PUBLIC_MARTS) -> str:
    """The fingerprint of the marts as the next publication would hold them."""
    with open_file() as con:
        attach_read_only(con, warehouse, "warehouse")
        return fingerprint_of(con, "warehouse", "marts", tables)


def version_fingerprint(folder: Path, tables: tuple[str, ...] = PUBLIC_MARTS) -> str | None:
    """The fingerprint of the publication in ``folder``: as stored, else from its snapshot;
    None when it has neither (a version that cannot be read is never "the same")."""
    stored = folder / FILE
    if stored.is_file():
        return stored.read_text(encoding="ascii").strip() or None
    snapshot = folder / "marts.duckdb"
    if not snapshot.is_file():
        return None
    try:
        with open_file() as con:
            con.execute(f"ATTACH {literal(str(snapshot))} AS published (READ_ONLY)")
            return fingerprint_of(con, "published", "main", tables)
    except (duckdb.Error, LookupError):
        return None


def store(folder: Path, fingerprint: str) -> Path:
    path = folder / FILE
    path.write_text(fingerprint + "\n", encoding="ascii")
    return path
