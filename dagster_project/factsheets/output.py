"""Writing every factsheet of a period to ``{output_dir}/factsheets/{periode}/``.

Per cell with enough response: ``{gemeentecode}_{kanaal}.pdf`` and ``.html``.
Cells below the threshold get no factsheet but a line in ``report.json`` in
the same folder (format in docs/factsheets.md). Every file is written to a
temporary name and renamed, so a killed run leaves either the old or the new
file, never half of one; files of cells that no longer get a factsheet are
removed. A factsheet whose content (view without its date, and the templates)
is unchanged since the report of the previous run is not rendered again, so a
rerun on the same marts leaves exactly the same folder and a new month only
costs the factsheets it changes.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.factsheets.marts import Row
from dagster_project.factsheets.render import (
    count_pages,
    render_html,
    render_pdf,
    template_fingerprint,
)
from dagster_project.factsheets.view import FactsheetView, build_period, today_amsterdam
from dagster_project.settings import Settings

REPORT_NAME = "report.json"
# Below this many factsheets, starting worker processes costs more than it saves
# (a PDF takes about 15 ms; a worker about 0.3 s to start and import Typst).
PARALLEL_MIN_FACTSHEETS = 40


@dataclass(frozen=True)
class FactsheetFile:
    """One line of ``report.json``'s ``factsheets``."""

    gemeentecode: str
    gemeente: str
    kanaal: str
    pdf: str  # file name in the period folder
    html: str
    pages: int
    # what its sections fill (FactsheetView.pages_expected): more means page 1 overflowed
    pages_expected: int
    cijfers_getoond: int
    cijfers_niet_getoond: int
    gegenereerd_op: str  # ISO date the files were rendered
    inhoud: str  # content fingerprint: unchanged fingerprint, no new rendering


@dataclass
class PeriodResult:
    periode: str
    directory: Path
    report: Path
    factsheets: list[FactsheetFile]
    skipped: list[dict[str, Any]]  # the report's ``overgeslagen``
    removed: list[str]  # files of cells that no longer get a factsheet
    rendered: int  # factsheets rendered in this run (the others were unchanged)
    withheld: list[dict[str, Any]] = field(default_factory=list)  # the report's ``achtergehouden``

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.factsheets)


@dataclass
class RenderResult:
    periods: list[PeriodResult]
    seconds: float  # wall time of rendering and writing (not of reading the marts)
    workers: int  # processes that rendered (1: this process)
    rendered_pages: int

    @property
    def rendered(self) -> int:
        return sum(p.rendered for p in self.periods)

    @property
    def pages_per_second(self) -> float:
        return self.rendered_pages / self.seconds if self.seconds > 0 else 0.0


def period_directory(output_dir: Path, periode: str) -> Path:
    return Path(output_dir) / "factsheets" / periode


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write to a temporary sibling, then rename over ``path`` (atomic on one filesystem).

    ``durable``: fsync the data before the rename, so a power cut leaves the old file or
    the new one. ``durable=False`` leaves that to a later ``flush_filesystem`` (factsheets:
    one flush per batch instead of an fsync per file, see ``write_periods``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def flush_filesystem(folder: Path) -> None:
    """Make everything written so far on ``folder``'s filesystem durable: file data and
    renames. One syncfs(2) (Linux) costs about what one fsync does, where a batch of
    factsheets would cost two fsyncs per factsheet; elsewhere sync(2), the whole machine."""
    libc = _libc()
    if libc is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs  # noqa: B018 (missing in very old C libraries)
    except (OSError, AttributeError):
        return None
    return libc


def fingerprint(view: FactsheetView) -> str:
    """Hash of what a factsheet shows, apart from its generation date, and of the templates."""
    content = view.to_dict()
    content.pop("gegenereerd_op")
    content.pop("gegenereerd_iso")
    digest = hashlib.sha256(template_fingerprint().encode())
    digest.update(json.dumps(content, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def render_to_files(view: FactsheetView, directory: Path, inhoud: str = "") -> FactsheetFile:
    """Render one view to its PDF and HTML in ``directory``."""
    pdf = render_pdf(view)
    html = render_html(view)
    pdf_path = directory / f"{view.stem}.pdf"
    html_path = directory / f"{view.stem}.html"
    # not durable yet: write_periods flushes the batch before any report names these files
    write_atomically(pdf_path, pdf, durable=False)
    write_atomically(html_path, html.encode("utf-8"), durable=False)
    return FactsheetFile(
        gemeentecode=view.gemeentecode,
        gemeente=view.gemeente,
        kanaal=view.kanaal,
        pdf=pdf_path.name,
        html=html_path.name,
        pages=count_pages(pdf),
        pages_expected=view.pages_expected,
        cijfers_getoond=view.cijfers_getoond,
        cijfers_niet_getoond=view.cijfers_niet_getoond,
        gegenereerd_op=view.gegenereerd_iso,
        inhoud=inhoud or fingerprint(view),
    )


Job = tuple[str, FactsheetView, str]  # (period folder, view, fingerprint)
# periode -> (gemeentecode, kanaal) -> the rules that withhold that cell's factsheet
Withheld = Mapping[str, Mapping[tuple[str, str], list[str]]]


def _render_chunk(jobs: list[Job]) -> list[FactsheetFile]:
    # Runs in a worker process: one Typst compiler per process, reused for the chunk.
    return [render_to_files(view, Path(directory), inhoud) for directory, view, inhoud in jobs]


def _render_all(jobs: list[Job], workers: int) -> tuple[list[FactsheetFile], int]:
    if workers <= 1 or len(jobs) < PARALLEL_MIN_FACTSHEETS:
        return _render_chunk(jobs), 1
    # A few chunks per worker balances uneven factsheets without much pickling.
    size = math.ceil(len(jobs) / (workers * 4))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    # spawn, not fork: the caller (Dagster) may run threads, which fork does not copy safely.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [f for chunk in pool.map(_render_chunk, chunks) for f in chunk], workers


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


def _previous(directory: Path) -> dict[str, FactsheetFile]:
    """The factsheets of the last report whose files are still there, by file name."""
    try:
        report = json.loads((directory / REPORT_NAME).read_text(encoding="utf-8"))
        files = [FactsheetFile(**entry) for entry in report["factsheets"]]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        f.pdf: f for f in files if (directory / f.pdf).is_file() and (directory / f.html).is_file()
    }


def _remove_stale(directory: Path, keep: set[str]) -> list[str]:
    removed = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".pdf", ".html") and path.name not in keep:
            path.unlink()
            removed.append(path.name)
    return removed


def write_periods(
    built: list[tuple[str, list[FactsheetView], list[Row]]],
    settings: Settings,
    *,
    output_dir: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    withheld: Withheld | None = None,
) -> RenderResult:
    """Render and write the factsheets of several periods, in one process pool.

    ``built`` holds, per period, what ``build_period`` returns: the views of the cells
    that get a factsheet and the kto_cel rows of those that do not. ``force`` renders
    unchanged factsheets too. ``withheld`` names the cells a failing quality rule holds
    back (quality/gate.py): they are not rendered, their files of an earlier run are left
    as they are, and report.json lists them under ``achtergehouden`` with their rules.
    """
    withheld = withheld or {}
    root = output_dir or settings.output_dir
    workers = workers or os.cpu_count() or 1
    kept: dict[str, list[FactsheetFile]] = {}
    held_back: dict[str, list[dict[str, Any]]] = {}
    jobs: list[Job] = []
    for periode, views, _ in built:
        directory = period_directory(root, periode)
        directory.mkdir(parents=True, exist_ok=True)
        previous = {} if force else _previous(directory)
        kept[periode] = []
        held_back[periode] = []
        for view in views:
            rules = withheld.get(periode, {}).get((view.gemeentecode, view.kanaal))
            if rules:
                held_back[periode].append(
                    {
                        "gemeentecode": view.gemeentecode,
                        "gemeente": view.gemeente,
                        "kanaal": view.kanaal,
                        "regels": sorted(set(rules)),
                    }
                )
                continue
            inhoud = fingerprint(view)
            old = previous.get(f"{view.stem}.pdf")
            if old is not None and old.inhoud == inhoud:
                kept[periode].append(old)
            else:
                jobs.append((str(directory), view, inhoud))
    start = time.perf_counter()
    files, used = _render_all(jobs, workers)
    # Crash safety without an fsync per file: the factsheets were written to temporary
    # names and renamed, not yet durably. A report.json below is written durably and lists
    # each factsheet's fingerprint, by which the next run keeps a file as it is; so every
    # rendered file (its data and its rename) must be on disk before any report is. One
    # flush of the filesystem here orders that. A power cut before it leaves the old
    # reports, whose fingerprints differ from these factsheets', so the next run renders
    # them again (the files themselves can be old, new or empty until then).
    if jobs:
        flush_filesystem(root)
    rendered_by_folder: dict[str, list[FactsheetFile]] = {}
    for (directory, _, _), f in zip(jobs, files, strict=True):
        rendered_by_folder.setdefault(directory, []).append(f)
    periods = []
    for periode, period_views, skipped_cells in built:
        directory = period_directory(root, periode)
        rendered = rendered_by_folder.get(str(directory), [])
        factsheets = sorted(kept[periode] + rendered, key=lambda f: (f.gemeentecode, f.kanaal))
        keep = {n for f in factsheets for n in (f.pdf, f.html)}
        keep |= {f"{w['gemeentecode']}_{w['kanaal']}{ext}" for w in held_back[periode]
                 for ext in (".pdf", ".html")}  # fmt: skip
        removed = _remove_stale(directory, keep)
        # the threshold the marts were built with, not the setting at render time
        drempel = next((int(c["drempel"]) for c in skipped_cells), None)
        drempel = next((v.drempel for v in period_views), drempel)
        skipped = [_skipped_line(c, int(c["drempel"])) for c in skipped_cells]
        report = directory / REPORT_NAME
        payload = {
            "periode": periode,
            "min_respondents": settings.min_respondents if drempel is None else drempel,
            "factsheets": [asdict(f) for f in factsheets],
            "overgeslagen": skipped,
            "achtergehouden": held_back[periode],
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        write_atomically(report, text.encode("utf-8"))
        periods.append(
            PeriodResult(
                periode,
                directory,
                report,
                factsheets,
                skipped,
                removed,
                len(rendered),
                held_back[periode],
            )
        )
    return RenderResult(
        periods=periods,
        seconds=time.perf_counter() - start,
        workers=used,
        rendered_pages=sum(f.pages for f in files),
    )


def render_periods(
    conn,
    periodes: list[str],
    settings: Settings,
    *,
    output_dir: Path | None = None,
    generated_on: dt.date | None = None,
    workers: int | None = None,
    force: bool = False,
) -> RenderResult:
    """Build the views of ``periodes`` from the marts, then render and write them.

    ``conn`` is a DuckDB connection to the warehouse (read-only is enough); it is read
    before rendering starts. ``workers`` defaults to the number of CPUs.
    """
    day = generated_on or today_amsterdam()
    built = [(p, *build_period(conn, p, settings, day)) for p in periodes]
    return write_periods(built, settings, output_dir=output_dir, workers=workers, force=force)


def render_period(conn, periode: str, settings: Settings, **options: Any) -> PeriodResult:
    """``render_periods`` for one period; same options."""
    return render_periods(conn, [periode], settings, **options).periods[0]
