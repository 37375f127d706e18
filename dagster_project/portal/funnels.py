"""Funnel plots for the portal: one static SVG per period x channel x figure.

Drawn with Vega-Lite through ``vl-convert-python`` (pinned in pyproject.toml): the plot is a
declarative spec (points, the BM line, the 95% and 99.8% limits of
``analysis.signals.funnel_of``, the names of the points furthest outside the 99.8% limits), and
vl-convert renders it to SVG in process, without a browser or a network. Chosen over
matplotlib because its SVG keeps text as ``<text>`` (searchable, read by screen readers,
checked by the tests), is the same bytes for the same spec, and needs one wheel without
further dependencies or a font cache.

The SVG is drawn at phone width (``WIDTH``: 390 px less the page's margins) and scales with
the page up to desktop width (its ``viewBox``). Its text alternative (``text_alternative``)
says what the plot shows in words; it is the ``<img>``'s ``alt``, the figure's caption, and
the SVG's ``<title>`` and ``aria-label``.

Rendering costs 50 to 150 ms a plot on the demo, so (docs/factsheets.md, "Portal", has the
numbers):

- a plot is rendered only when its spec changed: the file starts with the hash of the spec,
  of ``render`` and of vl-convert's version, and a file with the same hash is kept;
- the plots that changed are rendered in a process pool (a worker per CPU, each importing
  vl-convert once), in the order of the funnels, so the output does not depend on which
  worker finishes first;
- the spec is lean: each data set inlined once (the labels filter the points), no legend
  (once on the page), no tooltip and no ARIA description per mark (the SVG has one for the
  whole plot).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from dagster_project.analysis import funnel
from dagster_project.analysis.signals import LEVEL, Funnel
from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch
from dagster_project.factsheets.output import flush_filesystem, write_atomically

FOLDER = "trechters"  # factsheets/{periode}/trechters/{kanaal}-{figuur}.svg
WIDTH, HEIGHT = 290, 210  # the plot area; with axes and title the SVG is about 350 px wide
OUTSIDE, OUTSIDE_95, INSIDE = "buiten 99,8%", "buiten 95%", "binnen"
COLOURS = {OUTSIDE: "#c0392b", OUTSIDE_95: "#e67e22", INSIDE: "#5d6d7e"}
FLAG_95, FLAG_99_8 = (f"funnel_{funnel.suffix(level)}" for level in (0.95, LEVEL))
POINTS, LIMITS = "punten", "grenzen"  # the spec's data sets
# Names drawn in a plot: the points furthest outside the 99.8% limits (the text alternative,
# the page and signalen.csv list them all). More names do not fit beside each other, and
# each costs Vega a text measurement: on the national bench a plot named 300 and took 1.5 s.
NAMED_MAX = 8
PARALLEL_MIN_PLOTS = 16  # fewer are rendered here: a worker's start costs about a second
_HEADER = re.compile(r"^<!-- spec ([0-9a-f]{64}) (\d+)x(\d+) -->\n")
_SIZE = re.compile(r'<svg[^>]* width="([0-9.]+)" height="([0-9.]+)"')


@dataclass(frozen=True)
class FunnelFile:
    """A funnel plot as the portal links it."""

    kanaal: str
    figuur_type: str
    figuur: str
    path: str  # relative to the factsheets folder
    titel: str
    tekst: str  # the text alternative
    buiten: tuple[str, ...]  # gemeenten outside the 99.8% limits
    breedte: int = 0  # the SVG's size in px, for the page's layout before it loads
    hoogte: int = 0


def slug(text: str) -> str:
    """A file name part: lower case, runs of anything but a-z and 0-9 as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figuur"


def file_name(f: Funnel) -> str:
    return f"{f.kanaal}-{slug(f.figuur)}.svg"


def printed(f: Funnel, value) -> str:
    """A value as the factsheet prints it: a grade with one decimal, CES whole, a
    percentage with %."""
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    text = dutch.fixed(value, f.decimalen)
    return f"{text}%" if f.figuur_type == "stelling" else text


def title(f: Funnel) -> str:
    p = Periode.parse(f.periode)
    return f"{f.figuur}, {f.kanaal}, {dutch.quarter_label(p.jaar, p.kwartaal)}"


def _flag(row) -> str:
    if row[FLAG_99_8] in (funnel.ABOVE, funnel.BELOW):
        return OUTSIDE
    if row[FLAG_95] in (funnel.ABOVE, funnel.BELOW):
        return OUTSIDE_95
    return INSIDE


def text_alternative(f: Funnel) -> str:
    """What the plot says in words: the BM, how many municipalities and their n, and who
    lies outside the 99.8% limits (and how many outside the 95% limits)."""
    pts = f.records
    n = [int(r["n"]) for r in pts]
    flags = [_flag(r) for r in pts]
    outside = [
        f"{r['gemeente']} ({printed(f, r['waarde'])}, n = {int(r['n'])}, "
        f"{'hoger' if r[FLAG_99_8] == funnel.ABOVE else 'lager'})"
        for r, flag in zip(pts, flags, strict=True)
        if flag == OUTSIDE
    ]
    only_95 = sum(flag == OUTSIDE_95 for flag in flags)
    gemeenten = "gemeente" if len(pts) == 1 else "gemeenten"
    parts = [
        f"Trechter van {title(f)}: {len(pts)} {gemeenten} met n van {min(n)} tot {max(n)}, "
        f"uitgezet tegen de benchmark (BM) {printed(f, f.bm)} met de 95%- en 99,8%-grenzen.",
        (
            "Buiten de 99,8%-grenzen: " + "; ".join(outside) + "."
            if outside
            else "Geen gemeente buiten de 99,8%-grenzen."
        ),
        f"Alleen buiten de 95%-grenzen: {only_95}.",
    ]
    return " ".join(parts)


def excess(f: Funnel, record: dict) -> float:
    """How far a point lies beyond its 99.8% limit, in multiples of the limit's distance from
    the target: comparable across n, where the raw distance is not."""
    s = funnel.suffix(LEVEL)
    value, low, high = (float(record[k]) for k in ("waarde_exact", f"lower_{s}", f"upper_{s}"))
    if value > high:
        beyond = (value - high) / ((high - f.target) or 1.0)
    else:
        beyond = (low - value) / ((f.target - low) or 1.0)
    return beyond if math.isfinite(beyond) else 0.0


def furthest_outside(f: Funnel) -> list[dict]:
    """The points outside the 99.8% limits that the plot names: the ``NAMED_MAX`` furthest
    beyond them (``excess``), ties by name."""
    ranked = sorted(f.outside, key=lambda r: (-excess(f, r), str(r["gemeente"])))
    return ranked[:NAMED_MAX]


def spec(f: Funnel, description: str | None = None) -> dict:
    """The Vega-Lite spec of one funnel plot; ``description`` is its text alternative
    (worked out here when not given)."""
    lines = []
    for level, name in ((0.95, "95%"), (LEVEL, "99,8%")):
        s = funnel.suffix(level)
        for side in ("lower", "upper"):
            lijn = f"{name} {side}"
            for n, value in zip(
                f.lines["n"].tolist(), f.lines[f"{side}_{s}"].tolist(), strict=True
            ):
                if math.isfinite(value):
                    lines.append({"n": int(n), "y": round(value, 4), "grens": name, "lijn": lijn})
    counts = [int(r["n"]) for r in f.records]
    log_lo, log_hi = math.log(min(counts)), math.log(max(counts))
    span = (log_hi - log_lo) or 1.0
    named = {id(r) for r in furthest_outside(f)}
    points = []
    for r, n in zip(f.records, counts, strict=True):
        stand = _flag(r)
        point = {"n": n, "y": round(float(r["waarde_exact"]), 4), "stand": stand}
        if id(r) in named:  # only the named points carry a name and a side
            point["naam"] = str(r["gemeente"])
            # a name right of its point, or left of it near the right edge
            point["kant"] = "links" if (math.log(n) - log_lo) / span > 0.7 else "rechts"
        points.append(point)
    ys = [p["y"] for p in points] + [v["y"] for v in lines] + [f.target]
    pad = (max(ys) - min(ys)) * 0.05 or 0.5
    x = {
        "field": "n",
        "type": "quantitative",
        "title": "n (antwoorden)",
        "scale": {"type": "log", "nice": False},
        "axis": {"tickCount": 4, "format": "~s", "labelFlush": True},
    }
    y = {
        "field": "y",
        "type": "quantitative",
        "title": f"{f.figuur} ({'%' if f.figuur_type == 'stelling' else 'score'})",
        "scale": {"domain": [round(min(ys) - pad, 3), round(max(ys) + pad, 3)], "zero": False},
        "axis": {"tickCount": 5},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": text_alternative(f) if description is None else description,
        "title": {"text": title(f), "fontSize": 13, "anchor": "start", "limit": WIDTH + 40},
        "width": WIDTH,
        "height": HEIGHT,
        "config": {
            "font": "sans-serif",
            "axis": {"labelFontSize": 11, "titleFontSize": 11},
            "view": {"stroke": None},
            "aria": False,  # no description per mark: the SVG has one for the whole plot
        },
        "datasets": {LIMITS: lines, POINTS: points},
        "layer": [
            {
                "data": {"name": LIMITS},
                "mark": {"type": "line", "clip": True, "strokeWidth": 1, "interpolate": "monotone"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "lijn"},
                    "strokeDash": {
                        "field": "grens",
                        "type": "nominal",
                        "scale": {"domain": ["95%", "99,8%"], "range": [[4, 3], [1, 0]]},
                        "legend": None,
                    },
                    "color": {"value": "#7f8c8d"},
                },
            },
            {
                "data": {"values": [{"y": round(f.target, 4)}]},
                "mark": {"type": "rule", "color": "#2c3e50", "strokeWidth": 1.5},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            },
            {
                "data": {"name": POINTS},
                "mark": {"type": "point", "filled": True, "size": 45, "opacity": 0.9},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "stand",
                        "type": "nominal",
                        "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                        "legend": None,  # once on the page: a third of a plot's rendering
                    },
                },
            },
            *(
                {
                    "data": {"name": POINTS},
                    "transform": [{"filter": {"field": "kant", "equal": kant}}],
                    "mark": {
                        "type": "text",
                        "align": align,
                        "dx": dx,
                        "dy": -7,
                        "fontSize": 11,
                        "color": COLOURS[OUTSIDE],
                    },
                    "encoding": {"x": x, "y": y, "text": {"field": "naam"}},
                }
                for kant, align, dx in (("rechts", "left", 5), ("links", "right", -5))
            ),
        ],
    }


def render(chart: dict) -> str:
    """The SVG of a spec (vl-convert, imported here: only the portal needs it), with its
    text alternative as the SVG's ``<title>`` and ``aria-label``, so the file says what it
    shows when opened on its own."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart)
    text = chart["description"]
    opening = re.match(r"<svg\b[^>]*>", svg)
    if opening is None:
        raise ValueError("vl-convert returned no <svg> element")
    tag = opening.group(0)[:-1] + f' role="img" aria-label={quoteattr(text)}>'
    return _numbered(tag + f"<title>{escape(text)}</title>" + svg[opening.end() :])


_CLIP = re.compile(r"\bclip(\d+)\b")


def _numbered(svg: str) -> str:
    """Vega numbers its clip paths on from every earlier rendering in the process
    (``clip553``): numbered from 1 in each SVG, so its bytes follow from its spec alone,
    whichever process rendered it and after how many others."""
    numbers: dict[str, str] = {}
    return _CLIP.sub(lambda m: f"clip{numbers.setdefault(m.group(1), str(len(numbers) + 1))}", svg)


def svg(f: Funnel) -> str:
    """The SVG of one funnel plot."""
    return render(spec(f))


RENDERING = 4  # raise when ``render`` changes what it makes of a spec


def spec_hash(chart: dict) -> str:
    """The hash a rendered SVG carries: of the spec, ``render``'s version and vl-convert's."""
    text = json.dumps(chart, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    versions = f"{RENDERING}|{importlib.metadata.version('vl-convert-python')}"
    return hashlib.sha256(f"{text}|{versions}".encode()).hexdigest()


def _render_chunk(charts: list[dict]) -> list[str]:
    # Runs in a worker process; vl-convert's engine starts once per process.
    return [render(chart) for chart in charts]


def render_all(charts: list[dict], workers: int | None = None) -> list[str]:
    """The SVGs of ``charts``, in their order: in a process pool when there are enough."""
    workers = min(workers or os.cpu_count() or 1, math.ceil(len(charts) / 4) or 1)
    if workers <= 1 or len(charts) < PARALLEL_MIN_PLOTS:
        return _render_chunk(charts)
    # a few chunks per worker evens out plots of unequal size without much pickling
    size = math.ceil(len(charts) / (workers * 4))
    chunks = [charts[i : i + size] for i in range(0, len(charts), size)]
    # spawn, not fork: the caller (Dagster) may run threads, which fork does not copy safely
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [svg for chunk in pool.map(_render_chunk, chunks) for svg in chunk]


def write_funnels(
    funnels: list[Funnel], factsheets_dir: Path, workers: int | None = None
) -> tuple[list[FunnelFile], int]:
    """Write each funnel's SVG into ``{periode}/trechters/`` (rendered only when its spec
    changed) and remove the SVGs there that are no longer drawn; the files, and how many
    were rendered."""
    keep: set[str] = set()
    todo: list[tuple[int, Path, str, dict]] = []  # (index, target, hash, spec) to render
    sizes: list[tuple[int, int]] = []
    texts = [text_alternative(f) for f in funnels]  # once, for the SVG and the page
    for i, (f, text) in enumerate(zip(funnels, texts, strict=True)):
        rel = f"{f.periode}/{FOLDER}/{file_name(f)}"
        keep.add(rel)
        chart = spec(f, text)
        digest = spec_hash(chart)
        target = factsheets_dir / rel
        size = _kept(target, digest)
        if size is None:
            todo.append((i, target, digest, chart))
            size = (0, 0)
        sizes.append(size)
    for (i, target, digest, _), data in zip(
        todo, render_all([chart for *_, chart in todo], workers), strict=True
    ):
        found = _SIZE.search(data)
        size = (round(float(found.group(1))), round(float(found.group(2)))) if found else (0, 0)
        sizes[i] = size
        target.parent.mkdir(parents=True, exist_ok=True)
        header = f"<!-- spec {digest} {size[0]}x{size[1]} -->\n"
        write_atomically(target, (header + data).encode("utf-8"), durable=False)
    if todo:
        flush_filesystem(factsheets_dir)  # one sync for the batch, not an fsync per plot
    files = [
        FunnelFile(
            f.kanaal,
            f.figuur_type,
            f.figuur,
            f"{f.periode}/{FOLDER}/{file_name(f)}",
            title(f),
            text,
            tuple(str(p["gemeente"]) for p in f.outside),
            *size,
        )
        for f, text, size in zip(funnels, texts, sizes, strict=True)
    ]
    remove_funnels(factsheets_dir, keep)
    return files, len(todo)


def _kept(target: Path, digest: str) -> tuple[int, int] | None:
    """The size of the SVG at ``target`` when it was rendered from the spec ``digest``."""
    try:
        with target.open(encoding="utf-8") as handle:
            found = _HEADER.match(handle.readline())
    except (OSError, UnicodeDecodeError):
        return None
    if found is None or found.group(1) != digest:
        return None
    return int(found.group(2)), int(found.group(3))


def remove_funnels(factsheets_dir: Path, keep: set[str] = frozenset()) -> list[str]:
    """Remove the funnel SVGs (``*/trechters/*.svg``) not in ``keep``, and a folder left
    empty; the files removed, relative."""
    removed = []
    if not factsheets_dir.is_dir():
        return removed
    for path in sorted(factsheets_dir.glob(f"*/{FOLDER}/*.svg")):
        rel = path.relative_to(factsheets_dir).as_posix()
        if rel not in keep:
            path.unlink()
            removed.append(rel)
    for folder in factsheets_dir.glob(f"*/{FOLDER}"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
