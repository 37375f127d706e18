"""Funnel plots for the portal: one static SVG per period x channel x figure.

Drawn with Vega-Lite through ``vl-convert-python`` (pinned in pyproject.toml): the plot is a
declarative spec (points, the BM line, the 95% and 99.8% limits of
``analysis.signals.funnel_of``, the names of the points outside the 99.8% limits), and
vl-convert renders it to SVG in process, without a browser or a network. Chosen over
matplotlib because its SVG keeps text as ``<text>`` (searchable, read by screen readers,
checked by the tests), is the same bytes for the same spec, and needs one wheel without
further dependencies or a font cache.

The SVG is drawn at phone width (``WIDTH``: 390 px less the page's margins) and scales with
the page up to desktop width (its ``viewBox``). Its text alternative (``text_alternative``)
says what the plot shows in words; it is the ``<img>``'s ``alt``, the figure's caption, and
the SVG's ``aria-label`` (Vega-Lite's ``description``).

A plot is rendered only when its spec changed: the file starts with the spec's hash, and an
SVG with the same hash is kept (rendering costs some 50 ms a plot).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from dagster_project.analysis import funnel
from dagster_project.analysis.signals import LEVEL, Funnel
from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch
from dagster_project.factsheets.output import write_atomically

FOLDER = "trechters"  # factsheets/{periode}/trechters/{kanaal}-{figuur}.svg
WIDTH, HEIGHT = 290, 210  # the plot area; with axes and title the SVG is about 350 px wide
OUTSIDE, OUTSIDE_95, INSIDE = "buiten 99,8%", "buiten 95%", "binnen"
COLOURS = {OUTSIDE: "#c0392b", OUTSIDE_95: "#e67e22", INSIDE: "#5d6d7e"}
_SIZE = re.compile(r'<svg[^>]* width="([0-9.]+)" height="([0-9.]+)"')
_HASH = re.compile(r"^<!-- spec ([0-9a-f]{64}) -->\n")


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


def _limit(value: float) -> str:
    return dutch.fixed(Decimal(str(round(float(value), 2))).quantize(Decimal("0.01")), 2)


def title(f: Funnel) -> str:
    p = Periode.parse(f.periode)
    return f"{f.figuur}, {f.kanaal}, {dutch.quarter_label(p.jaar, p.kwartaal)}"


def _flag(row) -> str:
    if row[f"funnel_{funnel.suffix(LEVEL)}"] in (funnel.ABOVE, funnel.BELOW):
        return OUTSIDE
    if row[f"funnel_{funnel.suffix(0.95)}"] in (funnel.ABOVE, funnel.BELOW):
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
        f"{'hoger' if r[f'funnel_{funnel.suffix(LEVEL)}'] == funnel.ABOVE else 'lager'})"
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


def spec(f: Funnel) -> dict:
    """The Vega-Lite spec of one funnel plot."""
    pct = f.figuur_type == "stelling"
    lines = []
    for level, name in ((0.95, "95%"), (LEVEL, "99,8%")):
        s = funnel.suffix(level)
        for side in ("lower", "upper"):
            for n, value in zip(
                f.lines["n"].tolist(), f.lines[f"{side}_{s}"].tolist(), strict=True
            ):
                if np.isfinite(value):
                    lines.append(
                        {
                            "n": int(n),
                            "y": round(float(value), 4),
                            "grens": name,
                            "lijn": f"{name} {side}",
                        }
                    )
    log_n = np.log(f.points["n"].astype(float).to_numpy())
    span = float(log_n.max() - log_n.min()) or 1.0
    points = []
    for r, position in zip(f.records, (log_n - log_n.min()) / span, strict=True):
        stand = _flag(r)
        points.append(
            {
                "n": int(r["n"]),
                "y": round(float(r["waarde_exact"]), 4),
                "gemeente": str(r["gemeente"]),
                "stand": stand,
                # a name right of its point, or left of it near the right edge
                "kant": "links" if position > 0.7 else "rechts",
                "label": str(r["gemeente"]) if stand == OUTSIDE else "",
            }
        )
    ys = [p["y"] for p in points] + [v["y"] for v in lines] + [f.target]
    pad = (max(ys) - min(ys)) * 0.05 or 0.5
    y_title = f"{f.figuur} ({'%' if pct else 'score'})"
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
        "title": y_title,
        "scale": {"domain": [round(min(ys) - pad, 3), round(max(ys) + pad, 3)], "zero": False},
        "axis": {"tickCount": 5},
    }
    colour = {
        "field": "stand",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
        "legend": None,  # once on the page: a legend per plot costs a third of its rendering
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": text_alternative(f),
        "title": {"text": title(f), "fontSize": 13, "anchor": "start", "limit": WIDTH + 40},
        "width": WIDTH,
        "height": HEIGHT,
        "config": {
            "font": "sans-serif",
            "axis": {"labelFontSize": 11, "titleFontSize": 11},
            "view": {"stroke": None},
        },
        "layer": [
            {
                "data": {"values": lines},
                "mark": {"type": "line", "clip": True, "strokeWidth": 1, "interpolate": "monotone"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "lijn"},
                    "strokeDash": {
                        "field": "grens",
                        "type": "nominal",
                        "title": "grenzen",
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
                "data": {"values": points},
                "mark": {"type": "point", "filled": True, "size": 45, "opacity": 0.9},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colour,
                },
            },
            *(
                {
                    "data": {"values": [p for p in points if p["label"] and p["kant"] == kant]},
                    "mark": {
                        "type": "text",
                        "align": align,
                        "dx": dx,
                        "dy": -7,
                        "fontSize": 11,
                        "color": COLOURS[OUTSIDE],
                    },
                    "encoding": {"x": x, "y": y, "text": {"field": "label"}},
                }
                for kant, align, dx in (("rechts", "left", 5), ("links", "right", -5))
            ),
        ],
    }


def render(chart: dict) -> str:
    """The SVG of a spec (vl-convert, imported here: only the portal needs it), with its
    text alternative as the SVG's ``<title>`` and ``aria-label`` (Vega labels only the axes
    and marks), so the file says what it shows when opened on its own."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart)
    text = chart["description"]
    opening = re.match(r"<svg\b[^>]*>", svg)
    if opening is None:
        raise ValueError("vl-convert returned no <svg> element")
    tag = opening.group(0)[:-1] + f' role="img" aria-label={quoteattr(text)}>'
    return tag + f"<title>{escape(text)}</title>" + svg[opening.end() :]


RENDERING = 2  # raise when ``render`` changes what it makes of a spec


def spec_hash(chart: dict) -> str:
    """The hash a rendered SVG carries: of the spec, ``render``'s version and vl-convert's."""
    text = json.dumps(chart, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    versions = f"{RENDERING}|{importlib.metadata.version('vl-convert-python')}"
    return hashlib.sha256(f"{text}|{versions}".encode()).hexdigest()


def write_funnels(funnels: list[Funnel], factsheets_dir: Path) -> tuple[list[FunnelFile], int]:
    """Write each funnel's SVG into ``{periode}/trechters/`` (rendered only when its spec
    changed) and remove the SVGs there that are no longer drawn; the files, and how many
    were rendered."""
    files, rendered, keep = [], 0, set()
    for f in funnels:
        rel = f"{f.periode}/{FOLDER}/{file_name(f)}"
        chart = spec(f)
        digest = spec_hash(chart)
        target = factsheets_dir / rel
        if _same(target, digest):
            svg = target.read_text(encoding="utf-8")
        else:
            svg = render(chart)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, f"<!-- spec {digest} -->\n{svg}".encode())
            rendered += 1
        size = _SIZE.search(svg)
        keep.add(rel)
        outside = f.outside
        files.append(
            FunnelFile(
                f.kanaal,
                f.figuur_type,
                f.figuur,
                rel,
                title(f),
                chart["description"],
                tuple(str(p["gemeente"]) for p in outside),
                int(float(size.group(1))) if size else 0,
                int(float(size.group(2))) if size else 0,
            )
        )
    remove_funnels(factsheets_dir, keep)
    return files, rendered


def _same(target: Path, digest: str) -> bool:
    try:
        with target.open(encoding="utf-8") as handle:
            found = _HASH.match(handle.readline())
    except (OSError, UnicodeDecodeError):
        return False
    return found is not None and found.group(1) == digest


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
