"""`kto bench --scenario history`: two national years through `kto run`, then December.

In its own folder (never the configured warehouse):

1. the landing folder of bench/history_landing.py: two years in every format at ``scale`` x
   national size, December of the second year written beside it, held back;
2. `kto run` on the two years without December (a child process, its own DAGSTER_HOME), every
   phase timed, the peak RSS of its process tree sampled;
3. December moved into the landing folder and `kto run` again on the warehouse that holds the
   two years;
4. after each run, what ingest made of the folder (every row must be accepted) and the
   version published.

The targets: every row accepted, peak RSS ≤ 2 GiB in each run, the December run ≤ 20% of the
full run. The report (Markdown) goes to ``results_dir``.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.publish import current_version

from .history_landing import HistoryLanding, move_into, write_history
from .ingest_account import IngestAccount, account
from .landing import NATIONAL_SIZE, municipalities_at
from .run import RESULTS_DIR, PipelineRun, _kto_run, _machine, _say, _settings

PEAK_RSS_GIB = 2
DROP_SHARE = 0.20


@dataclass
class HistoryStep:
    """One `kto run` of the scenario and what it left."""

    run: PipelineRun
    account: IngestAccount
    version: str | None  # the current publication after the run


@dataclass
class HistoryResult:
    scale: float
    size: int
    year: int
    municipalities: int
    min_respondents: int
    machine: dict
    note: str = ""
    landing: HistoryLanding | None = None
    generate_seconds: float = 0.0
    generate_peak_rss: int = 0  # bytes, the bench process (it generates the landing folder)
    full: HistoryStep | None = None
    december: HistoryStep | None = None
    started_at: str = ""
    seconds: float = 0.0
    report: Path | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def drop_share(self) -> float | None:
        if self.full is None or self.december is None:
            return None
        return self.december.run.measured.seconds / self.full.run.measured.seconds

    @property
    def targets(self) -> list[tuple[str, str, bool]]:
        """(target, measured, met) of every target the scenario has."""
        out = []
        steps = [s for s in (self.full, self.december) if s is not None]
        accepted = all(s.account.clean for s in steps) and len(steps) == 2
        rows = self.december.account if self.december else self.full.account if self.full else None
        out.append(
            (
                "every row accepted",
                "-"
                if rows is None
                else f"{rows.rows_accepted:,} of {rows.rows_read:,} accepted, "
                f"{rows.rows_quarantined:,} quarantined, {len(rows.rejected)} files rejected",
                accepted,
            )
        )
        for step, name in ((self.full, "two years"), (self.december, "December")):
            if step is not None:
                gib = step.run.measured.peak_rss / 2**30
                out.append((f"peak RSS ≤ {PEAK_RSS_GIB} GiB ({name})", f"{gib:.2f} GiB", gib <= 2))
        share = self.drop_share
        if share is not None:
            out.append(
                (
                    f"December ≤ {DROP_SHARE:.0%} of the full run",
                    f"{share:.0%}",
                    share <= DROP_SHARE,
                )
            )
        return out

    @property
    def ok(self) -> bool:
        """Both runs published and every row was accepted (the exit status of the bench)."""
        return not self.problems and self.targets[0][2]


def _peak_rss_self() -> int:
    """The bench process's own peak RSS so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_history_bench(
    *,
    scale: float = 0.05,
    size: int | None = None,
    year: int = 2020,
    workdir: Path,
    results_dir: Path | None = None,
    min_respondents: int = 10,
    note: str = "",
) -> HistoryResult:
    """Run the history scenario in ``workdir`` (emptied first); the report goes to
    ``results_dir``."""
    from dagster_project.transform.commands import prepare_manifest

    from .history_report import write_report

    size = size or NATIONAL_SIZE
    began = time.perf_counter()
    root = Path(workdir).resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    count = municipalities_at(scale)
    result = HistoryResult(
        scale=scale,
        size=size,
        year=year,
        municipalities=count,
        min_respondents=min_respondents,
        machine=_machine(),
        note=note,
        started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    _say(
        f"kto bench --scenario history: scale {scale} ({count} municipalities), "
        f"{year - 1} and {year} to November, then December {year}, in {root}"
    )
    prepare_manifest()

    landing_dir = root / "landing"
    generated = time.perf_counter()
    landing = write_history(landing_dir, root / "december", count, size, year)
    result.landing = landing
    result.generate_seconds = time.perf_counter() - generated
    result.generate_peak_rss = _peak_rss_self()
    for name, part in (("two years", landing.history), ("December", landing.december)):
        _say(
            f"landing ({name}): {len(part.files)} files, {part.rows:,} rows "
            f"({part.responses:,} responses, {part.invitations:,} invitations)"
        )
    _say(
        f"generated in {result.generate_seconds:.1f} s, peak RSS of the generator "
        f"{result.generate_peak_rss / 2**20:,.0f} MiB"
    )

    settings = _settings(root, landing_dir, min_respondents)
    home = root / "dagster_home"
    result.full = _step("two years", settings, home, landing.history.files, landing.history.rows)
    before = result.full.version
    if not result.full.run.measured.ok:
        result.problems.append(
            f"the run on the two years exited {result.full.run.measured.returncode}"
        )
    if result.full.version is None:
        result.problems.append("the run on the two years published nothing")

    move_into(landing.december, landing_dir)
    files = {**landing.history.files, **landing.december.files}
    result.december = _step("December", settings, home, files, sum(files.values()))
    if not result.december.run.measured.ok:
        result.problems.append(f"the December run exited {result.december.run.measured.returncode}")
    if result.december.version in (None, before):
        result.problems.append("the December run published no new version")

    result.machine["load_after"] = [round(x, 1) for x in os.getloadavg()]
    result.seconds = time.perf_counter() - began
    for target, measured, met in result.targets:
        _say(f"{'met' if met else 'NOT MET':>8}  {target}: {measured}")
    for problem in result.problems:
        _say(f"problem: {problem}")
    result.report = write_report(result, Path(results_dir or RESULTS_DIR))
    _say(f"report: {result.report}")
    return result


def _failure(output: str) -> list[str]:
    """What a failed `kto run` says about its failure: its warnings (a Gemeentecode outside
    the CBS code list, files it could not use) and the lines after ``refresh:``."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("refresh: ")), None)
    if start is None:
        return lines[-5:]
    warnings = [
        line
        for line in lines[:start]
        if line.startswith(("warning:", "one2ten/", "openforms/", "inviter/"))
    ]
    block = [*warnings[:6], lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  ") or line.startswith("  publish:"):
            break
        block.append(line)
    return block[:12]


def _step(name: str, settings, home: Path, files: dict[str, int], rows: int) -> HistoryStep:
    run = _kto_run(name, settings, home, expect=None)
    if not run.measured.ok:
        run.detail["failure"] = _failure(run.measured.output)
        _say(f"kto run ({name}) exited {run.measured.returncode}:")
        for line in run.detail["failure"]:
            _say(f"  {line}")
    ingest = account(settings.warehouse, len(files), rows, faults_injected=0)
    _say(ingest.summary())
    version = current_version(settings.output_dir)
    return HistoryStep(run, ingest, None if version is None else version.name)
