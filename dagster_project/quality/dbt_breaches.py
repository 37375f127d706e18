"""The failing dbt tests of a run as breaches (quality/gate.py): their model and their cells.

A dbt test's SQL selects its offending rows, so the rows behind a failure are
read back read-only with that SQL (dbt's run_results.json keeps it), and the
cells and periods they name decide what the test withholds. The test's model
and column come from dbt's manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..domain.code_lists import dbt_var_default
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
    con: duckdb.DuckDBPyConnection, sql: str, where: str = "true", rule: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The key columns of every failing row (distinct), else a sample; and the row count.
    ``where`` may name the parameter ``$rule``."""
    failing = f"select * from ({sql}) as failing where {where}"
    params = {"rule": rule} if rule is not None else None
    relation = con.sql(failing, params=params)
    columns = [c for c in relation.columns if c in KEY_COLUMNS]
    (count,) = con.execute(f"select count(*) from ({failing})", params).fetchall()[0]
    if columns:
        listed = ", ".join(columns)
        cursor = con.execute(f"select distinct {listed} from ({failing}) order by all", params)
    else:
        cursor = con.execute(f"select * from ({failing}) limit {SAMPLE_ROWS}", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], int(count)


@dataclass(frozen=True)
class RowRule:
    """One rule of a ``row_rules`` test: its name, as a failing row lists it in
    ``failed_rules``, and the column it judges (the expression, for an expression)."""

    name: str
    column: str


def _bound(value: Any) -> Any:
    """A range's bound as row_rules.sql takes it: a number, or "var.key" of a dbt var."""
    if not isinstance(value, str):
        return value
    name, key = value.split(".")
    return dbt_var_default(name)[key]


def row_rules_of(kwargs: Mapping[str, Any], gemeentecodes: str) -> list[RowRule]:
    """Every rule of a ``row_rules`` test (its manifest ``test_metadata.kwargs``), in the
    order and by the names of dbt/tests/generic/row_rules.sql: what its check lists, each
    with its failing row count, also while it passes. ``cbs_codes`` is a rule only under
    ``KTO_GEMEENTECODES=strikt`` (macro cbs_code_rule)."""
    rules = [RowRule(f"not_null({c})", c) for c in kwargs.get("not_null") or []]
    for column, bounds in (kwargs.get("accepted_range") or {}).items():
        low, high = (_bound(bounds.get(end)) for end in ("min_value", "max_value"))
        rules.append(RowRule(f"accepted_range({column}, {low}, {high})", column))
    rules += [RowRule(f"accepted_values({c})", c) for c in kwargs.get("accepted_values") or {}]
    for column, pattern_var in (kwargs.get("matches") or {}).items():
        rules.append(RowRule(f"matches({column}, {dbt_var_default(pattern_var)})", column))
    rules += [RowRule(f"expression_is_true({e})", e) for e in kwargs.get("expressions") or []]
    if gemeentecodes == "strikt":
        rules += [RowRule(f"cbs_code({c})", c) for c in kwargs.get("cbs_codes") or {}]
    return rules


def _split_row_rules(
    con: duckdb.DuckDBPyConnection, sql: str, name: str, model: str, description: str
) -> list[Breach]:
    """A failing ``row_rules`` test as one breach per rule its rows break.

    The rules of one model are one dbt test (one scan, tests/generic/row_rules.sql), but
    each keeps its own scope: a broken range on a benchmark column withholds its periods,
    the same on a cell's value withholds that cell. The failing rows name each rule they
    break and its column (``failed_rules``, ``failed_rule_columns``).
    """
    broken = con.execute(
        "select distinct regel, kolom from (select unnest(failed_rules) as regel, "
        f"unnest(failed_rule_columns) as kolom from ({sql}) as failing) order by all"
    ).fetchall()
    found = []
    for rule, column in broken:
        rows, count = _failing_rows(con, sql, "list_contains(failed_rules, $rule)", rule)
        found.append(
            breach(
                f"dbt {name}: {rule}",
                model,
                rows,
                count,
                description=description,
                rule_columns=column,
            )
        )
    return found


def row_rule_counts(
    manifest: Mapping[str, Any], breaches: Mapping[str, list[Breach]], gemeentecodes: str
) -> dict[str, list[tuple[str, int]]]:
    """Check name -> (rule, failing rows) for every rule of every ``row_rules`` test of the
    manifest: a rule that breaks no row counts 0. A rule its failing rows name that the
    manifest does not list (the two disagree) is listed too, never dropped."""
    counts: dict[str, list[tuple[str, int]]] = {}
    for node in manifest.get("nodes", {}).values():
        metadata = node.get("test_metadata") or {}
        if node.get("resource_type") != "test" or metadata.get("name") != "row_rules":
            continue
        name = node["name"]
        prefix = f"dbt {name}: "  # the breaches' rule, as _split_row_rules names it
        failing = {b.rule.removeprefix(prefix): b.failing_rows for b in breaches.get(name, [])}
        listed = [
            (rule.name, failing.pop(rule.name, 0))
            for rule in row_rules_of(metadata.get("kwargs") or {}, gemeentecodes)
        ]
        counts[name] = listed + [(rule, count) for rule, count in failing.items()]
    return counts


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
