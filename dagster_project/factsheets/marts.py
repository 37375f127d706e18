"""Reading the KPI marts for one period (docs/architecture.md, "Marts").

Plain SQL on a DuckDB connection the caller opened (read-only in the
pipeline). ``SELECT *`` keeps this tolerant of extra columns; the columns the
factsheet needs are read by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..domain.periods import Periode, sort_periods
from ..publish.public_marts import PUBLIC_MARTS
from ..warehouse import open_warehouse

MART_TABLES = PUBLIC_MARTS  # the factsheets read the public layer only
READ_WAIT_SECONDS = 60.0  # how long a read of the marts waits for a writer (read_only)

Row = dict[str, Any]
CellKey = tuple[str, str]  # (gemeentecode, kanaal)


@dataclass
class PeriodData:
    """Every mart row the factsheets of one period need, grouped by cell."""

    cells: list[Row]
    aspects: dict[CellKey, list[Row]]
    stellingen: dict[CellKey, list[Row]]
    products: dict[CellKey, list[Row]]
    tips: dict[CellKey, list[Row]]
    earlier_cells: dict[tuple[str, str, str], Row]  # (gemeentecode, kanaal, periode)
    # a year's quarters, same key (empty for a quarter)
    quarter_cells: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    # kto_prioriteit: the priority matrix of the cell (balie, telefoon), factsheet order
    prioriteiten: dict[CellKey, list[Row]] = field(default_factory=dict)
    themas: dict[CellKey, list[Row]] = field(default_factory=dict)  # kto_thema, by volgorde
    # kto_vergelijkingsgroep: the comparison groups' BMs of the cell's totaaloordeel and CES,
    # by group name (empty without KTO_VERGELIJKINGSGROEPEN)
    groepen: dict[CellKey, list[Row]] = field(default_factory=dict)


def _rows(conn, sql: str, params: list[Any]) -> list[Row]:
    cursor = conn.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def _by_cell(rows: list[Row], order: str, label: str) -> dict[CellKey, list[Row]]:
    """Group by cell, in factsheet order (``volgorde``/``rang``; unnumbered rows last, by name)."""
    grouped: dict[CellKey, list[Row]] = {}
    for row in sorted(rows, key=lambda r: (r[order] is None, r[order] or 0, str(r[label]))):
        grouped.setdefault((row["gemeentecode"], row["kanaal"]), []).append(row)
    return grouped


@contextmanager
def read_only(
    warehouse: Path, wait_seconds: float = READ_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse: factsheets never write it.

    DuckDB refuses a reader while another process writes the file. The factsheets
    read for a fraction of a second, so they wait for the writer (up to
    ``wait_seconds``) instead of failing or holding the writers' pool while rendering.
    """
    with open_warehouse(warehouse, read_only=True, wait=wait_seconds) as con:
        yield con


def has_table(conn, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def list_periodes(conn) -> list[str]:
    """Every period that has at least one cell in ``marts.kto_cel``."""
    rows = conn.execute("SELECT DISTINCT periode FROM marts.kto_cel").fetchall()
    return sort_periods(r[0] for r in rows)


def read_period(conn, periode: Periode, trend_years: int = 2) -> PeriodData:
    params = [periode.code]
    cells = _rows(
        conn,
        "SELECT * FROM marts.kto_cel WHERE periode = ? ORDER BY gemeentecode, kanaal",
        params,
    )
    earlier = [periode.earlier(k).code for k in range(1, trend_years + 1)]
    earlier_rows = (
        _rows(
            conn,
            f"SELECT * FROM marts.kto_cel WHERE periode IN ({', '.join('?' for _ in earlier)})",
            earlier,
        )
        if earlier
        else []
    )
    quarter_rows = (
        _rows(
            conn,
            "SELECT * FROM marts.kto_cel WHERE jaar = ? AND kwartaal IS NOT NULL",
            [periode.jaar],
        )
        if periode.kwartaal is None
        else []
    )
    return PeriodData(
        cells=cells,
        aspects=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_aspect WHERE periode = ?", params),
            "volgorde",
            "aspect",
        ),
        stellingen=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_stelling WHERE periode = ?", params),
            "volgorde",
            "stelling",
        ),
        products=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_product WHERE periode = ?", params),
            "volgorde",
            "product",
        ),
        tips=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_tip WHERE periode = ?", params), "rang", "tekst"
        ),
        earlier_cells={(r["gemeentecode"], r["kanaal"], r["periode"]): r for r in earlier_rows},
        quarter_cells={(r["gemeentecode"], r["kanaal"], r["periode"]): r for r in quarter_rows},
        # marts written without the matrix (a factsheet test's own marts) have no section
        prioriteiten=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_prioriteit WHERE periode = ?", params),
            "volgorde",
            "aspect",
        )
        if has_table(conn, "marts", "kto_prioriteit")
        else {},
        themas=_by_cell(
            _rows(conn, "SELECT * FROM marts.kto_thema WHERE periode = ?", params),
            "volgorde",
            "thema",
        ),
        groepen=_by_cell(
            _rows(
                conn,
                "SELECT * FROM marts.kto_vergelijkingsgroep WHERE periode = ?"
                " AND figuur_type IN ('totaaloordeel', 'ces')",
                params,
            ),
            "volgorde",
            "groep",
        )
        if has_table(conn, "marts", "kto_vergelijkingsgroep")
        else {},
    )
