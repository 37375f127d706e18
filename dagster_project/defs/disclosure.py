"""The disclosure audit as a check on the publication (dagster_project/disclosure).

The check judges the public marts as they would be published against every publication
released so far (the warehouse's ledger and the versions kept under KTO_OUTPUT_DIR). Where
a hidden figure can be narrowed below the protection interval it withholds one more figure
of its relations and rebuilds the disclosure models, a few rounds (disclosure/protect.py).
Should figures stay unprotected it fails, and its breach withholds everything (scope
``alles``): the leak lies in the relations between figures, not in one cell, so no
factsheet and no snapshot goes out and `kto run` exits 1 with the cause. Its severity is
WARN, so Dagster stops nothing; it is blocking only so that ``quality/gate``, downstream of
its asset, waits for it (defs/quality.py says why).
"""

import time

import dagster as dg

from ..disclosure.audit import PROTECTION
from ..disclosure.protect import protect
from ..quality.gate import ALLES, BREACHES, Breach
from ..transform.commands import run_dbt
from . import names
from .settings_resource import KtoSettings
from .warehouse_resource import WarehouseResource

AUDITED = dg.AssetKey(["marts", "kto_figuur"])  # every figure of every public mart
CHECK_NAME = names.DISCLOSURE_CHECK
RULE = "disclosure audit (no hidden figure narrower than the protection interval)"


@dg.asset_check(
    asset=AUDITED,
    name=CHECK_NAME,
    blocking=True,  # orders: quality/gate starts after it; a failure warns (see above)
    pool=WarehouseResource.POOL,
    description=(
        "Every hidden figure keeps a feasible range at least the protection interval wide "
        f"({PROTECTION[1]} on grades, {PROTECTION[0]} on CES and percentages) given every "
        "publication so far (ledger.released_figures and KTO_OUTPUT_DIR/.published) and "
        "this one: a linear program per hidden figure; figures it finds unprotected are "
        "withheld further where a relation allows (docs/metrics.md, Disclosure control). "
        "A failure warns and stops no step; quality/gate withholds every factsheet and the "
        "snapshot. Blocking only in that quality/gate waits for this check."
    ),
)
def disclosure_audit(
    context: dg.AssetCheckExecutionContext,
    kto_settings: KtoSettings,
    kto_warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    settings = kto_settings.settings()
    kto_warehouse.check(settings)
    start = time.perf_counter()

    def rebuild(selection: list[str]) -> str | None:
        run = run_dbt(
            ["build", "--select", *selection, "--exclude-resource-type", "unit_test"], settings
        )
        return None if run.ok else run.output[-4000:]

    with kto_warehouse.lock(context):
        try:
            outcome = protect(
                settings.warehouse, settings.output_dir, rebuild, settings.min_respondents
            )
            error = outcome.error and f"dbt rebuild after withholding failed:\n{outcome.error}"
        except Exception as exc:  # fail closed: an audit that cannot run blocks publishing
            outcome, error = None, f"{type(exc).__name__}: {exc}"
    seconds = round(time.perf_counter() - start, 3)
    withheld = [" ".join(k) for k in outcome.withheld] if outcome else []
    for line in withheld:
        context.log.info(f"withheld by the disclosure audit: {line}")
    if outcome is not None and not error and outcome.result.passed:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{outcome.result.hidden} hidden figures protected against this and "
                f"{outcome.earlier} earlier publications"
                + (f"; {len(withheld)} withheld on top" if withheld else "")
            ),
            metadata={
                "hidden": outcome.result.hidden,
                "earlier_publications": outcome.earlier,
                "withheld": dg.MetadataValue.json(withheld),
                "rounds": outcome.rounds,
                "lps": outcome.result.lps,
                "groups_reused": outcome.result.reused,
                # points at an end of the domain a shown total at its extreme implies
                "at_an_extreme": len(outcome.result.extreme),
                "seconds": seconds,
                BREACHES: dg.MetadataValue.json([]),
            },
        )
    lines = [error] if error else [f.text() for f in outcome.result.findings]
    found = breach_of(lines, [{"figuur": line} for line in lines[:5]])
    for line in found.text():
        context.log.error(line)
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,  # withheld by the gate, as the other rules
        description=error or f"{len(lines)} hidden figure(s) not protected",
        metadata={
            "findings": dg.MetadataValue.json(lines[:200]),
            "earlier_publications": outcome.earlier if outcome else 0,
            "withheld": dg.MetadataValue.json(withheld),
            "seconds": seconds,
            BREACHES: dg.MetadataValue.json([found.as_dict()]),
        },
    )


def breach_of(lines: list[str], sample: list[dict]) -> Breach:
    return Breach(
        rule=f"disclosure {CHECK_NAME}",
        model="marts/kto_figuur",
        scope=ALLES,
        failing_rows=len(lines),
        description=RULE,
        sample=tuple(sample),
    )
