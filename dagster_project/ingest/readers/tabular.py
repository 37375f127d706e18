"""Files to header + numbered rows of cells: CSV (encoding detected), XLSX, JSON.

Row numbers are what a person opening the file looks for: the CSV line on
which a record starts, the XLSX sheet row, the JSON array position (from 1).
Every reader keeps to the limits of :mod:`.limits`, and hands on text cells
without control characters (see :func:`clean`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from ...text.normalise import has_surrogate, storable
from . import limits
from .limits import MAX_JSON_DEPTH, MAX_XLSX_RATIO, XLSX_RATIO_FROM, shown
from .model import FileRejected

DELIMITERS = (";", ",", "\t", "|")

# C0 and C1 control characters and DEL, except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A lone surrogate can only come from a JSON escape (decoding never yields one).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number, cells in header order)
    malformed: list[tuple[int, str]]  # (row number, why) for rows that cannot be split into cells
    # (row number, column, value, why) for rows refused for one cell that is not text at all
    refused: list[tuple[int, str, str | None, str]] = field(default_factory=list)


def clean(value: Any) -> Any:
    """A text cell without control characters (they only garble); other cells as they are."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub("", value)
    return value


def _too_many_rows(file_path: str) -> FileRejected:
    return FileRejected(
        file_path, f"more than {shown(limits.current().rows)} data rows (the limit per file)"
    )


def _field_too_long(file_path: str, where: str) -> FileRejected:
    return FileRejected(
        file_path,
        f"{where}: a field longer than {shown(limits.current().field_chars)} characters "
        "(the limit)",
    )


def decode(data: bytes, file_path: str) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, detected; anything binary is refused.

    A text export has no NUL byte anywhere: one NUL, wherever it is, refuses the
    file (it is binary, or UTF-16, or damaged). Other control characters are
    removed from the text.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise FileRejected(
            file_path, f"not a text file (binary content: NUL byte on line {line}, byte {nul})"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                file_path, f"not UTF-8 or Windows-1252 text (byte {exc.start})"
            ) from None
    return _CONTROL.sub("", text) if _may_have_control(data) and _CONTROL.search(text) else text


# Bytes that are or begin control characters: C0 but tab, LF, CR; DEL; in UTF-8 the C1
# controls begin with 0xC2 (Windows-1252 has no C1 controls: 0x80-0x9F are letters and signs).
_NOT_CONTROL_BYTES = bytes(
    b for b in range(256) if b not in {*range(9), 11, 12, *range(14, 32), 127, 0xC2}
)


def _may_have_control(data: bytes) -> bool:
    """A quick test on the bytes (a pass in C) before the slow search of the decoded text."""
    return bool(data.translate(None, _NOT_CONTROL_BYTES))


def _blank(cells: list[str]) -> bool:
    """A blank line: not a data row."""
    return not cells or (len(cells) == 1 and not cells[0].strip())


def _field_count(cells: list[str], header: list[str]) -> str:
    return f"row has {len(cells)} fields, header has {len(header)}"


SHARED_CHARS = 24  # cells up to this long are kept once per file (grades, labels, dates)
PART_ROWS = 100_000  # a CSV is read and parsed this many rows at a time


def _text_encoding(path: Path, file_path: str) -> tuple[str, bool]:
    """The encoding :func:`decode` would choose, and whether control characters may occur.

    A pass over the bytes that keeps nothing. A file :func:`decode` refuses (a NUL byte,
    neither UTF-8 nor Windows-1252) is handed to it whole, for its exact reason.
    """
    utf8, control = True, False
    checker = codecs.getincrementaldecoder("utf-8")()
    for data in _blocks(path):
        if b"\x00" in data:
            decode(path.read_bytes(), file_path)  # raises FileRejected with the reason
        control = control or _may_have_control(data)
        if utf8:
            try:
                checker.decode(data)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            checker.decode(b"", final=True)
            return "utf-8", control
        except UnicodeDecodeError:
            pass
    for data in _blocks(path):
        try:
            data.decode("cp1252")  # one byte one character: each block decodes alone
        except UnicodeDecodeError:
            decode(path.read_bytes(), file_path)
    return "cp1252", control


def _blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes after a UTF-8 BOM, a MiB at a time."""
    with path.open("rb") as handle:
        if handle.read(3) != b"\xef\xbb\xbf":
            handle.seek(0)
        yield from iter(lambda: handle.read(1 << 20), b"")


def _lines(path: Path, file_path: str) -> Iterator[str]:
    """The file's text line by line (the csv module's newline rules), as :func:`decode`
    would give it whole: without BOM and control characters, never held whole."""
    encoding, control = _text_encoding(path, file_path)
    with path.open("rb") as raw:
        if raw.read(3) != b"\xef\xbb\xbf":
            raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        if not control:
            yield from text
            return
        for line in text:
            yield _CONTROL.sub("", line) if _CONTROL.search(line) else line


def read_csv_parts(
    path: Path, file_path: str, delimiter: str, part_rows: int = PART_ROWS
) -> Iterator[Table]:
    """The CSV as tables of at most ``part_rows`` rows, one after the other (at least one).

    Memory is that of one part: a file of ten national years is read like one of a month.
    Each distinct short cell is one object within a part (see SHARED_CHARS).
    """
    max_rows = limits.current().rows
    csv.field_size_limit(limits.current().field_chars)
    reader = csv.reader(_lines(path, file_path), delimiter=delimiter, strict=True)

    def unreadable(line: int, exc: csv.Error) -> FileRejected:
        if "field limit" in str(exc):
            return _field_too_long(file_path, f"line {line}")
        # A broken quote swallows the rest of the file; nothing after it is trustworthy.
        return FileRejected(file_path, f"line {line}: unreadable CSV ({exc})")

    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(file_path, "empty file: no header line") from None
    except csv.Error as exc:
        raise unreadable(1, exc) from None
    header = [h.strip() for h in header]
    if len(header) == 1:
        found = [d for d in DELIMITERS if d != delimiter and d in header[0]]
        hint = f" (it looks {found[0]!r}-separated)" if found else ""
        raise FileRejected(
            file_path, f"header has no {delimiter!r} delimiter{hint}: expected {delimiter!r}"
        )
    width = len(header)
    rows: list[tuple[int, list[Any]]] = []
    malformed: list[tuple[int, str]] = []
    cache: dict[str, str] = {}
    keep = cache.setdefault
    counted = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise unreadable(start, exc) from None
        if _blank(cells):
            continue
        if counted >= max_rows:
            raise _too_many_rows(file_path)
        counted += 1
        if len(cells) != width:
            malformed.append((start, _field_count(cells, header)))
        else:
            rows.append((start, [keep(c, c) if len(c) <= SHARED_CHARS else c for c in cells]))
        if len(rows) + len(malformed) >= part_rows:
            yield Table(header, rows, malformed)
            rows, malformed, cache = [], [], {}
            keep = cache.setdefault
    if rows or malformed or not counted:
        yield Table(header, rows, malformed)


def read_csv(path: Path, file_path: str, delimiter: str) -> Table:
    """The CSV as one table (for a look at a small file; ingest reads it in parts)."""
    parts = list(read_csv_parts(path, file_path, delimiter))
    return Table(
        parts[0].header,
        [r for part in parts for r in part.rows],
        [m for part in parts for m in part.malformed],
    )


def _check_unpacked_size(path: Path, file_path: str) -> None:
    """Refuse a workbook whose parts unpack to more than the limit, before unpacking any."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(file_path, f"not a readable XLSX workbook ({exc})") from None
    limit = limits.current().xlsx_unpacked_bytes
    if unpacked > limit:
        raise FileRejected(
            file_path,
            f"XLSX workbook unpacks to {unpacked / 1024**2:,.0f} MiB, more than the limit of "
            f"{shown(limit)}",
        )
    size = path.stat().st_size
    if unpacked > XLSX_RATIO_FROM and unpacked > MAX_XLSX_RATIO * size:
        raise FileRejected(
            file_path,
            f"XLSX workbook unpacks to {unpacked / 1024**2:,.0f} MiB, {unpacked // size:,} times "
            f"its size, more than the limit of {MAX_XLSX_RATIO} times (a zip bomb?)",
        )


def _cells(
    values: list[Any], header: list[str], file_path: str, where: str, max_chars: int
) -> list[Any]:
    """Cleaned cells; a cell over the field limit refuses the file, naming row and column."""
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            if len(value) > max_chars:
                column = header[i] if i < len(header) else f"#{i + 1}"
                raise _field_too_long(file_path, f"{where}, column {column!r}")
            value = clean(value)
        out.append(value)
    return out


def read_xlsx_parts(path: Path, file_path: str, part_rows: int = PART_ROWS) -> Iterator[Table]:
    """The workbook's first sheet as tables of at most ``part_rows`` rows (at least one).

    openpyxl's read-only mode streams the sheet, so memory is that of one part: a full
    channel-year in one workbook is read like a month (as CSV is, read_csv_parts).
    """
    import openpyxl  # imported here: only XLSX files pay for it

    _check_unpacked_size(path, file_path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected(file_path, f"not a readable XLSX workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        iterator: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        try:
            header_cells = next(iterator)
        except StopIteration:
            raise FileRejected(file_path, "empty sheet: no header row") from None
        header = [("" if h is None else str(clean(h))).strip() for h in header_cells]
        while header and not header[-1]:
            header.pop()
        rows: list[tuple[int, list[Any]]] = []
        counted, parts = 0, 0
        max_rows, max_chars = limits.current().rows, limits.current().field_chars
        for number, cells in enumerate(iterator, start=2):
            values = list(cells[: len(header)]) + [None] * (len(header) - len(cells))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # empty sheet row
            if counted >= max_rows:
                raise _too_many_rows(file_path)
            counted += 1
            rows.append((number, _cells(values, header, file_path, f"row {number}", max_chars)))
            if len(rows) >= part_rows:
                parts += 1
                yield Table(header, rows, [])
                rows = []
        if rows or not parts:
            yield Table(header, rows, [])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, SyntaxError) as exc:
        # SyntaxError: xml's ParseError, a sheet whose XML is cut off.
        raise FileRejected(file_path, f"truncated or damaged XLSX workbook ({exc})") from None
    finally:
        workbook.close()


def read_xlsx(path: Path, file_path: str) -> Table:
    """The workbook as one table (for a look at a small file; ingest reads it in parts)."""
    parts = list(read_xlsx_parts(path, file_path))
    return Table(parts[0].header, [r for part in parts for r in part.rows], [])


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey(next(k for k in keys if keys.count(k) > 1))
    return dict(pairs)


def _json_depth(text: str) -> int:
    """How deeply arrays and objects nest, counted without parsing (parsing recurses)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _nests_deeper_than(data: Any, limit: int) -> bool:
    """Whether parsed JSON nests arrays and objects more than ``limit`` deep (no recursion)."""
    stack = [(data, 1)] if type(data) in (list, dict) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for child in value.values() if type(value) is dict else value:
            if type(child) in (list, dict):
                stack.append((child, depth + 1))
    return False


def _refuse_nesting(text: str, file_path: str) -> None:
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise FileRejected(
            file_path, f"JSON nested {depth} levels deep, more than the limit of {MAX_JSON_DEPTH}"
        )


class _NotStreamed(Exception):
    """The file is not a plain array of elements in UTF-8 or Windows-1252: read it whole."""


BLOCK_CHARS = 1 << 20  # read and parsed this much at a time


def _text_blocks(path: Path, block: int) -> Iterator[str]:
    """The file's text in blocks, as :func:`decode` would give it whole, without the BOM."""
    with path.open("rb") as handle:
        head = handle.read(3)
        bom = head == b"\xef\xbb\xbf"
        # A first pass settles the encoding (and refuses a NUL byte) without keeping the text.
        checker = codecs.getincrementaldecoder("utf-8")()
        handle.seek(3 if bom else 0)
        encoding = "utf-8"
        for data in iter(lambda: handle.read(block), b""):
            if b"\x00" in data:
                raise _NotStreamed
            if encoding == "utf-8":
                try:
                    checker.decode(data)
                except UnicodeDecodeError:
                    encoding = "cp1252"
        if encoding == "utf-8":
            try:
                checker.decode(b"", final=True)
            except UnicodeDecodeError:
                encoding = "cp1252"
        decoder = codecs.getincrementaldecoder(encoding)()
        handle.seek(3 if bom else 0)
        try:
            for data in iter(lambda: handle.read(block), b""):
                text = decoder.decode(data)
                yield _CONTROL.sub("", text) if _CONTROL.search(text) else text
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _NotStreamed from None


def _elements(path: Path, block: int) -> Iterator[Any]:
    """The top-level array's elements one by one, parsed by :mod:`json` as ``json.loads`` would.

    Anything but a well-formed array whose elements nest within the limit raises
    _NotStreamed: the whole-document reader then gives the refusal and its reason.
    """
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    blocks = _text_blocks(path, block)
    buffer, pos, done = "", 0, False

    def more() -> bool:
        nonlocal buffer, pos, done
        chunk = next(blocks, None)
        if chunk is None:
            done = True
            return False
        buffer, pos = buffer[pos:] + chunk, 0
        return True

    def next_char() -> str:
        """The next character that is not white space (without taking it); '' at the end."""
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\n\r":
                pos += 1
            if pos < len(buffer):
                return buffer[pos]
            if not more():
                return ""

    if next_char() != "[":
        raise _NotStreamed
    pos += 1
    if next_char() == "]":
        pos += 1
    else:
        while True:
            next_char()
            while True:
                try:
                    item, end = decoder.raw_decode(buffer, pos)
                except json.JSONDecodeError:
                    item, end = None, -1  # invalid, or cut at the block's end
                except (_DuplicateKey, RecursionError):
                    raise _NotStreamed from None
                # Not decodable yet, or a number cut at the block's end: read on.
                if (end < 0 or end == len(buffer)) and not done and more():
                    continue
                if end < 0:
                    raise _NotStreamed
                break
            if type(item) in (list, dict) and _nests_deeper_than(item, MAX_JSON_DEPTH - 1):
                raise _NotStreamed
            yield item
            pos = end
            separator = next_char()
            pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise _NotStreamed
    if next_char() != "":
        raise _NotStreamed  # something after the array


def read_json_parts(
    path: Path, file_path: str, block: int = BLOCK_CHARS, part_rows: int = PART_ROWS
) -> Iterator[Table]:
    """A JSON export as tables of at most ``part_rows`` elements; the document is never
    held whole, nor all its rows.

    The memory is that of one part (a national year, 216 MB, once needed 3.4 GiB). The
    file is parsed twice: first for its header, the keys of all elements in the order
    first seen, so every part has the columns the whole file has (an element lacking a
    key has no value there, as in one table). A file that is not a plain array is read
    whole by the former reader, for its reason.
    """
    try:
        header = _json_header(path, file_path, block)
    except _NotStreamed:
        yield _read_json_whole(path, file_path)
        return
    max_chars = limits.current().field_chars
    rows: list[tuple[int, list[Any]]] = []
    malformed: list[tuple[int, str]] = []
    refused: list[tuple[int, str, str | None, str]] = []
    share = {}.setdefault  # each distinct short text once per part (see _shared)
    shown_header = [storable(clean(h)).strip() for h in header]  # a surrogate key escaped
    number = 0
    for number, item in enumerate(_elements(path, block), start=1):
        if type(item) is not dict:
            malformed.append((number, "array element is not an object"))
        elif (invalid := _surrogate_cell(item)) is not None:
            refused.append((number, *invalid))
        else:
            values = [item.get(k) for k in header]
            values = [
                share(v, v) if type(v) is str and len(v) <= SHARED_CHARS else v for v in values
            ]
            rows.append((number, _cells(values, header, file_path, f"element {number}", max_chars)))
        if number % part_rows == 0:
            yield Table(shown_header, rows, malformed, refused)
            rows, malformed, refused, share = [], [], [], {}.setdefault
    if rows or malformed or refused or number == 0:  # the rest; an empty array is a part
        yield Table(shown_header, rows, malformed, refused)


def _json_header(path: Path, file_path: str, block: int) -> list[str]:
    """The keys of the file's elements in the order first seen; the row limit checked.

    The keys of an element refused for a lone surrogate do not count (its row is refused).
    """
    max_rows = limits.current().rows
    header: dict[str, None] = {}
    for number, item in enumerate(_elements(path, block), start=1):
        if number > max_rows:
            raise _too_many_rows(file_path)
        if type(item) is dict and _surrogate_cell(item) is None:
            header.update(dict.fromkeys(item))
    return list(header)


def _read_json_whole(path: Path, file_path: str) -> Table:
    """The document parsed at once: for a file that does not stream, to say exactly why."""
    text = decode(path.read_bytes(), file_path)
    # The nesting limit is checked on the parsed data, which is cheap; counting brackets
    # in the text (slow) only when parsing failed, where too deep a nesting is the reason
    # given first, as for a file that parses.
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        _refuse_nesting(text, file_path)
        raise FileRejected(file_path, f"duplicated column name {exc.args[0]!r}") from None
    except json.JSONDecodeError as exc:
        _refuse_nesting(text, file_path)
        raise FileRejected(file_path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        _refuse_nesting(text, file_path)
        raise
    if _nests_deeper_than(data, MAX_JSON_DEPTH):
        _refuse_nesting(text, file_path)
    if not isinstance(data, list):
        raise FileRejected(file_path, "JSON export must be an array of objects")
    max_chars = limits.current().field_chars
    if len(data) > limits.current().rows:
        raise _too_many_rows(file_path)
    header: list[str] = []
    seen: set[str] = set()
    for item in data:
        if isinstance(item, dict):
            for k in item:
                if k not in seen:
                    seen.add(k)
                    header.append(k)
    rows, malformed, refused = [], [], []
    surrogates = _SURROGATE_ESCAPE.search(text) is not None  # else no row needs the look
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            malformed.append((number, "array element is not an object"))
            continue
        invalid = _surrogate_cell(item) if surrogates else None
        if invalid is not None:
            refused.append((number, *invalid))
            continue
        values = [item.get(k) for k in header]
        rows.append((number, _cells(values, header, file_path, f"element {number}", max_chars)))
    # A key with a lone surrogate is shown escaped (its rows are refused above).
    return Table([storable(clean(h)).strip() for h in header], rows, malformed, refused)


_SURROGATE_RULE = "not valid Unicode text (a lone surrogate such as \\ud800)"


def _surrogate_cell(item: dict[str, Any]) -> tuple[str, str | None, str] | None:
    """(column, value, rule) of the first key or text value holding a lone surrogate, or None.

    JSON may escape half a character (``"\\ud800"``); no UTF-8 writer accepts it (Arrow and
    DuckDB raise), so its row is quarantined naming the column, both shown escaped. Nested
    values are text through repr(), which escapes them already.
    """
    for key, value in item.items():
        if has_surrogate(key):
            return storable(key), None, f"{_SURROGATE_RULE} in the key"
        if isinstance(value, str) and has_surrogate(value):
            return storable(key), storable(value)[:200], _SURROGATE_RULE
    return None
