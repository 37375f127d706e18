"""Writing the portal's pages: ``index.html``, ``periode-{periode}.html``, ``gemeente-{code}.html``.

Plain static HTML with inline CSS, next to the period folders in
``KTO_OUTPUT_DIR/factsheets/``, so every link is relative and the pages work
from a file share or any static web server without network access. A period
page sorts and filters its table with a small inline script; without the
script the full table is there and the controls stay hidden.

Under ``KTO_PUBLICATIE=eigen`` there is no portal of every municipality: each gets its own
in ``KTO_OUTPUT_DIR/gemeenten/{gemeentecode}/factsheets/``, with copies of its factsheets
beside it, so that folder holds nothing of another municipality and works on its own
(docs/factsheets.md, "Portal").
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import jinja2

from dagster_project.analysis import signals
from dagster_project.analysis.signals import DALING
from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch
from dagster_project.factsheets.marts import has_table, read_only
from dagster_project.factsheets.output import write_atomically
from dagster_project.portal import signalen as signal_files
from dagster_project.portal.funnels import COLOURS, remove_funnels, slug, write_funnels
from dagster_project.portal.model import KANALEN, Cel, Portal, collect
from dagster_project.portal.signalen import CSV_NAME
from dagster_project.publish.per_gemeente import GEMEENTEN, remove_if_empty
from dagster_project.settings import EIGEN, Settings

TEMPLATES = Path(__file__).parent / "templates"
INDEX = "index.html"
_OWN_PAGE = re.compile(r"^(periode|gemeente|signalen|trechters)-[^/]+\.html$")
KANAAL_NAAM = {k: k.capitalize() for k in KANALEN}  # Balie, Telefoon, Digitaal
SIGNAL_TABLES = ("kto_figuur", "kto_verandering", "dim_gemeente")


@dataclass
class PortalResult:
    directory: Path
    pages: list[str]  # file names written, index first
    removed: list[str]  # pages of periods or municipalities no longer in the marts
    factsheets_linked: int
    signals: dict[str, int] = field(default_factory=dict)  # analysis.signals.summary
    funnels: int = 0  # funnel plots drawn
    funnels_written: int = 0  # of which written by this run (the others were unchanged)
    signal_files: list[str] = field(default_factory=list)  # {periode}/signalen.csv


def periode_page(periode: str) -> str:
    return f"periode-{periode}.html"


def gemeente_page(code: str) -> str:
    return f"gemeente-{code}.html"


def signalen_page(periode: str) -> str:
    return f"signalen-{periode}.html"


def trechters_page(periode: str) -> str:
    return f"trechters-{periode}.html"


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
        signalen_page=signalen_page,
        trechters_page=trechters_page,
        periode_label=periode_label,
        figuur_anker=figuur_anker,
        signaal_waarde=signaal_waarde,
        signaal_bm=signaal_bm,
        q_tekst=q_tekst,
        sort_number=_sort_number,
        kanaal_naam=KANAAL_NAAM,
    )
    return env


def figuur_anker(kanaal: str, figuur: str) -> str:
    """The id of a funnel plot on its period's page, which a signal links to."""
    return f"{kanaal}-{slug(figuur)}"


def signaal_waarde(s: dict) -> str:
    """What a signal's row says in figures: a drop's change, or the value against the
    99.8% limits."""
    pct, decimals = s["figuur_type"] == "stelling", int(s["decimalen"])
    unit = " procentpunt" if pct else ""
    if s["signaal"] == DALING:
        return f"{dutch.MINUS}{_fixed(abs(s['verschil']), decimals)}{unit}"
    value = _fixed(s["waarde"], decimals) + ("%" if pct else "")
    low = dutch.fixed(round(s["ondergrens_99_8"], 2), 2)
    high = dutch.fixed(round(s["bovengrens_99_8"], 2), 2)
    return f"{value} (grenzen {low} tot {high})"


def q_tekst(q: float) -> str:
    """A q-value to four decimals, ``< 0,0001`` below that (never a false 0)."""
    return "< 0,0001" if q < 0.0001 else f"{q:.4f}".replace(".", ",")


def signaal_bm(s: dict) -> str:
    return _fixed(s["bm"], int(s["decimalen"])) + ("%" if s["figuur_type"] == "stelling" else "")


def _fixed(value, decimals: int) -> str:
    """A published (already rounded) figure read back as a float, printed as the factsheet
    does."""
    return dutch.fixed(round(Decimal(repr(float(value))), decimals), decimals)


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


def render_pages(portal: Portal, generated_on: str, eigen: str | None = None) -> dict[str, str]:
    """File name -> HTML of every page of the portal; ``eigen``: the name of the one
    municipality of a portal of its own (headings and filters say so)."""
    env = _jinja()
    common = {"portal": portal, "gegenereerd_op": generated_on, "eigen": eigen}
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
        kanalen = [k for k in KANALEN if any(c.kanaal == k for c in cellen)]
        pages[periode_page(periode)] = env.get_template("periode.html.j2").render(
            **common,
            periode=periode,
            cellen=cellen,
            kanalen=kanalen,
            signalen=portal.signalen.get(periode),
        )
        if eigen:  # no funnel or signal of other municipalities (docs/factsheets.md)
            continue
        trechters = portal.trechters.get(periode, [])
        pages[signalen_page(periode)] = env.get_template("signalen.html.j2").render(
            **common,
            periode=periode,
            signalen=portal.signalen.get(periode, []),
            trechters={(t.kanaal, t.figuur) for t in trechters},
            csv=f"{periode}/{CSV_NAME}",
        )
        pages[trechters_page(periode)] = env.get_template("trechters.html.j2").render(
            **common,
            periode=periode,
            kleuren=list(COLOURS.values()),
            per_kanaal=[
                (k, [t for t in trechters if t.kanaal == k])
                for k in KANALEN
                if any(t.kanaal == k for t in trechters)
            ],
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


def write_portal(
    portal: Portal, factsheets_dir: Path, generated_on: str, eigen: str | None = None
) -> PortalResult:
    """Write every page (atomically) and remove the portal's own pages that left."""
    factsheets_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(portal, generated_on, eigen)
    for name, html in pages.items():
        target = factsheets_dir / name
        data = html.encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)
    removed = remove_pages(factsheets_dir, keep=set(pages))
    return PortalResult(factsheets_dir, list(pages), removed, len(portal.factsheets) // 2)


def remove_pages(factsheets_dir: Path, keep: set[str] = frozenset()) -> list[str]:
    """Remove the portal's own pages (``index.html``, ``periode-*``, ``gemeente-*``) but
    ``keep``; the names removed."""
    removed = []
    for path in sorted(factsheets_dir.glob("*.html")):
        own = path.name == INDEX or _OWN_PAGE.match(path.name)
        if own and path.name not in keep:
            path.unlink()
            removed.append(path.name)
    return removed


def copy_factsheets(portal: Portal, source: Path, target: Path) -> list[str]:
    """Make ``target``'s period folders hold exactly the factsheets ``portal`` links, copied
    from ``source`` where their bytes differ; the files removed (relative to ``target``)."""
    for rel in sorted(portal.factsheets):
        data = (source / rel).read_bytes()
        dest = target / rel
        if not dest.is_file() or dest.read_bytes() != data:
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(dest, data)
    removed = []
    for path in sorted(target.glob("*/*")):
        rel = path.relative_to(target).as_posix()
        if rel not in portal.factsheets and (path.is_file() or path.is_symlink()):
            path.unlink()
            removed.append(rel)
    for folder in target.iterdir():
        if folder.is_dir() and not folder.is_symlink():
            remove_if_empty(folder)
    return removed


def write_own_portals(portal: Portal, output_dir: Path, generated_on: str) -> PortalResult:
    """``KTO_PUBLICATIE=eigen``: a portal per municipality in
    ``gemeenten/{code}/factsheets/`` with copies of its factsheets; the portal of every
    municipality in ``factsheets/`` is removed, and so are the portals of municipalities no
    longer in the marts."""
    source = output_dir / "factsheets"
    root = output_dir / GEMEENTEN
    removed = remove_pages(source) if source.is_dir() else []
    pages: list[str] = []
    for code, naam in portal.gemeenten.items():
        own = portal.alleen(code)
        folder = root / code / "factsheets"
        folder.mkdir(parents=True, exist_ok=True)
        gone = copy_factsheets(own, source, folder)
        written = write_portal(own, folder, generated_on, eigen=naam)
        pages += [f"{code}/factsheets/{name}" for name in written.pages]
        removed += [f"{code}/factsheets/{name}" for name in written.removed + gone]
    removed += remove_own_portals(output_dir, keep=set(portal.gemeenten))
    return PortalResult(root, pages, removed, len(portal.factsheets) // 2)


def remove_own_portals(output_dir: Path, keep: set[str] = frozenset()) -> list[str]:
    """Remove ``gemeenten/{code}/factsheets/`` (the pipeline's own: portal and copies) of
    every municipality not in ``keep``, and a folder that is left empty."""
    root = output_dir / GEMEENTEN
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for own in sorted(root.iterdir()):
        folder = own / "factsheets"
        if own.name in keep or not folder.is_dir() or folder.is_symlink():
            continue
        shutil.rmtree(folder)
        removed.append(f"{own.name}/factsheets")
        remove_if_empty(own)
    with contextlib.suppress(OSError):
        root.rmdir()
    return removed


def build_portal(settings: Settings, generated_on: str | None = None) -> PortalResult:
    """Read the marts and the period reports, then write the portal into the factsheets
    folder: its pages, the funnel plots and each period's ``signalen.csv``."""
    from dagster_project.factsheets.view import today_amsterdam

    folder = settings.output_dir / "factsheets"
    with read_only(settings.warehouse) as con:
        portal = collect(con, folder, settings.min_respondents, settings.significance == "fdr")
        if all(has_table(con, "marts", t) for t in SIGNAL_TABLES):
            figures, changes = signals.read_figures(con), signals.read_changes(con)
        else:  # marts written without them (as some tests do): no funnel, no signal
            figures, changes = signals.empty_figures(), signals.empty_changes()
    figures, changes = signal_files.shown(figures, changes, portal.getoonde_cellen())
    made = signals.funnels(figures)
    found = signals.signals(figures, changes, made)
    csv_files = signal_files.write_csv(found, folder, portal.periodes)
    day = generated_on or dutch.long_date(today_amsterdam())
    if settings.publicatie == EIGEN:
        # the operator's signalen.csv only (beside report.json); no funnel plots
        remove_funnels(folder)
        result = write_own_portals(portal, settings.output_dir, day)
        drawn, written = [], 0
    else:
        drawn, written = write_funnels(made, folder)
        portal.trechters = {
            p: [t for t in drawn if t.path.startswith(f"{p}/")] for p in portal.periodes
        }
        portal.signalen = {p: signal_files.rows(found, p) for p in portal.periodes}
        result = write_portal(portal, folder, day)
        # after a run under eigen: its portals go, they would go stale beside this one
        result.removed += remove_own_portals(settings.output_dir)
    result.signals = signals.summary(found)
    result.funnels, result.funnels_written = len(drawn), written
    result.signal_files = csv_files
    return result
