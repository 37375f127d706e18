"""Partitions: factsheets are partitioned by periode (``2020``, ``2020-Q1``).

The periods are dynamic: the ingest step registers every year and quarter in
which a response was completed, so a new quarter appears as a new partition.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from ..domain import code_lists
from ..domain.periods import code, sort_periods

PERIODE = dg.DynamicPartitionsDefinition(name="periode")

# Years and quarters with responses that count, from the raw tables, by the rule staging
# applies (the var voltooid_op of dbt_project.yml: each raw table's completion moment).
_COMPLETED = " UNION ALL ".join(
    f"SELECT {moment} AS completed_at FROM raw.{table}"
    for table, moment in code_lists.completion_moments().items()
)
_PERIODS_SQL = f"""
WITH completed AS (
    SELECT completed_at FROM ({_COMPLETED}) WHERE completed_at IS NOT NULL
)
SELECT DISTINCT year(completed_at), quarter(completed_at) FROM completed
"""


def periods_in_warehouse(con: duckdb.DuckDBPyConnection) -> list[str]:
    quarters = con.execute(_PERIODS_SQL).fetchall()
    return sort_periods({code(jaar) for jaar, _ in quarters} | {code(*q) for q in quarters})


def register_periods(instance: dg.DagsterInstance, periods: list[str]) -> list[str]:
    """Add the periods the instance does not know yet; returns the new ones."""
    known = set(instance.get_dynamic_partitions(PERIODE.name))
    new = [p for p in sort_periods(periods) if p not in known]
    if new:
        instance.add_dynamic_partitions(PERIODE.name, new)
    return new
