"""CPU cost of a factsheet, per phase, in one process (issue 10).

    .venv/bin/python tools/factsheet_timing.py [--warehouse W] [--periode 2020 ...] [-n N]
        [--template VARIANT.typ ...] [--repeat R]

Builds the views of the given periods from a warehouse (default KTO_WAREHOUSE, e.g. the
one `make demo` leaves in data/warehouse.duckdb), then renders up to N of them in this
process and prints CPU milliseconds (user + system, `time.process_time`) per factsheet
for each phase: the view as a dict and as JSON, Typst's compile, the HTML, writing both
files (into a temporary folder, through output.write_atomically) and the whole of
output.render_to_files. Pages per second per core = pages / CPU seconds of the whole.

``--template`` compiles the same views with other .typ files (variants of
factsheet.typ with parts removed, each defining ``factsheet(d)``) to time parts of the
layout apart; Typst's root is factsheet.typ's folder, so put them in
dagster_project/factsheets/templates/ (and remove them after).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import typst

from dagster_project.factsheets import output, read_only, render
from dagster_project.factsheets.view import build_period
from dagster_project.settings import Settings

DAY = dt.date(2026, 11, 29)


def _cpu_ms(fn, items, repeat: int = 1) -> tuple[float, list]:
    """CPU ms per item of ``fn`` over ``items`` (best of ``repeat`` rounds) and its results."""
    best = float("inf")
    results: list = []
    for _ in range(repeat):
        start = time.process_time()
        results = [fn(item) for item in items]
        best = min(best, (time.process_time() - start) * 1000 / max(1, len(items)))
    return best, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--periode", action="append", default=None)
    parser.add_argument("-n", type=int, default=200, help="factsheets rendered (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per phase, best kept")
    parser.add_argument("--template", action="append", default=[], type=Path)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    warehouse = args.warehouse or settings.warehouse
    periodes = args.periode or ["2020"]
    with read_only(warehouse) as con:
        views = [v for p in periodes for v in build_period(con, p, settings, DAY)[0]]
    views = views[: args.n]
    print(f"{len(views)} factsheets of {', '.join(periodes)} from {warehouse}")
    print(f"load average {os.getloadavg()[0]:.2f}")

    render.render_pdf(views[0])  # warm: fonts and the template
    render.render_html(views[0])
    rows: list[tuple[str, float]] = []
    rows.append(("view to_dict", _cpu_ms(lambda v: v.to_dict(), views, args.repeat)[0]))
    rows.append(("view to_json", _cpu_ms(lambda v: v.to_json(), views, args.repeat)[0]))
    pdf_ms, pdfs = _cpu_ms(render.render_pdf, views, args.repeat)
    rows.append(("render_pdf (typst)", pdf_ms))
    html_ms, htmls = _cpu_ms(render.render_html, views, args.repeat)
    rows.append(("render_html (jinja2)", html_ms))
    rows.append(("fingerprint", _cpu_ms(output.fingerprint, views, args.repeat)[0]))
    pages = sum(render.count_pages(p) for p in pdfs)
    with tempfile.TemporaryDirectory(dir=settings.output_dir.parent) as tmp:
        folder = Path(tmp)

        # as write_periods writes: not durable one by one, one flush of the batch after
        def write(i: int) -> None:
            output.write_atomically(folder / f"{i}.pdf", pdfs[i], durable=False)
            output.write_atomically(folder / f"{i}.html", htmls[i].encode("utf-8"), durable=False)
            if i == len(views) - 1:
                output.flush_filesystem(folder)

        wall = time.perf_counter()
        write_ms = _cpu_ms(write, range(len(views)))[0]
        write_wall = (time.perf_counter() - wall) * 1000 / len(views)
        rows.append(("write pdf + html", write_ms))

        def render_one(i: int) -> None:
            output.render_to_files(views[i], folder)
            if i == len(views) - 1:
                output.flush_filesystem(folder)

        wall = time.perf_counter()
        total_ms, _ = _cpu_ms(render_one, range(len(views)))
        total_wall = (time.perf_counter() - wall) * 1000 / len(views)
    rows.append(("render_to_files (all)", total_ms))
    for name, ms in rows:
        print(f"  {name:24s} {ms:8.2f} ms CPU / factsheet")
    print(f"  write wall {write_wall:.2f} ms, render_to_files wall {total_wall:.2f} ms / factsheet")
    per_sheet = pages / len(views)
    rate = per_sheet * 1000 / total_ms
    print(f"  {per_sheet:.2f} pages per factsheet; {rate:.1f} pages/s per core")

    for variant in args.template:
        compiler = typst.Compiler(root=str(render.TEMPLATES))

        def compile_variant(v, compiler=compiler, name=variant.name):
            main = render._main_source(v).replace(b"factsheet.typ", name.encode())
            return compiler.compile(input=main, format="pdf")

        compile_variant(views[0])
        ms = _cpu_ms(compile_variant, views, args.repeat)[0]
        print(f"  variant {variant.name:30s} {ms:8.2f} ms CPU / PDF")
    return 0


if __name__ == "__main__":
    sys.exit(main())
