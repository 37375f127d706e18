"""The signals of each period as the portal shows them and as ``signalen.csv``.

What a signal is lives in ``analysis/signals.py``; here the portal restricts it to what it
shows (a figure of a cell with a factsheet; a drop when both cells have one) and writes
``factsheets/{periode}/signalen.csv``, beside the period's ``report.json``: for Excel with
Dutch settings as the published marts' CSV (``;``, decimal comma, UTF-8 with a byte order
mark, a text Excel would take for a formula with a leading ``'``). Every period gets the
file, with only its header when it has no signal.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd

from dagster_project.analysis import signals
from dagster_project.factsheets import dutch
from dagster_project.factsheets.output import write_atomically

CSV_NAME = "signalen.csv"
_FORMULA = ("=", "+", "-", "@")


def shown(
    figures: pd.DataFrame, changes: pd.DataFrame, cells: set[tuple[str, str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figures of ``cells`` (gemeentecode, kanaal, periode), and the changes whose two
    cells are both in it."""
    if figures.empty:
        keep_f = pd.Series([], dtype=bool)
    else:
        keep_f = pd.Series(
            [
                k in cells
                for k in zip(figures.gemeentecode, figures.kanaal, figures.periode, strict=True)
            ],
            index=figures.index,
            dtype=bool,
        )
    if changes.empty:
        keep_c = pd.Series([], dtype=bool)
    else:
        keep_c = pd.Series(
            [
                (g, k, p) in cells and (g, k, v) in cells
                for g, k, p, v in zip(
                    changes.gemeentecode,
                    changes.kanaal,
                    changes.periode,
                    changes.periode_vorig,
                    strict=True,
                )
            ],
            index=changes.index,
            dtype=bool,
        )
    return figures[keep_f], changes[keep_c]


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


ROUNDED = ("waarde", "bm", "verschil")  # printed with the figure's decimals


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` (``signals.COLUMNS``) as the CSV for Excel; the figure, BM and change with
    the figure's decimals, as the factsheet prints them, the limits and q exact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(signals.COLUMNS)
    for row in frame[signals.COLUMNS].to_dict("records"):
        cells = []
        for name in signals.COLUMNS:
            value = row[name]
            if name in ROUNDED and _cell(value) != "":
                cells.append(
                    dutch.fixed(
                        round(Decimal(repr(float(value))), row["decimalen"]), row["decimalen"]
                    )
                )
            else:
                cells.append(_cell(value))
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_csv(found: pd.DataFrame, factsheets_dir: Path, periodes: list[str]) -> list[str]:
    """Write ``{periode}/signalen.csv`` for every period (where its bytes changed); the
    paths, relative to the factsheets folder."""
    written = []
    for periode in periodes:
        data = csv_bytes(found[found["periode"] == periode])
        target = factsheets_dir / periode / CSV_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)
        written.append(f"{periode}/{CSV_NAME}")
    for stale in factsheets_dir.glob(f"*/{CSV_NAME}"):
        if stale.parent.name not in periodes:
            stale.unlink()
    return written


def rows(found: pd.DataFrame, periode: str) -> list[dict]:
    """The signals of a period as plain dicts for the page (NaN as None)."""
    part = found[found["periode"] == periode]
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in part.to_dict("records")
    ]
