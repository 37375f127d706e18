"""Great Expectations suites as asset checks: one step for every suite, a check
``gx_<suite>`` on each asset a suite guards.

The checks read the warehouse through their own read-only DuckDB connection
(after the run's writers) and call the Dagster-free runner in
dagster_project/quality. A failing rule fails its check with severity WARN, which stops
no step, and lists in the metadata (``breaches``) the cells or periods it withholds; the
asset ``quality/gate`` (defs/gate.py) turns them into the verdict the factsheet step
withholds exactly those by, and the publish step the snapshot.

The checks are declared blocking for one thing Dagster's blocking does: every step
downstream of a guarded asset waits for its blocking checks, and these run in a step of
their own, so ``quality/gate`` waits for them (it depends on every guarded asset). Without
it the gate could judge before the suites ran (tests/test_quality_checks.py shows the
plan). Their severity WARN keeps Dagster from skipping anything on a failure.
"""

import time
from collections.abc import Iterator

import dagster as dg

from ..quality.data_docs import build_data_docs, data_docs_dir
from ..quality.gate import BREACHES
from ..quality.runner import SuiteResult, run_suite, suite_parameters
from ..quality.suites import Suite, load_suites
from . import names
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource


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
    """The runner's result as an AssetCheckResult naming the failing rules and rows.

    A failing rule withholds what it concerns (docs/quality.md): the breaches in the
    metadata tell quality/gate which cells or periods. So the severity is WARN: the run goes
    on to the gate and the steps that read it, which withhold, instead of Dagster skipping
    every factsheet of every period downstream.
    """
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
        BREACHES: dg.MetadataValue.json([b.as_dict() for b in result.breaches()]),
    }
    if data_docs:
        metadata["data_docs"] = dg.MetadataValue.path(data_docs)
    if docs_seconds is not None:
        metadata["data_docs_seconds"] = dg.MetadataValue.float(round(docs_seconds, 3))
    failing = len(result.failures)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(result.asset)),
        check_name=f"{names.GX_PREFIX}{result.suite}",
        passed=result.success,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{result.evaluated} rules of suite {result.suite} hold"
            if result.success
            else f"{failing} of {result.evaluated} rules of suite {result.suite} fail: "
            + ", ".join(f"{f.rule} ({f.failing_rows} rows)" for f in result.failures)
        ),
        metadata=metadata,
    )


GATE_NOTE = (
    "A failing rule warns and stops no step; quality/gate withholds the cells or periods it "
    "concerns. Blocking only in that quality/gate waits for this check."
)


def _specs(suite: Suite) -> list[dg.AssetCheckSpec]:
    """The suite's check on every asset it guards (blocking: the gate waits for it)."""
    return [
        dg.AssetCheckSpec(
            name=f"{names.GX_PREFIX}{suite.name}",
            asset=dg.AssetKey(list(asset)),
            blocking=True,  # orders: quality/gate starts after this step (module docstring)
            description=(
                f"{suite.description} (expectations/{suite.name}.json on "
                f"{', '.join(suite.frames_of_asset(asset))}). {GATE_NOTE}"
            ),
            metadata={
                "suite": f"expectations/{suite.name}.json",
                "frames": ", ".join(suite.frames_of_asset(asset)),
            },
        )
        for asset in suite.assets()
    ]


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    """Every suite in one step (expectations/*.json): one process and one GX start-up under
    the multiprocess executor, and a check ``gx_<suite>`` on each asset it guards."""
    suites = load_suites()

    @dg.multi_asset_check(
        specs=[spec for suite in suites.values() for spec in _specs(suite)],
        name=names.GX_STEP,
        can_subset=True,
        pool=WarehouseResource.POOL,
    )
    def gx_suites(
        context: dg.AssetCheckExecutionContext,
        kto_settings: KtoSettings,
        kto_warehouse: WarehouseResource,
    ) -> Iterator[dg.AssetCheckResult]:
        settings = kto_settings.settings()
        kto_warehouse.check(settings)
        selected = {(tuple(k.asset_key.path), k.name) for k in context.selected_asset_check_keys}
        runs = [
            (current, asset)
            for name in suites
            for current in [load_suites().get(name, suites[name])]  # the rules as they are now
            for asset in current.assets()
            if (tuple(asset), f"{names.GX_PREFIX}{name}") in selected
        ]
        with kto_warehouse.lock(context), kto_warehouse.open(context, read_only=True) as con:
            results = [
                run_suite(
                    con,
                    suite,
                    asset,
                    suite_parameters(settings.min_respondents),
                    run_name=f"dagster-{context.run.run_id[:8]}",
                )
                for suite, asset in runs
            ]
        start = time.perf_counter()
        try:
            page = str(build_data_docs(data_docs_dir(settings.output_dir), results))
        except Exception as exc:  # Data Docs are for people; never fail the check over them
            context.log.warning(f"Data Docs not written: {exc}")
            page = None
        docs_seconds = time.perf_counter() - start
        for result in results:
            for f in result.failures:
                context.log.error(
                    f"{result.suite}/{f.rule} on {result.asset_path}: {f.failing_rows} rows: "
                    f"{f.description}"
                )
            yield check_result(result, page, docs_seconds)

    return [gx_suites]


QUALITY_CHECKS = build_quality_checks()
