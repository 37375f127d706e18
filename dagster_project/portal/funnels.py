"""Funnel plots for the portal: one static SVG per period x channel x figure.

Drawn by the portal's own Jinja templates (``templates/trechter.svg.j2``): a funnel plot is
a few kinds of SVG element (the points as circles, the BM as a line, the 95% and 99.8%
limits of ``analysis.signals.funnel_of`` as polylines, the names of the points outside the
99.8% limits as text, two axes with their ticks), so ``drawing`` places them in plot
coordinates and the template writes them out. Chosen over Vega-Lite (through
``vl-convert-python``, which the first version used) for its cost: Vega's SVG rendering
took 50 to 200 ms a plot, 450 plots on the demo added 60 to 110 s to the portal step; this
takes about 2 ms a plot, needs no dependency, and gives the same bytes for the same
figures. What a library adds beyond that (layout of overlapping labels, a legend) the
plots do not use: the legend is once on the page.

The SVG is drawn at phone width (``WIDTH`` x ``HEIGHT``, 390 px less the page's margins)
and scales with the page up to desktop width (its ``viewBox``). Text stays ``<text>``
(searchable, read by screen readers, checked by the tests). Its text alternative
(``text_alternative``) says what the plot shows in words; it is the ``<img>``'s ``alt``,
the figure's caption, and the SVG's ``<title>`` and ``aria-label``.

A file is written only when its bytes changed, as the portal's pages are.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import jinja2
import numpy as np

from dagster_project.analysis import funnel
from dagster_project.analysis.signals import LEVEL, Funnel
from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch
from dagster_project.factsheets.output import flush_filesystem, write_atomically

FOLDER = "trechters"  # factsheets/{periode}/trechters/{kanaal}-{figuur}.svg
TEMPLATES = Path(__file__).parent / "templates"
WIDTH, HEIGHT = 360, 280  # the SVG
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 44, 42  # margins around the plot area (title, axes)
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
OUTSIDE, OUTSIDE_95, INSIDE = "buiten 99,8%", "buiten 95%", "binnen"
COLOURS = {OUTSIDE: "#c0392b", OUTSIDE_95: "#e67e22", INSIDE: "#5d6d7e"}
RADIUS = 3.8  # a point's: 45 px^2 of ink, as the first version's Vega points
FLAG_95, FLAG_99_8 = (f"funnel_{funnel.suffix(level)}" for level in (0.95, LEVEL))


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
    return f"{f.figuur}, {f.kanaal}, {_period_label(f.periode)}"


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


def _px(value: float) -> str:
    """A coordinate with two decimals (a hundredth of a pixel: the same bytes every run)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def x_ticks(lo: float, hi: float) -> list[int]:
    """Whole n for the log axis from ``lo`` to ``hi``: 1, 2, 5 x 10^k, or every digit x
    10^k where that gives fewer than two, or every two digits x 10^k (a narrow range)."""
    ticks: list[int] = []
    for mantissas, scale in (((1, 2, 5), 1), (range(1, 10), 1), (range(10, 100), 10)):
        ticks = sorted(
            {
                m * 10**k // scale
                for k in range(math.floor(math.log10(lo)), math.floor(math.log10(hi)) + 2)
                for m in mantissas
                if lo <= m * 10**k / scale <= hi and m * 10**k % scale == 0
            }
        )
        if len(ticks) >= 2:
            break
    return ticks


def y_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[Decimal], int]:
    """About ``count`` round values from ``lo`` to ``hi`` (a step of 1, 2 or 5 x 10^k, the
    one whose number of ticks comes nearest ``count``, as d3's ticks), exact as decimals,
    and the decimals they need."""
    raw = (hi - lo) / count
    exponent = math.floor(math.log10(raw))
    error = raw / 10**exponent
    multiple = next(m for m, at in ((10, 50), (5, 10), (2, 2), (1, 0)) if error**2 >= at)
    step = Decimal(multiple).scaleb(exponent).normalize()
    decimals = max(0, -step.as_tuple().exponent)
    i, ticks = math.ceil(Decimal(repr(lo)) / step), []
    while (value := step * i) <= Decimal(repr(hi)):
        ticks.append(value)
        i += 1
    return ticks, decimals


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def drawing(f: Funnel) -> dict:
    """Everything the template draws, in the SVG's pixels: the plot area at (``LEFT``,
    ``TOP``), x the log of n, y the value."""
    lines_n = np.asarray(f.lines["n"], dtype=float)
    lo, hi = float(lines_n.min()), float(lines_n.max())
    if hi <= lo:
        hi = lo + 1
    ln_lo, ln_span = math.log(lo), math.log(hi) - math.log(lo)

    def x(n: float) -> float:
        return PLOT_W * (math.log(n) - ln_lo) / ln_span

    limit_columns = [
        f"{side}_{funnel.suffix(level)}" for level in (0.95, LEVEL) for side in ("lower", "upper")
    ]
    ys = [float(r["waarde_exact"]) for r in f.records] + [f.target]
    ys += [v for c in limit_columns for v in f.lines[c].tolist() if np.isfinite(v)]
    pad = (max(ys) - min(ys)) * 0.05 or 0.5
    y_lo, y_hi = min(ys) - pad, max(ys) + pad

    def y(value: float) -> float:
        return PLOT_H * (y_hi - value) / (y_hi - y_lo)

    lines = []
    for level, dash in ((0.95, "4 3"), (LEVEL, None)):
        for side in ("lower", "upper"):
            column = f"{side}_{funnel.suffix(level)}"
            vertices = [
                f"{_px(x(n))},{_px(y(v))}"
                for n, v in zip(lines_n.tolist(), f.lines[column].tolist(), strict=True)
                if np.isfinite(v)
            ]
            if vertices:
                lines.append(
                    {
                        "grens": funnel.suffix(level),
                        "kant": "onder" if side == "lower" else "boven",
                        "punten": " ".join(vertices),
                        "streep": dash,
                    }
                )
    points, labels = [], []
    for r in f.records:
        stand = _flag(r)
        px, py = x(float(r["n"])), y(float(r["waarde_exact"]))
        points.append(
            {
                "x": _px(px),
                "y": _px(py),
                "kleur": COLOURS[stand],
                "stand": {OUTSIDE: "buiten-99_8", OUTSIDE_95: "buiten-95", INSIDE: "binnen"}[stand],
                "titel": f"{r['gemeente']}: {printed(f, r['waarde'])}, n = {int(r['n'])}",
            }
        )
        if stand == OUTSIDE:
            labels.append(_label(str(r["gemeente"]), px, py, labels))
    ticks_y, decimals = y_ticks(y_lo, y_hi)
    return {
        "breedte": WIDTH,
        "hoogte": HEIGHT,
        "links": LEFT,
        "boven": TOP,
        "plot_b": PLOT_W,
        "plot_h": PLOT_H,
        "r": RADIUS,
        "titel": f.figuur,
        "ondertitel": f"{f.kanaal}, {_period_label(f.periode)}",
        "tekst": text_alternative(f),
        "y_titel": "%" if f.figuur_type == "stelling" else "score",
        "x_ticks": [{"x": _px(x(n)), "tekst": _thousands(n)} for n in x_ticks(lo, hi)],
        "y_ticks": [{"y": _px(y(float(v))), "tekst": dutch.fixed(v, decimals)} for v in ticks_y],
        "bm": {"y": _px(y(f.target)), "tekst": f"BM {printed(f, f.bm)}"},
        "lijnen": lines,
        "punten": points,
        "namen": labels,
        "kleur_grens": "#7f8c8d",
        "kleur_bm": "#2c3e50",
        "kleur_naam": COLOURS[OUTSIDE],
    }


LABEL_CHAR, LABEL_LINE = 6.2, 12  # a name's width per character and its line (11 px font)


def _label(name: str, px: float, py: float, placed: list[dict]) -> dict:
    """A name beside its point: right of it, or left of it near the right edge; above it,
    or below or further out where a name placed before is in the way."""
    right = px > 0.7 * PLOT_W
    width = LABEL_CHAR * len(name)
    x0 = px - 5 - width if right else px + 5
    for dy in (-7, 15, -19, 27, -31):
        y = py + dy
        if not any(
            x0 < other["_x1"] and other["_x0"] < x0 + width and abs(y - other["_y"]) < LABEL_LINE
            for other in placed
        ):
            break
    return {
        "x": _px(px - 5 if right else px + 5),
        "y": _px(y),
        "anker": "end" if right else "start",
        "tekst": name,
        "_x0": x0,
        "_x1": x0 + width,
        "_y": y,
    }


def _period_label(periode: str) -> str:
    p = Periode.parse(periode)
    return dutch.quarter_label(p.jaar, p.kwartaal)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("trechter.svg.j2")


def svg(f: Funnel) -> str:
    """The SVG of one funnel plot."""
    return _template().render(**drawing(f))


def write_funnels(funnels: list[Funnel], factsheets_dir: Path) -> tuple[list[FunnelFile], int]:
    """Write each funnel's SVG into ``{periode}/trechters/`` (only where its bytes changed)
    and remove the SVGs there that are no longer drawn; the files, and how many were
    written."""
    files, written, keep = [], 0, set()
    for f in funnels:
        rel = f"{f.periode}/{FOLDER}/{file_name(f)}"
        drawn = drawing(f)
        data = _template().render(**drawn).encode("utf-8")
        target = factsheets_dir / rel
        if not _same(target, data):
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, data, durable=False)
            written += 1
        keep.add(rel)
        files.append(
            FunnelFile(
                f.kanaal,
                f.figuur_type,
                f.figuur,
                rel,
                title(f),
                drawn["tekst"],
                tuple(str(p["gemeente"]) for p in f.outside),
                WIDTH,
                HEIGHT,
            )
        )
    if written:
        flush_filesystem(factsheets_dir)  # one sync for the batch, not an fsync per plot
    remove_funnels(factsheets_dir, keep)
    return files, written


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


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
