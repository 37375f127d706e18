"""`kto bench`: the pipeline's phases timed on generated data at (a fraction of) national scale.

National scale is about 342 municipalities and a million responses a year. The
bench writes a landing folder of that shape with the demo generator, then
times each phase through the same domain code the assets call: ingest (and an
incremental re-ingest with one new month), dbt build, the quality suites, the
factsheets of every period, and publishing. It runs in its own folder and never
touches the configured warehouse. Results go to ``bench.json`` beside the data.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NATIONAL_MUNICIPALITIES = 342
# Responses per municipality, channel and year that make about a million a year nationally
# (the generator runs balie everywhere, telefoon and digitaal at most municipalities).
NATIONAL_SIZE = 1150


@dataclass
class Phase:
    name: str
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


def _timed(phases: list[Phase], name: str, action: Callable[[], dict[str, Any]]) -> None:
    started = time.perf_counter()
    detail = action()
    phases.append(Phase(name, time.perf_counter() - started, detail))
    shown = ", ".join(f"{k} {v}" for k, v in detail.items())
    print(f"{name:<24} {phases[-1].seconds:8.1f} s   {shown}", flush=True)


def run_bench(
    settings, *, scale: float = 0.1, workdir: Path | None = None, year: int = 2020
) -> int:
    from .dbt_commands import prepare_manifest, run_dbt
    from .demo import random_dataset, write_landing
    from .factsheets.marts import list_periodes, read_only
    from .factsheets.output import render_periods
    from .ingest import load_landing
    from .publish import publish_marts
    from .quality.report import check_warehouse
    from .settings import Settings

    root = Path(workdir or settings.output_dir.parent / "bench").resolve()
    shutil.rmtree(root, ignore_errors=True)
    bench = Settings(
        landing_dir=root / "landing",
        warehouse=root / "warehouse.duckdb",
        output_dir=root / "output",
        min_respondents=settings.min_respondents,
        benchmark_method=settings.benchmark_method,
    )
    municipalities = max(3, round(NATIONAL_MUNICIPALITIES * scale))
    print(f"kto bench: {municipalities} municipalities, {year}, in {root}", flush=True)
    phases: list[Phase] = []
    counts: dict[str, int] = {}

    def generate() -> dict[str, Any]:
        data = random_dataset("bench", municipalities, years=(year,), size=NATIONAL_SIZE)
        manifest = write_landing(bench.landing_dir, data, seed="bench")
        counts["rows"] = sum(f.rows for f in manifest.files)
        return {"files": len(manifest.files), "rows": counts["rows"]}

    def ingest() -> dict[str, Any]:
        report = load_landing(bench.landing_dir, bench.warehouse)
        totals = report.totals()
        counts["accepted"] = totals["rows_accepted"]
        return {"rows_accepted": totals["rows_accepted"], "files": totals["files_ingested"]}

    def reingest() -> dict[str, Any]:
        report = load_landing(bench.landing_dir, bench.warehouse)
        return {"files_read_again": len(report.of("ingested"))}

    def new_month() -> dict[str, Any]:
        month = bench.landing_dir / "inviter" / "bench_new_month.csv"
        month.write_text(
            "Gemeentecode;Kanaal;Verzonden op;E-mailadres;Status\n"
            + "".join(
                f"GM0637;Balie;{d:02d}-01-{year + 1} 09:00;n{d}@example.org;Verzonden\n"
                for d in range(1, 29)
            ),
            encoding="utf-8",
        )
        report = load_landing(bench.landing_dir, bench.warehouse)
        return {"files_read": len(report.of("ingested"))}

    def dbt_build() -> dict[str, Any]:
        prepare_manifest(bench)
        run = run_dbt(["build"], bench)
        if not run.ok:
            raise RuntimeError(f"dbt build failed:\n{run.output[-4000:]}")
        return {"models_and_tests": len(run.results())}

    def quality() -> dict[str, Any]:
        report = check_warehouse(bench)
        if not report.success:
            raise RuntimeError(report.text())
        return {"rules_hold": True}

    def factsheets() -> dict[str, Any]:
        with read_only(bench.warehouse) as con:
            periods = list_periodes(con)
            result = render_periods(con, periods, bench)
        counts["factsheets"] = result.rendered
        return {
            "factsheets": result.rendered,
            "pages": result.rendered_pages,
            "pages_per_second": round(result.pages_per_second, 1),
            "workers": result.workers,
        }

    def publish() -> dict[str, Any]:
        published = publish_marts(bench.warehouse, bench.output_dir)
        return {"rows": sum(published.rows.values())}

    _timed(phases, "generate landing data", generate)
    _timed(phases, "ingest", ingest)
    _timed(phases, "re-ingest (no change)", reingest)
    _timed(phases, "ingest one new file", new_month)
    _timed(phases, "dbt build", dbt_build)
    _timed(phases, "quality suites", quality)
    _timed(phases, "factsheets", factsheets)
    _timed(phases, "publish", publish)

    ingest_phase = next(p for p in phases if p.name == "ingest")
    summary = {
        "scale": scale,
        "municipalities": municipalities,
        "year": year,
        "rows_in_landing": counts["rows"],
        "ingest_rows_per_second": round(counts["accepted"] / ingest_phase.seconds),
        "pipeline_seconds": round(
            sum(
                p.seconds
                for p in phases[1:]
                if "ingest " not in p.name and "re-ingest" not in p.name
            ),
            1,
        ),
        "phases": [{"name": p.name, "seconds": round(p.seconds, 2), **p.detail} for p in phases],
    }
    (root / "bench.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"ingest {summary['ingest_rows_per_second']} rows/s; pipeline (ingest, dbt, checks, "
        f"factsheets, publish) {summary['pipeline_seconds']} s; report {root / 'bench.json'}"
    )
    return 0
