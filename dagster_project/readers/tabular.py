"""Files to header + numbered rows of cells: CSV (encoding detected), XLSX, JSON.

Row numbers are what a person opening the file looks for: the CSV line on
which a record starts, the XLSX sheet row, the JSON array position (from 1).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import FileRejected

DELIMITERS = (";", ",", "\t", "|")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number, cells in header order)
    malformed: list[tuple[int, str]]  # (row number, why) for rows that cannot be split into cells


def decode(data: bytes, file_path: str) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, detected; anything binary is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif b"\x00" in data[:4096]:
        raise FileRejected(file_path, "not a text file (binary content)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            file_path, f"not UTF-8 or Windows-1252 text (byte {exc.start})"
        ) from None


def read_csv(path: Path, file_path: str, delimiter: str) -> Table:
    text = decode(path.read_bytes(), file_path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(file_path, "empty file: no header line") from None
    except csv.Error as exc:
        raise FileRejected(file_path, f"line 1: unreadable header ({exc})") from None
    header = [h.strip() for h in header]
    if len(header) == 1:
        found = [d for d in DELIMITERS if d != delimiter and d in header[0]]
        hint = f" (it looks {found[0]!r}-separated)" if found else ""
        raise FileRejected(
            file_path, f"header has no {delimiter!r} delimiter{hint}: expected {delimiter!r}"
        )
    rows: list[tuple[int, list[Any]]] = []
    malformed: list[tuple[int, str]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # A broken quote swallows the rest of the file; nothing after it is trustworthy.
            raise FileRejected(file_path, f"line {start}: unreadable CSV ({exc})") from None
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # blank line: not a data row
        if len(cells) != len(header):
            malformed.append((start, f"row has {len(cells)} fields, header has {len(header)}"))
            continue
        rows.append((start, cells))
    return Table(header, rows, malformed)


def read_xlsx(path: Path, file_path: str) -> Table:
    import openpyxl  # imported here: only XLSX files pay for it

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
        header = [("" if h is None else str(h)).strip() for h in header_cells]
        while header and not header[-1]:
            header.pop()
        rows = []
        for number, cells in enumerate(iterator, start=2):
            values = list(cells[: len(header)]) + [None] * (len(header) - len(cells))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # empty sheet row
            rows.append((number, values))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise FileRejected(file_path, f"truncated or damaged XLSX workbook ({exc})") from None
    finally:
        workbook.close()
    return Table(header, rows, [])


def read_json(path: Path, file_path: str) -> Table:
    try:
        data = json.loads(decode(path.read_bytes(), file_path))
    except json.JSONDecodeError as exc:
        raise FileRejected(file_path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, list):
        raise FileRejected(file_path, "JSON export must be an array of objects")
    header: list[str] = []
    for item in data:
        if isinstance(item, dict):
            header.extend(k for k in item if k not in header)
    rows, malformed = [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            malformed.append((number, "array element is not an object"))
            continue
        rows.append((number, [item.get(k) for k in header]))
    return Table(header, rows, malformed)
