"""Rendering a factsheet view: PDF through Typst, HTML through Jinja2.

Both templates read the same view (``FactsheetView.to_dict()``). Typst's
compiler is created once per process and reused: it caches fonts, the parsed
template and (the main file being all that changes, see ``_main_source``) the
layout of what factsheets have in common, which makes a PDF several times
cheaper than a fresh compile.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import Path

import jinja2
import typst

from dagster_project.factsheets.view import FactsheetView

TEMPLATES = Path(__file__).parent / "templates"
TYPST_TEMPLATE = TEMPLATES / "factsheet.typ"
HTML_TEMPLATE = "factsheet.html.j2"

# Part of every factsheet's content fingerprint: raise it when a change in this module
# changes the output without changing a template.
RENDER_VERSION = 3

# Typst marks the PDF as tagged with /MarkInfo <</Marked true /Suspects false>>, which is
# valid (ISO 32000-1, 14.7.1: Suspects is an optional boolean, default false), but poppler
# 22.12 (Debian 12's pdfinfo, pdftotext) reports any Suspects that is not true as "Syntax
# Error: Suspects object is wrong type (boolean)". Blanking the entry with as many spaces
# keeps the meaning (the default) and every byte offset of the cross-reference table.
_SUSPECTS_FALSE = b"/Suspects false"

# A page object in Typst's PDF output (not the /Pages tree node).
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@functools.lru_cache(maxsize=1)
def _compiler() -> typst.Compiler:
    return typst.Compiler(root=str(TEMPLATES))


def _main_source(view: FactsheetView) -> bytes:
    """The main file of one factsheet: the template's function called with the view.

    The view goes in as a string literal in this file, not through ``sys_inputs``:
    changing sys.inputs changes Typst's whole library, which invalidates every cached
    layout, while a new main file leaves factsheet.typ's cached layouts usable (page 2
    costs a few ms instead of some 25). JSON text becomes a Typst string literal by
    escaping backslashes and double quotes; Typst's json() reads it back exactly.
    """
    text = view.to_json().replace("\\", "\\\\").replace('"', '\\"')
    main = f'#import "{TYPST_TEMPLATE.name}": factsheet\n#factsheet(json(bytes("{text}")))\n'
    return main.encode()


@functools.lru_cache(maxsize=1)
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # tips are free text written by the public
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_pdf(view: FactsheetView) -> bytes:
    """The PDF of one factsheet. Same view, same bytes: the PDF's date is the view's date."""
    day = dt.date.fromisoformat(view.gegenereerd_iso)
    stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    pdf = _compiler().compile(input=_main_source(view), format="pdf", timestamp=stamp)
    assert isinstance(pdf, bytes)
    return pdf.replace(_SUSPECTS_FALSE, b" " * len(_SUSPECTS_FALSE), 1)


def render_html(view: FactsheetView) -> str:
    """A self-contained HTML page (inline CSS and SVG charts) of one factsheet."""
    return _jinja().get_template(HTML_TEMPLATE).render(v=view.to_dict())


def count_pages(pdf: bytes) -> int:
    return len(_PAGE_OBJECT.findall(pdf))


@functools.lru_cache(maxsize=1)
def template_fingerprint() -> str:
    """Changes when a template, this module's output or the Typst version changes."""
    digest = hashlib.sha256(f"{RENDER_VERSION}|{typst.__version__}".encode())
    for path in (TYPST_TEMPLATE, TEMPLATES / HTML_TEMPLATE):
        digest.update(path.read_bytes())
    return digest.hexdigest()
