"""Inviter logs: who was invited to the balie and telefoon surveys (docs/contract/formats.md 3)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from . import answers as a
from . import columns as c
from .fields import Field, apply_fields, text_field
from .model import ReadResult
from .municipality_codes import code_list_check
from .one2ten import GEMEENTECODE, KANAAL, ONE2TEN_DATES  # it invites to the One2Ten surveys
from .parts import apply_in_parts
from .tabular import read_csv_parts

RAW_TABLE = "inviter_invitations"

FIELDS: tuple[Field, ...] = (
    GEMEENTECODE,
    KANAAL,
    Field(
        "Verzonden op",
        "verzonden_op",
        partial(a.one2ten_datetime, column="Verzonden op"),
        "TIMESTAMP",
        True,
        True,
        vector=ONE2TEN_DATES,
    ),
    text_field("E-mailadres", "e_mailadres", required=True),
    Field(
        "Status",
        "status",
        partial(a.required_label, allowed=a.labels("Verzonden", "Bounce"), what="Status"),
        identity=True,
        required=True,
        vector=c.distinct,
    ),
)

ROW_CHECKS = (code_list_check("Gemeentecode", "gemeentecode", "verzonden_op"),)


def read(path: Path, file_path: str) -> ReadResult:
    return apply_in_parts(
        read_csv_parts(path, file_path, delimiter=";"),
        lambda table: apply_fields(table, file_path, RAW_TABLE, FIELDS, ROW_CHECKS),
    )
