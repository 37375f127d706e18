"""What ingest made of the generator's landing folder, against what the generator put in.

The bench's folder is written ``plain``: the generator injects no fault, so every file must
be read and every row accepted, with no quarantined row, no rejected file and no blanked
answer. A quarantine here is a reader rejecting good data, which would also make the
figures' agreement with the floor meaningless for those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class IngestAccount:
    files_expected: int
    rows_expected: int
    faults_injected: int
    files_read: int = 0
    rows_read: int = 0
    rows_accepted: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # rule -> rows
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    answer_issues: dict[str, int] = field(default_factory=dict)  # rule -> answers

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined.values())

    @property
    def clean(self) -> bool:
        """Everything read and accepted, and nothing set aside beyond the injected faults."""
        set_aside = self.rows_quarantined + len(self.rejected) + sum(self.answer_issues.values())
        return (
            self.files_read == self.files_expected
            and self.rows_read == self.rows_expected
            and self.rows_accepted + self.rows_quarantined == self.rows_read
            and set_aside == self.faults_injected
        )

    def summary(self) -> str:
        mark = "✓" if self.clean else "✗"
        text = (
            f"{mark} ingest: {self.files_read} of {self.files_expected} files read, "
            f"{self.rows_read:,} of {self.rows_expected:,} rows; {self.rows_accepted:,} accepted, "
            f"{self.rows_quarantined:,} quarantined, {len(self.rejected)} files rejected, "
            f"{sum(self.answer_issues.values()):,} answers blanked; "
            f"faults injected by the generator: {self.faults_injected}"
        )
        details = [f"quarantined ({n:,}): {rule}" for rule, n in self.quarantined.items()]
        details += [f"rejected: {path}: {reason}" for path, reason in self.rejected]
        details += [f"blanked ({n:,}): {rule}" for rule, n in self.answer_issues.items()]
        return "; ".join([text, *details[:10]])


def account(
    warehouse: Path, files_expected: int, rows_expected: int, faults_injected: int
) -> IngestAccount:
    """Read the ingest tables of ``warehouse`` (after `kto run`) into an account."""
    result = IngestAccount(files_expected, rows_expected, faults_injected)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files, read, accepted = con.execute(
            "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_accepted), 0) "
            "from raw.ingested_files"
        ).fetchone()
        result.files_read, result.rows_read, result.rows_accepted = files, int(read), int(accepted)
        for table, target in (
            ("quarantine", result.quarantined),
            ("answer_issues", result.answer_issues),
        ):
            rows = con.execute(
                f"select rule, count(*) from raw.{table} group by rule order by 2 desc, 1"
            ).fetchall()
            target.update({rule: n for rule, n in rows})
        result.rejected = con.execute(
            "select file_path, reason from raw.rejected_files order by file_path"
        ).fetchall()
    return result
