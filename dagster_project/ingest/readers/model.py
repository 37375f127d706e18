"""What a reader returns: accepted rows, quarantined rows and answer issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ...text.normalise import has_surrogate, storable


class FileRejected(Exception):
    """The whole file cannot be read; the message names the file and the reason."""

    def __init__(self, file_path: str, reason: str):
        super().__init__(file_path, reason)  # both in args: it pickles to a worker and back
        self.file_path = file_path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.file_path}: {self.reason}"


@dataclass(frozen=True)
class Problem:
    """A quarantined row or a blanked answer: where it is and which rule it broke."""

    file_path: str
    row_number: int
    column_name: str | None
    value: str | None
    rule: str

    def __post_init__(self) -> None:
        # A lone surrogate cannot be stored (DuckDB, Arrow) or printed: kept as its escape.
        for name in ("file_path", "column_name", "value", "rule"):
            given = getattr(self, name)
            if given is not None and has_surrogate(given):
                object.__setattr__(self, name, storable(given))

    def __str__(self) -> str:
        column = f", column {self.column_name!r}" if self.column_name else ""
        return (
            f"{self.file_path}, row {self.row_number}{column}: {self.rule} (value {self.value!r})"
        )


@dataclass
class ReadResult:
    """One file's rows. Every data row is either in ``columns`` or in ``quarantined``."""

    file_path: str
    table: str
    # The accepted rows as typed columns (the raw table's field columns and source_row):
    # they cross from a reading process and into DuckDB without a copy per row.
    columns: pa.Table | None = None
    quarantined: list[Problem] = field(default_factory=list)
    answer_issues: list[Problem] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    # The raw columns the file has a column for (the others are NULL in ``columns``).
    found_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The accepted rows as dicts, in file order (for a look at a few; ingest uses columns)."""
        return [] if self.columns is None else self.columns.to_pylist()

    @property
    def rows_accepted(self) -> int:
        return 0 if self.columns is None else self.columns.num_rows

    @property
    def rows_read(self) -> int:
        return self.rows_accepted + len(self.quarantined)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)
