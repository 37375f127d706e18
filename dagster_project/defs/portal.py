"""Portal asset (group ``factsheets``): the static pages that lead to every factsheet."""

import dagster as dg

from ..portal import build_portal
from . import names
from .settings_resource import KtoSettings


@dg.asset(
    key=list(names.PORTAL),
    group_name=names.FACTSHEETS_GROUP,
    deps=[dg.AssetKey(list(names.FACTSHEETS)), dg.AssetKey(["marts", "kto_cel"])],
    kinds={"html"},
    description=(
        "KTO_OUTPUT_DIR/factsheets/index.html, periode-{periode}.html and "
        "gemeente-{gemeentecode}.html: every gemeente × kanaal × periode with its figures "
        "and links to the factsheets that exist (from the marts and each report.json); per "
        "period signalen-{periode}.html, trechters-{periode}.html with the funnel plots "
        "({periode}/trechters/*.svg) and {periode}/signalen.csv."
    ),
)
def factsheets_portal(
    context: dg.AssetExecutionContext, kto_settings: KtoSettings
) -> dg.MaterializeResult:
    settings = kto_settings.settings()
    result = build_portal(settings)
    context.log.info(
        f"portal: {len(result.pages)} pages, {result.factsheets_linked} factsheets linked, "
        f"{result.funnels} funnel plots ({result.funnels_written} written)"
    )
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(result.directory / "index.html")),
            "pages": len(result.pages),
            "factsheets_linked": result.factsheets_linked,
            "pages_removed": len(result.removed),
            "funnel_plots": result.funnels,
            "funnel_plots_written": result.funnels_written,
            "signals_count": result.signals.get("signals", 0),
            "signal_files": len(result.signal_files),
        }
    )
