"""Free text on a factsheet after the sanitiser: long words stay on the page, emoji are
drawn from an emoji font (not empty boxes), a bidi override cannot reverse the page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from dagster_project.factsheets import read_only, render_period
from dagster_project.text.sanitise import ZWSP, free_text
from tests.test_factsheets import (
    GENERATED_ON,
    REFERENCE,
    marts_from_reference,
    settings_for,
    write_marts,
)

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)

LONG = "Klantvriendelijkheidsverbeteringsprogrammacoordinatorenoverleg" * 3
TIP = f"Graag sneller \U0001f973 {LONG} \u202edank"
PRODUCT = "Paspoortaanvraagformulierverwerkingsbeleidsdocumentatieoverzicht"
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"')
_PAGE = re.compile(r'<page width="([\d.]+)"')


@pytest.fixture
def rendered(tmp_path):
    tables = marts_from_reference()
    code = REFERENCE["gemeente"]["code"]
    tip = next(r for r in tables["kto_tip"] if r["gemeentecode"] == code)
    tip["tekst"] = free_text(TIP)
    product = next(
        r for r in tables["kto_product"] if r["gemeentecode"] == code and r["kanaal"] == "balie"
    )
    product["product"] = free_text(PRODUCT)
    warehouse = write_marts(tmp_path / "warehouse.duckdb", tables)
    settings = settings_for(tmp_path, warehouse)
    with read_only(warehouse) as con:
        result = render_period(con, "2020", settings, generated_on=GENERATED_ON)
    return result.directory / f"{code}_balie"


def test_long_words_wrap_inside_the_page(rendered):
    pdf = rendered.with_suffix(".pdf")
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(_PAGE.search(bbox).group(1))
    words = [(float(a), float(b)) for a, b in _WORD.findall(bbox)]
    assert words
    overflowing = [w for w in words if w[0] < 0 or w[1] > width]
    assert overflowing == []
    text = (
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
        .stdout.replace("\n", "")
        .replace(ZWSP, "")
    )
    assert LONG[:40] in text  # all of it is printed, only broken across lines


def test_emoji_come_from_a_colour_emoji_font(rendered):
    fonts = subprocess.run(
        ["pdffonts", str(rendered.with_suffix(".pdf"))], capture_output=True, text=True, check=True
    ).stdout
    # Typst draws colour-bitmap emoji (fonts-noto-color-emoji) as a Type 3 font; without
    # an emoji font the glyph would be DejaVu's empty box and no Type 3 font appears.
    assert "Type 3" in fonts


def test_the_html_gets_the_same_sanitised_text(rendered):
    html = rendered.with_suffix(".html").read_text(encoding="utf-8")
    assert free_text(TIP) in html and free_text(PRODUCT) in html
    assert "\u202e" not in html
    assert ZWSP in free_text(PRODUCT)
