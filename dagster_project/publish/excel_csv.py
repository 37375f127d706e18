"""The marts as CSV for Excel users with Dutch settings: ``;`` between fields, a decimal comma,
UTF-8 with a byte order mark (without it Excel reads UTF-8 as Windows-1252), NULL as an
empty field (an empty text is ``""``), a header line with the column names.

Numbers are written with a decimal comma (DuckDB's CSV writer has no such option, so the
decimal columns are formatted here); dates as ``2020-03-31``, booleans as ``true``/``false``.
Text that Excel would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: free text such as a tip can) gets a leading apostrophe, so that opening the
file never runs anything; read it back by dropping that one apostrophe.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from .snapshot_tables import TableContract, ident, literal

BOM = b"\xef\xbb\xbf"
SEPARATOR = ";"
FORMULA_START = "^[=+\\-@\\t\\r]"  # a regular expression on the first character

_DECIMAL_TYPES = ("DECIMAL", "DOUBLE", "FLOAT", "REAL")


def _field(column_name: str, data_type: str) -> str:
    """The SELECT expression that writes one column the Excel way."""
    col = ident(column_name)
    if data_type.upper().startswith(_DECIMAL_TYPES):
        return f"replace(cast({col} AS VARCHAR), '.', ',') AS {col}"
    if data_type.upper() == "VARCHAR":
        return (
            f"CASE WHEN regexp_matches({col}, '{FORMULA_START}') THEN '''' || {col}"
            f" ELSE {col} END AS {col}"
        )
    return col


def write_excel_csv(con: duckdb.DuckDBPyConnection, contract: TableContract, path: Path) -> None:
    """Write ``main.<table>`` of ``con`` to ``path``."""
    fields = ", ".join(_field(c.name, c.data_type) for c in contract.columns)
    body = path.with_name(f".{path.name}.body.tmp")
    con.execute(
        f"COPY (SELECT {fields} FROM main.{ident(contract.name)}) TO {literal(str(body))}"
        f" (FORMAT csv, HEADER true, DELIMITER '{SEPARATOR}', QUOTE '\"', NULLSTR '')"
    )
    with open(path, "wb") as out, open(body, "rb") as rows:
        out.write(BOM)
        shutil.copyfileobj(rows, out)
    body.unlink()
