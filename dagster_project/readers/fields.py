"""Column specs and the one loop that applies them to a table's rows.

An identity field that fails quarantines its row; an answer field that fails
is blanked and recorded as an answer issue, and the row is kept (FORMATS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .answers import InvalidValue, text
from .model import FileRejected, Problem, ReadResult
from .tabular import Table


@dataclass(frozen=True)
class Field:
    column: str  # as named in the export
    raw_name: str  # column in the raw table
    parse: Callable[[Any], Any]
    sql_type: str = "VARCHAR"
    identity: bool = False  # failure quarantines the row
    required: bool = False  # the file must have the column


RowCheck = Callable[[dict[str, Any]], tuple[str, str] | None]  # -> (column, rule) or None


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
    positions = {name: i for i, name in enumerate(table.header)}
    missing = [f.column for f in fields if f.required and f.column not in positions]
    if missing:
        raise FileRejected(
            file_path, f"missing required column(s): {', '.join(repr(m) for m in missing)}"
        )
    known = {f.column for f in fields}
    result = ReadResult(
        file_path, raw_table, extra_columns=[h for h in table.header if h and h not in known]
    )
    for number, why in table.malformed:
        result.quarantined.append(Problem(file_path, number, None, None, why))

    for number, cells in table.rows:
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        issues: list[Problem] = []
        for f in fields:
            value = cells[positions[f.column]] if f.column in positions else None
            try:
                row[f.raw_name] = f.parse(value)
            except InvalidValue as exc:
                problem = Problem(file_path, number, f.column, text(value), str(exc))
                (problems if f.identity else issues).append(problem)
                row[f.raw_name] = None
        if not problems:
            for check in row_checks:
                failed = check(row)
                if failed:
                    column, rule = failed
                    raw_name = next(f.raw_name for f in fields if f.column == column)
                    problems.append(Problem(file_path, number, column, text(row[raw_name]), rule))
        if problems:
            # One entry per refused row: the first broken rule names the column; all are listed.
            first = problems[0]
            rules = "; ".join(
                p.rule if p is first else f"{p.column_name}: {p.rule}" for p in problems
            )
            result.quarantined.append(
                Problem(file_path, number, first.column_name, first.value, rules)
            )
        else:
            row["source_row"] = number
            result.rows.append(row)
            result.answer_issues.extend(issues)
    return result
