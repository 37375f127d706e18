"""DDL of the raw schema: one table per source plus the ingest bookkeeping tables."""

from __future__ import annotations

import duckdb

from .readers import SOURCES, Source

LINEAGE_COLUMNS = (
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
    ("source_modified_at", "TIMESTAMP"),
    # When this content was first delivered: the modification time of the first file seen
    # with the same content. A re-dropped old export keeps its old place (docs/formats.md).
    ("source_version_at", "TIMESTAMP"),
    # The arrival number of this content (raw.file_contents.arrival): what decides which
    # version of a response wins, never a file time (docs/formats.md).
    ("source_arrival", "BIGINT"),
)

BOOKKEEPING_DDL = (
    """CREATE TABLE IF NOT EXISTS raw.ingested_files (
        file_path VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        modified_at TIMESTAMP NOT NULL,
        rows_read INTEGER NOT NULL,
        rows_accepted INTEGER NOT NULL,
        rows_quarantined INTEGER NOT NULL,
        answer_issues INTEGER NOT NULL,
        extra_columns VARCHAR,
        ingested_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS raw.rejected_files (
        file_path VARCHAR NOT NULL,
        source VARCHAR,
        content_hash VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        modified_at TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL,
        rejected_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS raw.retracted_files (
        file_path VARCHAR NOT NULL,
        source VARCHAR,
        content_hash VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        modified_at TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL,
        retracted_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS raw.file_contents (
        content_hash VARCHAR NOT NULL,
        first_file_path VARCHAR NOT NULL,
        first_modified_at TIMESTAMP NOT NULL,
        first_seen_at TIMESTAMP NOT NULL,
        -- 1, 2, 3, ...: the order in which ingest first saw each content; within one
        -- ingest, by file path. NULL only in a warehouse older than the column (migrated).
        arrival BIGINT,
        ingest_number BIGINT  -- the ingest that first saw it (1, 2, 3, ...)
    )""",
    """CREATE TABLE IF NOT EXISTS raw.quarantine (
        file_path VARCHAR NOT NULL,
        row_number INTEGER NOT NULL,
        column_name VARCHAR,
        value VARCHAR,
        rule VARCHAR NOT NULL
    )""",
    # The settings the rows of each source folder were last judged under (name, folder,
    # value): KTO_GEMEENTECODES. Under another setting the folder's files are read again.
    """CREATE TABLE IF NOT EXISTS raw.ingest_settings (
        name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        value VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS raw.answer_issues (
        file_path VARCHAR NOT NULL,
        row_number INTEGER NOT NULL,
        column_name VARCHAR NOT NULL,
        value VARCHAR,
        rule VARCHAR NOT NULL
    )""",
)


def source_columns(source: Source) -> list[tuple[str, str]]:
    return [(f.raw_name, f.sql_type) for f in source.fields] + list(LINEAGE_COLUMNS)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; add columns a newer reader knows to an older table."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for ddl in BOOKKEEPING_DDL:
        con.execute(ddl)
    migrated = _number_old_contents(con)
    for source in SOURCES:
        columns = source_columns(source)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS raw.{source.raw_table} ("
            + ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
            + ")"
        )
        existing = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ?",
                [source.raw_table],
            ).fetchall()
        }
        for name, sql_type in columns:
            if name not in existing:
                con.execute(f'ALTER TABLE raw.{source.raw_table} ADD COLUMN "{name}" {sql_type}')
        if migrated or "source_arrival" not in existing:
            con.execute(
                f"UPDATE raw.{source.raw_table} AS r SET source_arrival = c.arrival "
                "FROM raw.ingested_files AS i JOIN raw.file_contents AS c USING (content_hash) "
                "WHERE r.source_file = i.file_path AND r.source_arrival IS NULL"
            )


def _number_old_contents(con: duckdb.DuckDBPyConnection) -> bool:
    """Give contents recorded before arrival numbers existed one, in the order first seen.

    Each becomes an ingest of its own: their old order came from file times, and no
    conflict can be claimed for them after the fact. True when any was numbered.
    """
    columns = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'file_contents'"
        ).fetchall()
    }
    for name in ("arrival", "ingest_number"):
        if name not in columns:
            con.execute(f"ALTER TABLE raw.file_contents ADD COLUMN {name} BIGINT")
    ((missing,),) = con.execute(
        "SELECT count(*) FROM raw.file_contents WHERE arrival IS NULL"
    ).fetchall()
    if not missing:
        return False
    con.execute(
        "UPDATE raw.file_contents AS c SET arrival = n.arrival, ingest_number = n.arrival "
        "FROM (SELECT content_hash, (SELECT coalesce(max(arrival), 0) FROM raw.file_contents) "
        "  + row_number() OVER (ORDER BY first_modified_at, first_seen_at, first_file_path) "
        "  AS arrival FROM raw.file_contents WHERE arrival IS NULL) AS n "
        "WHERE c.content_hash = n.content_hash"
    )
    return True
