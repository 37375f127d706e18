"""Publish assets (group ``publish``): the marts as Parquet and a read-only snapshot."""

import dagster as dg

from ..publish import MART_TABLES, publish_marts
from ..settings import Settings
from .ingest import WAREHOUSE_POOL  # a reader holds DuckDB's file lock too: same pool


@dg.asset(
    key=["publish", "marts_snapshot"],
    group_name="publish",
    deps=[dg.AssetKey(["marts", table]) for table in MART_TABLES],
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    description=(
        "KTO_OUTPUT_DIR/marts.duckdb (a read-only snapshot for BI tools) and "
        "KTO_OUTPUT_DIR/marts/{table}.parquet, each swapped in atomically."
    ),
)
def marts_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    published = publish_marts(settings.warehouse, settings.output_dir)
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(published.snapshot)),
            **{f"rows_{table}": n for table, n in published.rows.items()},
            "parquet": dg.MetadataValue.md(
                "\n".join(f"- `{p}`" for p in published.parquet.values())
            ),
        }
    )
