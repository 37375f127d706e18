"""The landing files as the warehouse knows them, and retracting one (`kto files`, `kto retract`).

Free of Dagster: both work on a DuckDB connection and the landing folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import duckdb

from ..text.normalise import shown_name, storable
from ..warehouse import open_file, open_warehouse
from .loader import content_hash, forget, held_files, known_versions, scan_landing
from .raw_schema import ensure_raw_schema
from .readers import SOURCES
from .status import Listed, Outcome
from .unused import wholly_quarantined

# Staging models and the source_file of each version they keep (what a file supplies now).
STAGING_MODELS = (
    "stg_one2ten__responses",
    "stg_openforms__submissions",
    "stg_inviter__invitations",
)


@dataclass
class LandingFileStatus:
    file_path: str
    status: (
        str  # new | changed | loaded | quarantined | rejected | held | retracted (+ ", removed")
    )
    rows_read: int | None = None
    rows_accepted: int | None = None
    rows_quarantined: int | None = None
    supplies: int | None = None  # responses (invitations) staging takes from this file
    reason: str | None = None


@dataclass(frozen=True)
class Conflict:
    """Two contents first seen in one ingest that hold versions of the same responses.

    Arrival cannot order them, so the rule of docs/formats.md does: the later file path
    has the higher arrival number and its versions win.
    """

    winner: str
    loser: str
    responses: int  # responses (Inviter: invitations) both files hold a version of

    def __str__(self) -> str:
        return (
            f"conflict: {shown_name(self.loser)} and {shown_name(self.winner)} were first seen "
            f"in the same ingest and both hold {self.responses:,} of the same responses; the "
            f"later path, {shown_name(self.winner)}, wins them (retract the file that should not)"
        )


# Per source, what makes a response (invitation) one: staging's partition, as one hash.
RESPONSE_KEYS = {
    "one2ten_responses": "hash(kanaal, respondentnummer)",
    "openforms_submissions": "hash(respondent_id)",
    "inviter_invitations": "hash(gemeentecode, kanaal, verzonden_op, lower(trim(e_mailadres)), "
    "row_number() OVER (PARTITION BY source_file, gemeentecode, kanaal, verzonden_op, "
    "lower(trim(e_mailadres)) ORDER BY source_row))",
}


def conflicts(con: duckdb.DuckDBPyConnection) -> list[Conflict]:
    """Pairs of files whose contents arrived in one ingest and overlap in responses."""
    ((numbered,),) = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'raw' "
        "AND column_name IN ('ingest_number', 'source_arrival')"
    ).fetchall()
    if numbered < 1 + len(SOURCES):
        return []  # a warehouse from before arrival numbers, opened read-only: none known
    found = []
    for source in SOURCES:
        rows = con.execute(
            f"""
            WITH shared AS (  -- ingests that first saw more than one content of this source
                SELECT c.ingest_number FROM raw.file_contents c
                JOIN raw.ingested_files i USING (content_hash)
                WHERE i.source = ?
                GROUP BY 1 HAVING count(DISTINCT c.arrival) > 1
            ),
            versions AS (
                SELECT DISTINCT r.source_file, r.source_arrival, c.ingest_number, r.k
                FROM (
                    SELECT source_file, source_arrival, {RESPONSE_KEYS[source.raw_table]} AS k
                    FROM raw.{source.raw_table}
                ) r
                JOIN raw.file_contents c ON c.arrival = r.source_arrival
                WHERE c.ingest_number IN (SELECT ingest_number FROM shared)
            )
            SELECT a.source_file, b.source_file, count(*)
            FROM versions a JOIN versions b USING (ingest_number, k)
            WHERE a.source_arrival > b.source_arrival
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            [source.folder],
        ).fetchall()
        found.extend(Conflict(*row) for row in rows)
    return found


class UnknownFile(ValueError):
    """The path is neither in the landing folder nor known to the warehouse."""


def landing_relative(landing_dir: Path, given: str) -> str:
    """A path as people type it (relative to here, absolute, or landing-relative) -> file_path."""
    path = Path(given)
    for base in (landing_dir.absolute(), landing_dir.resolve()):
        for candidate in (path.absolute(), path.resolve()) if path.exists() else (path,):
            if candidate.is_absolute() and candidate.is_relative_to(base):
                # A name that is not UTF-8 is known by its escaped form (loader.scan_landing).
                return storable(candidate.relative_to(base).as_posix(), file_name=True)
    return storable(PurePosixPath(path.as_posix()).as_posix(), file_name=True)


def _supplies(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    built = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'"
        ).fetchall()
    }
    models = [m for m in STAGING_MODELS if m in built]
    if not models:
        return None  # dbt has not built staging yet
    union = " UNION ALL ".join(f"SELECT source_file FROM staging.{m}" for m in models)
    rows = con.execute(f"SELECT source_file, count(*) FROM ({union}) GROUP BY 1").fetchall()
    return dict(rows)


def _schema_exists(con: duckdb.DuckDBPyConnection) -> bool:
    ((found,),) = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = 'retracted_files'"
    ).fetchall()
    return found > 0


def landing_files(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> list[LandingFileStatus]:
    """Every file in the landing folder or known to the warehouse, with what became of it."""
    known = known_versions(con) if _schema_exists(con) else {}
    held = {h.file_path: h for h in held_files(con)} if known else {}
    counts = {}
    reasons = {}
    if known:
        counts = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT file_path, rows_read, rows_accepted, rows_quarantined "
                "FROM raw.ingested_files"
            ).fetchall()
        }
        reasons = dict(
            con.execute(
                "SELECT file_path, reason FROM raw.rejected_files UNION ALL "
                "SELECT file_path, 'retracted: ' || reason FROM raw.retracted_files"
            ).fetchall()
        )
    supplies = _supplies(con) or {}
    on_disk = {f.file_path: f for f in scan_landing(landing_dir)}
    out = []
    for file_path in sorted(on_disk.keys() | known.keys()):
        version = known.get(file_path)
        present = on_disk.get(file_path)
        if version is None:
            status = Listed.NEW
        elif present is not None and (present.size_bytes, present.modified_at) != (
            version.size_bytes,
            version.modified_at,
        ):
            status = Listed.CHANGED  # the next run reads it (or finds it touched only)
        elif file_path in held:
            status = Listed.HELD
        else:
            status = Listed.LOADED if version.state == Outcome.INGESTED else Listed(version.state)
        rows = counts.get(file_path, (None, None, None))
        if status == Listed.LOADED and wholly_quarantined(*rows[:2]):
            status = Listed.QUARANTINED  # read, but not one row accepted: `kto run` fails on it
        if present is None:
            status += ", removed"
        out.append(
            LandingFileStatus(
                file_path,
                status,
                *rows,
                supplies=supplies.get(file_path, 0 if supplies else None),
                reason=reasons.get(file_path),
            )
        )
    return out


def format_files(files: list[LandingFileStatus], found: Sequence[Conflict] = ()) -> str:
    """The listing as a fixed-width table for a terminal."""

    def shown(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    header = ("file", "status", "read", "accepted", "quarantined", "supplies")
    lines = [
        (
            shown_name(f.file_path),  # a newline in a name would split its row
            f.status,
            shown(f.rows_read),
            shown(f.rows_accepted),
            shown(f.rows_quarantined),
            shown(f.supplies),
        )
        for f in files
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *lines]
    ]
    for f in files:
        if f.reason:
            text.append(f"  {shown_name(f.file_path)}: {f.reason}")
    text.extend(str(c) for c in found)
    text.append(
        "supplies: responses (Inviter: invitations) whose current version staging takes from "
        "the file, as of the last build ('-': not built yet)"
    )
    return "\n".join(text)


@dataclass(frozen=True)
class Retraction:
    file_path: str
    rows_removed: int


def retract(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, file_path: str, reason: str
) -> Retraction:
    """Take a file's rows out of raw and record why; ingest ignores it until its content changes."""
    if not reason.strip():
        raise ValueError("a retraction needs a reason")
    ensure_raw_schema(con)
    versions = known_versions(con)
    on_disk = {f.file_path: f for f in scan_landing(landing_dir)}
    if file_path not in versions and file_path not in on_disk:
        # The name as `kto files` prints it (a newline shown as \n) names the file too.
        escaped = {shown_name(p): p for p in versions.keys() | on_disk.keys()}
        file_path = escaped.get(file_path, file_path)
    version = versions.get(file_path)
    present = on_disk.get(file_path)
    if version is None and present is None:
        raise UnknownFile(f"{file_path}: not a file of the landing folder {landing_dir}")
    if present is not None and present.refusal is None:
        # The content as it is now is what stays ignored.
        size, modified, digest = present.size_bytes, present.modified_at, content_hash(present.path)
    else:
        assert version is not None
        size, modified, digest = version.size_bytes, version.modified_at, version.content_hash
    source = file_path.split("/", 1)[0] if "/" in file_path else None
    con.execute("BEGIN TRANSACTION")
    try:
        removed = sum(
            con.execute(
                f"SELECT count(*) FROM raw.{s.raw_table} WHERE source_file = ?", [file_path]
            ).fetchall()[0][0]
            for s in SOURCES
        )
        forget(con, file_path)
        con.execute(
            "INSERT INTO raw.retracted_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                file_path,
                source,
                digest,
                size,
                modified,
                reason.strip(),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Retraction(file_path, removed)


IN_USE = "the warehouse {} is in use by another process (a run?); try again when it is done"


def files_command(landing_dir: Path, warehouse: Path, out) -> int:
    """`kto files`: the listing, from a read-only look at the warehouse."""
    with ExitStack() as opened:
        try:
            # Nothing ingested yet: an empty database, so every landing file is new.
            con = opened.enter_context(
                open_warehouse(warehouse, read_only=True, wait=0)
                if warehouse.exists()
                else open_file()
            )
        except duckdb.IOException:
            print(f"kto files: {IN_USE.format(warehouse)}", file=out)
            return 2
        listing = landing_files(con, landing_dir)
        found = conflicts(con) if _schema_exists(con) else []
        print(format_files(listing, found), file=out)
    return 0


def retract_command(landing_dir: Path, warehouse: Path, given: str, reason: str, out) -> int:
    """`kto retract PATH --reason TEXT`."""
    file_path = landing_relative(landing_dir, given)
    with ExitStack() as opened:
        try:
            # no waiting: a run in progress (its flock) or any other writer (DuckDB's lock)
            con = opened.enter_context(open_warehouse(warehouse, wait=0))
        except (TimeoutError, duckdb.IOException):
            print(f"kto retract: {IN_USE.format(warehouse)}", file=out)
            return 2
        try:
            done = retract(con, landing_dir, file_path, reason)
        except (UnknownFile, ValueError) as exc:
            print(f"kto retract: {shown_name(str(exc))}", file=out)
            return 2
    print(
        f"retracted {shown_name(done.file_path)}: {done.rows_removed} rows taken out of raw; "
        "it is ignored until its content changes. `kto run` rebuilds the marts and factsheets "
        "without it.",
        file=out,
    )
    return 0
