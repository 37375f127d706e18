"""Landing files whose data the warehouse does not hold as delivered: the run fails on them.

Three kinds, each with its cause:

- ``refused``: refused whole (unreadable, not an export, ...), in ``raw.rejected_files``;
- ``held``: a changed file that cannot be read; the rows of its previous version stay;
- ``quarantined whole``: read, but not one row accepted (every row in ``raw.quarantine``).

They stay until the file is replaced by a usable version, removed or retracted
(`kto retract`), so every run on the folder fails on them, not only the first: an
unattended run that found nothing new is not made green by a file still refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .loader import IngestReport
from .status import Outcome, Unused


def wholly_quarantined(rows_read: int | None, rows_accepted: int | None) -> bool:
    """Rows were read and none was accepted (a header and a garbage line, say)."""
    return bool(rows_read) and rows_accepted == 0


@dataclass(frozen=True)
class UnusedFile:
    kind: Unused
    file_path: str
    cause: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_path}: {self.cause}"


def unused_files(con: duckdb.DuckDBPyConnection, report: IngestReport) -> list[UnusedFile]:
    """The files of this ingest's landing folder whose data is not (all) in the warehouse."""
    present = {f.file_path for f in report.files if f.status != Outcome.RETRACTED}
    held = {h.file_path: h for h in report.held}
    unused = [UnusedFile(Unused.HELD, path, str(h)[len(path) + 2 :]) for path, h in held.items()]
    # fetchall: DuckDB refuses the next statement while a result is left unfinished
    for path, reason in con.execute(
        "SELECT file_path, reason FROM raw.rejected_files ORDER BY file_path"
    ).fetchall():
        if path in present and path not in held:
            unused.append(UnusedFile(Unused.REFUSED, path, reason))
    for path, rows_read, rows_accepted, rule in con.execute(
        "SELECT i.file_path, i.rows_read, i.rows_accepted, "
        "(SELECT q.rule FROM raw.quarantine q WHERE q.file_path = i.file_path "
        " GROUP BY q.rule ORDER BY count(*) DESC, q.rule LIMIT 1) "
        "FROM raw.ingested_files i ORDER BY i.file_path"
    ).fetchall():
        if path in present and path not in held and wholly_quarantined(rows_read, rows_accepted):
            rows = f"{rows_read:,} row" + ("" if rows_read == 1 else "s")
            cause = f"{rows} read, none accepted (raw.quarantine; most: {rule})"
            unused.append(UnusedFile(Unused.QUARANTINED, path, cause))
    order = list(Unused)
    return sorted(unused, key=lambda u: (order.index(u.kind), u.file_path))
