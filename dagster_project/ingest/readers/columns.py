"""Whole-column parsing: a fast path over a column, the per-cell rule for whatever it leaves.

A column parser returns the column as an Arrow array and the failures (row index -> rule).
Each fast path settles only cells whose result it knows to be the one the field's per-cell
``parse`` gives; every other cell (malformed, impossible, an XLSX number, padded text) goes
through ``parse`` itself, so values and messages are exactly the per-cell rules'
(tests/test_readers_columns.py compares the two).
"""

from __future__ import annotations

import re
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


def text(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    """Trimmed text, empty as None (answers.text); numbers and dates of XLSX by cell."""
    values = [(v.strip() or None) if type(v) is str else parse(v) for v in cells]
    return pa.array(values, arrow_type), {}


def distinct(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
    """Each distinct cell parsed once: labels, grades, codes repeat on every row."""
    try:
        strings = pa.array(cells, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Numbers, booleans and dates (XLSX, JSON): 1, 1.0 and True are equal as keys.
        return by_cell(cells, parse, arrow_type)
    encoded = pc.dictionary_encode(strings, null_encoding="encode")
    unique = encoded.dictionary.to_pylist()
    values, failures = _settle(unique, range(len(unique)), parse)
    parsed = pa.array([values.get(i) for i in range(len(unique))], arrow_type)
    column = pc.take(parsed, encoded.indices)
    if not failures:
        return column, {}
    failed = pc.is_in(encoded.indices, pa.array(list(failures), encoded.indices.type))
    rows = failed.to_numpy(zero_copy_only=False).nonzero()[0].tolist()
    which = encoded.indices.take(pa.array(rows, pa.int64())).to_pylist()
    return column, {row: failures[k] for row, k in zip(rows, which, strict=True)}


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


# strptime directives of a fixed width, and the component each is.
_DIRECTIVES = {
    "%Y": (4, pc.year),
    "%m": (2, pc.month),
    "%d": (2, pc.day),
    "%H": (2, pc.hour),
    "%M": (2, pc.minute),
    "%S": (2, pc.second),
}


def _layout(fmt: str) -> tuple[str, list[tuple[int, int, Callable]]]:
    """A format's shape as an anchored ASCII-digit regex, and where each component sits."""
    shape, places, position, i = "", [], 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            width, component = _DIRECTIVES[fmt[i : i + 2]]
            shape += f"[0-9]{{{width}}}"
            places.append((position, position + width, component))
            position, i = position + width, i + 2
        else:
            shape += re.escape(fmt[i])
            position, i = position + 1, i + 1
    return f"^{shape}$", places


def dates(*formats: str) -> ColumnParser:
    """Date-times in one of ``formats`` (strptime), as the per-cell rule reads them.

    Arrow's strptime is lenient (a one-digit day passes, 31-02 becomes 02-03), so a cell
    counts as read only when it has the format's exact shape and every component of the
    result is the number written in the cell. Implausible dates (before the first survey
    year, in the future) go by cell for the message.
    """
    layouts = [(fmt, *_layout(fmt)) for fmt in formats]

    def parse_column(cells: list[Any], parse: Parse, arrow_type: pa.DataType) -> Parsed:
        strings = _strings(cells)
        found = pa.nulls(len(cells), pa.timestamp("s"))
        for fmt, shape, places in layouts:
            todo = pc.and_(pc.is_null(found), pc.match_substring_regex(strings, shape))
            candidates = pc.if_else(todo, strings, None)
            moments = pc.strptime(candidates, fmt, "s", error_is_null=True)
            for start, end, component in places:
                written = pc.cast(pc.utf8_slice_codeunits(candidates, start, end), pa.int64())
                moments = pc.if_else(pc.equal(component(moments), written), moments, None)
            found = pc.coalesce(found, moments)
        earliest = pa.scalar(datetime(a.FIRST_SURVEY_YEAR, 1, 1), pa.timestamp("s"))
        latest = pa.scalar(datetime.now() + a.FUTURE_SLACK, pa.timestamp("s"))
        plausible = pc.and_(pc.greater_equal(found, earliest), pc.less_equal(found, latest))
        found = pc.if_else(plausible, found, None).cast(arrow_type)
        return _patched(found, cells, _unsettled(found), parse, arrow_type)

    return parse_column
