"""Publish assets (group ``publish``): the marts as Parquet and a read-only snapshot."""

import tempfile
from pathlib import Path

import dagster as dg

from ..disclosure.ledger import is_recorded, record_release
from ..publish import (
    CURRENT,
    MART_TABLES,
    PUBLISHED,
    publish_marts,
    settle_layout,
    unchanged_publication,
)
from ..transform.commands import docs_site
from . import names
from .gate import GATE_KEY, gate_verdict
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource


@dg.asset(
    key=list(names.SNAPSHOT),
    group_name=names.PUBLISH_GROUP,
    # the marts it copies, and the verdict on them (defs/gate.py)
    deps=[*(dg.AssetKey(["marts", table]) for table in MART_TABLES), GATE_KEY],
    kinds={"duckdb", "parquet"},
    pool=WarehouseResource.POOL,
    description=(
        "KTO_OUTPUT_DIR/marts.duckdb (a read-only snapshot for BI tools, every table and "
        "column commented with its dbt description), KTO_OUTPUT_DIR/marts/{table}.parquet "
        "and .csv (Dutch Excel) and the dbt docs site KTO_OUTPUT_DIR/docs/index.html, "
        "switched in together atomically. Not "
        "replaced while a quality rule fails: the snapshot is one consistent copy of the marts. "
        "Every figure published is added to the ledger ledger.released_figures. When the "
        "marts hold exactly what the current version holds (its content fingerprint), no "
        "new version is written and nothing is added to the ledger. Under "
        "KTO_PUBLICATIE=eigen the public files are per municipality instead, "
        "KTO_OUTPUT_DIR/gemeenten/{gemeentecode}/marts.duckdb and marts/, each with its own "
        "rows only; the complete snapshot stays in KTO_OUTPUT_DIR/.published/current/."
    ),
)
def marts_snapshot(
    context: dg.AssetExecutionContext, kto_settings: KtoSettings, kto_warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = kto_settings.settings()
    kto_warehouse.check(settings)
    gate = gate_verdict(context)  # fails when there is none, or it is out of date
    if not gate.open:
        # Withheld, but the other layout's public files go: after a switch to eigen no
        # complete snapshot stays linked beside the municipalities' folders.
        settle_layout(settings.output_dir, settings.publicatie)
        # A BI tool reads every row alike and cannot be told which to distrust: the last
        # snapshot that passed every rule stays in place.
        raise dg.Failure(
            description="snapshot withheld: quality rules fail\n" + gate.text(),
            metadata={
                "rules": dg.MetadataValue.json([b.rule for b in gate.breaches]),
                names.SNAPSHOT_WITHHELD: True,
            },
        )
    with kto_warehouse.lock(context):
        current = unchanged_publication(
            settings.warehouse, settings.output_dir, publicatie=settings.publicatie
        )
        if current is not None:
            settle_layout(settings.output_dir, settings.publicatie)
            # Nothing changed: the current version stays, no release is added. Only a
            # version a crash left out of the ledger (switched in, not recorded) is recorded.
            repaired = 0
            if not is_recorded(settings.warehouse, current):
                repaired = record_release(settings.warehouse, current)
            return _unchanged(context, settings.output_dir, current, repaired)
        with tempfile.TemporaryDirectory(prefix="kto-docs-") as tmp:
            # dbt reads the warehouse's catalog: before the snapshot attaches it, under the lock
            site = docs_site(Path(tmp) / "target", settings)
            published = publish_marts(
                settings.warehouse,
                settings.output_dir,
                docs_site=site,
                publicatie=settings.publicatie,
            )
            # Released now: the next publication is audited against it (docs/metrics.md).
            # Should this fail, the version kept under .published/ still counts as released.
            ledger_rows = record_release(settings.warehouse, published.version)
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(published.snapshot)),
            "version": published.version,
            "unchanged": False,
            "publicatie": published.publicatie,
            "gemeenten": len(published.gemeenten),
            "fingerprint": published.fingerprint,
            "ledger_rows": ledger_rows,
            **{f"rows_{table}": n for table, n in published.rows.items()},
            "parquet": dg.MetadataValue.md(
                "\n".join(f"- `{p}`" for p in published.parquet.values())
            ),
            "csv": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in published.csv.values())),
            "docs": dg.MetadataValue.path(str(published.docs)),
            "removed": dg.MetadataValue.md(
                "\n".join(f"- `{p}`" for p in published.removed) or "none"
            ),
        }
    )


def _unchanged(
    context: dg.AssetExecutionContext, output_dir: Path, version: str, ledger_rows: int
) -> dg.MaterializeResult:
    context.log.info(f"nothing changed: version {version} stays current")
    return dg.MaterializeResult(
        metadata={
            # under eigen no public link: the complete snapshot in the version itself
            "snapshot": dg.MetadataValue.path(
                str(output_dir / "marts.duckdb")
                if (output_dir / "marts.duckdb").exists()
                else str(output_dir / PUBLISHED / CURRENT / "marts.duckdb")
            ),
            "version": version,
            "unchanged": True,
            "ledger_rows": ledger_rows,
        }
    )
