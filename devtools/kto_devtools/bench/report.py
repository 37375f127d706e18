"""The bench's Markdown report: bench/results/scale-<scale>-<host>-<date>.md."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.cli.phases import OVERHEAD, PHASES

from .agreement import CLOSE, EXACT, TOLERANCE
from .run import BenchResult, PipelineRun, Reference

# The targets for `kto run` on this machine (2 cores); the first holds at national scale.
NATIONAL_SECONDS = 60
FLOOR_FACTOR = 3
PEAK_RSS_GIB = 2
DROP_SHARE = 0.10
SAMPLES_SECONDS = 15


def _s(seconds: float) -> str:
    return f"{seconds:,.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:,.1f}×" if b > 0 else "–"


def _mib(measured) -> str:
    return f"{measured.peak_rss_mib:,.0f}"


def _ingest_dbt(run: PipelineRun) -> float:
    return run.phases.seconds("ingest") + run.phases.seconds("dbt build")


def _detail(phase) -> str:
    d = phase.detail
    if phase.name == "dbt build" and d:
        other = phase.seconds - d["models_seconds"] - d["tests_seconds"]
        return (
            f"{d['models']} models {_s(d['models_seconds'])} s, {d['tests']} tests "
            f"{_s(d['tests_seconds'])} s, the rest (dbt start-up, parsing, events) {_s(other)} s"
        )
    if phase.name == "factsheets" and d:
        text = f"{d.get('factsheets')} factsheets ({d.get('rendered')} rendered), "
        text += f"{d.get('pages')} pages, worker processes: {d.get('workers')}"
        if "pages_per_second_per_core" in d:
            text += (
                f"; rendering {_s(d['render_seconds'])} s, "
                f"**{d['pages_per_second_per_core']} pages/s per core**"
            )
        return text
    if phase.name == OVERHEAD and d:
        return (
            f"in the runs {_s(d['in_runs'])} s, between the runs {_s(d['between_runs'])} s, "
            f"after the last run {_s(d['after_last_run'])} s"
        )
    if phase.steps > 1:
        return f"{phase.steps} steps"
    return ""


def _phase_table(run: PipelineRun, floor: Reference | None) -> list[str]:
    total = run.measured.seconds
    peaks = run.phases.peak_rss(run.measured.samples)
    lines = [
        "| phase | seconds | share | vs floor | peak RSS (MiB) | detail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for phase in run.phases.phases:
        vs = _ratio(phase.seconds, floor.seconds) if floor and phase.name in PHASES else ""
        peak = f"{peaks[phase.name] / 2**20:,.0f}" if phase.name in peaks else ""
        lines.append(
            f"| {phase.name} | {_s(phase.seconds)} | {phase.seconds / total:.0%} | {vs} "
            f"| {peak} | {_detail(phase)} |"
        )
    vs = _ratio(total, floor.seconds) if floor else ""
    lines.append(
        f"| **kto run** | **{_s(total)}** | 100% | {vs} | **{_mib(run.measured)}** | "
        f"the whole process tree, CPU {_s(run.measured.cpu_seconds)} s; runs: "
        + ", ".join(f"{job} {status}" for job, status in run.phases.jobs)
        + " |"
    )
    return lines


def _side_by_side(result: BenchResult) -> list[str]:
    floor, full = result.floor, result.full
    lines = [
        "| | seconds | vs floor | process seconds | process CPU seconds | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for ref, label in (
        (floor, "floor: `floor.sql` (DuckDB)"),
        (result.pandas, "pandas"),
    ):
        if ref is not None:
            lines.append(
                f"| {label} | {_s(ref.seconds)} | {_ratio(ref.seconds, floor.seconds)} | "
                f"{_s(ref.measured.seconds)} | {_s(ref.measured.cpu_seconds)} | "
                f"{_mib(ref.measured)} |"
            )
    if full is not None:
        lines.append(
            f"| `kto run`: ingest + dbt build | {_s(_ingest_dbt(full))} | "
            f"{_ratio(_ingest_dbt(full), floor.seconds)} | | | |"
        )
        lines.append(
            f"| `kto run`: everything (factsheets included) | {_s(full.measured.seconds)} | "
            f"{_ratio(full.measured.seconds, floor.seconds)} | {_s(full.measured.seconds)} | "
            f"{_s(full.measured.cpu_seconds)} | {_mib(full.measured)} |"
        )
    return lines


def _targets(result: BenchResult) -> list[str]:
    full, floor = result.full, result.floor
    rows = []
    if full is not None:
        national = result.scale >= 1
        seconds = full.measured.seconds
        rows.append((
            f"national year through `kto run` ≤ {NATIONAL_SECONDS} s",
            f"{_s(seconds)} s" + ("" if national else f" at scale {result.scale}"),
            ("met" if seconds <= NATIONAL_SECONDS else "not met")
            if national else "applies at scale 1.0",
        ))  # fmt: skip
        factor = _ingest_dbt(full) / floor.seconds if floor and floor.seconds > 0 else None
        if factor is not None:
            rows.append((
                f"ingest + dbt build ≤ {FLOOR_FACTOR}× the floor",
                f"{factor:,.1f}×",
                "met" if factor <= FLOOR_FACTOR else "not met",
            ))  # fmt: skip
        gib = full.measured.peak_rss / 2**30
        rows.append((
            f"peak RSS ≤ {PEAK_RSS_GIB} GiB", f"{gib:.2f} GiB",
            "met" if gib <= PEAK_RSS_GIB else "not met",
        ))  # fmt: skip
    if result.drop is not None and full is not None:
        share = result.drop.measured.seconds / full.measured.seconds
        rows.append((
            f"monthly drop ≤ {DROP_SHARE:.0%} of a full run", f"{share:.0%}",
            "met" if share <= DROP_SHARE else "not met",
        ))  # fmt: skip
    if result.tiny is not None:
        seconds = result.tiny.measured.seconds
        rows.append((
            f"samples end to end ≤ {SAMPLES_SECONDS} s", f"{_s(seconds)} s",
            "met" if seconds <= SAMPLES_SECONDS else "not met",
        ))  # fmt: skip
    return ["| target | measured | |", "|---|---:|---|"] + [
        f"| {a} | {b} | {c} |" for a, b, c in rows
    ]


def render(result: BenchResult) -> str:
    m = result.machine
    out = [
        f"# kto bench, scale {result.scale}: {result.municipalities} municipalities, {result.year}",
        "",
        f"Measured {result.started_at} on `{m['host']}` ({m['cores']} cores, "
        f"{m['memory_gib']} GiB, Python {m['python']}); load average (1, 5, 15 min) "
        f"{m['load_before']} before and {m.get('load_after')} after. "
        f"`kto bench --scale {result.scale} --size {result.size}`, threshold "
        f"{result.min_respondents}, BM method gemeenten. Method: bench/README.md.",
    ]
    if result.note:
        out += ["", f"> {result.note}"]
    land = result.landing
    out += [
        "",
        f"Landing folder: {land['files']} files (UTF-8 CSV and JSON), {land['rows']:,} data "
        f"rows: {land['responses']:,} completed responses and {land['invitations']:,} "
        f"Inviter rows (generated in {land['generate_seconds']} s, not measured below).",
        "",
        "## Side by side",
        "",
        "Seconds of the work itself (the floor's and pandas' computation without their "
        "process start; `kto run`'s phases); *vs floor* divides by the floor's seconds. "
        "Process seconds are wall time from start to exit; CPU seconds (user + system, "
        "whole process tree) depend much less on what else the machine runs.",
        "",
        *_side_by_side(result),
        "",
        "## Targets",
        "",
        *_targets(result),
    ]
    if result.full is not None:
        out += ["", "## `kto run`, full year", "", *_phase_table(result.full, result.floor)]
    if result.drop is not None:
        d = result.drop.detail
        share = result.drop.measured.seconds / result.full.measured.seconds
        out += [
            "",
            "## Monthly drop",
            "",
            f"January {result.year + 1}: {d['files']} new files, {d['responses']:,} completed "
            f"responses and {d['invitations']:,} Inviter rows, dropped into the landing folder "
            f"of the warehouse that holds {result.year}; `kto run` again: "
            f"**{share:.0%} of the full run**.",
            "",
            *_phase_table(result.drop, None),
        ]
        if result.drop_floor is not None:
            out += [
                "",
                f"The floor on the grown folder (year and drop): "
                f"{_s(result.drop_floor.seconds)} s.",
            ]
    if result.tiny is not None:
        out += [
            "",
            "## Tiny case: the samples end to end",
            "",
            "tests/fixtures/samples (a few hundred responses, every reader path) through "
            "`kto run` in a fresh warehouse; it exited "
            f"{result.tiny.measured.returncode}, as the samples' refused files and codes "
            "outside the CBS code list make it.",
            "",
            *_phase_table(result.tiny, None),
        ]
    out += [
        "",
        "## Agreement with the marts",
        "",
        f"Per cell of `kto_cel` (published snapshot), exactly: {', '.join(EXACT)}; "
        f"within {TOLERANCE:g}: {', '.join(CLOSE)}; and the same set of cells.",
        "",
        *[f"- {'✓' if a.agrees else '✗'} {a.summary()}" for a in result.agreements],
        "",
        *(
            [
                "## Ingest of the generator's output",
                "",
                "The full year's folder against what the generator wrote: every file read, "
                "every row accepted, nothing quarantined, rejected or blanked beyond the "
                "faults the generator injects on purpose (none in the bench's plain folder).",
                "",
                f"- {result.ingest.summary()}",
                "",
            ]
            if result.ingest
            else []
        ),
        f"Whole bench: {_s(result.seconds)} s.",
        "",
    ]
    return "\n".join(out)


def ratios(result: BenchResult) -> list[str]:
    """The headline ratios, for the terminal."""
    floor, full = result.floor, result.full
    lines = []
    if floor and full:
        lines.append(
            f"vs the floor ({_s(floor.seconds)} s): ingest + dbt build "
            f"{_ratio(_ingest_dbt(full), floor.seconds)}, kto run "
            f"{_ratio(full.measured.seconds, floor.seconds)}"
            + (f", pandas {_ratio(result.pandas.seconds, floor.seconds)}" if result.pandas else "")
        )
    if result.drop and full:
        share = result.drop.measured.seconds / full.measured.seconds
        lines.append(
            f"monthly drop: {_s(result.drop.measured.seconds)} s, {share:.0%} of a full run"
        )
    if result.tiny:
        lines.append(f"samples end to end: {_s(result.tiny.measured.seconds)} s")
    return lines


def write_report(result: BenchResult, results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", result.machine["host"]) or "host"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    path = results_dir / f"scale-{result.scale:g}-{host}-{stamp}.md"
    path.write_text(render(result), encoding="utf-8")
    return path
