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

from ..warehouse import open_warehouse
from .gate import CELL_KEYS, SAMPLE_ROWS, Breach, breach

KEY_COLUMNS = (*CELL_KEYS, "jaar")
FAILED = ("fail", "error", "warn")


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


def _failing_rows(
    con: duckdb.DuckDBPyConnection, sql: str, where: str = "true"
) -> tuple[list[dict[str, Any]], int]:
    """The key columns of every failing row (distinct), else a sample; and the row count."""
    failing = f"select * from ({sql}) as failing where {where}"
    relation = con.sql(failing)
    columns = [c for c in relation.columns if c in KEY_COLUMNS]
    (count,) = con.execute(f"select count(*) from ({failing})").fetchall()[0]
    if columns:
        listed = ", ".join(columns)
        cursor = con.execute(f"select distinct {listed} from ({failing}) order by all")
    else:
        cursor = con.execute(f"select * from ({failing}) limit {SAMPLE_ROWS}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], int(count)


def _rule_column(rule: str) -> str:
    """The column (or expression) a row rule judges: ``accepted_range(ces_bm, -100, 100)``."""
    inside = rule.partition("(")[2].rpartition(")")[0]
    return inside if rule.startswith("expression_is_true") else inside.partition(",")[0]


def _split_row_rules(
    con: duckdb.DuckDBPyConnection, sql: str, name: str, model: str, description: str
) -> list[Breach]:
    """A failing ``row_rules`` test as one breach per rule its rows break.

    The rules of one model are one dbt test (one scan, tests/generic/row_rules.sql), but
    each keeps its own scope: a broken range on a benchmark column withholds its periods,
    the same on a cell's value withholds that cell.
    """
    (rules,) = con.execute(
        f"select list(distinct r order by r) from ({sql}) as failing, unnest(failed_rules) as t(r)"
    ).fetchone()
    found = []
    for rule in rules or []:
        quoted = rule.replace("'", "''")
        rows, count = _failing_rows(con, sql, f"list_contains(failed_rules, '{quoted}')")
        found.append(
            breach(
                f"dbt {name}: {rule}",
                model,
                rows,
                count,
                description=description,
                rule_columns=_rule_column(rule),
            )
        )
    return found


def dbt_breaches(
    run_results: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
    warehouse: Path,
) -> dict[str, list[Breach]]:
    """Test name (the check's name) -> its breaches, for every failed test of a dbt run.

    A test fails with status ``fail``, ``error``, or ``warn`` (the pipeline runs its tests
    at severity warn, defs/dbt.py).
    """
    results = [
        r
        for r in (run_results or {}).get("results", [])
        if r.get("unique_id", "").startswith("test.") and r.get("status") in FAILED
    ]
    if not results:
        return {}
    from ..transform.plugin import register_udfs  # a test's SQL may call the project's UDFs

    found: dict[str, list[Breach]] = {}
    with open_warehouse(warehouse, read_only=True) as con:
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
            evaluated = result["status"] != "error" and bool(sql)
            if evaluated and (test.get("test_metadata") or {}).get("name") == "row_rules":
                try:
                    found[name] = _split_row_rules(con, sql, name, model, description)
                    continue
                except duckdb.Error as exc:
                    evaluated = False
                    description = f"{description} (failing rows not readable: {exc})"
            if evaluated:
                try:
                    rows, count = _failing_rows(con, sql)
                except duckdb.Error as exc:
                    evaluated = False
                    description = f"{description} (failing rows not readable: {exc})"
            found[name] = [
                breach(
                    f"dbt {name}",
                    model,
                    rows,
                    count,
                    description=description,
                    rule_columns=test.get("column_name") or "",
                    evaluated=evaluated,
                )
            ]
    return found
