"""The factsheet asset in Dagster: keys, partitions, a range run, metadata."""

from __future__ import annotations

import json

import dagster as dg

from dagster_project.compat.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_project.defs.factsheets import factsheets_pdf_html
from dagster_project.defs.gate import GATE_KEY, GATED_DEPS, quality_gate
from dagster_project.defs.partitions import PERIODE
from dagster_project.factsheets import MART_TABLES
from dagster_project.quality.gate import BREACHES, CEL, Breach
from dagster_project.quality.suites import load_suites
from tests.conftest import settings_resources
from tests.test_factsheets import SAMPLES, marts_from_samples, write_marts


def _environment(tmp_path, monkeypatch):
    warehouse = write_marts(tmp_path / "w.duckdb", marts_from_samples())
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_MIN_RESPONDENTS", str(SAMPLES["min_n"]))
    instance = dg.DagsterInstance.ephemeral()
    periods = sorted({k.split("|")[2] for k in SAMPLES["cells"]}, key=lambda p: (p[:4], p[4:]))
    instance.add_dynamic_partitions(PERIODE.name, periods)
    return instance, periods


def _cells(periode: str, eligible: bool) -> int:
    return sum(
        1
        for k, c in SAMPLES["cells"].items()
        if k.split("|")[2] == periode and (c["respons"] >= SAMPLES["min_n"]) == eligible
    )


def test_asset_graph_contract():
    spec = factsheets_pdf_html
    assert spec.key == dg.AssetKey(["factsheets", "pdf_html"])
    assert spec.group_names_by_key[spec.key] == "factsheets"
    deps = {d for keys in spec.asset_deps.values() for d in keys}
    # the marts it reads, and the gate, which depends on every model a check guards: every
    # check finishes before the gate, the gate before the factsheets
    assert deps == {dg.AssetKey(["marts", t]) for t in MART_TABLES} | {GATE_KEY}
    guarded = {dg.AssetKey(list(a)) for s in load_suites().values() for a in s.assets()}
    gate_deps = {d for keys in quality_gate.asset_deps.values() for d in keys}
    assert (
        gate_deps == set(GATED_DEPS) == {dg.AssetKey(["marts", t]) for t in MART_TABLES} | guarded
    )
    assert dg.AssetKey(["staging", "stg_one2ten__responses"]) in gate_deps
    assert spec.partitions_def == PERIODE
    assert spec.backfill_policy == dg.BackfillPolicy.single_run()


def test_one_partition_writes_its_factsheets_and_reports_metadata(tmp_path, monkeypatch):
    instance, _ = _environment(tmp_path, monkeypatch)
    result = dg.materialize(
        [quality_gate, factsheets_pdf_html],
        instance=instance,
        resources=settings_resources(),
        partition_key="2020",
    )
    assert result.success
    [event] = result.asset_materializations_for_node("factsheets__pdf_html")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert event.partition == "2020"
    assert metadata["factsheets"] == _cells("2020", True)
    assert metadata["cells_skipped"] == _cells("2020", False)
    assert metadata["pages"] == 3 * metadata["factsheets"]
    assert metadata["figures_shown"] > 0 and metadata["figures_not_shown"] > 0
    folder = tmp_path / "output" / "factsheets" / "2020"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(report["factsheets"]) == metadata["factsheets"]
    assert str(folder / report["factsheets"][0]["pdf"]) in metadata["pdf_paths"]


def test_a_range_run_renders_every_period_and_a_rerun_renders_nothing(tmp_path, monkeypatch):
    """The run a range becomes (tags as the backfill policy and the sensors set them; that a
    backfill becomes this one run: test_automation.py) renders every period of the range."""
    instance, periods = _environment(tmp_path, monkeypatch)
    tags = {ASSET_PARTITION_RANGE_START_TAG: periods[0], ASSET_PARTITION_RANGE_END_TAG: periods[-1]}
    result = dg.materialize(
        [quality_gate, factsheets_pdf_html],
        instance=instance,
        resources=settings_resources(),
        tags=tags,
    )
    assert result.success
    events = result.asset_materializations_for_node("factsheets__pdf_html")
    assert sorted(e.partition for e in events) == sorted(periods)
    metadata = {k: v.value for k, v in events[0].metadata.items()}
    assert metadata["factsheets"] == sum(_cells(p, True) for p in periods)
    for p in periods:
        assert (tmp_path / "output" / "factsheets" / p / "report.json").is_file()

    # Rerun: the marts did not change, so nothing is rendered again.
    again = dg.materialize(
        [factsheets_pdf_html], instance=instance, resources=settings_resources(), tags=tags
    )
    metadata = {
        k: v.value
        for k, v in again.asset_materializations_for_node("factsheets__pdf_html")[
            0
        ].metadata.items()
    }
    assert metadata["rendered"] == 0
    assert metadata["unchanged"] == metadata["factsheets"]


def _failure(result) -> str:
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return event.step_failure_data.error.message


def test_without_a_quality_verdict_the_factsheets_fail_and_write_nothing(tmp_path, monkeypatch):
    """Materialized alone on an instance where quality/gate never ran: fail closed."""
    instance, _ = _environment(tmp_path, monkeypatch)
    result = dg.materialize(
        [factsheets_pdf_html],
        instance=instance,
        resources=settings_resources(),
        partition_key="2020",
        raise_on_error=False,
    )
    assert not result.success
    assert "no quality verdict: quality/gate has not been materialized" in _failure(result)
    assert not (tmp_path / "output" / "factsheets").exists()


KTO_CEL = dg.AssetKey(["marts", "kto_cel"])


@dg.asset(key=KTO_CEL)
def kto_cel_stub() -> None:
    """Stands in for the dbt model: the warehouse is already written."""


def _cell() -> tuple[str, str, str]:
    """A cell of 2020 that gets a factsheet."""
    return next(
        tuple(k.split("|"))
        for k, c in sorted(SAMPLES["cells"].items())
        if k.split("|")[2] == "2020" and c["respons"] >= SAMPLES["min_n"]
    )


@dg.asset_check(asset=kto_cel_stub, name="stub_rule", description="fails on one cell")
def stub_rule() -> dg.AssetCheckResult:
    breach = Breach(rule="stub rule", model="marts/kto_cel", scope=CEL, failing_rows=1)
    breach = Breach.from_dict({**breach.as_dict(), "cells": [list(_cell())]})
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={BREACHES: dg.MetadataValue.json([breach.as_dict()])},
    )


def test_the_factsheets_read_the_gate_and_refuse_a_verdict_older_than_a_check_or_build(
    tmp_path, monkeypatch
):
    """The gate's verdict withholds the cell its check names, in a later run of the
    factsheets alone; a check evaluated or a model built after the verdict stops them."""
    instance, _ = _environment(tmp_path, monkeypatch)
    code, kanaal, _ = _cell()

    def factsheets():
        return dg.materialize(
            [factsheets_pdf_html],
            instance=instance,
            resources=settings_resources(),
            partition_key="2020",
            raise_on_error=False,
        )

    gated = dg.materialize(
        [kto_cel_stub, stub_rule, quality_gate], instance=instance, resources=settings_resources()
    )
    [event] = gated.asset_materializations_for_node("quality__gate")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert (metadata["open"], metadata["rules_failing"], metadata["checks_judged"]) == (
        False,
        1,
        1,
    )
    assert metadata["cells_withheld"] == 1 and f"{code}/{kanaal}/2020" in metadata["withheld_cells"]
    assert metadata["periods_withheld"] == "none" and "**stub rule**" in metadata["rules"]

    first = factsheets()
    assert first.success
    folder = tmp_path / "output" / "factsheets" / "2020"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert [(w["gemeentecode"], w["kanaal"], w["regels"]) for w in report["achtergehouden"]] == [
        (code, kanaal, ["stub rule"])
    ]
    assert len(report["factsheets"]) == _cells("2020", True) - 1

    # the check evaluated again without the gate: the verdict is out of date
    dg.materialize(
        [kto_cel_stub, stub_rule],
        instance=instance,
        resources=settings_resources(),
        selection=dg.AssetSelection.checks(stub_rule),
    )
    stale = factsheets()
    assert not stale.success
    message = _failure(stale)
    assert "the quality verdict (quality/gate, run" in message
    assert "check stub_rule on marts/kto_cel evaluated in run" in message
    assert "materialized" not in message

    dg.materialize([quality_gate], instance=instance, resources=settings_resources())
    assert factsheets().success
    # a gated model built without the gate: out of date again
    dg.materialize([kto_cel_stub], instance=instance, resources=settings_resources())
    stale = factsheets()
    assert not stale.success
    assert "- marts/kto_cel materialized in run" in _failure(stale)


def test_readers_of_the_warehouse_queue_in_its_pool():
    """A read-only reader holds DuckDB's file lock: an ingest in another run opening the file
    meanwhile would fail. The factsheet and snapshot steps queue with the writers."""
    from dagster_project.defs.ingest import WAREHOUSE_POOL, ingest_landing
    from dagster_project.defs.publish import marts_snapshot

    assert ingest_landing.op.pool == WAREHOUSE_POOL
    assert factsheets_pdf_html.op.pool == WAREHOUSE_POOL
    assert marts_snapshot.op.pool == WAREHOUSE_POOL
