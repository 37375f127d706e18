"""What one landing file may cost to read; a file over a limit is refused, naming the limit.

The limits sit far above any real export (a national year of One2Ten responses
is about a million rows) and far below what stalls a run: a zip bomb or a
JSON nesting is refused before it is unpacked or parsed.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1024**3  # 1 GiB on disk
MAX_XLSX_UNPACKED_BYTES = 256 * 1024**2  # sum of the workbook's unpacked parts
MAX_ROWS = 2_000_000  # data rows in one file
MAX_FIELD_CHARS = 100_000  # characters in one cell
MAX_JSON_DEPTH = 16  # nesting of arrays and objects; an export needs 2


def shown(limit: int) -> str:
    """A limit as people read it: 100,000 or 256 MiB."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,}"
