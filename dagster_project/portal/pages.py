"""Writing the portal's pages: ``index.html``, ``periode-{periode}.html``, ``gemeente-{code}.html``.

Plain static HTML with inline CSS, next to the period folders in
``KTO_OUTPUT_DIR/factsheets/``, so every link is relative and the pages work
from a file share or any static web server without network access. A period
page sorts and filters its table with a small inline script; without the
script the full table is there and the controls stay hidden.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch
from dagster_project.factsheets.marts import read_only
from dagster_project.factsheets.output import write_atomically
from dagster_project.portal.model import KANALEN, Cel, Portal, collect
from dagster_project.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
INDEX = "index.html"
_OWN_PAGE = re.compile(r"^(periode|gemeente)-[^/]+\.html$")
KANAAL_NAAM = {k: k.capitalize() for k in KANALEN}  # Balie, Telefoon, Digitaal


@dataclass
class PortalResult:
    directory: Path
    pages: list[str]  # file names written, index first
    removed: list[str]  # pages of periods or municipalities no longer in the marts
    factsheets_linked: int


def periode_page(periode: str) -> str:
    return f"periode-{periode}.html"


def gemeente_page(code: str) -> str:
    return f"gemeente-{code}.html"


def periode_label(periode: str) -> str:
    p = Periode.parse(periode)
    return dutch.quarter_label(p.jaar, p.kwartaal)


def _sort_number(fig) -> str:
    """The value a column sorts on: the printed number; empty (sorted last) when hidden."""
    if fig is None or not fig.getoond:
        return ""
    return fig.waarde.rstrip("%").replace(",", ".")


@functools.lru_cache(maxsize=1)
def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        periode_page=periode_page,
        gemeente_page=gemeente_page,
        periode_label=periode_label,
        sort_number=_sort_number,
        kanaal_naam=KANAAL_NAAM,
    )
    return env


def _trend(cellen: list[Cel]) -> list[dict]:
    """The yearly totaaloordeel of one gemeente × kanaal, for its bar chart."""
    punten = []
    for c in cellen:
        if "-" in c.periode:
            continue
        fig = c.trend
        punten.append(
            {
                "label": c.periode,
                "waarde": fig.waarde if fig else dutch.DASH,
                "opmerking": (fig.opmerking if fig else "geen factsheet"),
                "fractie": fig.fractie if fig else None,
            }
        )
    return punten


def render_pages(portal: Portal, generated_on: str) -> dict[str, str]:
    """File name -> HTML of every page of the portal."""
    env = _jinja()
    common = {"portal": portal, "gegenereerd_op": generated_on}
    pages = {
        INDEX: env.get_template("index.html.j2").render(
            **common,
            aantallen={
                p: sum(c.heeft_factsheet for c in portal.van_periode(p)) for p in portal.periodes
            },
        )
    }
    for periode in portal.periodes:
        cellen = portal.van_periode(periode)
        pages[periode_page(periode)] = env.get_template("periode.html.j2").render(
            **common,
            periode=periode,
            cellen=cellen,
            kanalen=[k for k in KANALEN if any(c.kanaal == k for c in cellen)],
        )
    for code, naam in portal.gemeenten.items():
        cellen = portal.van_gemeente(code)
        per_kanaal = [
            (k, [c for c in cellen if c.kanaal == k])
            for k in KANALEN
            if any(c.kanaal == k for c in cellen)
        ]
        pages[gemeente_page(code)] = env.get_template("gemeente.html.j2").render(
            **common,
            code=code,
            naam=naam,
            kanalen=[(k, rows, _trend(rows)) for k, rows in per_kanaal],
        )
    return pages


def write_portal(portal: Portal, factsheets_dir: Path, generated_on: str) -> PortalResult:
    """Write every page (atomically) and remove the portal's own pages that left."""
    factsheets_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(portal, generated_on)
    for name, html in pages.items():
        target = factsheets_dir / name
        data = html.encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)
    removed = []
    for path in sorted(factsheets_dir.glob("*.html")):
        if _OWN_PAGE.match(path.name) and path.name not in pages:
            path.unlink()
            removed.append(path.name)
    return PortalResult(factsheets_dir, list(pages), removed, len(portal.factsheets) // 2)


def build_portal(settings: Settings, generated_on: str | None = None) -> PortalResult:
    """Read the marts and the period reports, then write the portal into the factsheets folder."""
    from dagster_project.factsheets.view import today_amsterdam

    folder = settings.output_dir / "factsheets"
    with read_only(settings.warehouse) as con:
        portal = collect(con, folder, settings.min_respondents)
    day = generated_on or dutch.long_date(today_amsterdam())
    return write_portal(portal, folder, day)
