"""Pictures of the factsheets and the portal for docs/ (`make screenshots`).

Renders the factsheets and the portal from the warehouse of a `kto demo` run
(KTO_WAREHOUSE, KTO_OUTPUT_DIR), then photographs them: page 1 of each PDF
with pdftoppm, the HTML pages with headless Chromium at desktop width and at
390 px (a phone); the sections below the first screen (the priority matrix, the themes)
scrolled into view, and their PDF pages. A factsheet with a comparison-group BM comes from
`kto run` on a copy of the demo's landing folder with KTO_VERGELIJKINGSGROEPEN (the demo
itself has no groups file), in a temporary folder. Writes docs/screenshots/*.png and
docs/screenshots/SOURCES.json: the digest of what the pictures show (the templates of the
factsheets and the portal and the fixed wording, texts.py) and the hash of each picture, so
tests/test_screenshots.py fails when a template changed after the pictures were taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests/

from dagster_project.factsheets import read_only, render_periods
from dagster_project.portal import build_portal
from dagster_project.publish.per_gemeente import GEMEENTEN
from dagster_project.settings import EIGEN, OPEN, Settings
from tests.browser import CHROMIUM_FLAGS as FLAGS  # the headless Chromium the tests measure with
from tests.browser import serve

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "screenshots"
RECORD = DOCS / "SOURCES.json"
# What the pictures show: a change in any of these makes them out of date.
SOURCES = (
    "dagster_project/factsheets/templates",
    "dagster_project/portal/templates",
    "dagster_project/factsheets/texts.py",
)
GEMEENTE = "GM0637"  # Zoetermeer: the seed factsheet's municipality
YEAR, QUARTER = "2020", "2020-Q2"
KANALEN = ("balie", "telefoon", "digitaal")
DAY = dt.date(2026, 11, 28)
# the factsheet's sections below the first screen: (element id, picture name)
SECTIONS = (("prioriteiten-kop", "matrix"), ("themas-kop", "themas"))
# a region of the demo's municipalities around Zoetermeer: a comparison group of six
GROUP = "Haaglanden"
GROUP_MEMBERS = ("GM0637", "GM0518", "GM0503", "GM1621", "GM1783", "GM1916")


def sources_digest(root: Path = ROOT) -> str:
    """sha256 over the path and bytes of every file of SOURCES, in path order."""
    digest = hashlib.sha256()
    for source in SOURCES:
        path = root / source
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def png_hashes(folder: Path = DOCS) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.png"))
    }


def chromium_png(page: Path, png: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium",
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def section_png(folder: Path, page: str, anchor: str, png: Path, width: int, height: int) -> None:
    """The page scrolled to the element ``anchor``: a harness page, served over HTTP so that
    it may scroll its frame, holds the page at ``width`` (Chromium's --screenshot paints
    nothing below the first screen of a page opened at a #fragment)."""
    harness = folder / "_section.html"
    harness.write_text(
        '<!doctype html><html><body style="margin:0;overflow:hidden">'
        f'<iframe id="f" src="/{page}" style="border:0;display:block;width:{width}px;'
        f'height:{height}px"></iframe><script>document.getElementById("f").onload = function'
        " () { var w = this.contentWindow;"
        f' var top = w.document.getElementById("{anchor}").getBoundingClientRect().top;'
        " w.scrollTo(0, top + w.scrollY - 12); };</script></body></html>",
        encoding="utf-8",
    )
    try:
        with serve(folder) as base, tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    "chromium",
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    "--virtual-time-budget=10000",
                    f"--screenshot={png}",
                    f"{base}/_section.html",
                ],
                check=True,
                capture_output=True,
            )
    finally:
        harness.unlink()


def pdf_png(pdf: Path, png: Path, page: int = 1) -> None:
    stem = png.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )


def pdf_page_with(pdf: Path, text: str) -> int:
    """The first page of ``pdf`` whose text holds ``text``."""
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.split("\f")
    return next(i for i, page in enumerate(pages, start=1) if text in page)


def group_run(settings: Settings, root: Path) -> Path:
    """`kto run` on a copy of the demo's landing folder with one comparison group; the
    factsheets folder it wrote."""
    shutil.copytree(settings.landing_dir, root / "landing")
    groups = root / "vergelijkingsgroepen.csv"
    groups.write_text(
        "groep;gemeentecode\n" + "".join(f"{GROUP};{code}\n" for code in GROUP_MEMBERS),
        encoding="utf-8",
    )
    (root / "dagster_home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KTO_", "DAGSTER_HOME"))}
    env.update(
        KTO_LANDING_DIR=str(root / "landing"),
        KTO_WAREHOUSE=str(root / "warehouse.duckdb"),
        KTO_OUTPUT_DIR=str(root / "output"),
        KTO_VERGELIJKINGSGROEPEN=str(groups),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    kto = Path(sys.executable).with_name("kto")
    subprocess.run([str(kto), "run"], env=env, cwd=ROOT, check=True)
    group_settings = Settings.from_env(env)
    with read_only(group_settings.warehouse) as con:
        render_periods(con, [YEAR], group_settings, generated_on=DAY, force=True)
    return group_settings.output_dir / "factsheets"


def main() -> int:
    settings = Settings.from_env()
    with read_only(settings.warehouse) as con:
        render_periods(con, [YEAR, QUARTER], settings, generated_on=DAY, force=True)
    build_portal(settings, generated_on="28 november 2026")
    folder = settings.output_dir / "factsheets"
    DOCS.mkdir(parents=True, exist_ok=True)
    for periode in (YEAR, QUARTER):
        for kanaal in KANALEN:
            stem = f"{folder}/{periode}/{GEMEENTE}_{kanaal}"
            name = f"factsheet_{periode}_{kanaal}"
            pdf_png(Path(stem + ".pdf"), DOCS / f"{name}_pdf.png")
            chromium_png(Path(stem + ".html"), DOCS / f"{name}_desktop.png", 1280, 1000)
            chromium_png(Path(stem + ".html"), DOCS / f"{name}_390.png", 390, 1800)
    sheet = f"{YEAR}/{GEMEENTE}_balie"
    for anchor, name in SECTIONS:
        stem = f"factsheet_{YEAR}_balie_{name}"
        section_png(folder, f"{sheet}.html", anchor, DOCS / f"{stem}_desktop.png", 1280, 1000)
        section_png(folder, f"{sheet}.html", anchor, DOCS / f"{stem}_390.png", 390, 1600)
    pdf = folder / f"{sheet}.pdf"
    for text, name in (("Wat aanpakken", "matrix"), ("Waar gaan", "themas")):
        pdf_png(pdf, DOCS / f"factsheet_{YEAR}_balie_{name}_pdf.png", pdf_page_with(pdf, text))
    with tempfile.TemporaryDirectory(prefix="kto-groups-") as root:
        grouped = group_run(settings, Path(root))
        stem = f"factsheet_{YEAR}_balie_groep"
        pdf_png(grouped / f"{sheet}.pdf", DOCS / f"{stem}_pdf.png")
        chromium_png(grouped / f"{sheet}.html", DOCS / f"{stem}_desktop.png", 1280, 1000)
        chromium_png(grouped / f"{sheet}.html", DOCS / f"{stem}_390.png", 390, 1800)
    for page, name in (
        (f"periode-{YEAR}.html", "portal_periode"),
        (f"gemeente-{GEMEENTE}.html", "portal_gemeente"),
        (f"trechters-{YEAR}.html", "portal_trechters"),
        (f"signalen-{YEAR}.html", "portal_signalen"),
    ):
        chromium_png(folder / page, DOCS / f"{name}_desktop.png", 1280, 1100)
        chromium_png(folder / page, DOCS / f"{name}_390.png", 390, 1600)
    # KTO_PUBLICATIE=eigen: the portal of one municipality, then the open one back
    build_portal(replace(settings, publicatie=EIGEN), generated_on="28 november 2026")
    own = settings.output_dir / GEMEENTEN / GEMEENTE / "factsheets"
    for page, name in (
        ("index.html", "portal_eigen_index"),
        (f"periode-{YEAR}.html", "portal_eigen_periode"),
    ):
        chromium_png(own / page, DOCS / f"{name}_desktop.png", 1280, 1100)
        chromium_png(own / page, DOCS / f"{name}_390.png", 390, 1600)
    build_portal(replace(settings, publicatie=OPEN), generated_on="28 november 2026")
    record = {"sources": sources_digest(), "pictures": png_hashes()}
    RECORD.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"screenshots in {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
