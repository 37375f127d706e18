"""Load the landing folder into raw.*, file by file, each file in one transaction.

A file is read again only when it is new or its content changed (size and
modification time first, then the content hash), so a monthly drop does not
re-read years of history. Re-reading a changed file first removes what its
previous version left. raw keeps every version of a response it has seen;
staging picks the latest (modification time, then file name).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ..readers import SOURCES, FileRejected, ReadResult, Source, read_file, source_for
from .raw_schema import ensure_raw_schema, source_columns

# Below this many bytes to read, starting worker processes costs more than it saves.
PARALLEL_READ_BYTES = 8 * 1024 * 1024


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


def _read(landing_dir: Path, file_path: str) -> ReadResult | FileRejected:
    """Read one file; a refusal is returned rather than raised, so a pool keeps going."""
    try:
        return read_file(landing_dir, file_path)
    except FileRejected as exc:
        return exc


def _read_all(landing_dir: Path, files: list[LandingFile]) -> Iterator[ReadResult | FileRejected]:
    """The files' read results in order; big batches are read by a process pool.

    Reading is CPU-bound Python and each file is independent, so the cores share it;
    writing stays in this process, one file at a time (DuckDB has one writer).
    """
    workers = min(len(files), os.cpu_count() or 1)
    if workers < 2 or sum(f.size_bytes for f in files) < PARALLEL_READ_BYTES:
        return (_read(landing_dir, f.file_path) for f in files)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def results() -> Iterator[ReadResult | FileRejected]:
        with pool:
            yield from pool.map(_read, [landing_dir] * len(files), [f.file_path for f in files])

    return results()


def _write_file(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    digest: str,
    read: ReadResult | FileRejected,
) -> FileOutcome:
    """Replace what an earlier version of the file left with this version, in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        _forget(con, file.file_path)
        if isinstance(read, FileRejected):
            con.execute(
                "INSERT INTO raw.rejected_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    file.file_path,
                    file.source,
                    digest,
                    file.size_bytes,
                    file.modified_at,
                    read.reason,
                    now,
                ],
            )
        else:
            _insert_rows(con, source_for(file.file_path), read, file)
            _insert_problems(con, "quarantine", read.quarantined)
            _insert_problems(con, "answer_issues", read.answer_issues)
            con.execute(
                "INSERT INTO raw.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    file.file_path,
                    file.source,
                    digest,
                    file.size_bytes,
                    file.modified_at,
                    read.rows_read,
                    len(read.rows),
                    read.rows_quarantined,
                    len(read.answer_issues),
                    ", ".join(read.extra_columns) or None,
                    now,
                ],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if isinstance(read, FileRejected):
        return FileOutcome(file.file_path, file.source, "rejected", reason=read.reason)
    return FileOutcome(
        file.file_path,
        file.source,
        "ingested",
        read.rows_read,
        len(read.rows),
        read.rows_quarantined,
        len(read.answer_issues),
        extra_columns=read.extra_columns,
    )


def ingest_files(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, files: Iterable[LandingFile]
) -> IngestReport:
    ensure_raw_schema(con)
    known = _known_versions(con)
    report = IngestReport()
    todo: list[tuple[LandingFile, str]] = []
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
        todo.append((file, digest))
    reads = _read_all(landing_dir, [file for file, _ in todo])
    for (file, digest), read in zip(todo, reads, strict=True):
        report.files.append(_write_file(con, file, digest, read))
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
