"""What a reader returns: accepted rows, quarantined rows and answer issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def __str__(self) -> str:
        column = f", column {self.column_name!r}" if self.column_name else ""
        return (
            f"{self.file_path}, row {self.row_number}{column}: {self.rule} (value {self.value!r})"
        )


@dataclass
class ReadResult:
    """One file's rows. Every data row is either in ``rows`` or in ``quarantined``."""

    file_path: str
    table: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[Problem] = field(default_factory=list)
    answer_issues: list[Problem] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.quarantined)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)
