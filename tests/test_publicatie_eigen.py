"""KTO_PUBLICATIE=eigen: no file of a municipality's folder holds another municipality's
figures, names, codes or tips; the all-municipality outputs are not at a public path; a
change of the setting leaves nothing of the other layout behind.

Built from the sample landing folder (ingested and built by dbt: conftest's
``built_sample_warehouse``), every period's factsheets rendered, then the portal and the
publication under ``eigen``. What another municipality has is read from the complete
snapshot the same run wrote, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.factsheets import read_only, render_periods
from dagster_project.factsheets.marts import list_periodes
from dagster_project.portal import build_portal
from dagster_project.publish import (
    CURRENT,
    PUBLISHED,
    current_version,
    publish_marts,
    settle_layout,
    unchanged_publication,
)
from dagster_project.publish.public_marts import PUBLIC_MARTS
from dagster_project.settings import Settings
from tests.test_portal import parse

GENERATED_ON = dt.date(2026, 11, 28)
PORTAL_DAY = "28 november 2026"


def settings(root: Path, warehouse: Path, publicatie: str) -> Settings:
    return Settings.from_env(
        {
            "KTO_WAREHOUSE": str(warehouse),
            "KTO_OUTPUT_DIR": str(root / "output"),
            "KTO_LANDING_DIR": str(root / "landing"),
            "KTO_PUBLICATIE": publicatie,
        }
    )


def build(s: Settings) -> None:
    """What a refresh run writes: every period's factsheets, the portal, the publication."""
    with read_only(s.warehouse) as con:
        render_periods(con, list_periodes(con), s, generated_on=GENERATED_ON)
    build_portal(s, generated_on=PORTAL_DAY)
    publish_marts(s.warehouse, s.output_dir, publicatie=s.publicatie)


@pytest.fixture(scope="module")
def eigen(built_sample_warehouse, tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("eigen")
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    s = settings(root, warehouse, "eigen")
    build(s)
    return s


# -- what each municipality has, from the complete snapshot -----------------------------------


@dataclass
class Gemeente:
    code: str
    naam: str
    exact: set[str]  # its own unrounded figures (_spellings)
    tips: set[str]
    rows: dict[str, int]  # table -> its rows in the complete snapshot


def _spellings(value: float) -> set[str]:
    """An unrounded figure as Parquet/DuckDB and the CSV write it; only one with four or more
    decimals (8.117647058823529): a short one (8.2) could be any printed figure or date."""
    text = repr(float(value))
    if len(text.partition(".")[2]) < 4:
        return set()
    return {text, text.replace(".", ",")}


def municipalities(snapshot: Path) -> dict[str, Gemeente]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        found = {
            code: Gemeente(code, naam, set(), set(), {})
            for code, naam in con.execute(
                "SELECT gemeentecode, gemeente FROM dim_gemeente"
            ).fetchall()
        }
        for code, value in con.execute(
            "SELECT gemeentecode, waarde_exact FROM kto_figuur WHERE waarde_exact IS NOT NULL"
        ).fetchall():
            found[code].exact |= _spellings(value)
        for code, tekst in con.execute("SELECT gemeentecode, tekst FROM kto_tip").fetchall():
            found[code].tips.add(" ".join(tekst.split()))
        for table in PUBLIC_MARTS:
            columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            for code in found:
                found[code].rows[table] = (
                    con.execute(
                        f"SELECT count(*) FROM {table} WHERE gemeentecode = ?", [code]
                    ).fetchone()[0]
                    if "gemeentecode" in columns
                    else con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                )
    return found


def benchmarks(snapshot: Path) -> set[str]:
    """Every unrounded BM (national and size-class): shown to every municipality alike."""
    out: set[str] = set()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name LIKE '%bm%'"
            " AND data_type = 'DOUBLE'"
        ).fetchall():
            for (value,) in con.execute(f'SELECT "{column}" FROM {table}').fetchall():
                if value is not None:
                    out |= _spellings(value)
    return out


# -- every file of a folder as text ------------------------------------------------------------


def _duckdb_text(path: Path) -> str:
    parts = []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables()"
        ).fetchall()
        for schema, table, comment in tables:
            parts.append(f"{table} {comment}")
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                parts.append(" ".join(map(str, row)))
        parts += [str(c) for (c,) in con.execute("SELECT comment FROM duckdb_columns()").fetchall()]
    return "\n".join(parts)


def _parquet_text(path: Path) -> str:
    table = pq.read_table(path)
    parts = [str(table.schema.metadata), *(str(f.metadata) for f in table.schema)]
    parts += [" ".join(map(str, row.values())) for row in table.to_pylist()]
    return "\n".join(parts)


def file_text(path: Path) -> str:
    if path.suffix == ".duckdb":
        return _duckdb_text(path)
    if path.suffix == ".parquet":
        return _parquet_text(path)
    if path.suffix == ".pdf":
        run = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        return run.stdout.decode("utf-8")
    assert path.suffix in (".html", ".csv"), path  # a new kind of file: teach this test
    return path.read_text(encoding="utf-8-sig")


def folder_files(folder: Path) -> list[Path]:
    """Every file of the folder, links followed (the published paths are links)."""
    found = []
    for parent, _, names in os.walk(folder, followlinks=True):
        found += [Path(parent) / name for name in names]
    return sorted(found)


def leaks(text: str, own: Gemeente, others: list[Gemeente], shared: set[str]) -> list[str]:
    """What of another municipality ``text`` holds: its code, its name, a figure only it
    has (not ``own``'s, not a BM), or one of its tips."""
    flat = " ".join(text.split())
    found = []
    for other in others:
        found += [f"{other.code}: code" for _ in [1] if other.code in text]
        found += [f"{other.code}: name {other.naam!r}" for _ in [1] if other.naam in flat]
        found += [
            f"{other.code}: figure {v}" for v in other.exact - own.exact - shared if v in text
        ]
        found += [f"{other.code}: tip {t!r}" for t in other.tips - own.tips if t in flat]
    return found


# -- the tests --------------------------------------------------------------------------------


def test_no_file_of_a_municipality_holds_another_municipality(eigen):
    out = eigen.output_dir
    complete = out / PUBLISHED / CURRENT / "marts.duckdb"
    everyone = municipalities(complete)
    shared = benchmarks(complete)
    assert len(everyone) >= 5  # the samples: several municipalities side by side
    folders = sorted(p.name for p in (out / "gemeenten").iterdir())
    assert folders == sorted(everyone)
    for code, own in everyone.items():
        others = [g for c, g in everyone.items() if c != code]
        files = folder_files(out / "gemeenten" / code)
        kinds = {p.suffix for p in files}
        # PDFs only where the municipality has a factsheet: its portal and tables always
        assert (
            {".duckdb", ".parquet", ".csv", ".html"}
            <= kinds
            <= {".duckdb", ".parquet", ".csv", ".html", ".pdf"}
        ), (code, kinds)
        for path in files:
            text = file_text(path)
            assert not leaks(text, own, others, shared), (path, leaks(text, own, others, shared))
        # the scan reads the content: its own code is in its snapshot, its name on its portal
        assert code in file_text(out / "gemeenten" / code / "marts.duckdb")
        portal = out / "gemeenten" / code / "factsheets" / "index.html"
        assert own.naam in " ".join(portal.read_text(encoding="utf-8").split())


def test_a_municipality_gets_all_of_its_own_rows_in_every_form(eigen):
    out = eigen.output_dir
    everyone = municipalities(out / PUBLISHED / CURRENT / "marts.duckdb")
    for code, own in everyone.items():
        folder = out / "gemeenten" / code
        with duckdb.connect(str(folder / "marts.duckdb"), read_only=True) as con:
            for table in PUBLIC_MARTS:
                (rows,) = con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()
                assert rows == own.rows[table], (code, table)
            # the BM columns stay: the benchmark of every municipality beside its own figure
            bm = con.execute(
                "SELECT count(*) FROM kto_cel WHERE totaaloordeel_bm IS NOT NULL"
            ).fetchone()[0]
            exact = con.execute("SELECT waarde_exact FROM kto_figuur").fetchall()
        assert {s for (v,) in exact if v is not None for s in _spellings(v)} == own.exact
        for table in PUBLIC_MARTS:
            assert (
                pq.read_metadata(folder / "marts" / f"{table}.parquet").num_rows
                == (own.rows[table])
            )
            lines = (folder / "marts" / f"{table}.csv").read_text(encoding="utf-8-sig")
            assert len(lines.splitlines()) == own.rows[table] + 1  # and the header
        if own.rows["kto_cel"] > 5:
            assert bm > 0, code


def test_the_all_municipality_outputs_are_at_no_public_path(eigen):
    out = eigen.output_dir
    for name in ("marts.duckdb", "marts", "docs"):
        assert not os.path.lexists(out / name), name
    portal_pages = [
        p.name
        for p in (out / "factsheets").glob("*.html")
        if p.name == "index.html" or p.name.startswith(("periode-", "gemeente-"))
    ]
    assert portal_pages == []
    # the operator's complete copy: every municipality, in the current version
    with duckdb.connect(str(out / PUBLISHED / CURRENT / "marts.duckdb"), read_only=True) as con:
        (n,) = con.execute("SELECT count(DISTINCT gemeentecode) FROM kto_cel").fetchone()
    assert n == len(list((out / "gemeenten").iterdir()))


def test_each_municipality_portal_links_only_inside_its_folder(eigen):
    out = eigen.output_dir
    for folder in sorted((out / "gemeenten").iterdir()):
        pages = sorted((folder / "factsheets").glob("*.html"))
        assert pages and {p.name for p in pages} >= {"index.html", f"gemeente-{folder.name}.html"}
        linked = 0
        for page in pages:
            for href in parse(page).links:
                target = (page.parent / href).resolve()
                assert target.is_file(), (page, href)
                assert target.is_relative_to(folder.resolve()), (page, href)
                linked += href.endswith(".pdf")
        factsheets = list((folder / "factsheets").glob("*/*.pdf"))
        assert {p.name.split("_")[0] for p in factsheets} <= {folder.name}
        assert bool(factsheets) == bool(linked), folder.name


def test_a_change_of_the_setting_leaves_nothing_of_the_other_layout(
    built_sample_warehouse, tmp_path
):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    out = tmp_path / "output"

    build(settings(tmp_path, warehouse, "open"))
    index = out / "factsheets" / "index.html"
    assert index.is_file() and (out / "marts.duckdb").is_file()
    assert not (out / "gemeenten").exists()
    # the same figures in the other layout are a publication still to be made
    version = current_version(out).name
    assert unchanged_publication(warehouse, out, publicatie="open") == version
    assert unchanged_publication(warehouse, out, publicatie="eigen") is None

    # open -> eigen: the portal of every municipality and the complete snapshot's links go
    build(settings(tmp_path, warehouse, "eigen"))
    assert not index.exists() and not os.path.lexists(out / "marts.duckdb")
    assert not os.path.lexists(out / "marts")
    codes = sorted(p.name for p in (out / "gemeenten").iterdir())
    assert len(codes) >= 5
    version = current_version(out).name
    assert unchanged_publication(warehouse, out, publicatie="eigen") == version
    assert unchanged_publication(warehouse, out, publicatie="open") is None
    # a municipality that left the marts loses its folder (here: one made up by hand)
    stale = out / "gemeenten" / "GM9999"
    (stale / "factsheets").mkdir(parents=True)
    (stale / "factsheets" / "index.html").write_text("oud", encoding="utf-8")
    os.symlink(f"../../{PUBLISHED}/{CURRENT}/gemeenten/GM9999/marts.duckdb", stale / "marts.duckdb")
    build_portal(settings(tmp_path, warehouse, "eigen"), generated_on=PORTAL_DAY)
    settle_layout(out, "eigen")
    assert not stale.exists()
    assert sorted(p.name for p in (out / "gemeenten").iterdir()) == codes

    # eigen -> open: every municipality's folder goes, the open layout is back
    build(settings(tmp_path, warehouse, "open"))
    assert not (out / "gemeenten").exists()
    assert index.is_file() and (out / "marts.duckdb").is_file()
    with duckdb.connect(str(out / "marts.duckdb"), read_only=True) as con:
        (n,) = con.execute("SELECT count(DISTINCT gemeentecode) FROM kto_cel").fetchone()
    assert n == len(codes)


def test_a_withheld_publication_still_unlinks_the_other_layout(built_sample_warehouse, tmp_path):
    """The publish step calls settle_layout before it refuses: a failing rule after a switch
    to eigen must not leave the complete snapshot linked beside the municipalities."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    out = tmp_path / "output"
    publish_marts(warehouse, out)  # open
    assert (out / "marts.duckdb").is_file()
    settle_layout(out, "eigen")
    assert not os.path.lexists(out / "marts.duckdb") and not os.path.lexists(out / "marts")
    assert not (out / "gemeenten").exists()  # nothing published under eigen yet


@pytest.mark.slow
def test_kto_run_under_eigen_publishes_per_municipality_only(tmp_path):
    """The setting reaches the portal and publish assets through `kto run` (the resource)."""
    from tests.conftest import assert_done_but_for, copy_samples, kto

    landing = copy_samples(tmp_path / "landing")
    run = kto(tmp_path, landing, "run", env={"KTO_PUBLICATIE": "eigen"})
    assert_done_but_for(run.returncode, run.stdout)  # the samples' files refused on purpose
    out = tmp_path / "output"
    for name in ("marts.duckdb", "marts", "docs", "factsheets/index.html"):
        assert not os.path.lexists(out / name), name
    complete = out / PUBLISHED / CURRENT / "marts.duckdb"
    everyone = municipalities(complete)
    shared = benchmarks(complete)
    assert sorted(p.name for p in (out / "gemeenten").iterdir()) == sorted(everyone)
    for code, own in everyone.items():
        others = [g for c, g in everyone.items() if c != code]
        for path in folder_files(out / "gemeenten" / code):
            assert not leaks(file_text(path), own, others, shared), path
    assert f"{out / 'gemeenten'}/<gemeentecode>/marts.duckdb ({len(everyone)} municipalities)" in (
        run.stdout
    )
