"""The row rule that judges a Gemeentecode by the CBS code list on the row's date.

A code passes when the list has it valid on the day the row happened (a One2Ten response:
its Einddatum, else its Startdatum; an Open Formulieren submission: Inzendingdatum; an
invitation: Verzonden op). What becomes of a well-formed code the list does not have valid
then is the setting KTO_GEMEENTECODES (``municipalities.mode``):

- ``melden`` (the default): the row is accepted, as the format specification defines a
  valid code by its form; the ingest reports the code afterwards from raw
  (dagster_project/ingest/code_list.py) and `kto run` exits 1;
- ``strikt``: the row is quarantined; an unknown code, a code used after its municipality
  ceased (the rule names the successor(s)) and a code used before it existed each say so
  (``municipalities.rule``).

dbt's staging rules hold the same under either setting (dbt/models/staging/_staging.yml).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import pyarrow as pa

from dagster_project.domain import municipalities

from .fields import RowCheck

# The setting of the ingest reading now (``judged_as``); None: the environment's.
_MODE: ContextVar[str | None] = ContextVar("kto_gemeentecodes", default=None)


@contextmanager
def judged_as(mode: str | None) -> Iterator[None]:
    """Read under ``mode`` (melden, strikt; None: the environment's KTO_GEMEENTECODES)."""
    if mode is not None:
        municipalities.checked(mode)
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def current_mode() -> str:
    return _MODE.get() or municipalities.mode()


def _rules(codes: pa.Array, *moments: pa.Array) -> list[str | None]:
    if current_mode() != municipalities.STRICT:
        return [None] * len(codes)  # melden: accepted here, reported from raw
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
