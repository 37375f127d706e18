"""Ingest assets: every landing file into raw.*, one table per source (group ``ingest``)."""

import dagster as dg

from ..ingest import ingest_source
from ..readers import SOURCES
from ..warehouse_lock import connect, warehouse_lock
from .partitions import periods_in_warehouse, register_periods
from .settings_resource import KtoSettings

WAREHOUSE_POOL = "kto_warehouse"  # DuckDB has one writer: every warehouse writer is in this pool

HELD_FILES = "held_files"  # metadata: changed files that could not be read (loader.HeldFile)
# metadata: this ingest's counts over the whole landing folder, files outside the source
# folders included (the same on every source's materialization; `kto run` reports them)
LANDING_TOTALS = "landing_totals"

RAW_SPECS = [
    dg.AssetSpec(
        key=["raw", source.raw_table],
        group_name="ingest",
        description=(
            f"Accepted rows of the {source.folder}/ exports as read (values parsed by the rules "
            "of FORMATS.md, every version of each response), with source_file, source_row and "
            "source_modified_at. Rows that could not be used are in raw.quarantine, blanked "
            "answers in raw.answer_issues, refused files in raw.rejected_files."
        ),
        metadata={"landing_folder": f"{source.folder}/", "table": f"raw.{source.raw_table}"},
        kinds={"duckdb", "python"},
    )
    for source in SOURCES
]


@dg.multi_asset(specs=RAW_SPECS, pool=WAREHOUSE_POOL, can_subset=False, name="ingest_landing")
def ingest_landing(context: dg.AssetExecutionContext, kto_settings: KtoSettings):
    """Read new and changed landing files into raw.*, each file in one transaction.

    One step for all sources, so files in no known folder are recorded as
    rejected too and the single DuckDB writer is never contended within a run.
    """
    settings = kto_settings.settings()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with (
        warehouse_lock(settings.warehouse, on_wait=context.log.info),
        connect(settings.warehouse, on_wait=context.log.info) as con,
    ):
        report = ingest_source(con, settings.landing_dir)
        periods = periods_in_warehouse(con)
    new_periods = register_periods(context.instance, periods)
    if new_periods:
        context.log.info(f"new factsheet periods: {', '.join(new_periods)}")

    for outcome in report.of("rejected"):
        context.log.warning(f"rejected {outcome.file_path}: {outcome.reason}")
    for held in report.held:
        context.log.error(f"held at its previous version: {held}")
    for source in SOURCES:
        files = [f for f in report.files if f.source == source.folder]
        held = [h for h in report.held if h.file_path.startswith(f"{source.folder}/")]
        yield dg.MaterializeResult(
            asset_key=["raw", source.raw_table],
            metadata={
                **report.totals(source.folder),
                # `kto run` fails on these: a delivery that could not replace good data.
                HELD_FILES: dg.MetadataValue.json([str(h) for h in held]),
                LANDING_TOTALS: dg.MetadataValue.json(report.totals()),
                "landing_dir": str(settings.landing_dir),
                "periods": ", ".join(periods),
                "files": dg.MetadataValue.md(
                    "\n".join(
                        f"- `{f.file_path}`: {f.status}"
                        + (
                            f", {f.rows_read} read, {f.rows_accepted} accepted, "
                            f"{f.rows_quarantined} quarantined, {f.answer_issues} answer issues"
                            if f.status == "ingested"
                            else ""
                        )
                        + (f" ({f.reason})" if f.reason else "")
                        + ("; its previous version's rows are kept" if f.kept_previous else "")
                        + (
                            f"; ignored columns: {', '.join(f.extra_columns)}"
                            if f.extra_columns
                            else ""
                        )
                        for f in files
                    )
                    or "no files"
                ),
            },
        )
    unknown = [f for f in report.of("rejected") if f.source not in {s.folder for s in SOURCES}]
    if unknown:
        context.log.warning(
            "files outside the known folders were rejected: "
            + ", ".join(f.file_path for f in unknown)
        )


def held_files_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """The held files an ingest run reported, one line each (for `kto run`)."""
    lines: list[str] = []
    for materialization in result.asset_materializations_for_node("ingest_landing"):
        entry = materialization.metadata.get(HELD_FILES)
        lines.extend(line for line in (entry.value if entry else []) if line not in lines)
    return lines
