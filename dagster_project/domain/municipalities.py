"""The CBS municipality code list ("Gemeentelijke indeling") with validity dates and the
herindelingen, read from their one source: ``dbt/codelists/cbs_gemeenten.csv`` and
``dbt/codelists/cbs_herindelingen.csv``.

The readers judge a ``Gemeentecode`` by it (``rule``), dbt reads the same files through the
connection's tables ``kto_cbs_gemeenten`` and ``kto_cbs_herindelingen``
(``register_tables``, called by the dbt plugin), and the demo generator draws real codes from
it. A code is valid on a day when a row of the list has it with ``valid_from <= day`` and
``valid_to`` (the last day, inclusive) empty or not before the day. docs/formats.md,
"Municipality codes and the CBS code list".

What a well-formed code that is not valid on its row's day does is the setting
``KTO_GEMEENTECODES`` (``mode``): ``melden`` (the default) accepts the row, as the format
specification defines a valid code by its form, and the run reports the code and fails with
exit 1 (dagster_project/ingest/code_list.py); ``strikt`` quarantines the row (``rule``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from .project_files import project_dir

NOT_IN_LIST = "Gemeentecode not in the CBS code list"

# The setting: what becomes of a row whose well-formed code the list does not have valid on
# the row's day. README "Settings", docs/formats.md "Municipality codes and the CBS code list".
VARIABLE = "KTO_GEMEENTECODES"
REPORT = "melden"  # accepted (the format specification), reported, `kto run` exits 1
STRICT = "strikt"  # quarantined with the list's reason
MODES = (REPORT, STRICT)


def checked(value: str) -> str:
    """``value`` when it is a setting of KTO_GEMEENTECODES; ValueError naming it else."""
    if value not in MODES:
        raise ValueError(f"{VARIABLE}={value!r}: expected {' or '.join(MODES)}")
    return value


def mode(env: Mapping[str, str] | None = None) -> str:
    """The setting in force (the environment's, else ``melden``); ValueError names a bad one."""
    return checked((os.environ if env is None else env).get(VARIABLE, REPORT))


@dataclass(frozen=True)
class Period:
    code: str
    name: str
    valid_from: date
    valid_to: date | None  # last day, inclusive; None: still exists

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Herindeling:
    code: str  # the ceased code
    successor: str
    date: date  # the first day the successor holds its territory


def files() -> tuple[Path, Path]:
    folder = project_dir("dbt") / "codelists"
    return folder / "cbs_gemeenten.csv", folder / "cbs_herindelingen.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def periods() -> tuple[Period, ...]:
    return tuple(
        Period(
            r["code"],
            r["name"],
            date.fromisoformat(r["valid_from"]),
            date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
        )
        for r in _rows(files()[0])
    )


@cache
def herindelingen() -> tuple[Herindeling, ...]:
    return tuple(
        Herindeling(r["code"], r["successor"], date.fromisoformat(r["date"]))
        for r in _rows(files()[1])
    )


@cache
def _by_code() -> dict[str, tuple[Period, ...]]:
    out: dict[str, list[Period]] = {}
    for p in periods():
        out.setdefault(p.code, []).append(p)
    return {c: tuple(sorted(ps, key=lambda p: p.valid_from)) for c, ps in out.items()}


def name(code: str) -> str | None:
    """The code's latest name in the list (what the marts show), None for an unknown code."""
    found = _by_code().get(code)
    return found[-1].name if found else None


def name_on(code: str, day: date) -> str | None:
    return next((p.name for p in _by_code().get(code, ()) if p.covers(day)), None)


def valid_on(day: date) -> dict[str, str]:
    """Every code valid on ``day`` with its name then."""
    return {p.code: p.name for p in periods() if p.covers(day)}


def valid_throughout(first: date, last: date) -> list[tuple[str, str]]:
    """(code, latest name) of every municipality valid on every day from first to last."""
    return sorted(
        (code, ps[-1].name)
        for code, ps in _by_code().items()
        if any(p.covers(first) and p.covers(last) for p in ps)
    )


@cache
def rule(code: str, day: date) -> str | None:
    """Why ``code`` cannot be used on ``day`` (the quarantine's rule), None when it can."""
    found = _by_code().get(code)
    if not found:
        return NOT_IN_LIST
    if any(p.covers(day) for p in found):
        return None
    first, last = found[0], found[-1]
    if day < first.valid_from:
        return f"Gemeentecode {code} ({first.name}) exists only from {first.valid_from} on"
    successors = sorted(h.successor for h in herindelingen() if h.code == code)
    ended = last.valid_to.isoformat() if last.valid_to else "?"
    named = ", ".join(f"{s} {name_on(s, day) or name(s)}" for s in successors)
    if not successors:
        return f"Gemeentecode {code} ({last.name}) ceased after {ended}"
    word = "successor" if len(successors) == 1 else "successors"
    return (
        f"Gemeentecode {code} ({last.name}) ceased after {ended} (herindeling): "
        f"use its {word} {named}"
    )


def register_tables(conn) -> None:
    """The two files as temporary tables on a DuckDB connection (dbt's, or a test's)."""
    gemeenten, herindeling = files()
    conn.execute(
        "create or replace temp table kto_cbs_gemeenten as "
        "select code as gemeentecode, name as naam, cast(valid_from as date) as geldig_vanaf, "
        "cast(valid_to as date) as geldig_tot_en_met from read_csv(?, header = true, "
        "all_varchar = true)",
        [str(gemeenten)],
    )
    conn.execute(
        "create or replace temp table kto_cbs_herindelingen as "
        "select code as gemeentecode, successor as opvolger, cast(date as date) as datum "
        "from read_csv(?, header = true, all_varchar = true)",
        [str(herindeling)],
    )
