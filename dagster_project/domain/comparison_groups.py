"""The comparison groups of KTO_VERGELIJKINGSGROEPEN (docs/formats.md, "Comparison groups").

A file of named groups of municipalities (a region, a peer group); a municipality may be in
several. Each group gets a benchmark beside the national and the size-class one
(docs/metrics.md, "Comparison-group benchmark"); dbt reads the file itself
(int_comparison_groups.sql). This module is the setting's validation: it runs before any
work (``Settings.from_env``), so a file that would compare a municipality with the wrong
group is refused with its file, row and column rather than half used.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from . import municipalities
from .code_lists import gemeentecode_pattern

VARIABLE = "KTO_VERGELIJKINGSGROEPEN"
GROEP, GEMEENTECODE = "groep", "gemeentecode"
COLUMNS = (GROEP, GEMEENTECODE)
CODE = re.compile(gemeentecode_pattern())  # GM and four digits (dbt_project.yml)


def read(path: Path, gemeentecodes: str = municipalities.REPORT) -> dict[str, tuple[str, ...]]:
    """Each group's municipalities (in file order); ValueError naming file, row and column.

    A code must be a CBS code ``GMnnnn`` (lower case and surrounding spaces accepted); under
    ``KTO_GEMEENTECODES=strikt`` also one the CBS code list has held, as the data's codes
    must be (under ``melden`` a well-formed code outside the list is accepted, as in the
    data)."""
    where = f"{VARIABLE}={path}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{where}: is a folder, expected a CSV file") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: not UTF-8 (byte {error.start})") from None
    reader = csv.reader(text.splitlines(keepends=True), delimiter=";", quotechar='"')
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{where}, row 1: no header line (expected {';'.join(COLUMNS)})")
    names = [h.lower() for h in header]  # DuckDB's names are case-insensitive too
    for column in COLUMNS:
        if column not in names:
            raise ValueError(f"{where}, row 1: no column {column!r} (expected {';'.join(COLUMNS)})")
        if names.count(column) > 1:
            raise ValueError(f"{where}, row 1, column {column}: named more than once")
    at = {column: names.index(column) for column in COLUMNS}
    groups: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num
    for record in reader:
        row, line = line + 1, reader.line_num  # the line the record starts on (header: 1)
        if not any(field.strip() for field in record):
            continue  # a blank line
        values = {c: (record[i].strip() if i < len(record) else "") for c, i in at.items()}
        groep, code = values[GROEP], values[GEMEENTECODE].upper()
        if not groep:
            raise ValueError(f"{where}, row {row}, column {GROEP}: empty group name")
        if not CODE.fullmatch(code):
            shown = values[GEMEENTECODE] or "(empty)"
            raise ValueError(
                f"{where}, row {row}, column {GEMEENTECODE}: {shown!r} is not a CBS code GMnnnn"
            )
        if gemeentecodes == municipalities.STRICT and municipalities.name(code) is None:
            raise ValueError(
                f"{where}, row {row}, column {GEMEENTECODE}: {code} is not in the CBS code list"
                f" ({municipalities.VARIABLE}=strikt)"
            )
        if (first := seen.get((groep, code))) is not None:
            raise ValueError(
                f"{where}, row {row}, columns {GROEP} and {GEMEENTECODE}: {code} is already in"
                f" group {groep!r} (row {first})"
            )
        seen[(groep, code)] = row
        groups.setdefault(groep, []).append(code)
    return {g: tuple(codes) for g, codes in groups.items()}
