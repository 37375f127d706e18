"""Great Expectations suites as blocking asset checks: one per suite on each asset it guards.

The checks read the warehouse through their own read-only DuckDB connection
(after the run's writers) and call the Dagster-free runner in
dagster_project/quality. A failing rule fails the check with severity ERROR,
so downstream assets (factsheets, publish) do not run on bad marts.
"""

import time

import dagster as dg

from ..quality.data_docs import build_data_docs, data_docs_dir
from ..quality.runner import SuiteResult, run_suite, suite_parameters
from ..quality.suites import Suite, load_suites
from ..settings import Settings
from ..warehouse_lock import connect, warehouse_lock
from .ingest import WAREHOUSE_POOL  # a reader holds DuckDB's file lock too: same pool


def _sample_table(result: SuiteResult) -> str:
    """The failing rules and a few offending rows each, as Markdown."""
    lines = []
    for f in result.failures:
        lines.append(
            f"**{f.rule}** ({f.frame}: `{f.column}`), {f.failing_rows} rows: {f.description}"
        )
        if f.error:
            lines.append(f"\n> {f.error}")
        if f.sample:
            columns = list(f.sample[0])
            lines.append("\n| " + " | ".join(columns) + " |")
            lines.append("|" + "---|" * len(columns))
            for row in f.sample:
                lines.append(
                    "| "
                    + " | ".join("NULL" if row[c] is None else str(row[c]) for c in columns)
                    + " |"
                )
        lines.append("")
    return "\n".join(lines) or "all rules hold"


def check_result(
    result: SuiteResult, data_docs: str | None = None, docs_seconds: float | None = None
) -> dg.AssetCheckResult:
    """The runner's result as an AssetCheckResult naming the failing rules and rows."""
    metadata = {
        "rule": dg.MetadataValue.text(", ".join(f.rule for f in result.failures) or "none"),
        "failing_rows": dg.MetadataValue.int(sum(f.failing_rows for f in result.failures)),
        "failing_rules": dg.MetadataValue.int(len(result.failures)),
        "sample_rows": dg.MetadataValue.md(_sample_table(result)),
        "failures": dg.MetadataValue.json([f.as_dict() for f in result.failures]),
        "rules_evaluated": dg.MetadataValue.int(result.evaluated),
        "rows": dg.MetadataValue.json(dict(result.rows)),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        "gx_startup_seconds": dg.MetadataValue.float(round(result.startup_seconds, 3)),
    }
    if data_docs:
        metadata["data_docs"] = dg.MetadataValue.path(data_docs)
    if docs_seconds is not None:
        metadata["data_docs_seconds"] = dg.MetadataValue.float(round(docs_seconds, 3))
    failing = len(result.failures)
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{result.evaluated} rules of suite {result.suite} hold"
            if result.success
            else f"{failing} of {result.evaluated} rules of suite {result.suite} fail: "
            + ", ".join(f"{f.rule} ({f.failing_rows} rows)" for f in result.failures)
        ),
        metadata=metadata,
    )


def build_quality_check(suite: Suite, asset: tuple[str, ...]) -> dg.AssetChecksDefinition:
    frames = suite.frames_of_asset(asset)

    @dg.asset_check(
        asset=dg.AssetKey(list(asset)),
        name=f"gx_{suite.name}",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=f"{suite.description} (expectations/{suite.name}.json on {', '.join(frames)})",
        metadata={"suite": f"expectations/{suite.name}.json", "frames": ", ".join(frames)},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        settings = Settings.from_env()
        with (
            warehouse_lock(settings.warehouse, on_wait=context.log.info),
            connect(settings.warehouse, read_only=True, on_wait=context.log.info) as con,
        ):
            result = run_suite(
                con,
                suite,
                asset,
                suite_parameters(settings.min_respondents),
                run_name=f"dagster-{context.run.run_id[:8]}",
            )
        start = time.perf_counter()
        try:
            page = str(build_data_docs(data_docs_dir(settings.output_dir), [result]))
        except Exception as exc:  # Data Docs are for people; never fail the check over them
            context.log.warning(f"Data Docs not written: {exc}")
            page = None
        docs_seconds = time.perf_counter() - start
        for f in result.failures:
            context.log.error(f"{suite.name}/{f.rule}: {f.failing_rows} rows: {f.description}")
        return check_result(result, page, docs_seconds)

    return _check


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    """One blocking check per suite and guarded asset, from expectations/*.json."""
    return [
        build_quality_check(suite, asset)
        for suite in load_suites().values()
        for asset in suite.assets()
    ]


QUALITY_CHECKS = build_quality_checks()
