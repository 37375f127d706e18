"""Open Formulieren exports of the survey form: CSV, XLSX, JSON (docs/contract/formats.md 2)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from ...domain import code_lists as cl
from . import answers as a
from . import columns as c
from .fields import Field, apply_fields, grade_field, label_field, name_field, text_field
from .headers import header_key
from .model import FileRejected, ReadResult
from .municipality_codes import code_list_check
from .parts import apply_in_parts
from .tabular import Table, read_csv_parts, read_json_parts, read_xlsx_parts

RAW_TABLE = "openforms_submissions"
SURVEY_FORM = "KTO digitale dienstverlening"

MOEITE = a.labels(*cl.labels("moeite", "openforms"))
EENS = a.labels(*cl.labels("eens", "openforms"))
JA_NEE = a.labels(*cl.labels("ja_nee", "openforms"))

# Form field key -> raw column, in factsheet order, from the code lists (dbt reads the same).
STATEMENTS = tuple((key, column) for _, key, column in cl.statements())


def _form_name(value: Any) -> str:
    name = a.code_text(value)
    if name != SURVEY_FORM:
        raise a.InvalidValue(f"not the survey form {SURVEY_FORM!r}")
    return name


# Open Formulieren writes "jjjj-mm-dd uu:mm:ss", a T or a blank between, seconds optional.
ISO_DATES = c.dates("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


FIELDS: tuple[Field, ...] = (
    Field(
        "Formuliernaam",
        "formuliernaam",
        _form_name,
        identity=True,
        required=True,
        vector=c.distinct,
    ),
    Field(
        "Inzendingdatum",
        "inzendingdatum",
        partial(a.openforms_datetime, column="Inzendingdatum"),
        "TIMESTAMP",
        True,
        True,
        vector=ISO_DATES,
    ),
    Field("respondentId", "respondent_id", a.uuid, identity=True, required=True),
    Field(
        "gemeentecode",
        "gemeentecode",
        a.gemeentecode,
        identity=True,
        required=True,
        vector=c.distinct,
    ),
    name_field("product", "product"),
    grade_field("totaaloordeel", "totaaloordeel"),
    text_field("toelichting", "toelichting", parse=a.free_text),
    label_field("moeite", "moeite", MOEITE, "moeite"),
    *(label_field(key, raw, EENS, key) for key, raw in STATEMENTS),
    label_field("verbetertip", "verbetertip", JA_NEE, "verbetertip"),
    text_field("verbetertipToelichting", "verbetertip_toelichting", parse=a.free_text),
    text_field("email", "email"),
)


ROW_CHECKS = (code_list_check("gemeentecode", "gemeentecode", "inzendingdatum"),)


def read(path: Path, file_path: str) -> ReadResult:
    suffix = path.suffix.lower()
    if suffix == ".json":
        parts: Iterator[Table] = read_json_parts(path, file_path)
    elif suffix == ".xlsx":
        parts = read_xlsx_parts(path, file_path)
    else:
        parts = read_csv_parts(path, file_path, delimiter=",")
    # Other forms land in the same folder; a file none of whose rows is the survey is refused,
    # for that reason rather than any other (a form of its own lacks the survey's columns).
    names: set[str | None] = set()
    rows = False

    def look(table: Table) -> None:
        nonlocal rows
        keys = [header_key(h) for h in table.header]
        if header_key("Formuliernaam") in keys:
            position = keys.index(header_key("Formuliernaam"))
            # normalised once per distinct name (a form name with a zero-width space is it)
            given = {cells[position] for _, cells in table.rows}
            names.update(a.code_text(v) for v in given)
            rows = rows or bool(table.rows)

    def other_form() -> None:
        if rows and SURVEY_FORM not in names:
            shown = ", ".join(sorted(repr(n) for n in names if n))[:200]
            raise FileRejected(file_path, f"not the survey form {SURVEY_FORM!r} (form {shown})")

    def apply(table: Table) -> ReadResult:
        return apply_fields(table, file_path, RAW_TABLE, FIELDS, ROW_CHECKS)

    try:
        result = apply_in_parts(parts, apply, look)
    except FileRejected:
        for table in parts:  # the rest of the file, for its form names only
            look(table)
        other_form()
        raise
    other_form()
    return result
