"""Factsheet asset (group ``factsheets``): PDF and HTML per gemeente × kanaal × periode.

Partitioned by periode; a range of periods runs as one run (one process pool,
one read of the marts). The step runs in the warehouse pool: a reader holds
DuckDB's file lock as a writer does, and a writer of another run (an ingest)
that opened the file during the read would fail. A queued ingest waits for the
step, rendering included; it never fails on the lock.
"""

import dagster as dg

from ..domain.periods import sort_periods
from ..factsheets import MART_TABLES
from ..factsheets.marts import READ_WAIT_SECONDS
from ..factsheets.output import RenderResult, write_periods
from ..factsheets.view import build_period, today_amsterdam
from ..settings import Settings
from . import names
from .gate import GATE_KEY, gate_verdict
from .partitions import PERIODE
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource

LISTED_FILES = 40  # metadata lists this many paths; report.json lists them all


def _metadata(result: RenderResult, settings: Settings) -> dict[str, object]:
    factsheets = [f for p in result.periods for f in p.factsheets]
    skipped = [(p.periode, s) for p in result.periods for s in p.skipped]
    paths = [str(p.directory / f.pdf) for p in result.periods for f in p.factsheets]
    listed = "\n".join(f"- `{path}`" for path in paths[:LISTED_FILES])
    if len(paths) > LISTED_FILES:
        listed += f"\n- … and {len(paths) - LISTED_FILES} more (see the reports)"
    skipped_md = "\n".join(
        f"- {periode} {s['gemeentecode']} {s['gemeente']} {s['kanaal']}: {s['reden']}"
        for periode, s in skipped
    )
    return {
        "periodes": ", ".join(p.periode for p in result.periods),
        "factsheets": len(factsheets),
        "rendered": result.rendered,
        "unchanged": len(factsheets) - result.rendered,
        "pages": sum(f.pages for f in factsheets),
        "figures_shown": sum(f.cijfers_getoond for f in factsheets),
        "figures_not_shown": sum(f.cijfers_niet_getoond for f in factsheets),
        "cells_skipped": len(skipped),
        "files_removed": sum(len(p.removed) for p in result.periods),
        "render_seconds": round(result.seconds, 3),
        "pages_per_second": round(result.pages_per_second, 1),
        "workers": result.workers,
        "min_respondents": settings.min_respondents,
        "output_dir": dg.MetadataValue.path(str(settings.output_dir / "factsheets")),
        "reports": dg.MetadataValue.md("\n".join(f"- `{p.report}`" for p in result.periods)),
        "pdf_paths": dg.MetadataValue.md(listed or "none"),
        "skipped_cells": dg.MetadataValue.md(skipped_md or "none"),
        "cells_withheld": sum(len(p.withheld) for p in result.periods),
        "withheld_cells": dg.MetadataValue.md(
            "\n".join(
                f"- {p.periode} {w['gemeentecode']} {w['kanaal']}: {', '.join(w['regels'])}"
                for p in result.periods
                for w in p.withheld
            )
            or "none"
        ),
    }


@dg.asset(
    key=list(names.FACTSHEETS),
    group_name=names.FACTSHEETS_GROUP,
    # the marts it reads, and the verdict on them (quality/gate runs after every check)
    deps=[*(dg.AssetKey(["marts", table]) for table in MART_TABLES), GATE_KEY],
    partitions_def=PERIODE,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python", "pdf", "html"},
    pool=WarehouseResource.POOL,
    description=(
        "KTO_OUTPUT_DIR/factsheets/{periode}/{gemeentecode}_{kanaal}.pdf and .html for every "
        "cell with respons >= KTO_MIN_RESPONDENTS, and report.json listing the factsheets and "
        "the cells that got none. Unchanged factsheets are not rendered again. A cell that a "
        "failing quality rule concerns is withheld (report.json: achtergehouden), as "
        "quality/gate's verdict says; with no current verdict the step fails."
    ),
)
def factsheets_pdf_html(
    context: dg.AssetExecutionContext, kto_settings: KtoSettings, kto_warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = kto_settings.settings()
    kto_warehouse.check(settings)
    periodes = sort_periods(context.partition_keys)
    day = today_amsterdam()
    gate = gate_verdict(context)  # fails when there is none, or it is out of date
    # The lock for the whole step: the output folder has one writer too (publish cleans
    # up what a killed writer left there).
    with kto_warehouse.lock(context):
        with kto_warehouse.open(context, read_only=True, wait=READ_WAIT_SECONDS) as con:
            built = [(p, *build_period(con, p, settings, day)) for p in periodes]
        withheld = {
            periode: {
                (v.gemeentecode, v.kanaal): rules
                for v in views
                if (rules := gate.rules_withholding(periode, (v.gemeentecode, v.kanaal, periode)))
            }
            for periode, views, _ in built
        }
        for line in gate.text().splitlines():
            context.log.error(line)
        result = write_periods(built, settings, withheld=withheld)
    for period in result.periods:
        context.log.info(
            f"{period.periode}: {len(period.factsheets)} factsheets "
            f"({period.rendered} rendered), {len(period.skipped)} cells below the threshold, "
            f"{len(period.withheld)} withheld by a failing rule"
        )
        # Page 1 is laid out to hold every figure; a page more than the sections fill means
        # something overflowed.
        for f in period.factsheets:
            if f.pages != f.pages_expected:
                context.log.warning(
                    f"{period.periode}/{f.pdf}: {f.pages} pages, {f.pages_expected} expected"
                )
    return dg.MaterializeResult(metadata=_metadata(result, settings))
