"""The row rule that judges a Gemeentecode by the CBS code list on the row's date.

A code passes when the list has it valid on the day the row happened (a One2Ten response:
its Einddatum, else its Startdatum; an Open Formulieren submission: Inzendingdatum; an
invitation: Verzonden op). An unknown code and a code used after its municipality ceased
quarantine the row; the rule of a ceased one names the successor(s) (municipalities.rule).
dbt's staging rules hold the same (dbt/models/staging/_staging.yml).
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from dagster_project import municipalities

from .fields import RowCheck


def _rules(codes: pa.Array, *moments: pa.Array) -> list[str | None]:
    out: list[str | None] = []
    columns = [m.to_pylist() for m in moments]
    for k, code in enumerate(codes.to_pylist()):
        moment: datetime | None = next((m[k] for m in columns if m[k] is not None), None)
        out.append(
            None if code is None or moment is None else municipalities.rule(code, moment.date())
        )
    return out


def code_list_check(column: str, code: str, *dates: str) -> RowCheck:
    """The check on raw column ``code`` at the first non-empty of the raw columns ``dates``."""
    return RowCheck(
        column,
        municipalities.NOT_IN_LIST,
        lambda parsed: pa.array([]),
        rules=lambda parsed: _rules(parsed[code], *(parsed[d] for d in dates)),
    )
