"""Ingest assets: every landing file into raw.*, one table per source (group ``ingest``)."""

import dagster as dg

from ..ingest import ingest_source
from ..ingest.code_list import CodeOutsideList, codes_outside_list
from ..ingest.readers import SOURCES
from ..ingest.status import Outcome, Unused
from ..ingest.unused import UnusedFile, unused_files
from ..warehouse.catalog import table_facts
from . import names
from .partitions import periods_in_warehouse, register_periods
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource

WAREHOUSE_POOL = WarehouseResource.POOL  # DuckDB has one writer: its steps take turns

HELD_FILES = "held_files"  # metadata: changed files that could not be read (loader.HeldFile)
# metadata: every landing file whose data is not (all) in raw: refused, held, quarantined whole
UNUSED_FILES = "unused_files"
# the check on each raw asset that fails on those files (red in the UI, severity ERROR)
FILES_USED_CHECK = "landing_files_used"
# metadata: every Gemeentecode raw holds that the CBS code list does not have valid on its
# rows' days, a line each (accepted under KTO_GEMEENTECODES=melden): `kto run` exits 1
CODES_OUTSIDE_LIST = "gemeentecodes_outside_cbs_list"
# the check on each raw asset that fails on those codes (orange in the UI, severity WARN)
CODE_LIST_CHECK = "gemeentecodes_in_cbs_list"
# metadata: this ingest's counts over the whole landing folder, files outside the source
# folders included (the same on every source's materialization; `kto run` reports them)
LANDING_TOTALS = "landing_totals"

RAW_SPECS = [
    dg.AssetSpec(
        key=["raw", source.raw_table],
        group_name=names.INGEST_GROUP,
        description=(
            f"Accepted rows of the {source.folder}/ exports as read (values parsed by the rules "
            "of docs/contract/formats.md, every version of each response), with source_file, "
            "source_row and "
            "source_modified_at. Rows that could not be used are in raw.quarantine, blanked "
            "answers in raw.answer_issues, refused files in raw.rejected_files."
        ),
        metadata={"landing_folder": f"{source.folder}/", "table": f"raw.{source.raw_table}"},
        kinds={"duckdb", "python"},
    )
    for source in SOURCES
]

FILES_USED_CHECKS = [
    dg.AssetCheckSpec(
        FILES_USED_CHECK,
        asset=spec.key,
        description=(
            "Fails (ERROR) when a landing file of this folder, or one outside every known "
            "folder, is refused whole, held at its previous version, or read with not one row "
            "accepted; the metadata lists each file with its cause. Such a file keeps failing "
            "this check until it is replaced by a usable version, removed or retracted."
        ),
    )
    for spec in RAW_SPECS
]

CODE_LIST_CHECKS = [
    dg.AssetCheckSpec(
        CODE_LIST_CHECK,
        asset=spec.key,
        description=(
            "Fails (WARN) when this folder's accepted rows hold a Gemeentecode that the CBS "
            "code list (dbt/codelists/cbs_gemeenten.csv) does not have valid on the row's day: "
            "unknown to the list, ceased (with its successors) or not yet existing. Under "
            "KTO_GEMEENTECODES=melden (the default) such rows are accepted, as the format "
            "specification defines a valid code by its form, and counted; this check names "
            "each code. Under strikt they are quarantined and this check passes."
        ),
    )
    for spec in RAW_SPECS
]


def code_list_result(
    key: dg.AssetKey, folder: str, outside: list[CodeOutsideList], mode: str
) -> dg.AssetCheckResult:
    """The check of one raw asset: the codes outside the CBS code list in its folder's rows."""
    mine = [c for c in outside if folder in c.rows]
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=CODE_LIST_CHECK,
        passed=not mine,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(mine)} Gemeentecode(s) not valid in the CBS code list on their rows' days, "
            f"rows accepted (KTO_GEMEENTECODES={mode}): " + "; ".join(map(str, mine))
            if mine
            else "every Gemeentecode is valid in the CBS code list on its rows' days"
        ),
        metadata={
            "gemeentecodes": dg.MetadataValue.md(
                "\n".join(
                    f"- `{c.code}`: {c.rows[folder]:,} rows: {'; '.join(c.says)}" for c in mine
                )
                or "none"
            ),
            "count": dg.MetadataValue.int(len(mine)),
            "KTO_GEMEENTECODES": mode,
        },
    )


def files_used_result(
    key: dg.AssetKey, folder: str, unused: list[UnusedFile]
) -> dg.AssetCheckResult:
    """The check of one raw asset: its folder's unused files and those in no known folder."""
    known = {s.folder for s in SOURCES}

    def folder_of(path: str) -> str | None:
        return path.split("/", 1)[0] if "/" in path else None

    mine = [
        u for u in unused if folder_of(u.file_path) == folder or folder_of(u.file_path) not in known
    ]
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=FILES_USED_CHECK,
        passed=not mine,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(mine)} landing file(s) not used: " + "; ".join(map(str, mine))
            if mine
            else "every landing file was used"
        ),
        metadata={
            "unused_files": dg.MetadataValue.md(
                "\n".join(f"- {u.kind}: `{u.file_path}`: {u.cause}" for u in mine) or "none"
            ),
            "count": dg.MetadataValue.int(len(mine)),
        },
    )


@dg.multi_asset(
    specs=RAW_SPECS,
    check_specs=[*FILES_USED_CHECKS, *CODE_LIST_CHECKS],
    pool=WAREHOUSE_POOL,
    can_subset=False,
    name=names.INGEST_STEP,
)
def ingest_landing(
    context: dg.AssetExecutionContext, kto_settings: KtoSettings, kto_warehouse: WarehouseResource
):
    """Read new and changed landing files into raw.*, each file in one transaction.

    One step for all sources, so files in no known folder are recorded as
    rejected too and the single DuckDB writer is never contended within a run.
    """
    settings = kto_settings.settings()
    if not settings.landing_dir.is_dir():
        # Nothing can be read: a failed run (red in the UI), not "0 files" and green.
        raise dg.Failure(
            description=f"the landing folder {settings.landing_dir} "
            + ("is not a folder" if settings.landing_dir.exists() else "does not exist")
            + " (KTO_LANDING_DIR)"
        )
    kto_warehouse.check(settings)
    with kto_warehouse.lock(context), kto_warehouse.open(context) as con:
        report = ingest_source(con, settings.landing_dir, gemeentecodes=settings.gemeentecodes)
        unused = unused_files(con, report)
        outside = codes_outside_list(con)
        periods = periods_in_warehouse(con)
        # The size of each raw table after this ingest (every version of every response it
        # holds), not what this run added: the UI's row count of the asset.
        facts = table_facts(con, [("raw", source.raw_table) for source in SOURCES])
    new_periods = register_periods(context.instance, periods)
    if new_periods:
        context.log.info(f"new factsheet periods: {', '.join(new_periods)}")

    for outcome in report.of(Outcome.REJECTED):
        context.log.warning(f"rejected {outcome.file_path}: {outcome.reason}")
    for held in report.held:
        context.log.error(f"held at its previous version: {held}")
    for file in unused:
        if file.kind != Unused.HELD:  # said just above
            context.log.error(f"not used: {file}")
    for code in outside:
        context.log.warning(f"Gemeentecode outside the CBS code list: {code}")
    for source in SOURCES:
        files = [f for f in report.files if f.source == source.folder]
        held = [h for h in report.held if h.file_path.startswith(f"{source.folder}/")]
        table = facts.get(("raw", source.raw_table))
        yield dg.MaterializeResult(
            asset_key=["raw", source.raw_table],
            metadata={
                **(
                    {"dagster/row_count": dg.MetadataValue.int(table.row_count)}
                    if table is not None
                    else {}
                ),
                **report.totals(source.folder),
                # `kto run` fails on these: a delivery that could not replace good data.
                HELD_FILES: dg.MetadataValue.json([str(h) for h in held]),
                UNUSED_FILES: dg.MetadataValue.json([str(u) for u in unused]),
                CODES_OUTSIDE_LIST: dg.MetadataValue.json([str(c) for c in outside]),
                LANDING_TOTALS: dg.MetadataValue.json(report.totals()),
                "landing_dir": str(settings.landing_dir),
                "periods": ", ".join(periods),
                "files": dg.MetadataValue.md(
                    "\n".join(
                        f"- `{f.file_path}`: {f.status}"
                        + (
                            f", {f.rows_read} read, {f.rows_accepted} accepted, "
                            f"{f.rows_quarantined} quarantined, {f.answer_issues} answer issues"
                            if f.status == Outcome.INGESTED
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
        yield files_used_result(dg.AssetKey(["raw", source.raw_table]), source.folder, unused)
        yield code_list_result(
            dg.AssetKey(["raw", source.raw_table]), source.folder, outside, settings.gemeentecodes
        )
    unknown = [
        f for f in report.of(Outcome.REJECTED) if f.source not in {s.folder for s in SOURCES}
    ]
    if unknown:
        context.log.warning(
            "files outside the known folders were rejected: "
            + ", ".join(f.file_path for f in unknown)
        )


def _reported_lines(result: dg.ExecuteInProcessResult, key: str) -> list[str]:
    """The lines an ingest run reported under metadata ``key``, each once, in order."""
    lines: list[str] = []
    for materialization in result.asset_materializations_for_node(names.INGEST_STEP):
        entry = materialization.metadata.get(key)
        lines.extend(line for line in (entry.value if entry else []) if line not in lines)
    return lines


def unused_files_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """The unused files (refused, held, quarantined whole) an ingest run reported, a line
    each (for `kto run`, which fails on them)."""
    return _reported_lines(result, UNUSED_FILES)


def codes_outside_list_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """The Gemeentecodes outside the CBS code list an ingest run reported (accepted under
    KTO_GEMEENTECODES=melden), a line each (for `kto run`, which exits 1 on them)."""
    return _reported_lines(result, CODES_OUTSIDE_LIST)


def held_files_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """The held files an ingest run reported, one line each (for `kto run`)."""
    return _reported_lines(result, HELD_FILES)
