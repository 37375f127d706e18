"""Load the landing folder into raw.*, file by file, each file in one transaction.

A file is read again only when it is new or its content changed (size and
modification time first, then the content hash), so a monthly drop does not
re-read years of history. Re-reading a changed file first removes what its
previous version left; a changed file that cannot be read keeps the rows of
its last readable version ("held") until a readable version arrives or it is
retracted. raw keeps every version of a response it has seen; staging picks
the latest (docs/formats.md, "Which version of a response wins").

The rows of a file are judged under the setting KTO_GEMEENTECODES (melden or strikt,
dagster_project/domain/municipalities.py); the warehouse records it per source folder
(raw.ingest_settings), and under another setting every ingested file of the folder is read
again, unchanged or not, so no row stays accepted (or quarantined) by the other setting.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..domain import municipalities
from ..text.normalise import file_name_problem, storable
from ..warehouse import open_warehouse
from .raw_schema import ensure_raw_schema
from .readers import SOURCES, FileRejected, ReadResult, Source, read_file, source_for
from .readers.municipality_codes import judged_as
from .status import Outcome

# Below this many bytes to read, starting worker processes costs more than it saves.
PARALLEL_READ_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class LandingFile:
    file_path: str  # relative to the landing folder, '/'-separated
    path: Path
    size_bytes: int
    modified_at: datetime  # UTC, naive
    refusal: str | None = None  # why it is not read at all (a symbolic link leading out, ...)

    @property
    def source(self) -> str | None:
        return self.file_path.split("/", 1)[0] if "/" in self.file_path else None


@dataclass
class FileOutcome:
    file_path: str
    source: str | None
    status: Outcome
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    answer_issues: int = 0
    reason: str | None = None
    extra_columns: list[str] = field(default_factory=list)
    kept_previous: bool = False  # rejected, and the rows of its last readable version stay


@dataclass(frozen=True)
class HeldFile:
    """A changed file that cannot be read; raw keeps the rows of its last readable version."""

    file_path: str
    reason: str
    kept_modified_at: datetime  # modification time of the version whose rows stay

    def __str__(self) -> str:
        return (
            f"{self.file_path}: {self.reason}; its previous version (modified "
            f"{self.kept_modified_at:%Y-%m-%d %H:%M:%S} UTC) is kept until a readable version "
            "arrives or it is retracted (kto retract)"
        )


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    held: list[HeldFile] = field(default_factory=list)  # after this ingest, from any run

    def of(self, status: Outcome) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    def totals(self, source: str | None = None) -> dict[str, int]:
        chosen = [f for f in self.files if source is None or f.source == source]
        return {
            "files_seen": len(chosen),
            **{f"files_{o}": sum(f.status == o for f in chosen) for o in Outcome},
            "files_held": sum(
                h.file_path.split("/", 1)[0] == source or source is None for h in self.held
            ),
            "rows_read": sum(f.rows_read for f in chosen),
            "rows_accepted": sum(f.rows_accepted for f in chosen),
            "rows_quarantined": sum(f.rows_quarantined for f in chosen),
            "answer_issues": sum(f.answer_issues for f in chosen),
        }


def _modified(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)


def scan_landing(landing_dir: Path) -> list[LandingFile]:
    """Every file below the landing folder, oldest first; dot-files (.gitkeep, ...) are skipped.

    Symbolic links are followed when they stay inside the landing folder. The
    landing folder itself and its source folders (one2ten/, ...) may be links
    to a share: their targets count as inside. Any other link, a broken link
    and anything that is not a regular file (a pipe would block the read) is
    listed with its refusal instead of being read.
    """
    found: list[LandingFile] = []
    if not landing_dir.exists():
        return found
    root = landing_dir.resolve()
    inside = [root] + [
        (landing_dir / s.folder).resolve()
        for s in SOURCES
        if (landing_dir / s.folder).is_symlink() and (landing_dir / s.folder).is_dir()
    ]

    def refuse(file_path: str, path: Path, reason: str) -> None:
        stat = path.lstat()
        # A name that is not UTF-8 is recorded with its bytes escaped (caf\xe9.csv).
        shown = storable(file_path, file_name=True)
        found.append(LandingFile(shown, path, stat.st_size, _modified(stat), reason))

    def walk(directory: Path, prefix: str, ancestors: frozenset[Path]) -> None:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            file_path = prefix + entry.name
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    refuse(file_path, path, "broken symbolic link (its target does not exist)")
                    continue
                if not any(target.is_relative_to(place) for place in inside):
                    refuse(
                        file_path,
                        path,
                        f"symbolic link to {target}, outside the landing folder (not followed)",
                    )
                    continue
            if entry.is_dir():
                real = path.resolve()
                if real not in ancestors:  # a link back up would loop for ever
                    walk(path, file_path + "/", ancestors | {real})
            elif entry.is_file():
                bad_name = file_name_problem(file_path)
                if bad_name:  # it could be neither stored nor printed as it is
                    refuse(file_path, path, bad_name)
                    continue
                stat = path.stat()
                found.append(LandingFile(file_path, path, stat.st_size, _modified(stat)))
            else:
                refuse(file_path, path, "not a regular file (a pipe, socket or device)")

    walk(landing_dir, "", frozenset({root}))
    return sorted(found, key=lambda f: (f.modified_at, f.file_path))


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class KnownVersion:
    size_bytes: int
    modified_at: datetime
    content_hash: str
    state: Outcome  # INGESTED, REJECTED or RETRACTED


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, KnownVersion]:
    """The last version of each file the warehouse has seen, and what became of it.

    A held file has an ingested and a (newer) rejected version: the rejected one
    is what the landing file is now, so it is the one compared with.
    """
    rows = con.execute(
        "SELECT file_path, size_bytes, modified_at, content_hash, 'ingested', 1 "
        "FROM raw.ingested_files UNION ALL "
        "SELECT file_path, size_bytes, modified_at, content_hash, 'rejected', 2 "
        "FROM raw.rejected_files UNION ALL "
        "SELECT file_path, size_bytes, modified_at, content_hash, 'retracted', 3 "
        "FROM raw.retracted_files ORDER BY 6"
    ).fetchall()
    return {row[0]: KnownVersion(*row[1:4], Outcome(row[4])) for row in rows}


def held_files(con: duckdb.DuckDBPyConnection) -> list[HeldFile]:
    rows = con.execute(
        "SELECT r.file_path, r.reason, i.modified_at FROM raw.rejected_files r "
        "JOIN raw.ingested_files i USING (file_path) ORDER BY r.file_path"
    ).fetchall()
    return [HeldFile(*row) for row in rows]


def forget(con: duckdb.DuckDBPyConnection, file_path: str) -> None:
    """Remove everything an earlier version of this file left in raw."""
    for source in SOURCES:
        con.execute(f"DELETE FROM raw.{source.raw_table} WHERE source_file = ?", [file_path])
    for table in (
        "ingested_files",
        "rejected_files",
        "retracted_files",
        "quarantine",
        "answer_issues",
    ):
        con.execute(f"DELETE FROM raw.{table} WHERE file_path = ?", [file_path])


def _version_at(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    digest: str,
    ingest_number: int,
    planned: dict[str, tuple[int, str]],
) -> tuple[datetime, int]:
    """When this content was first delivered and its arrival number; recorded the first time.

    A content new to the warehouse gets the number and first file ``planned`` for it
    (``_plan_arrivals``), so content that reaches the warehouse later wins, whatever its
    file's modification time says, in whatever order the files of one ingest finish reading.
    """
    # fetchall: DuckDB refuses the next statement while a result is left unfinished
    rows = con.execute(
        "SELECT first_modified_at, arrival FROM raw.file_contents WHERE content_hash = ?",
        [digest],
    ).fetchall()
    if rows:
        return rows[0]
    arrival, first_path = planned[digest]
    con.execute(
        "INSERT INTO raw.file_contents VALUES (?, ?, ?, ?, ?, ?)",
        [
            digest,
            first_path,
            file.modified_at,
            datetime.now(UTC).replace(tzinfo=None),
            arrival,
            ingest_number,
        ],
    )
    return file.modified_at, arrival


def _plan_arrivals(
    con: duckdb.DuckDBPyConnection, contents: list[tuple[str, str]]
) -> dict[str, tuple[int, str]]:
    """The arrival number and first file of each content first seen in this ingest.

    ``contents`` (digest, file path) come in file-path order, the documented order within
    one ingest. Numbering
    them before reading lets each file be written as soon as it is read; a content that is
    then refused leaves its number unused (the numbers order, they do not count).
    """
    known = {d for (d,) in con.execute("SELECT content_hash FROM raw.file_contents").fetchall()}
    ((last,),) = con.execute("SELECT coalesce(max(arrival), 0) FROM raw.file_contents").fetchall()
    planned: dict[str, tuple[int, str]] = {}
    for digest, file_path in contents:
        if digest not in known and digest not in planned:
            planned[digest] = (last + len(planned) + 1, file_path)
    return planned


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    result: ReadResult,
    file: LandingFile,
    version_at: datetime,
    arrival: int,
) -> None:
    if not result.rows_accepted:
        return
    # DuckDB scans the reader's Arrow columns in place; the lineage is one value per file.
    fields = [f'"{f.raw_name}"' for f in source.fields] + ['"source_row"']
    lineage = ['"source_file"', '"source_modified_at"', '"source_version_at"', '"source_arrival"']
    con.register("incoming_rows", result.columns)
    try:
        con.execute(
            f"INSERT INTO raw.{source.raw_table} ({', '.join(fields + lineage)}) "
            f"SELECT {', '.join(fields)}, ?, ?, ?, ? FROM incoming_rows",
            [file.file_path, file.modified_at, version_at, arrival],
        )
    finally:
        con.unregister("incoming_rows")


def _insert_problems(con: duckdb.DuckDBPyConnection, table: str, problems: list) -> None:
    if problems:
        con.executemany(
            f"INSERT INTO raw.{table} VALUES (?, ?, ?, ?, ?)",
            [(p.file_path, p.row_number, p.column_name, p.value, p.rule) for p in problems],
        )


def _read(landing_dir: Path, file_path: str, mode: str) -> ReadResult | FileRejected:
    """Read one file under KTO_GEMEENTECODES ``mode``; a refusal is returned rather than
    raised, so a pool keeps going."""
    try:
        with judged_as(mode):
            return read_file(landing_dir, file_path)
    except FileRejected as exc:
        return exc
    except Exception as exc:
        # refusals; this is the last guard, so one file can never stop the others
        return FileRejected(file_path, f"cannot be read ({type(exc).__name__}: {exc})")


def _read_all(
    landing_dir: Path, files: list[LandingFile], mode: str
) -> Iterator[tuple[int, ReadResult | FileRejected]]:
    """Each file's read result with its index in ``files``, as soon as it is read.

    Reading is CPU-bound Python and each file is independent, so big batches are read by a
    process pool; writing stays in the caller's process (DuckDB has one writer). At most one
    file per worker is submitted ahead of the results taken, so the memory held is that of
    the files being read and written, not of the folder: a result waits for nothing but
    its own write.
    """
    workers = min(len(files), os.cpu_count() or 1)
    if workers < 2 or sum(f.size_bytes for f in files) < PARALLEL_READ_BYTES:
        return ((i, _read(landing_dir, f.file_path, mode)) for i, f in enumerate(files))

    def results() -> Iterator[tuple[int, ReadResult | FileRejected]]:
        # Largest first, so that a big file does not start last while the other worker idles.
        waiting = sorted(range(len(files)), key=lambda i: files[i].size_bytes, reverse=True)
        done: set[int] = set()
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            with pool:
                running: dict[Future, int] = {}
                while waiting or running:
                    while waiting and len(running) < workers:
                        i = waiting.pop(0)
                        running[pool.submit(_read, landing_dir, files[i].file_path, mode)] = i
                    # No name outlives the loop: a result written is not kept while the
                    # next is awaited.
                    for future in wait(running, return_when=FIRST_COMPLETED).done:
                        i = running.pop(future)
                        done.add(i)
                        yield i, future.result()
                    del future
        except BrokenProcessPool:
            # A worker died (killed, out of memory): read the rest here, one by one.
            for i, file in enumerate(files):
                if i not in done:
                    yield i, _read(landing_dir, file.file_path, mode)

    return results()


def _write_file(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    digest: str,
    read: ReadResult | FileRejected,
    previous: KnownVersion | None,
    ingest_number: int,
    planned: dict[str, tuple[int, str]],
) -> FileOutcome:
    """Replace what an earlier version of the file left with this version, in one transaction.

    A refused version does not replace a readable one: its rows stay, and the
    refusal is recorded next to them (the file is held).
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    keep = isinstance(read, FileRejected) and previous is not None and _has_rows(con, file)
    con.execute("BEGIN TRANSACTION")
    try:
        if keep:
            con.execute("DELETE FROM raw.rejected_files WHERE file_path = ?", [file.file_path])
        else:
            forget(con, file.file_path)
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
            version_at, arrival = _version_at(con, file, digest, ingest_number, planned)
            _insert_rows(con, source_for(file.file_path), read, file, version_at, arrival)
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
                    read.rows_accepted,
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
        return FileOutcome(
            file.file_path, file.source, Outcome.REJECTED, reason=read.reason, kept_previous=keep
        )
    return FileOutcome(
        file.file_path,
        file.source,
        Outcome.INGESTED,
        read.rows_read,
        read.rows_accepted,
        read.rows_quarantined,
        len(read.answer_issues),
        extra_columns=read.extra_columns,
    )


def _has_rows(con: duckdb.DuckDBPyConnection, file: LandingFile) -> bool:
    ((found,),) = con.execute(
        "SELECT count(*) FROM raw.ingested_files WHERE file_path = ?", [file.file_path]
    ).fetchall()
    return found > 0


# Personal data, not answers: a re-export may leave it out (docs/formats.md).
PERSONAL_COLUMNS = frozenset({"e_mailadres", "email"})


def _keeps_answers(
    con: duckdb.DuckDBPyConnection, file: LandingFile, read: ReadResult
) -> ReadResult | FileRejected:
    """The new version, or its refusal when it would remove answers its file supplied.

    A column that supplied answers and is gone from the next version (renamed beyond the
    header table, dropped) is far more often a broken export than a correction, and so is
    a version of which no row can be used: the file is held at its previous version (the
    loader keeps its rows), naming the columns. A column that is there but empty is not
    a loss: a small correction may have no remark at all.
    """
    source = source_for(file.file_path)
    counted = [f for f in source.fields if f.raw_name not in PERSONAL_COLUMNS]
    selection = ", ".join(f'count("{f.raw_name}")' for f in counted)
    before = con.execute(
        f"SELECT count(*), {selection} FROM raw.{source.raw_table} WHERE source_file = ?",
        [file.file_path],
    ).fetchall()[0]
    if before[0] and not read.rows_accepted:
        return FileRejected(
            file.file_path,
            f"no row of this version can be used ({read.rows_quarantined:,} quarantined), "
            f"where its previous version supplied {before[0]:,}",
        )
    lost = [
        (f.column, answers)
        for f, answers in zip(counted, before[1:], strict=True)
        if answers and f.raw_name not in read.found_columns
    ]
    if not lost:
        return read
    shown = ", ".join(f"{column!r} ({answers:,} answers)" for column, answers in lost)
    return FileRejected(
        file.file_path,
        f"this version has no {'columns' if len(lost) > 1 else 'column'} {shown} that its "
        "previous version supplied answers in (renamed or dropped?)",
    )


def _record_touch(
    con: duckdb.DuckDBPyConnection, file: LandingFile, previous: KnownVersion
) -> None:
    table = f"{previous.state}_files"  # ingested_files, rejected_files, retracted_files
    con.execute(
        f"UPDATE raw.{table} SET size_bytes = ?, modified_at = ? WHERE file_path = ?",
        [file.size_bytes, file.modified_at, file.file_path],
    )


def _refusal_digest(file: LandingFile) -> str:
    # A refused entry is not read; its "content" is the refusal, so a new refusal is a change.
    return hashlib.sha256(f"refused: {file.refusal}".encode()).hexdigest()


def judged_under(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Source folder -> the KTO_GEMEENTECODES its rows were judged under (none recorded:
    melden, what the readers did before the code list)."""
    rows = con.execute(
        "SELECT source, value FROM raw.ingest_settings WHERE name = ?", [municipalities.VARIABLE]
    ).fetchall()
    return {folder: dict(rows).get(folder, municipalities.REPORT) for folder in _FOLDERS}


_FOLDERS = tuple(s.folder for s in SOURCES)


def _record_judged(con: duckdb.DuckDBPyConnection, folders: set[str], mode: str) -> None:
    for folder in sorted(folders):
        con.execute(
            "DELETE FROM raw.ingest_settings WHERE name = ? AND source = ?",
            [municipalities.VARIABLE, folder],
        )
        con.execute(
            "INSERT INTO raw.ingest_settings VALUES (?, ?, ?)",
            [municipalities.VARIABLE, folder, mode],
        )


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    files: Iterable[LandingFile],
    gemeentecodes: str | None = None,
) -> IngestReport:
    """Ingest ``files``; ``gemeentecodes``: KTO_GEMEENTECODES (None: the environment's)."""
    mode = municipalities.mode() if gemeentecodes is None else municipalities.checked(gemeentecodes)
    files = list(files)
    ensure_raw_schema(con)
    # folders whose rows were judged under the other setting: their files are read again
    rejudged = {folder for folder, judged in judged_under(con).items() if judged != mode}
    known = known_versions(con)
    report = IngestReport()
    todo: list[tuple[LandingFile, str, KnownVersion | None]] = []
    refused: list[tuple[LandingFile, str, KnownVersion | None]] = []
    ((ingest_number,),) = con.execute(
        "SELECT coalesce(max(ingest_number), 0) + 1 FROM raw.file_contents"
    ).fetchall()
    for file in files:
        previous = known.get(file.file_path)
        retracted = previous is not None and previous.state == Outcome.RETRACTED
        unchanged = Outcome.RETRACTED if retracted else Outcome.UNCHANGED
        if (
            previous
            and previous.state == Outcome.INGESTED
            and file.source in rejudged
            and not file.refusal
            and content_hash(file.path) == previous.content_hash
        ):
            todo.append((file, previous.content_hash, previous))  # the same rows, judged again
            continue
        if previous and (previous.size_bytes, previous.modified_at) == (
            file.size_bytes,
            file.modified_at,
        ):
            report.files.append(FileOutcome(file.file_path, file.source, unchanged))
            continue
        digest = _refusal_digest(file) if file.refusal else content_hash(file.path)
        if previous and previous.content_hash == digest:
            # Touched but not changed: the same file twice changes nothing. Its new size
            # and time are recorded, so it is not hashed again and `kto files` says so.
            _record_touch(con, file, previous)
            report.files.append(FileOutcome(file.file_path, file.source, unchanged))
            continue
        (refused if file.refusal else todo).append((file, digest, previous))
    for file, digest, previous in refused:
        rejection = FileRejected(file.file_path, file.refusal or "")
        report.files.append(_write_file(con, file, digest, rejection, previous, ingest_number, {}))
    # Contents first seen in one ingest are numbered by file path: a documented order
    # that does not depend on file times (docs/formats.md, "Which version ... wins").
    todo.sort(key=lambda t: t[0].file_path)
    planned = _plan_arrivals(con, [(digest, file.file_path) for file, digest, _ in todo])
    outcomes: dict[int, FileOutcome] = {}
    for i, read in _read_all(landing_dir, [file for file, _, _ in todo], mode):
        file, digest, previous = todo[i]
        # a version judged again has the same columns; its rows may all be quarantined now
        if (
            isinstance(read, ReadResult)
            and previous is not None
            and previous.content_hash != digest
        ):
            read = _keeps_answers(con, file, read)
        outcomes[i] = _write_file(con, file, digest, read, previous, ingest_number, planned)
        del read  # its rows are in the warehouse; do not hold them while the next is read
    report.files.extend(outcomes[i] for i in range(len(todo)))
    _record_judged(con, {f.source for f in files if f.source in _FOLDERS}, mode)
    report.held = held_files(con)
    return report


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    folders: Iterable[str] | None = None,
    gemeentecodes: str | None = None,
) -> IngestReport:
    """Ingest the landing files of the given folders (default: every file) under
    KTO_GEMEENTECODES ``gemeentecodes`` (None: the environment's)."""
    files = scan_landing(landing_dir)
    if folders is not None:
        wanted = set(folders)
        files = [f for f in files if f.source in wanted]
    return ingest_files(con, landing_dir, files, gemeentecodes)


def load_landing(
    landing_dir: Path, warehouse: Path, gemeentecodes: str | None = None
) -> IngestReport:
    """Ingest every file of the landing folder into the warehouse at ``warehouse``."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(warehouse) as con:
        return ingest_source(con, landing_dir, gemeentecodes=gemeentecodes)
