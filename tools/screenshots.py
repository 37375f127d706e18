"""Pictures of the factsheets and the portal for docs/ (`make screenshots`).

Renders the factsheets and the portal from the warehouse of a `kto demo` run
(KTO_WAREHOUSE, KTO_OUTPUT_DIR), then photographs them: page 1 of each PDF
with pdftoppm, the HTML pages with headless Chromium at desktop width and at
390 px (a phone). Writes docs/screenshots/*.png and docs/screenshots/SOURCES.json: the
digest of what the pictures show (the templates of the factsheets and the portal and the
fixed wording, texts.py) and the hash of each picture, so tests/test_screenshots.py fails
when a template changed after the pictures were taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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


def pdf_png(pdf: Path, png: Path) -> None:
    stem = png.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )


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
