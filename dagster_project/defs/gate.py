"""The quality gate in Dagster: the asset ``quality/gate``, which the factsheet and publish
steps read.

``quality/gate`` depends on every model a check guards (``GATED_DEPS``), so it runs after
every check in any run: the dbt tests run inside the dbt step that builds those models, and
the GX suites and the disclosure audit are blocking checks on them, which Dagster makes every
step downstream of their assets wait for (their failures warn: nothing is skipped). It
judges the latest evaluation of every check of the code location (so the factsheets of a
later run are gated by the last verdict on the marts too) and records what the failing
rules withhold (dagster_project/quality/gate.py) in its materialization: for people, and as
``verdict``, the JSON ``factsheets/pdf_html`` and ``publish/marts_snapshot`` read.

A verdict is current while no check was evaluated and no gated model materialized after it;
the factsheet and publish steps refuse to run on none or on one that is not current (a run
that evaluates checks or rebuilds models without the gate): they fail, naming what came
later, rather than publish on a verdict about other data (docs/quality.md).
"""

from collections.abc import Iterable

import dagster as dg

from ..compat.dagster_internals import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    check_history,
    latest_check_records,
    repository_check_keys,
)
from ..publish import MART_TABLES
from ..quality.gate import ALLES, BREACHES, CEL, Breach, Gate, gate_of_checks
from ..quality.suites import load_suites
from . import names
from .ingest import CODE_LIST_CHECK, FILES_USED_CHECK

# The marts, and every model a GX suite guards (staging and intermediate): the dbt tests
# run in the step that builds the marts, the GX checks and the disclosure audit are checks on
# these.
GATED_DEPS = sorted(
    {dg.AssetKey(["marts", table]) for table in MART_TABLES}
    | {dg.AssetKey(list(asset)) for suite in load_suites().values() for asset in suite.assets()},
    key=lambda key: key.to_user_string(),
)
GATE_KEY = dg.AssetKey(list(names.GATE))
VERDICT = "verdict"  # the metadata entry of the gate's materialization that the steps read
HISTORY = 10  # evaluations looked back over for a check whose latest is only planned
SHOWN_CELLS = 50  # the metadata lists this many withheld cells; the verdict holds them all


def _latest_completed(instance: dg.DagsterInstance, key: dg.AssetCheckKey, record):
    """The record of the latest completed evaluation of a check (a planned one never ran, or
    is running: look back)."""
    if record is not None and record.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES:
        return record if record.event else None
    for older in check_history(instance, key, HISTORY):
        if older.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES and older.event:
            return older
    return None


def _completed(
    context: dg.AssetExecutionContext, also: Iterable[dg.AssetCheckKey] = ()
) -> list[tuple[dg.AssetCheckKey, object]]:
    """Every gated check (and those of ``also``) with the record of its latest completed
    evaluation (None: never)."""
    keys = sorted(_check_keys(context) | set(also), key=str)
    records = latest_check_records(context.instance, keys)
    return [(key, _latest_completed(context.instance, key, records.get(key))) for key in keys]


def _check_keys(context: dg.AssetExecutionContext) -> set[dg.AssetCheckKey]:
    """Every check of the code location, and at least every check of this run's job.

    The job's own graph always holds its checks; the code location's may hold more (a run
    that materializes only the factsheets is still gated by the checks on the marts). A job
    run on its own (``dg.execute_job(reconstructable(...))``, ``dg.materialize``) has an
    implicit repository whose graph holds no checks at all: the job's keys gate it then.
    """
    keys = set(context.job_def.asset_layer.asset_graph.asset_check_keys)
    keys |= repository_check_keys(context) or set()  # None: no repository (dg.materialize)
    # An unused landing file is not a quality rule on the data built: `kto run` and the
    # ingest's own check report it; what was built from the other files is published. Nor
    # is a Gemeentecode outside the CBS code list accepted under KTO_GEMEENTECODES=melden:
    # the format specification accepts it, the ingest's check and `kto run` report it.
    # Nor are the signals: news for people, not a rule (defs/signals.py).
    return {
        key
        for key in keys
        if key.name not in (FILES_USED_CHECK, CODE_LIST_CHECK, names.SIGNALS_CHECK)
    }


def current_gate(context: dg.AssetExecutionContext) -> tuple[Gate, list[dg.AssetCheckKey]]:
    """The gate from the latest evaluation of every check of the code location, and the
    checks it judged (a check never evaluated has nothing known against it)."""
    checks, judged = [], []
    for key, record in _completed(context):
        if record is None:
            continue
        judged.append(key)
        evaluation = record.event.asset_check_evaluation
        listed = evaluation.metadata.get(BREACHES)
        checks.append(
            (
                f"{key.name} on {key.asset_key.to_user_string()}",
                key.asset_key.to_user_string(),
                evaluation.passed,
                listed.value if listed is not None else None,
            )
        )
    return gate_of_checks(checks), judged


def _withheld_periods(gate: Gate) -> str:
    if any(b.scope == ALLES for b in gate.breaches):
        return "every period"
    periods = sorted({p for b in gate.breaches for p in b.periods})
    return ", ".join(periods) or "none"


def _withheld_cells(gate: Gate) -> list[str]:
    cells = {c for b in gate.breaches if b.scope == CEL for c in b.cells}
    return ["/".join(c) for c in sorted(cells)]


def gate_metadata(gate: Gate, judged: list[dg.AssetCheckKey]) -> dict[str, object]:
    """The verdict as the UI shows it, and as the factsheet and publish steps read it."""
    cells = _withheld_cells(gate)
    listed = "\n".join(f"- {c}" for c in cells[:SHOWN_CELLS])
    if len(cells) > SHOWN_CELLS:
        listed += f"\n- … and {len(cells) - SHOWN_CELLS} more (see verdict)"
    rules = "\n".join(
        f"- **{b.rule}** on `{b.model}`, {b.failing_rows} rows: "
        + b.withheld()
        + (f"  \n  {b.description}" if b.description else "")
        for b in gate.breaches
    )
    return {
        "open": dg.MetadataValue.bool(gate.open),
        "checks_judged": dg.MetadataValue.int(len(judged)),
        "rules_failing": dg.MetadataValue.int(len(gate.breaches)),
        "rules": dg.MetadataValue.md(rules or "every rule holds: nothing withheld"),
        "periods_withheld": dg.MetadataValue.text(_withheld_periods(gate)),
        "cells_withheld": dg.MetadataValue.int(len(cells)),
        "withheld_cells": dg.MetadataValue.md(listed or "none"),
        VERDICT: dg.MetadataValue.json(
            {
                "open": gate.open,
                "breaches": [b.as_dict() for b in gate.breaches],
                "checks": [[*k.asset_key.path, k.name] for k in judged],
            }
        ),
    }


@dg.asset(
    key=GATE_KEY,
    group_name=names.QUALITY_GROUP,
    # every model a check guards: every check of the run has finished before this step
    deps=GATED_DEPS,
    kinds={"python"},
    description=(
        "What the failing quality rules withhold, from the latest evaluation of every check "
        "of the code location (dbt tests, GX suites, the disclosure audit): open or not, each "
        "failing rule with the cells or periods it withholds (metadata), and the verdict "
        "factsheets/pdf_html and publish/marts_snapshot read. Those two refuse to run on a "
        "verdict older than a later check evaluation or model build (docs/quality.md)."
    ),
)
def quality_gate(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    gate, judged = current_gate(context)
    for line in gate.text().splitlines():
        context.log.error(line)
    if gate.open:
        context.log.info(f"quality gate open: {len(judged)} checks judged, every rule holds")
    return dg.MaterializeResult(metadata=gate_metadata(gate, judged))


def _later_than(
    context: dg.AssetExecutionContext, at: float, judged: Iterable[dg.AssetCheckKey]
) -> list[str]:
    """What happened after a verdict taken at ``at`` (Unix time): a check it judged or of the
    code location evaluated, a gated model materialized. Only when they happened is read
    here: what a check found is the gate's to judge."""
    later = [
        f"check {key.name} on {key.asset_key.to_user_string()} evaluated in run {record.run_id[:8]}"
        for key, record in _completed(context, judged)
        if record is not None and record.event.timestamp > at
    ]
    for key in GATED_DEPS:
        event = context.instance.get_latest_materialization_event(key)
        if event is not None and event.timestamp > at:
            later.append(f"{key.to_user_string()} materialized in run {event.run_id[:8]}")
    return later


def gate_verdict(context: dg.AssetExecutionContext) -> Gate:
    """The verdict of the latest materialization of ``quality/gate``; a :class:`dg.Failure`
    (fail closed) when there is none, or when it is older than a check evaluation or a model
    build that came after it."""
    event = context.instance.get_latest_materialization_event(GATE_KEY)
    recorded = event.asset_materialization.metadata.get(VERDICT) if event else None
    if recorded is None:
        raise dg.Failure(
            description=(
                "no quality verdict: quality/gate has not been materialized on this instance. "
                "Materialize it before or with this asset (refresh_job and `kto run` do)."
            )
        )
    judged = [
        dg.AssetCheckKey(dg.AssetKey(check[:-1]), check[-1])
        for check in recorded.value.get("checks", [])
    ]
    later = _later_than(context, event.timestamp, judged)
    if later:
        raise dg.Failure(
            description=(
                f"the quality verdict (quality/gate, run {event.run_id[:8]}) is older than "
                f"{len(later)} later event(s) it did not judge; materialize quality/gate "
                "before or with this asset (refresh_job and `kto run` do):\n"
                + "\n".join(f"- {line}" for line in later[:20])
            ),
            metadata={"gate_run": event.run_id, "later": dg.MetadataValue.json(later)},
        )
    context.log.info(f"quality verdict of quality/gate from run {event.run_id[:8]}")
    return Gate([Breach.from_dict(b) for b in recorded.value["breaches"]])
