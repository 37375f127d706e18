"""Writing every factsheet of a period to ``{output_dir}/factsheets/{periode}/``.

Per cell with enough response: ``{gemeentecode}_{kanaal}.pdf`` and ``.html``.
Cells below the threshold get no factsheet but a line in ``report.json`` in
the same folder (format in docs/factsheets.md). Every file is written to a
temporary name and renamed, so a killed run leaves either the old or the new
file, never half of one; files of cells that no longer get a factsheet are
removed, so a rerun on the same marts leaves exactly the same folder.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dagster_project.factsheets.marts import Row
from dagster_project.factsheets.render import count_pages, render_html, render_pdf
from dagster_project.factsheets.view import FactsheetView, build_period, today_amsterdam
from dagster_project.settings import Settings

REPORT_NAME = "report.json"
# Below this many factsheets, starting worker processes costs more than it saves
# (a PDF takes about 15 ms; a worker about 0.3 s to start and import Typst).
PARALLEL_MIN_FACTSHEETS = 40


@dataclass(frozen=True)
class FactsheetFile:
    gemeentecode: str
    gemeente: str
    kanaal: str
    pdf: str  # path relative to the period folder
    html: str
    pages: int
    cijfers_getoond: int
    cijfers_niet_getoond: int


@dataclass
class PeriodResult:
    periode: str
    directory: Path
    report: Path
    factsheets: list[FactsheetFile]
    skipped: list[dict[str, Any]]
    removed: list[str]
    seconds: float
    workers: int  # processes that rendered (1: in this process)

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.factsheets)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


def period_directory(output_dir: Path, periode: str) -> Path:
    return Path(output_dir) / "factsheets" / periode


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename over ``path`` (atomic on one filesystem)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def render_to_files(view: FactsheetView, directory: Path) -> FactsheetFile:
    """Render one view to its PDF and HTML in ``directory``."""
    pdf = render_pdf(view)
    html = render_html(view)
    pdf_path = directory / f"{view.stem}.pdf"
    html_path = directory / f"{view.stem}.html"
    write_atomically(pdf_path, pdf)
    write_atomically(html_path, html.encode("utf-8"))
    return FactsheetFile(
        gemeentecode=view.gemeentecode,
        gemeente=view.gemeente,
        kanaal=view.kanaal,
        pdf=pdf_path.name,
        html=html_path.name,
        pages=count_pages(pdf),
        cijfers_getoond=view.cijfers_getoond,
        cijfers_niet_getoond=view.cijfers_niet_getoond,
    )


def _render_chunk(views: list[FactsheetView], directory: str) -> list[FactsheetFile]:
    # Runs in a worker process: one Typst compiler per process, reused for the chunk.
    return [render_to_files(v, Path(directory)) for v in views]


def _render_all(views: list[FactsheetView], directory: Path, workers: int) -> list[FactsheetFile]:
    if workers <= 1 or len(views) < PARALLEL_MIN_FACTSHEETS:
        return [render_to_files(v, directory) for v in views]
    # A few chunks per worker balances uneven factsheets without much pickling.
    size = math.ceil(len(views) / (workers * 4))
    chunks = [views[i : i + size] for i in range(0, len(views), size)]
    # spawn, not fork: the caller (Dagster) may run threads, which fork does not copy safely.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(_render_chunk, chunks, [str(directory)] * len(chunks))
        return [f for chunk in results for f in chunk]


def _skipped_line(cel: Row, threshold: int) -> dict[str, Any]:
    respons = cel.get("respons") or 0
    return {
        "gemeentecode": cel["gemeentecode"],
        "gemeente": cel["gemeente"],
        "kanaal": cel["kanaal"],
        "respons": respons,
        "reden": f"respons {respons} < {threshold}"
        if respons < threshold
        else "respons niet publiceerbaar",
    }


def _remove_stale(directory: Path, keep: set[str]) -> list[str]:
    removed = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".pdf", ".html") and path.name not in keep:
            path.unlink()
            removed.append(path.name)
    return removed


def render_period(
    conn,
    periode: str,
    settings: Settings,
    *,
    output_dir: Path | None = None,
    generated_on: dt.date | None = None,
    workers: int | None = None,
) -> PeriodResult:
    """Render every factsheet of ``periode`` and write its report; see the module doc.

    ``conn`` is a DuckDB connection to the warehouse (read-only is enough); it is only
    read before rendering starts. ``workers`` defaults to the number of CPUs.
    """
    start = time.perf_counter()
    day = generated_on or today_amsterdam()
    views, skipped_cells = build_period(conn, periode, settings, day)
    directory = period_directory(output_dir or settings.output_dir, periode)
    directory.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    files = _render_all(views, directory, workers)
    removed = _remove_stale(directory, {f.pdf for f in files} | {f.html for f in files})
    skipped = [_skipped_line(c, settings.min_respondents) for c in skipped_cells]
    report = directory / REPORT_NAME
    payload = {
        "periode": periode,
        "gegenereerd_op": day.isoformat(),
        "min_respondents": settings.min_respondents,
        "factsheets": [asdict(f) for f in files],
        "overgeslagen": skipped,
    }
    write_atomically(
        report, (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    )
    return PeriodResult(
        periode=periode,
        directory=directory,
        report=report,
        factsheets=files,
        skipped=skipped,
        removed=removed,
        seconds=time.perf_counter() - start,
        workers=workers if workers > 1 and len(views) >= PARALLEL_MIN_FACTSHEETS else 1,
    )
