"""The history scenario's Markdown report: bench/results/history-<scale>-<host>-<date>.md."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from .history import HistoryResult, HistoryStep
from .report import _phase_table


def _files(files: dict[str, int]) -> list[str]:
    return [f"| `{path}` | {rows:,} |" for path, rows in sorted(files.items())]


def _step(title: str, step: HistoryStep) -> list[str]:
    a = step.account
    return [
        "",
        f"## {title}",
        "",
        f"Current version after the run: `{step.version}`. Ingest (the warehouse after the run): "
        f"{a.files_read} of {a.files_expected} files read, {a.rows_read:,} of "
        f"{a.rows_expected:,} rows, {a.rows_accepted:,} accepted, {a.rows_quarantined:,} "
        f"quarantined, {len(a.rejected)} files rejected, "
        f"{sum(a.answer_issues.values()):,} answers blanked.",
        "",
        *_phase_table(step.run, None),
    ] + (
        ["", f"`kto run` exited {step.run.measured.returncode}:", "", "```", *failure, "```"]
        if (failure := step.run.detail.get("failure"))
        else []
    )


def render(result: HistoryResult) -> str:
    m, land = result.machine, result.landing
    first, second = land.years
    out = [
        f"# kto bench, history scenario, scale {result.scale}: {result.municipalities} "
        f"municipalities, {first} and {second}",
        "",
        f"Measured {result.started_at} on `{m['host']}` ({m['cores']} cores, "
        f"{m['memory_gib']} GiB, Python {m['python']}); load average (1, 5, 15 min) "
        f"{m['load_before']} before and {m.get('load_after')} after. "
        f"`kto bench --scenario history --scale {result.scale} --size {result.size}`, "
        f'threshold {result.min_respondents}. Method: bench/README.md, "History scenario".',
    ]
    if result.note:
        out += ["", f"> {result.note}"]
    h, d = land.history, land.december
    out += [
        "",
        f"Landing folder: {first} and {second} without December, {len(h.files)} files, "
        f"{h.rows:,} data rows ({h.responses:,} completed responses, {h.invitations:,} "
        f"Inviter rows); December {second}: {len(d.files)} files, {d.rows:,} rows "
        f"({d.responses:,} completed responses, {d.invitations:,} Inviter rows). Generated "
        f"in {result.generate_seconds:,.1f} s with a peak RSS of "
        f"{result.generate_peak_rss / 2**20:,.0f} MiB (the bench process; not measured below).",
        "",
        "| file | data rows |",
        "|---|---:|",
        *_files(h.files),
        *_files(d.files),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---:|---|",
        *(f"| {t} | {v} | {'met' if ok else 'not met'} |" for t, v, ok in result.targets),
    ]
    if result.problems:
        out += ["", *(f"- problem: {p}" for p in result.problems)]
    if result.full is not None:
        out += _step(f"`kto run`, {first} and {second} to November", result.full)
    if result.december is not None:
        out += _step(
            f"`kto run` after December {second} was dropped: "
            f"**{result.drop_share:.0%} of the full run**",
            result.december,
        )
    return "\n".join(out) + "\n"


def write_report(result: HistoryResult, results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9-]", "-", result.machine["host"] or "host")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    scale = f"{result.scale:g}"
    path = results_dir / f"history-{scale}-{host}-{stamp}.md"
    path.write_text(render(result), encoding="utf-8")
    return path
