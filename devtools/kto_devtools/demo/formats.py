"""How the survey tools spell ground truth in their exports (docs/contract/formats.md).

Rows are dicts of column -> cell value; a cell is text, or for XLSX a number
where the tool writes numbers. The same answer is spelled in the ways real
exports spell it: ``8`` or ``8,0``, ``Weet niet`` or ``weet niet``.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import os
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl

from .model import (
    BALIE_ASPECTS,
    FORM_NAME,
    HOSTMANSHIP_ITEMS,
    NVT,
    OF_STATEMENTS,
    TELEFOON_ASPECTS,
    WEET_NIET,
    Invitation,
    One2TenResponse,
    OpenFormsSubmission,
)

Cell = str | int | float | None

ONE2TEN_HEAD = (
    "Respondentnummer",
    "Survey",
    "Gemeentecode",
    "Gemeente",
    "Kanaal",
    "Startdatum",
    "Einddatum",
    "Status",
    "Uitnodiging",
    "Product",
    "Totaaloordeel",
    "Toelichting totaaloordeel",
    "Moeite",
)
ONE2TEN_TAIL = ("Verbetertip", "Verbetertip toelichting", "E-mailadres")
OPENFORMS_CSV_COLUMNS = (
    "Formuliernaam",
    "Inzendingdatum",
    "respondentId",
    "gemeentecode",
    "product",
    "totaaloordeel",
    "toelichting",
    "moeite",
    *OF_STATEMENTS,
    "verbetertip",
    "verbetertipToelichting",
    "email",
)
# The JSON export lists the fields in the form's own order.
OPENFORMS_JSON_KEYS = (
    "Formuliernaam",
    "Inzendingdatum",
    "respondentId",
    "gemeentecode",
    "product",
    "totaaloordeel",
    "toelichting",
    "moeite",
    "verbetertip",
    "verbetertipToelichting",
    "email",
    *OF_STATEMENTS,
)
INVITER_COLUMNS = ("Gemeentecode", "Kanaal", "Verzonden op", "E-mailadres", "Status")
# A column a newer One2Ten version added; readers ignore it.
EXTRA_COLUMN = "Apparaat"


@dataclass(frozen=True)
class FileStyle:
    """How one export file is written."""

    fmt: str  # "csv" | "xlsx" | "json"
    encoding: str = "utf-8"  # csv: "utf-8-sig" (BOM), "utf-8" or "cp1252"
    newline: str = "\n"
    shuffled_columns: bool = False
    extra_column: bool = False


def one2ten_columns(kanaal: str) -> list[str]:
    aspects = BALIE_ASPECTS if kanaal == "Balie" else TELEFOON_ASPECTS
    middle = [*aspects, *HOSTMANSHIP_ITEMS]
    if kanaal == "Telefoon":
        middle.append("In één keer geholpen")
    return [*ONE2TEN_HEAD, *middle, *ONE2TEN_TAIL]


def one2ten_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%d-%m-%Y %H:%M")


def openforms_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _no_answer(value: str, rng: random.Random) -> str:
    if value == WEET_NIET:
        return rng.choices(("Weet niet", "weet niet", "WEET NIET", "Weet Niet"), (12, 6, 1, 1))[0]
    if value == NVT:
        return rng.choices(("N.v.t.", "n.v.t.", "N.V.T."), (14, 5, 1))[0]
    return value


def grade_cell(value: object, rng: random.Random, xlsx: bool) -> Cell:
    """A grade as a One2Ten export writes it."""
    if value is None:
        return None if xlsx else ""
    if isinstance(value, int):
        if xlsx:
            return rng.choices((value, f"{value},0", str(value)), (15, 3, 2))[0]
        return f"{value},0" if rng.random() < 0.15 else str(value)
    return _no_answer(str(value), rng)


def _text(value: str | None, xlsx: bool) -> Cell:
    if value is None:
        return None if xlsx else ""
    return value


def one2ten_row(r: One2TenResponse, rng: random.Random, xlsx: bool) -> dict[str, Cell]:
    row: dict[str, Cell] = {
        "Respondentnummer": r.respondentnummer if xlsx else str(r.respondentnummer),
        "Survey": r.survey,
        "Gemeentecode": r.gemeentecode,
        "Gemeente": r.gemeente,
        "Kanaal": r.kanaal,
        "Startdatum": one2ten_date(r.startdatum),
        "Einddatum": _text(one2ten_date(r.einddatum) or None, xlsx),
        "Status": r.status,
        "Uitnodiging": _text(r.uitnodiging, xlsx),
        "Product": _text(r.product, xlsx),
        "Totaaloordeel": grade_cell(r.totaaloordeel, rng, xlsx),
        "Toelichting totaaloordeel": _text(r.toelichting, xlsx),
        "Moeite": _text(r.moeite and _no_answer(r.moeite, rng), xlsx),
    }
    aspects = BALIE_ASPECTS if r.kanaal == "Balie" else TELEFOON_ASPECTS
    for a in aspects:
        row[a] = grade_cell(r.aspecten.get(a), rng, xlsx)
    for item in HOSTMANSHIP_ITEMS:
        row[item] = grade_cell(r.hostmanship.get(item), rng, xlsx)
    if r.kanaal == "Telefoon":
        once = r.in_een_keer_geholpen
        row["In één keer geholpen"] = _text(once and _no_answer(once, rng), xlsx)
    row["Verbetertip"] = _text(r.verbetertip, xlsx)
    row["Verbetertip toelichting"] = _text(r.verbetertip_toelichting, xlsx)
    row["E-mailadres"] = _text(r.email, xlsx)
    return row


def openforms_row(s: OpenFormsSubmission, rng: random.Random, xlsx: bool) -> dict[str, Cell]:
    """Open Formulieren writes every field as text, empty as ``""``; XLSX grades are numbers."""
    grade: Cell = "" if s.totaaloordeel is None else str(s.totaaloordeel)
    if xlsx:
        grade = s.totaaloordeel if s.totaaloordeel is None or rng.random() < 0.9 else grade
    row: dict[str, Cell] = {
        "Formuliernaam": FORM_NAME,
        "Inzendingdatum": openforms_date(s.inzendingdatum),
        "respondentId": s.respondent_id,
        "gemeentecode": s.gemeentecode,
        "product": s.product or "",
        "totaaloordeel": grade,
        "toelichting": s.toelichting or "",
        "moeite": s.moeite or "",
        "verbetertip": s.verbetertip or "",
        "verbetertipToelichting": s.verbetertip_toelichting or "",
        "email": s.email or "",
    }
    for key in OF_STATEMENTS:
        row[key] = s.stellingen.get(key) or ""
    if xlsx:
        row = {k: (None if v == "" else v) for k, v in row.items()}
    return row


def inviter_row(i: Invitation) -> dict[str, Cell]:
    return {
        "Gemeentecode": i.gemeentecode,
        "Kanaal": i.kanaal,
        "Verzonden op": one2ten_date(i.verzonden_op),
        "E-mailadres": i.email,
        "Status": i.status,
    }


# --- serialisation ----------------------------------------------------------------


def csv_bytes(
    columns: Sequence[str], rows: Sequence[dict[str, Cell]], delimiter: str, style: FileStyle
) -> tuple[bytes, list[int]]:
    """The file's bytes and, per row, the line its record starts on (header = 1)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quotechar='"', lineterminator=style.newline)
    writer.writerow(columns)
    lines, line = [], 2
    for row in rows:
        values = ["" if row.get(c) is None else str(row.get(c)) for c in columns]
        writer.writerow(values)
        lines.append(line)
        line += 1 + sum(v.count("\n") for v in values)
    return buffer.getvalue().encode(style.encoding), lines


def _zip_fixed(data: bytes, moment: datetime) -> bytes:
    """Re-pack an XLSX with fixed timestamps, so the same workbook is the same bytes."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, content)
    return out.getvalue()


def xlsx_bytes(
    columns: Sequence[str], rows: Sequence[dict[str, Cell]], moment: datetime, sheet: str
) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(columns))
    for row in rows:
        ws.append([row.get(c) for c in columns])
    wb.properties.creator = "One2Ten" if sheet == "Export" else "Open Formulieren"
    wb.properties.created = moment
    buffer = io.BytesIO()
    wb.save(buffer)
    return _zip_fixed(buffer.getvalue(), moment)


def json_bytes(keys: Sequence[str], rows: Sequence[dict[str, Cell]]) -> bytes:
    objects = [{k: row.get(k, "") for k in keys} for row in rows]
    return (json.dumps(objects, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_bytes(path: Path, data: bytes, mtime: datetime) -> None:
    """Write a file and date it (mtime, UTC) like the export it stands for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = calendar.timegm(mtime.timetuple())
    os.utime(path, (stamp, stamp))
