"""Column specs and the one function that applies them to a table, column by column.

An identity field that fails quarantines its row; an answer field that fails
is blanked and recorded as an answer issue, and the row is kept (docs/contract/formats.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import answers, headers
from . import columns as c
from .answers import text
from .model import FileRejected, Problem, ReadResult
from .tabular import Table


@dataclass(frozen=True)
class Field:
    column: str  # as named in the export
    raw_name: str  # column in the raw table
    parse: Callable[[Any], Any]  # one cell; the rule and its messages
    sql_type: str = "VARCHAR"
    identity: bool = False  # failure quarantines the row
    required: bool = False  # the file must have the column
    # The whole column at once (columns.py); it gives what ``parse`` gives, cell for cell.
    vector: c.ColumnParser = c.by_cell
    # Its answers come from a closed set (a grade, a label): a column of such answers under
    # an unknown header is recognised as lost answers (headers.refuse_unmapped_answers).
    closed: bool = False


def grade_field(column: str, raw_name: str) -> Field:
    """A 1-10 grade; parsed once per distinct cell."""
    return Field(column, raw_name, answers.grade, "INTEGER", vector=c.distinct, closed=True)


def label_field(column: str, raw_name: str, allowed: dict[str, str], what: str) -> Field:
    """An answer from a fixed list of labels; parsed once per distinct cell."""
    parse = partial(answers.label, allowed=allowed, what=what)
    return Field(column, raw_name, parse, vector=c.distinct, closed=True)


def text_field(
    column: str, raw_name: str, required: bool = False, parse: Callable[[Any], Any] = text
) -> Field:
    """Text (``answers.text``, or ``answers.free_text`` for reviews and tips)."""
    return Field(column, raw_name, parse, required=required, vector=c.text)


def name_field(column: str, raw_name: str) -> Field:
    """A name from a list (a product): normalised (normalise.py); parsed once per distinct cell."""
    return Field(column, raw_name, answers.name, vector=c.distinct)


@dataclass(frozen=True)
class RowCheck:
    """A rule over several fields of a row whose identity fields all passed."""

    column: str  # the export column the message names
    rule: str
    fails: Callable[[dict[str, pa.Array]], pa.Array]  # parsed columns -> rows that break it
    # parsed columns -> the rule each row breaks (None: none), for a rule whose words depend
    # on the row (a ceased municipality names its successor); replaces ``rule`` and ``fails``
    rules: Callable[[dict[str, pa.Array]], list[str | None]] | None = None

    def broken(self, parsed: dict[str, pa.Array]) -> dict[int, str]:
        """Row index -> the rule it breaks."""
        if self.rules is not None:
            return {i: r for i, r in enumerate(self.rules(parsed)) if r is not None}
        failing = pc.fill_null(self.fails(parsed), False).to_numpy(zero_copy_only=False)
        return dict.fromkeys(failing.nonzero()[0].tolist(), self.rule)


def apply_fields(
    table: Table,
    file_path: str,
    raw_table: str,
    fields: tuple[Field, ...],
    row_checks: tuple[RowCheck, ...] = (),
) -> ReadResult:
    named = [h for h in table.header if h]
    if len(set(named)) != len(named):
        seen: set[str] = set()
        twice = sorted({h for h in named if h in seen or seen.add(h)})
        raise FileRejected(
            file_path, f"duplicated column name(s): {', '.join(repr(h) for h in twice)}"
        )
    # Headers match fields in any spelling of the one table in headers.py.
    positions, extra = headers.match_columns(table.header, fields, raw_table, file_path)
    missing = [f.column for f in fields if f.required and f.column not in positions]
    if missing:
        raise FileRejected(
            file_path, f"missing required column(s): {', '.join(repr(m) for m in missing)}"
        )
    headers.refuse_unmapped_answers(table.header, extra, table.rows, fields, file_path)
    result = ReadResult(
        file_path,
        raw_table,
        extra_columns=extra,
        found_columns=[f.raw_name for f in fields if f.column in positions],
    )
    for number, why in table.malformed:
        result.quarantined.append(Problem(file_path, number, None, None, why))
    for number, column, value, why in table.refused:
        result.quarantined.append(Problem(file_path, number, column, value, why))

    numbers = [number for number, _ in table.rows]
    count = len(numbers)
    given = list(zip(*(cells for _, cells in table.rows), strict=True)) if count else []
    parsed: dict[str, pa.Array] = {}
    refusals: dict[int, list[Problem]] = {}  # row index -> its identity problems, field order
    issues: list[tuple[int, int, Problem]] = []  # (row index, field index, problem)
    for k, f in enumerate(fields):
        present = count and f.column in positions
        cells = list(given[positions[f.column]]) if present else [None] * count
        values, failures = f.vector(cells, f.parse, c.ARROW_TYPES[f.sql_type])
        parsed[f.raw_name] = values
        for i, rule in failures.items():
            problem = Problem(file_path, numbers[i], f.column, text(cells[i]), rule)
            if f.identity:
                refusals.setdefault(i, []).append(problem)
            else:
                issues.append((i, k, problem))
    del given

    if row_checks and count:
        raw_names = {f.column: f.raw_name for f in fields}
        refused_by_fields = set(refusals)  # a row whose identity failed is not checked further
        for check in row_checks:
            values = parsed[raw_names[check.column]]
            for i, rule in sorted(check.broken(parsed).items()):
                if i not in refused_by_fields:
                    value = text(values[i].as_py())
                    problem = Problem(file_path, numbers[i], check.column, value, rule)
                    refusals.setdefault(i, []).append(problem)

    for i in sorted(refusals):
        # One entry per refused row: the first broken rule names the column; all are listed.
        problems = refusals[i]
        first = problems[0]
        rules = "; ".join(p.rule if p is first else f"{p.column_name}: {p.rule}" for p in problems)
        result.quarantined.append(
            Problem(file_path, numbers[i], first.column_name, first.value, rules)
        )
    result.answer_issues.extend(
        p for i, _, p in sorted(issues, key=lambda t: t[:2]) if i not in refusals
    )

    accepted = pa.table({**parsed, "source_row": pa.array(numbers, pa.int32())})
    if refusals:
        keep = [True] * count
        for i in refusals:
            keep[i] = False
        accepted = accepted.filter(pa.array(keep))
    result.columns = accepted
    return result
