"""Load the landing folder into raw.*, file by file, each file in one transaction.

A file is read again only when it is new or its content changed (size and
modification time first, then the content hash), so a monthly drop does not
re-read years of history. Re-reading a changed file first removes what its
previous version left. raw keeps every version of a response it has seen;
staging picks the latest (modification time, then file name).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ..readers import SOURCES, FileRejected, ReadResult, Source, read_file, source_for
from .raw_schema import ensure_raw_schema, source_columns

PROBLEM_COLUMNS = ["file_path", "row_number", "column_name", "value", "rule"]


@dataclass(frozen=True)
class LandingFile:
    file_path: str  # relative to the landing folder, '/'-separated
    path: Path
    size_bytes: int
    modified_at: datetime  # UTC, naive

    @property
    def source(self) -> str | None:
        return self.file_path.split("/", 1)[0] if "/" in self.file_path else None


@dataclass
class FileOutcome:
    file_path: str
    source: str | None
    status: str  # ingested | unchanged | rejected
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    answer_issues: int = 0
    reason: str | None = None
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)

    def of(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    def totals(self, source: str | None = None) -> dict[str, int]:
        chosen = [f for f in self.files if source is None or f.source == source]
        return {
            "files_seen": len(chosen),
            "files_ingested": sum(f.status == "ingested" for f in chosen),
            "files_unchanged": sum(f.status == "unchanged" for f in chosen),
            "files_rejected": sum(f.status == "rejected" for f in chosen),
            "rows_read": sum(f.rows_read for f in chosen),
            "rows_accepted": sum(f.rows_accepted for f in chosen),
            "rows_quarantined": sum(f.rows_quarantined for f in chosen),
            "answer_issues": sum(f.answer_issues for f in chosen),
        }


def scan_landing(landing_dir: Path) -> list[LandingFile]:
    """Every file below the landing folder, oldest first; dot-files (.gitkeep, ...) are skipped."""
    found = []
    if not landing_dir.exists():
        return found
    for path in landing_dir.rglob("*"):
        relative = path.relative_to(landing_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)
        found.append(LandingFile(relative.as_posix(), path, stat.st_size, modified))
    return sorted(found, key=lambda f: (f.modified_at, f.file_path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, datetime, str]]:
    rows = con.execute(
        "SELECT file_path, size_bytes, modified_at, content_hash FROM raw.ingested_files "
        "UNION ALL "
        "SELECT file_path, size_bytes, modified_at, content_hash FROM raw.rejected_files"
    ).fetchall()
    return {path: (size, modified, digest) for path, size, modified, digest in rows}


def _forget(con: duckdb.DuckDBPyConnection, file_path: str) -> None:
    """Remove everything an earlier version of this file left in raw."""
    for source in SOURCES:
        con.execute(f"DELETE FROM raw.{source.raw_table} WHERE source_file = ?", [file_path])
    for table in ("ingested_files", "rejected_files", "quarantine", "answer_issues"):
        con.execute(f"DELETE FROM raw.{table} WHERE file_path = ?", [file_path])


def _insert_rows(
    con: duckdb.DuckDBPyConnection, source: Source, result: ReadResult, file: LandingFile
) -> None:
    if not result.rows:
        return
    columns = [name for name, _ in source_columns(source)]
    frame = pd.DataFrame.from_records(result.rows)
    frame["source_file"] = file.file_path
    frame["source_modified_at"] = file.modified_at
    frame = frame.reindex(columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    names = ", ".join(f'"{c}"' for c in columns)
    con.register("incoming_rows", frame)
    try:
        con.execute(
            f"INSERT INTO raw.{source.raw_table} ({names}) SELECT {names} FROM incoming_rows"
        )
    finally:
        con.unregister("incoming_rows")


def _insert_problems(con: duckdb.DuckDBPyConnection, table: str, problems: list) -> None:
    if problems:
        con.executemany(
            f"INSERT INTO raw.{table} VALUES (?, ?, ?, ?, ?)",
            [(p.file_path, p.row_number, p.column_name, p.value, p.rule) for p in problems],
        )


def _ingest_file(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, file: LandingFile, digest: str
) -> FileOutcome:
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        source = source_for(file.file_path)
        result = read_file(landing_dir, file.file_path)
    except FileRejected as exc:
        con.execute("BEGIN TRANSACTION")
        _forget(con, file.file_path)
        con.execute(
            "INSERT INTO raw.rejected_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                file.file_path,
                file.source,
                digest,
                file.size_bytes,
                file.modified_at,
                exc.reason,
                now,
            ],
        )
        con.execute("COMMIT")
        return FileOutcome(file.file_path, file.source, "rejected", reason=exc.reason)

    con.execute("BEGIN TRANSACTION")
    try:
        _forget(con, file.file_path)
        _insert_rows(con, source, result, file)
        _insert_problems(con, "quarantine", result.quarantined)
        _insert_problems(con, "answer_issues", result.answer_issues)
        con.execute(
            "INSERT INTO raw.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file.file_path,
                source.folder,
                digest,
                file.size_bytes,
                file.modified_at,
                result.rows_read,
                len(result.rows),
                result.rows_quarantined,
                len(result.answer_issues),
                ", ".join(result.extra_columns) or None,
                now,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return FileOutcome(
        file.file_path,
        source.folder,
        "ingested",
        result.rows_read,
        len(result.rows),
        result.rows_quarantined,
        len(result.answer_issues),
        extra_columns=result.extra_columns,
    )


def ingest_files(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, files: Iterable[LandingFile]
) -> IngestReport:
    ensure_raw_schema(con)
    known = _known_versions(con)
    report = IngestReport()
    for file in files:
        previous = known.get(file.file_path)
        if previous and previous[:2] == (file.size_bytes, file.modified_at):
            report.files.append(FileOutcome(file.file_path, file.source, "unchanged"))
            continue
        digest = _sha256(file.path)
        if previous and previous[2] == digest:
            # Touched but not changed: the same file twice changes nothing.
            report.files.append(FileOutcome(file.file_path, file.source, "unchanged"))
            continue
        report.files.append(_ingest_file(con, landing_dir, file, digest))
    return report


def ingest_source(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, folders: Iterable[str] | None = None
) -> IngestReport:
    """Ingest the landing files of the given folders (default: every file)."""
    files = scan_landing(landing_dir)
    if folders is not None:
        wanted = set(folders)
        files = [f for f in files if f.source in wanted]
    return ingest_files(con, landing_dir, files)


def load_landing(landing_dir: Path, warehouse: Path) -> IngestReport:
    """Ingest every file of the landing folder into the warehouse at ``warehouse``."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        return ingest_source(con, landing_dir)
