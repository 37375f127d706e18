"""One2Ten survey exports (balie, telefoon): CSV with ';' or XLSX (FORMATS.md section 1)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from .. import code_lists as cl
from . import answers as a
from .fields import Field, apply_fields
from .model import ReadResult
from .tabular import read_csv, read_xlsx

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


def _grade_field(column: str, raw_name: str) -> Field:
    return Field(column, raw_name, a.grade, "INTEGER")


# The identity columns the Inviter log shares with the survey export.
GEMEENTECODE = Field("Gemeentecode", "gemeentecode", a.gemeentecode, identity=True, required=True)
KANAAL = Field(
    "Kanaal",
    "kanaal",
    partial(a.required_label, allowed=KANALEN, what="Kanaal"),
    identity=True,
    required=True,
)

FIELDS: tuple[Field, ...] = (
    Field("Respondentnummer", "respondentnummer", a.respondentnummer, "BIGINT", True, True),
    GEMEENTECODE,
    Field("Gemeente", "gemeente", a.text, required=True),
    KANAAL,
    Field(
        "Startdatum",
        "startdatum",
        partial(a.one2ten_datetime, column="Startdatum"),
        "TIMESTAMP",
        True,
        True,
    ),
    Field(
        "Einddatum",
        "einddatum",
        lambda v: None if a.text(v) is None else a.one2ten_datetime(v, "Einddatum"),
        "TIMESTAMP",
        True,
        True,
    ),
    Field(
        "Status",
        "status",
        partial(a.required_label, allowed=STATUSSEN, what="Status"),
        identity=True,
        required=True,
    ),
    Field("Survey", "survey", a.text),
    Field(
        "Uitnodiging", "uitnodiging", partial(a.label, allowed=UITNODIGINGEN, what="Uitnodiging")
    ),
    Field("Product", "product", a.text),
    _grade_field("Totaaloordeel", "totaaloordeel"),
    Field("Toelichting totaaloordeel", "toelichting_totaaloordeel", a.free_text),
    Field("Moeite", "moeite", partial(a.label, allowed=MOEITE, what="Moeite")),
    *(_grade_field(c, raw) for c, raw in ASPECTS),
    *(_grade_field(c, raw) for c, raw in HOSTMANSHIP),
    Field(
        cl.code_lists()["in_een_keer_geholpen"],
        "in_een_keer_geholpen",
        partial(a.label, allowed=JA_NEE_WEET_NIET, what="answer"),
    ),
    Field("Verbetertip", "verbetertip", partial(a.label, allowed=JA_NEE, what="answer")),
    Field("Verbetertip toelichting", "verbetertip_toelichting", a.free_text),
    Field("E-mailadres", "e_mailadres", a.text),
)


def _status_needs_end(row: dict[str, Any]) -> tuple[str, str] | None:
    # Without Einddatum a completed questionnaire has no period to count in.
    if row["status"] == "Voltooid" and row["einddatum"] is None:
        return "Einddatum", "missing Einddatum for a completed (Voltooid) questionnaire"
    return None


def _ends_after_start(row: dict[str, Any]) -> tuple[str, str] | None:
    if row["einddatum"] is not None and row["einddatum"] < row["startdatum"]:
        return "Einddatum", "Einddatum before Startdatum"
    return None


def read(path: Path, file_path: str) -> ReadResult:
    if path.suffix.lower() == ".xlsx":
        table = read_xlsx(path, file_path)
    else:
        table = read_csv(path, file_path, delimiter=";")
    return apply_fields(table, file_path, RAW_TABLE, FIELDS, (_status_needs_end, _ends_after_start))
