"""The signals as an asset check on the marts, so the Dagster UI shows them
(dagster_project/analysis/signals.py says what a signal is).

A signal is news, not a failure: the check fails with severity WARN when there are
signals, with every one in its metadata, and passes when there are none. It is no quality
rule: ``quality/gate`` does not judge it (defs/gate.py) and `kto run` does not fail on it
(it prints a line in its summary). It runs after ``quality/gate`` (``additional_deps``), so
after the disclosure audit, which may withhold more figures, and reads the marts as they
are published. It reports every published figure; the portal and ``signalen.csv`` list
only the figures of cells with a factsheet (a cell the gate withholds has none).
"""

import time

import dagster as dg
import pandas as pd

from ..analysis import signals
from . import names
from .gate import GATE_KEY
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource

CHECKED = dg.AssetKey(["marts", "kto_verandering"])  # the drops; the funnels: kto_figuur
LISTED = 200  # signals in the metadata's JSON; the counts are of all of them
SHOWN = 30  # rows of the metadata's table


def _table(found: pd.DataFrame) -> str:
    head = "| periode | kanaal | gemeente | signaal | figuur | richting | waarde / verschil | q |\n"
    head += "|---|---|---|---|---|---|---|---|\n"
    lines = []
    for r in signals.records(found.head(SHOWN)):
        value = r["verschil"] if r["signaal"] == signals.DALING else r["waarde"]
        q = "" if pd.isna(r["q_waarde"]) else f"{r['q_waarde']:.4g}"
        lines.append(
            f"| {r['periode']} | {r['kanaal']} | {r['gemeente']} ({r['gemeentecode']}) | "
            f"{r['signaal']} | {r['figuur']} | {r['richting']} | {value} | {q} |"
        )
    more = f"\n\n… and {len(found) - SHOWN} more (see signals)" if len(found) > SHOWN else ""
    return head + "\n".join(lines) + more


def _plain(found: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        for r in signals.records(found.head(LISTED).astype(object))
    ]


def result_of(found: pd.DataFrame, seconds: float) -> dg.AssetCheckResult:
    """The check's result for the signals ``found`` (``signals.signals``)."""
    counts = signals.summary(found)
    metadata = {
        "signals_count": dg.MetadataValue.int(counts["signals"]),
        "drops": dg.MetadataValue.int(counts["drops"]),
        "outside_funnel": dg.MetadataValue.int(counts["outside_funnel"]),
        "periods": dg.MetadataValue.int(counts["periods"]),
        "signals": dg.MetadataValue.json(_plain(found)),
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
    }
    if found.empty:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description="no significant drop, no municipality outside the 99.8% funnel limits",
            metadata=metadata,
        )
    metadata["table"] = dg.MetadataValue.md(_table(found))
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,  # news, not a failure: nothing is withheld
        description=(
            f"{counts['drops']} significant drop(s) (q < 0.05) and {counts['outside_funnel']} "
            f"figure(s) outside the 99.8% funnel limits in {counts['periods']} period(s)"
        ),
        metadata=metadata,
    )


@dg.asset_check(
    asset=CHECKED,
    name=names.SIGNALS_CHECK,
    additional_deps=[dg.AssetKey(["marts", "kto_figuur"]), GATE_KEY],
    blocking=False,
    pool=WarehouseResource.POOL,
    description=(
        "Signals (news, not a failure): the significant drops of kto_verandering (q < 0.05, a "
        "negative change) and the municipalities outside the 99.8% funnel limits around the "
        "BM (kto_figuur), every one in the metadata. Warns when there is a signal, passes when "
        "there is none; no quality rule: the gate does not judge it (docs/metrics.md, "
        "Funnel plots and signals)."
    ),
)
def signals_check(
    context: dg.AssetCheckExecutionContext,
    kto_settings: KtoSettings,
    kto_warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    settings = kto_settings.settings()
    kto_warehouse.check(settings)
    start = time.perf_counter()
    with kto_warehouse.lock(context), kto_warehouse.open(context, read_only=True) as con:
        figures, changes = signals.read_figures(con), signals.read_changes(con)
    found = signals.signals(figures, changes)
    return result_of(found, time.perf_counter() - start)
