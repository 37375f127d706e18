"""Publish assets (group ``publish``): the marts as Parquet and a read-only snapshot."""

import dagster as dg

from ..publish import MART_TABLES, publish_marts
from ..settings import Settings
from ..warehouse_lock import warehouse_lock


@dg.asset(
    key=["publish", "marts_snapshot"],
    group_name="publish",
    deps=[dg.AssetKey(["marts", table]) for table in MART_TABLES],
    kinds={"duckdb", "parquet"},
    description=(
        "KTO_OUTPUT_DIR/marts.duckdb (a read-only snapshot for BI tools) and "
        "KTO_OUTPUT_DIR/marts/{table}.parquet, switched in together atomically."
    ),
)
def marts_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    with warehouse_lock(settings.warehouse, on_wait=context.log.info):
        published = publish_marts(settings.warehouse, settings.output_dir)
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(published.snapshot)),
            "version": published.version,
            **{f"rows_{table}": n for table, n in published.rows.items()},
            "parquet": dg.MetadataValue.md(
                "\n".join(f"- `{p}`" for p in published.parquet.values())
            ),
            "removed": dg.MetadataValue.md(
                "\n".join(f"- `{p}`" for p in published.removed) or "none"
            ),
        }
    )
