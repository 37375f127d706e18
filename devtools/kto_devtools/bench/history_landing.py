"""The history scenario's landing folder: two national years in every format, December held back.

Two years of the demo generator's ``random_dataset`` at ``scale`` x national size, cut as the
tools cut them when a year is exported whole:

- One2Ten: the first year's balie as one XLSX workbook (a full channel-year), its telefoon as
  Windows-1252 CSV; the second year (January to November) as UTF-8 CSV with a BOM (balie) and
  UTF-8 CSV with shuffled columns and an extra column (telefoon);
- Open Formulieren: the first year as one JSON array, the second (to November) as CSV;
- Inviter: both years (to November) in one log;
- December of the second year, held back: balie as CSV, telefoon and the web form as XLSX,
  its Inviter rows as a log of their own; written to a folder beside the landing folder and
  moved in later (``move_into``).

Writing is a stream: the municipalities are generated a slice at a time (each slice its own
``random_dataset``, its respondent numbers moved past the slices before it) and every row is
appended to its open file at once (openpyxl's write-only workbooks, CSV and JSON written as
they go), so generating two national years holds one slice in memory, never a year.
"""

from __future__ import annotations

import calendar
import csv
import json
import os
import random
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..demo.assemble import FIRST_RESPONDENTNUMMER
from ..demo.formats import (
    EXTRA_COLUMN,
    INVITER_COLUMNS,
    OPENFORMS_CSV_COLUMNS,
    OPENFORMS_JSON_KEYS,
    Cell,
    inviter_row,
    one2ten_columns,
    one2ten_row,
    openforms_row,
)
from ..demo.randomdata import draw_municipalities, random_dataset
from .landing import SEED

SLICE = 12  # municipalities generated at once: the memory of generating is one slice's
HISTORY = "history"
DECEMBER = "december"


def municipalities(count: int, years: tuple[int, int] = (2019, 2020)) -> list[tuple[str, str]]:
    """``count`` real municipalities valid throughout the years (351 are, 2019 to 2021)."""
    return draw_municipalities(random.Random(f"random:{SEED}:history"), count, years)


class _Writer:
    """One landing file, written row by row."""

    def __init__(self, path: Path, columns: list[str]):
        self.path, self.columns, self.rows = path, columns, 0
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, row: dict[str, Cell]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Csv(_Writer):
    def __init__(self, path: Path, columns: list[str], delimiter: str, encoding: str, newline: str):
        super().__init__(path, columns)
        self.handle: TextIO = path.open("w", encoding=encoding, newline="")
        self.writer = csv.writer(self.handle, delimiter=delimiter, lineterminator=newline)
        self.writer.writerow(columns)

    def add(self, row: dict[str, Cell]) -> None:
        self.writer.writerow(["" if row.get(c) is None else str(row[c]) for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


class _Json(_Writer):
    def __init__(self, path: Path, columns: list[str]):
        super().__init__(path, columns)
        self.handle: TextIO = path.open("w", encoding="utf-8")
        self.handle.write("[")

    def add(self, row: dict[str, Cell]) -> None:
        item = {k: row.get(k, "") for k in self.columns}
        self.handle.write(
            ("\n" if self.rows == 0 else ",\n") + json.dumps(item, ensure_ascii=False)
        )
        self.rows += 1

    def close(self) -> None:
        self.handle.write("\n]\n")
        self.handle.close()


class _Xlsx(_Writer):
    """openpyxl's write-only workbook: rows go to a temporary file as they are appended."""

    def __init__(self, path: Path, columns: list[str], sheet: str):
        import openpyxl

        super().__init__(path, columns)
        self.workbook = openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(sheet)
        self.sheet.append(columns)

    def add(self, row: dict[str, Cell]) -> None:
        self.sheet.append([row.get(c) for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        self.workbook.save(self.path)


@dataclass
class Part:
    """The files of one part (the history, or December) and what they hold."""

    folder: Path
    files: dict[str, int] = field(default_factory=dict)  # landing-relative path -> data rows
    responses: int = 0  # completed questionnaires: what the marts count
    invitations: int = 0

    @property
    def rows(self) -> int:
        return sum(self.files.values())


@dataclass
class HistoryLanding:
    years: tuple[int, int]
    municipalities: int
    history: Part
    december: Part


def _date(path: Path, moment: datetime) -> None:
    stamp = calendar.timegm(moment.timetuple())
    os.utime(path, (stamp, stamp))


def _slices(chosen: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(chosen), SLICE):
        yield chosen[start : start + SLICE]


def write_history(
    landing_dir: Path, december_dir: Path, municipalities_count: int, size: int, year: int
) -> HistoryLanding:
    """Write the two years ``year - 1`` and ``year`` to ``landing_dir`` without December of
    ``year``, which goes to ``december_dir``."""
    first, second = year - 1, year
    history, december = Part(landing_dir), Part(december_dir)
    one2ten = {k: one2ten_columns(k) for k in ("Balie", "Telefoon")}
    shuffled = one2ten_columns("Telefoon")
    shuffled.insert(5, EXTRA_COLUMN)
    random.Random(f"{SEED}:history:columns").shuffle(shuffled)
    specs = {
        # (part, source, kanaal or None, year or None for December) -> path, writer
        (HISTORY, "Balie", first): (
            f"one2ten/kto_balie_{first}.xlsx",
            lambda p: _Xlsx(p, one2ten["Balie"], "Export"),
        ),
        (HISTORY, "Telefoon", first): (
            f"one2ten/kto_telefoon_{first}.csv",
            lambda p: _Csv(p, one2ten["Telefoon"], ";", "cp1252", "\r\n"),
        ),
        (HISTORY, "Balie", second): (
            f"one2ten/kto_balie_{second}_jan-nov.csv",
            lambda p: _Csv(p, one2ten["Balie"], ";", "utf-8-sig", "\r\n"),
        ),
        (HISTORY, "Telefoon", second): (
            f"one2ten/kto_telefoon_{second}_jan-nov.csv",
            lambda p: _Csv(p, shuffled, ";", "utf-8", "\n"),
        ),
        (HISTORY, "openforms", first): (
            f"openforms/kto-digitaal_{first}.json",
            lambda p: _Json(p, list(OPENFORMS_JSON_KEYS)),
        ),
        (HISTORY, "openforms", second): (
            f"openforms/kto-digitaal_{second}_jan-nov.csv",
            lambda p: _Csv(p, list(OPENFORMS_CSV_COLUMNS), ",", "utf-8", "\n"),
        ),
        (HISTORY, "inviter", None): (
            f"inviter/inviter_{first}-{second}_jan-nov.csv",
            lambda p: _Csv(p, list(INVITER_COLUMNS), ";", "utf-8", "\n"),
        ),
        (DECEMBER, "Balie", None): (
            f"one2ten/kto_balie_{second}-12.csv",
            lambda p: _Csv(p, one2ten["Balie"], ";", "utf-8-sig", "\r\n"),
        ),
        (DECEMBER, "Telefoon", None): (
            f"one2ten/kto_telefoon_{second}-12.xlsx",
            lambda p: _Xlsx(p, one2ten["Telefoon"], "Export"),
        ),
        (DECEMBER, "openforms", None): (
            f"openforms/kto-digitaal_{second}-12.xlsx",
            lambda p: _Xlsx(p, list(OPENFORMS_CSV_COLUMNS), "Inzendingen"),
        ),
        (DECEMBER, "inviter", None): (
            f"inviter/inviter_{second}-12.csv",
            lambda p: _Csv(p, list(INVITER_COLUMNS), ";", "utf-8", "\n"),
        ),
    }
    parts = {HISTORY: history, DECEMBER: december}
    with ExitStack() as stack:
        writers: dict[tuple, _Writer] = {}
        for key, (path, make) in specs.items():
            writer = make(parts[key[0]].folder / path)
            stack.callback(writer.close)
            writers[key] = writer

        def where(source: str, moment: datetime) -> tuple[Part, _Writer]:
            if (moment.year, moment.month) >= (second, 12):
                return december, writers[(DECEMBER, source, None)]
            if source == "inviter":
                return history, writers[(HISTORY, source, None)]
            return history, writers[(HISTORY, source, first if moment.year <= first else second)]

        numbers = dict(FIRST_RESPONDENTNUMMER)
        chosen = municipalities(municipalities_count, (first, second))
        for index, part in enumerate(_slices(chosen)):
            data = random_dataset(f"{SEED}:history:{index}", part, years=(first, second), size=size)
            rng = random.Random(f"{SEED}:history:cells:{index}")
            moved = {k: numbers[k] - FIRST_RESPONDENTNUMMER[k] for k in numbers}
            for r in data.responses:  # numbered from the same start in every slice
                r.respondentnummer += moved[r.kanaal]
                numbers[r.kanaal] = max(numbers[r.kanaal], r.respondentnummer + 1)
                target, writer = where(r.kanaal, r.einddatum or r.startdatum)
                writer.add(one2ten_row(r, rng, isinstance(writer, _Xlsx)))
                target.responses += r.status == "Voltooid"
            for s in data.submissions:
                target, writer = where("openforms", s.inzendingdatum)
                writer.add(openforms_row(s, rng, isinstance(writer, _Xlsx)))
                target.responses += 1
            for i in data.invitations:
                target, writer = where("inviter", i.verzonden_op)
                writer.add(inviter_row(i))
                target.invitations += 1
            del data
    exported = {
        HISTORY: datetime(second, 12, 4, 6, 15),
        DECEMBER: datetime(second + 1, 1, 5, 6, 15),
    }
    for key, (path, _) in specs.items():
        part = parts[key[0]]
        writer = writers[key]
        if writer.rows:
            part.files[path] = writer.rows
            _date(part.folder / path, exported[key[0]])
        else:
            (part.folder / path).unlink()
    return HistoryLanding((first, second), municipalities_count, history, december)


def move_into(december: Part, landing_dir: Path) -> list[str]:
    """Move December's files into the landing folder, keeping their modification times."""
    moved = []
    for path in december.files:
        target = landing_dir / path
        if target.exists():
            raise FileExistsError(f"{target}: December would overwrite a file of the history")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(december.folder / path, target)
        moved.append(path)
    return moved
