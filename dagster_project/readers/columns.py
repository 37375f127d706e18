"""Whole-column parsing: a fast path over a column, the per-cell rule for whatever it leaves.

A column parser returns the column as an Arrow array and the failures (row index -> rule).
Each fast path settles only cells whose result it knows to be the one the field's per-cell
``parse`` gives; every other cell (malformed, impossible, an XLSX number, padded text) goes
through ``parse`` itself, so values and messages are exactly the per-cell rules'
(tests/test_readers_columns.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import answers as a

ARROW_TYPES = {
    "VARCHAR": pa.large_string(),  # large: a 1 GiB Windows-1252 file can exceed 2 GiB of UTF-8
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
}

Parse = Callable[[Any], Any]
Parsed = tuple[pa.Array, dict[int, str]]  # values (null where a cell failed), failures
ColumnParser = Callable[[list[Any], Parse, pa.DataType], Parsed]


def _settle(
    cells: Sequence[Any], indices: Sequence[int], parse: Parse
) -> tuple[dict[int, Any], dict[int, str]]:
    """The per-cell rule for the given cells: values and failures by row index."""
    values: dict[int, Any] = {}
    failures: dict[int, str] = {}
    for i in indices:
        try:
            values[i] = parse(cells[i])
        except a.InvalidValue as exc:
            failures[i] = str(exc)
    return values, failures


def by_cell(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    values, failures = _settle(cells, range(len(cells)), parse)
    return pa.array([values.get(i) for i in range(len(cells))], arrow_type), failures


def _only_text(cells: list[Any]) -> bool:
    # XLSX and JSON give numbers, booleans and dates too; 1, 1.0 and True are equal keys,
    # so only a column of text and blanks may be parsed per distinct value.
    return set(map(type, cells)) <= {str, type(None)}


def text(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    """Trimmed text, empty as None (answers.text)."""
    if not _only_text(cells):
        return by_cell(cells, parse, arrow_type)
    return pa.array([(v.strip() or None) if v else None for v in cells], arrow_type), {}


def distinct(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    """Each distinct cell parsed once: labels, grades, codes repeat on every row."""
    if not _only_text(cells):
        return by_cell(cells, parse, arrow_type)
    unique = list(set(cells))
    values, failures = _settle(unique, range(len(unique)), parse)
    result = {v: values.get(i) for i, v in enumerate(unique)}
    column = pa.array([result[v] for v in cells], arrow_type)
    if not failures:
        return column, {}
    rules = {unique[i]: rule for i, rule in failures.items()}
    return column, {i: rules[v] for i, v in enumerate(cells) if v in rules}


def _patched(
    column: pa.Array, cells: list[Any], todo: Sequence[int], parse: Parse, arrow_type
) -> Parsed:
    """The fast path's column with the cells it left (``todo``) parsed one by one."""
    values, failures = _settle(cells, todo, parse)
    if any(v is not None for v in values.values()):
        merged = column.to_pylist()
        for i, v in values.items():
            merged[i] = v
        column = pa.array(merged, arrow_type)
    return column, failures


def _strings(cells: list[Any]) -> pa.Array:
    return pa.array([v if type(v) is str else None for v in cells], pa.string())


def _unsettled(column: pa.Array) -> list[int]:
    """Cells the fast path gave no value: blank (missing or no answer?) or not its kind."""
    return pc.is_null(column).to_numpy(zero_copy_only=False).nonzero()[0].tolist()


def whole_numbers(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    """Plain digit strings (Respondentnummer); zero, signs, spaces and the rest go by cell."""
    strings = _strings(cells)
    plain = pc.match_substring_regex(strings, r"^[0-9]{1,18}$")
    numbers = pc.cast(pc.if_else(plain, strings, None), pa.int64())
    numbers = pc.if_else(pc.greater(numbers, 0), numbers, None).cast(arrow_type)
    return _patched(numbers, cells, _unsettled(numbers), parse, arrow_type)


def dates(*formats: str) -> ColumnParser:
    """Date-times in one of ``formats`` (strptime), as the per-cell rule reads them.

    Arrow's strptime is lenient (31-02 becomes 02-03, a one-digit day passes), so a cell
    counts as read only when formatting the result again gives the cell back exactly.
    Implausible dates (before the first survey year, in the future) go by cell for the
    message.
    """

    def parse_column(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
        strings = _strings(cells)
        found = pa.nulls(len(cells), pa.timestamp("s"))
        for fmt in formats:
            moments = pc.strptime(strings, fmt, "s", error_is_null=True)
            exact = pc.equal(pc.strftime(moments, fmt), strings)
            found = pc.coalesce(found, pc.if_else(exact, moments, None))
        earliest = pa.scalar(datetime(a.FIRST_SURVEY_YEAR, 1, 1), pa.timestamp("s"))
        latest = pa.scalar(datetime.now() + a.FUTURE_SLACK, pa.timestamp("s"))
        plausible = pc.and_(pc.greater_equal(found, earliest), pc.less_equal(found, latest))
        found = pc.if_else(plausible, found, None).cast(arrow_type)
        return _patched(found, cells, _unsettled(found), parse, arrow_type)

    return parse_column
