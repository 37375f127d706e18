"""The failing dbt tests of a run as breaches (quality/gate.py): their model and their cells.

A dbt test's SQL selects its offending rows, so the rows behind a failure are
read back read-only with that SQL (dbt's run_results.json keeps it), and the
cells and periods they name decide what the test withholds. The test's model
and column come from dbt's manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from .gate import CELL_KEYS, SAMPLE_ROWS, Breach, breach

KEY_COLUMNS = (*CELL_KEYS, "jaar")


def _model_path(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> str:
    """``schema/name`` of the model (or ``raw/table`` of the source) a test judges."""
    depends_on = test.get("depends_on", {}).get("nodes", [])
    attached = test.get("attached_node") or next(iter(depends_on), "")
    node = manifest.get("nodes", {}).get(attached) or manifest.get("sources", {}).get(attached)
    if not node:
        return attached or "unknown"
    if node.get("resource_type") == "source":
        return f"{node['source_name']}/{node['name']}"
    return f"{node['schema']}/{node['name']}"


def _failing_rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[dict[str, Any]], int]:
    """The key columns of every failing row (distinct), else a sample; and the row count."""
    relation = con.sql(f"select * from ({sql}) as failing")
    columns = [c for c in relation.columns if c in KEY_COLUMNS]
    (count,) = con.execute(f"select count(*) from ({sql}) as failing").fetchall()[0]
    if columns:
        listed = ", ".join(columns)
        cursor = con.execute(f"select distinct {listed} from ({sql}) as failing order by all")
    else:
        cursor = con.execute(f"select * from ({sql}) as failing limit {SAMPLE_ROWS}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], int(count)


def dbt_breaches(
    run_results: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
    warehouse: Path,
) -> dict[str, Breach]:
    """Test unique_id -> breach, for every failed or errored test of a dbt run."""
    results = [
        r
        for r in (run_results or {}).get("results", [])
        if r.get("unique_id", "").startswith("test.") and r.get("status") in ("fail", "error")
    ]
    if not results:
        return {}
    from ..dbt_plugin import register_udfs  # a test's SQL may call the project's UDFs

    found: dict[str, Breach] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        register_udfs(con)
        for result in results:
            uid = result["unique_id"]
            test = manifest.get("nodes", {}).get(uid, {})
            model = _model_path(manifest, test)
            name = test.get("name", uid)
            description = (result.get("message") or "").strip()
            sql = result.get("compiled_code")
            rows: list[dict[str, Any]] = []
            count = int(result.get("failures") or 0)
            evaluated = result["status"] == "fail" and bool(sql)
            if evaluated:
                try:
                    rows, count = _failing_rows(con, sql)
                except duckdb.Error as exc:
                    evaluated = False
                    description = f"{description} (failing rows not readable: {exc})"
            found[uid] = breach(
                f"dbt {name}",
                model,
                rows,
                count,
                description=description,
                rule_columns=test.get("column_name") or "",
                evaluated=evaluated,
            )
    return found
