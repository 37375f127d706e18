"""One2Ten survey exports (balie, telefoon): CSV with ';' or XLSX (docs/contract/formats.md 1)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pyarrow.compute as pc

from ...domain import code_lists as cl
from . import answers as a
from . import columns as c
from .fields import (
    Field,
    RowCheck,
    apply_fields,
    grade_field,
    label_field,
    name_field,
    text_field,
)
from .model import ReadResult
from .municipality_codes import code_list_check
from .parts import apply_in_parts
from .tabular import Table, read_csv_parts, read_xlsx_parts

RAW_TABLE = "one2ten_responses"

KANALEN = a.labels(*cl.labels("kanalen", "one2ten"))
STATUSSEN = a.labels("Voltooid", "Onvolledig")
MOEITE = a.labels(*cl.labels("moeite", "one2ten"))
JA_NEE_WEET_NIET = a.labels(*cl.labels("ja_nee", "one2ten"))
JA_NEE = a.labels(*cl.labels("ja_nee", "one2ten", without={"weet_niet"}))  # Verbetertip
UITNODIGINGEN = a.labels("Inviter", "Qmatic", "Timeblockr", "JCC", "Kaartje", "Enquêtezuil")

# Export column -> raw column, from the code lists (dbt reads the same columns).
ASPECTS = cl.aspects()
HOSTMANSHIP = tuple((f"Hostmanship - {item}", column) for item, column in cl.hostmanship_items())


# One2Ten and Inviter write "dd-mm-jjjj uu:mm", seconds optional (answers.one2ten_datetime).
ONE2TEN_DATES = c.dates("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S")


# The identity columns the Inviter log shares with the survey export.
GEMEENTECODE = Field(
    "Gemeentecode",
    "gemeentecode",
    a.gemeentecode,
    identity=True,
    required=True,
    vector=c.distinct,
)
KANAAL = Field(
    "Kanaal",
    "kanaal",
    partial(a.required_label, allowed=KANALEN, what="Kanaal"),
    identity=True,
    required=True,
    vector=c.distinct,
)

FIELDS: tuple[Field, ...] = (
    Field(
        "Respondentnummer",
        "respondentnummer",
        a.respondentnummer,
        "BIGINT",
        True,
        True,
        vector=c.whole_numbers,
    ),
    GEMEENTECODE,
    text_field("Gemeente", "gemeente", required=True),
    KANAAL,
    Field(
        "Startdatum",
        "startdatum",
        partial(a.one2ten_datetime, column="Startdatum"),
        "TIMESTAMP",
        True,
        True,
        vector=ONE2TEN_DATES,
    ),
    Field(
        "Einddatum",
        "einddatum",
        lambda v: None if a.text(v) is None else a.one2ten_datetime(v, "Einddatum"),
        "TIMESTAMP",
        True,
        True,
        vector=ONE2TEN_DATES,
    ),
    Field(
        "Status",
        "status",
        partial(a.required_label, allowed=STATUSSEN, what="Status"),
        identity=True,
        required=True,
        vector=c.distinct,
    ),
    text_field("Survey", "survey"),
    label_field("Uitnodiging", "uitnodiging", UITNODIGINGEN, "Uitnodiging"),
    name_field("Product", "product"),
    grade_field("Totaaloordeel", "totaaloordeel"),
    text_field("Toelichting totaaloordeel", "toelichting_totaaloordeel", parse=a.free_text),
    label_field("Moeite", "moeite", MOEITE, "Moeite"),
    *(grade_field(column, raw) for column, raw in ASPECTS),
    *(grade_field(column, raw) for column, raw in HOSTMANSHIP),
    label_field(
        cl.code_lists()["in_een_keer_geholpen"], "in_een_keer_geholpen", JA_NEE_WEET_NIET, "answer"
    ),
    label_field("Verbetertip", "verbetertip", JA_NEE, "answer"),
    text_field("Verbetertip toelichting", "verbetertip_toelichting", parse=a.free_text),
    text_field("E-mailadres", "e_mailadres"),
)

ROW_CHECKS = (
    # Without Einddatum a completed questionnaire has no period to count in.
    RowCheck(
        "Einddatum",
        "missing Einddatum for a completed (Voltooid) questionnaire",
        lambda col: pc.and_(pc.equal(col["status"], "Voltooid"), pc.is_null(col["einddatum"])),
    ),
    RowCheck(
        "Einddatum",
        "Einddatum before Startdatum",
        lambda col: pc.less(col["einddatum"], col["startdatum"]),
    ),
    # the code valid on the day the response counts in (Einddatum), else the day it started
    code_list_check("Gemeentecode", "gemeentecode", "einddatum", "startdatum"),
)


def read(path: Path, file_path: str) -> ReadResult:
    def apply(table: Table) -> ReadResult:
        return apply_fields(table, file_path, RAW_TABLE, FIELDS, ROW_CHECKS)

    if path.suffix.lower() == ".xlsx":
        return apply_in_parts(read_xlsx_parts(path, file_path), apply)
    return apply_in_parts(read_csv_parts(path, file_path, delimiter=";"), apply)
