"""The code lists of docs/contract (formats.md, metrics.md), read from their one source.

The lists (channels, answer labels of both tools, aspects, Hostmanship items, statements,
products with their short display names) live once, as the var ``code_lists`` in the dbt
project's ``dbt_project.yml``: dbt's macros read them through ``var()``, the readers and the
factsheets through this module. Nothing is generated from them, so nothing can drift.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from .project_files import project_dir


@cache
def _vars() -> dict[str, Any]:
    path = project_dir("dbt") / "dbt_project.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["vars"]


def code_lists() -> dict[str, Any]:
    return _vars()["code_lists"]


def dbt_var_default(name: str) -> Any:
    """The value of a var of dbt_project.yml: the default of a setting dbt reads, which a
    ``--vars`` value overrides (dagster_project/settings)."""
    return _vars()[name]


def completion_moments() -> dict[str, str]:
    """When a response counts, by raw table: SQL on its columns giving the moment it was
    completed, NULL when it counts nowhere (staging computes ``voltooid_op`` with it)."""
    return dict(_vars()["voltooid_op"])


def gemeentecode_pattern() -> str:
    """A well-formed Gemeentecode as a regular expression (ASCII, the same in DuckDB and
    Python): ``GM[0-9]{4}``."""
    return _vars()["gemeentecode_patroon"]


def period_pattern() -> str:
    """A period code as a regular expression (ASCII, the same in DuckDB and Python): a year
    or a quarter, ``[0-9]{4}(-Q[1-4])?``."""
    return _vars()["periode_patroon"]


def decimals() -> dict[str, int]:
    """The decimals a figure is published with, by figuur_type (totaaloordeel, aspect,
    product, ces, stelling); int_cell_figures.sql rounds by the same var."""
    return dict(_vars()["decimalen"])


def tip_limits() -> tuple[int, int]:
    """(at most this many tips per cell, each cut at this many characters on the sheet)."""
    tips = _vars()["tips"]
    return int(tips["max_tips"]), int(tips["max_tip_chars"])


def withheld_text() -> str:
    """What a free text that still looks personal after redaction becomes (sanitise.py)."""
    return _vars()["withheld_text"]


def labels(
    list_name: str, tool: str, without: frozenset[str] | set[str] = frozenset()
) -> tuple[str, ...]:
    """The labels ``tool`` (one2ten, openforms) writes for the codes of ``list_name``."""
    return tuple(e[tool] for e in code_lists()[list_name] if tool in e and e["code"] not in without)


def channels() -> tuple[str, ...]:
    """The channel codes in factsheet order: balie, telefoon, digitaal."""
    return tuple(k["code"] for k in code_lists()["kanalen"])


def aspects() -> tuple[tuple[str, str], ...]:
    """(label as the One2Ten column and the factsheet name it, column in raw/staging)."""
    return tuple((a["label"], a["kolom"]) for a in code_lists()["aspecten"])


def hostmanship_items() -> tuple[tuple[str, str], ...]:
    """(item as in the One2Ten column ``Hostmanship - <item>``, column in raw/staging)."""
    return tuple((h["item"], h["kolom"]) for h in code_lists()["hostmanship"])


def statements() -> tuple[tuple[str, str, str], ...]:
    """(factsheet line, Open Formulieren field key, column in raw/staging)."""
    return tuple((s["label"], s["veld"], s["kolom"]) for s in code_lists()["stellingen"])


def products() -> dict[str, tuple[str, ...]]:
    """Canonical product names per channel, in factsheet order."""
    return {k: tuple(p["naam"] for p in ps) for k, ps in code_lists()["producten"].items()}


def short_names() -> dict[str, str]:
    """Product name -> the shorter name a bar label shows, for the products that have one."""
    return {
        p["naam"]: p["kort"] for ps in code_lists()["producten"].values() for p in ps if "kort" in p
    }
