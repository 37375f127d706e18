"""Publishing the marts for BI tools: Parquet files and a read-only DuckDB snapshot.

BI tools never read the warehouse the pipeline writes (DuckDB has one writer,
and a reader would block the next run). Each output is written beside its
final name and then renamed over it, so a reader sees the old or the new
version, never half of one; a reader that holds the old file keeps it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .public_marts import PUBLIC_MARTS as MART_TABLES  # the public layer only


@dataclass(frozen=True)
class Published:
    snapshot: Path
    parquet: dict[str, Path]
    rows: dict[str, int]


def publish_marts(
    warehouse: Path, output_dir: Path, tables: tuple[str, ...] = MART_TABLES
) -> Published:
    marts_dir = output_dir / "marts"
    marts_dir.mkdir(parents=True, exist_ok=True)
    snapshot = output_dir / "marts.duckdb"
    snapshot_tmp = output_dir / f".snapshot-{os.getpid()}.duckdb.tmp"
    snapshot_tmp.unlink(missing_ok=True)

    rows: dict[str, int] = {}
    parquet: dict[str, Path] = {}
    with duckdb.connect(str(snapshot_tmp)) as con:
        con.execute(f"ATTACH '{warehouse}' AS warehouse (READ_ONLY)")
        for table in tables:
            # In the snapshot's main schema: opened as marts.duckdb its catalog is `marts`, so
            # `marts.kto_cel` and plain `kto_cel` both resolve (a schema `marts` would make
            # `marts.kto_cel` ambiguous).
            con.execute(f"CREATE TABLE main.{table} AS SELECT * FROM warehouse.marts.{table}")
            (rows[table],) = con.execute(f"SELECT count(*) FROM main.{table}").fetchone()
            target = marts_dir / f"{table}.parquet"
            tmp = marts_dir / f".{table}.parquet.tmp"
            con.execute(f"COPY main.{table} TO '{tmp}' (FORMAT parquet)")
            os.replace(tmp, target)
            parquet[table] = target
        con.execute("DETACH warehouse")
    os.replace(snapshot_tmp, snapshot)
    return Published(snapshot, parquet, rows)
