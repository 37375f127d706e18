"""Run the floor, ``floor.sql``, on a landing folder and write its cells as Parquet.

    python -m kto_devtools.bench.floor LANDING OUT.parquet [MIN_N]

Prints ``{"seconds": ..., "cells": ...}``: the script's own time, without the process start.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

FLOOR_SQL = Path(__file__).resolve().parent / "floor.sql"


def floor_cells(con: duckdb.DuckDBPyConnection, landing: Path, min_n: int = 10) -> None:
    """Leave the table ``floor_cel`` on ``con``."""
    con.execute("SET VARIABLE landing = ?", [str(landing)])
    con.execute("SET VARIABLE min_n = ?", [min_n])
    con.execute(FLOOR_SQL.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    landing, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    min_n = int(argv[2]) if len(argv) > 2 else 10
    with duckdb.connect() as con:
        started = time.perf_counter()
        floor_cells(con, landing, min_n)
        seconds = time.perf_counter() - started
        cells = con.execute("SELECT count(*) FROM floor_cel").fetchone()[0]
        con.execute(f"COPY floor_cel TO '{out}' (FORMAT parquet)")
    print(json.dumps({"seconds": round(seconds, 3), "cells": cells}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
