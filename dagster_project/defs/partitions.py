"""Partitions: factsheets are partitioned by periode (``2020``, ``2020-Q1``).

The periods are dynamic: the ingest step registers every year and quarter in
which a response was completed, so a new quarter appears as a new partition.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from ..domain.periods import sort_periods

PERIODE = dg.DynamicPartitionsDefinition(name="periode")

# Years and quarters with completed responses, from the raw tables (the same rule as staging:
# completion time in local time; every Open Formulieren submission is complete).
_PERIODS_SQL = """
WITH completed AS (
    SELECT einddatum AS completed_at FROM raw.one2ten_responses
    WHERE status = 'Voltooid' AND einddatum IS NOT NULL
    UNION ALL
    SELECT inzendingdatum FROM raw.openforms_submissions
)
SELECT DISTINCT year(completed_at)::VARCHAR FROM completed
UNION
SELECT DISTINCT year(completed_at)::VARCHAR || '-Q' || quarter(completed_at)::VARCHAR FROM completed
"""


def periods_in_warehouse(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sort_periods({p for (p,) in con.execute(_PERIODS_SQL).fetchall()})


def register_periods(instance: dg.DagsterInstance, periods: list[str]) -> list[str]:
    """Add the periods the instance does not know yet; returns the new ones."""
    known = set(instance.get_dynamic_partitions(PERIODE.name))
    new = [p for p in sort_periods(periods) if p not in known]
    if new:
        instance.add_dynamic_partitions(PERIODE.name, new)
    return new
