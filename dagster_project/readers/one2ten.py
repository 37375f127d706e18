"""One2Ten survey exports (balie, telefoon): CSV with ';' or XLSX (FORMATS.md section 1)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from . import answers as a
from .fields import Field, apply_fields
from .model import ReadResult
from .tabular import read_csv, read_xlsx

RAW_TABLE = "one2ten_responses"

KANALEN = a.labels("Balie", "Telefoon")
STATUSSEN = a.labels("Voltooid", "Onvolledig")
MOEITE = a.labels(
    "Heel veel moeite", "Veel moeite", "Neutraal", "Weinig moeite", "Geen moeite", "Weet niet"
)
JA_NEE = a.labels("Ja", "Nee")
JA_NEE_WEET_NIET = a.labels("Ja", "Nee", "Weet niet")
UITNODIGINGEN = a.labels("Inviter", "Qmatic", "Timeblockr", "JCC", "Kaartje", "Enquêtezuil")

ASPECTS = (
    "Openingstijden",
    "Wachtruimte",
    "Wachttijd",
    "Privacy aan de balie",
    "Vriendelijkheid",
    "Deskundigheid",
    "Prijs van het product",
    "Doorlooptijd",
    "Bereikbaarheid",
    "Duidelijkheid van de informatie",
)
HOSTMANSHIP = (
    "bereidheid om te helpen",
    "deskundigheid",
    "inleving",
    "verantwoordelijkheid",
    "oplossingen aandragen",
    "vertegenwoordigt de gemeente",
)


def _snake(column: str) -> str:
    return column.lower().replace(" - ", "_").replace(" ", "_").replace("-", "_")


def _grade_field(column: str) -> Field:
    return Field(column, _snake(column), a.grade, "INTEGER")


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
    _grade_field("Totaaloordeel"),
    Field("Toelichting totaaloordeel", "toelichting_totaaloordeel", a.free_text),
    Field("Moeite", "moeite", partial(a.label, allowed=MOEITE, what="Moeite")),
    *(_grade_field(c) for c in ASPECTS),
    *(_grade_field(f"Hostmanship - {item}") for item in HOSTMANSHIP),
    Field(
        "In één keer geholpen",
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
