"""`kto bench`: its references, its instruments, and a smoke run through `kto run`.

The floor (kto_devtools/bench/floor.sql) and the pandas script are the yardsticks, so they are
held to tests/oracle.py themselves, on a folder with the quirks of real deliveries. The
smoke test runs the whole bench on three small municipalities and fails unless the floor
and pandas agree with the published marts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from kto_devtools.bench import pandas_figures
from kto_devtools.bench.agreement import compare
from kto_devtools.bench.floor import floor_cells
from kto_devtools.bench.landing import january_after, move_into, write_drop, write_year
from kto_devtools.bench.measure import run_measured
from kto_devtools.demo import random_dataset, write_landing

from dagster_project.cli import main
from dagster_project.cli.phases import OVERHEAD, STARTUP, Phase, RunPhases, phase_of
from tests import oracle

MIN_N = 10


@pytest.fixture(scope="module")
def quirky(tmp_path_factory: pytest.TempPathFactory):
    """Two years, plain formats, with re-export, invalid answers, junk rows, files to reject."""
    root = tmp_path_factory.mktemp("bench_quirky")
    data = random_dataset("bench-test", 3, years=(2019, 2020), size=40)
    manifest = write_landing(root / "landing", data, seed="bench-test", quirks=True, plain=True)
    return manifest, oracle.expected(manifest.truth, MIN_N)


def _floor(landing: Path) -> dict[str, dict]:
    with duckdb.connect() as con:
        floor_cells(con, landing, MIN_N)
        cursor = con.execute("SELECT * FROM floor_cel")
        names = [d[0] for d in cursor.description]
        return {"|".join(row[:3]): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _pandas(landing: Path) -> dict[str, dict]:
    frame = pandas_figures.kto_cel(landing, MIN_N)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return {f"{r['gemeentecode']}|{r['kanaal']}|{r['periode']}": r for r in rows}


def _differences(cells: dict[str, dict], expected: dict) -> list[str]:
    problems = sorted(set(cells) ^ set(expected["cells"]))
    for key, exp in expected["cells"].items():
        got = cells.get(key)
        if got is None:
            continue
        _, kanaal, periode = key.split("|")
        bm = expected["benchmark"][f"{kanaal}|{periode}"]
        pairs = {
            "respons": exp["respons"],
            "reviews": exp["reviews"],
            "verbetertips": exp["verbetertips"],
            "uitnodigingen": exp.get("uitnodigingen"),
            "totaaloordeel": exp["totaaloordeel"]["value"],
            "totaaloordeel_n": exp["totaaloordeel"]["n"],
            "totaaloordeel_bm": bm["totaaloordeel"],
            "ces": exp["ces"]["value"],
            "ces_n": exp["ces"]["n"],
            "ces_bm": bm["ces"],
        }
        for column, want in pairs.items():
            have = got[column]
            if (want is None) != (have is None) or (want is not None and want != float(have)):
                problems.append(f"{key} {column}: {have}, oracle {want}")
    return problems


@pytest.mark.parametrize("reference", [_floor, _pandas], ids=["floor", "pandas"])
def test_references_equal_the_oracle_on_a_quirky_folder(quirky, reference):
    manifest, expected = quirky
    cells = reference(manifest.landing_dir)
    assert len(cells) == len(expected["cells"]) > 20
    assert _differences(cells, expected) == []


def test_a_reference_that_is_off_by_one_is_caught(quirky):
    manifest, expected = quirky
    cells = _floor(manifest.landing_dir)
    key = next(k for k, c in cells.items() if c["totaaloordeel"] is not None)
    cells[key]["totaaloordeel"] += 1
    assert _differences(cells, expected) == [
        f"{key} totaaloordeel: {cells[key]['totaaloordeel']}, "
        f"oracle {expected['cells'][key]['totaaloordeel']['value']}"
    ]


def test_agreement_names_every_difference(tmp_path: Path, quirky):
    """compare() on a snapshot built from the floor's own cells, then with three faults."""
    manifest, _ = quirky
    cells = tmp_path / "cells.parquet"
    snapshot = tmp_path / "marts.duckdb"
    with duckdb.connect() as con:
        floor_cells(con, manifest.landing_dir, MIN_N)
        con.execute(f"COPY floor_cel TO '{cells}' (FORMAT parquet)")
    with duckdb.connect(str(snapshot)) as con:
        con.execute(f"CREATE TABLE kto_cel AS SELECT * FROM '{cells}'")
    same = compare("floor", cells, snapshot)
    assert same.agrees and same.cells > 20 and same.values == same.cells * 12

    with duckdb.connect(str(snapshot)) as con:
        first = con.execute("SELECT min(gemeentecode || '|' || kanaal) FROM kto_cel").fetchone()
        code, kanaal = first[0].split("|")
        con.execute(
            "UPDATE kto_cel SET respons = respons + 1 WHERE gemeentecode = ? AND kanaal = ? "
            "AND periode = '2020'",
            [code, kanaal],
        )
        con.execute(
            "UPDATE kto_cel SET ces_exact = ces_exact + 1e-6 WHERE gemeentecode = ? "
            "AND kanaal = ? AND periode = '2019' AND ces_exact IS NOT NULL",
            [code, kanaal],
        )
        con.execute("DELETE FROM kto_cel WHERE periode = '2020-Q4' AND kanaal = 'balie'")
        removed = con.execute(
            f"SELECT count(*) FROM '{cells}' WHERE periode = '2020-Q4' AND kanaal = 'balie'"
        ).fetchone()[0]
    off = compare("floor", cells, snapshot)
    assert not off.agrees
    assert len(off.only_reference) == removed > 0 and off.only_marts == []
    assert any(f"{code}|{kanaal}|2020 respons" in d for d in off.differences)
    assert any(f"{code}|{kanaal}|2019 ces_exact" in d for d in off.differences)
    assert len(off.differences) == 2


def test_monthly_drop_is_january_after_the_year_with_new_respondents(tmp_path: Path):
    year = write_year(tmp_path / "landing", 3, 60, 2020)
    truth = year.manifest.truth
    drop = january_after(truth, 60, 2020)
    assert drop.responses and drop.submissions and drop.invitations
    moments = [r.einddatum or r.startdatum for r in drop.responses]
    moments += [s.inzendingdatum for s in drop.submissions]
    moments += [i.verzonden_op for i in drop.invitations]
    assert {(m.year, m.month) for m in moments} == {(2021, 1)}
    assert {r.gemeentecode for r in drop.responses} <= set(truth.gemeenten)
    for kanaal in ("Balie", "Telefoon"):
        before = {r.respondentnummer for r in truth.responses if r.kanaal == kanaal}
        after = {r.respondentnummer for r in drop.responses if r.kanaal == kanaal}
        assert after and min(after) > max(before)
    ids = {s.respondent_id for s in truth.submissions}
    assert not ids & {s.respondent_id for s in drop.submissions}

    written = write_drop(tmp_path / "drop", year, 60, 2020)
    moved = move_into(written, year.path)
    assert len(moved) == written.files and all((year.path / p).exists() for p in moved)
    # The grown folder counts the year and the drop: nothing of the drop replaced the year.
    cells = _floor(year.path)
    assert sum(c["respons"] for k, c in cells.items() if k.endswith("|2021")) == written.responses
    assert sum(c["respons"] for k, c in cells.items() if k.endswith("|2020")) == year.responses


def test_the_tree_counts_the_children(tmp_path: Path):
    """A parent that starts a child holding 200 MiB for a second of CPU: the tree's peak RSS
    and CPU seconds hold the child's."""
    child = (
        "import time\nb = bytearray(200 * 2**20)\nt = time.process_time()\n"
        "while time.process_time() - t < 1.0: pass"
    )
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    measured = run_measured([sys.executable, "-c", parent])
    assert measured.ok
    assert measured.peak_rss_mib > 200
    assert measured.cpu_seconds >= 1.0
    assert measured.seconds >= 1.0


def test_each_sample_counts_for_the_phase_running_then():
    phases = RunPhases(
        [
            Phase(STARTUP, 2.0),
            Phase("ingest", 3.0, spans=[(12.0, 15.0)]),
            Phase("dbt build", 4.0, spans=[(16.0, 20.0)]),
            Phase(OVERHEAD, 1.0),
        ],
        jobs=[],
    )
    samples = [(10.5, 100), (11.9, 150), (12.0, 90), (14.0, 300), (15.5, 400), (17.0, 250),
               (20.0, 260), (21.0, 120)]  # fmt: skip
    assert phases.peak_rss(samples) == {
        STARTUP: 150,  # before the first step
        "ingest": 300,
        OVERHEAD: 400,  # between the steps and after the last
        "dbt build": 260,
    }


def test_steps_fall_into_phases():
    assert phase_of("ingest_landing") == "ingest"
    assert phase_of("kto_dbt_models") == "dbt build"
    assert phase_of("marts__kto_cel_gx_ranges") == "quality checks (GX)"
    assert phase_of("gx_ranges") == "quality checks (GX)"  # one step per suite
    assert phase_of("factsheets__pdf_html") == "factsheets"
    assert phase_of("publish__marts_snapshot") == "publish"
    assert phase_of("marts__kto_figuur_disclosure_audit") == "disclosure audit"
    assert phase_of("quality__gate") == "quality gate"
    assert phase_of("marts__kto_verandering_signalen") == "signals"  # the check signalen
    assert phase_of("something_new") == "something_new"


@pytest.mark.slow
def test_bench_smoke(tmp_path: Path, capsys):
    """The bench end to end at a tiny scale: one `kto run`, floor and pandas equal the marts;
    the samples end to end, whose refused files make `kto run` exit 1, are reported, not a
    crash of the bench."""
    results = tmp_path / "results"
    code = main(
        ["bench", "--scale", "0.01", "--size", "60", "--skip-monthly",
         "--workdir", str(tmp_path / "bench"), "--results", str(results), "--note", "smoke"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    (report,) = results.glob("scale-0.01-*.md")
    text = report.read_text(encoding="utf-8")
    marts_cells = duckdb.connect(str(tmp_path / "bench" / "output" / "marts.duckdb"), True)
    cells = marts_cells.execute("SELECT count(*) FROM kto_cel").fetchone()[0]
    marts_cells.close()
    assert cells > 20
    for reference in ("floor", "pandas"):
        assert f"✓ {reference} = marts: {cells} cells, {cells * 12} values, all equal" in text
    assert "✗" not in text
    assert "✓ ingest: " in text and " 0 quarantined, 0 files rejected, 0 answers blanked" in text
    for phase in ("start-up", "ingest", "dbt build", "quality checks (GX)", "factsheets",
                  "publish", "Dagster overhead"):  # fmt: skip
        assert f"| {phase} |" in text
    assert "pages/s per core" in text
    # every phase's peak RSS, the largest of them the whole run's
    full_year = text.split("## `kto run`, full year")[1].split("\n## ")[0]
    rows = [line.split("|") for line in full_year.splitlines()]
    rows = [[cell.strip() for cell in row] for row in rows if len(row) > 6][2:]
    peaks = {row[1]: row[5] for row in rows}
    total = peaks.pop("**kto run**").strip("*")
    assert all(peaks[phase] for phase in ("ingest", "dbt build", "factsheets"))
    assert max(float(p.replace(",", "")) for p in peaks.values() if p) == float(
        total.replace(",", "")
    )
    (factsheet_row,) = [
        line for line in full_year.splitlines() if line.startswith("| factsheets |")
    ]
    assert "None" not in factsheet_row  # the rendering step's metadata, not the portal's
    assert "> smoke" in text
    assert "## Tiny case: the samples end to end" in text and "it exited 1," in text
    assert "vs the floor" in printed and "ingest + dbt build" in printed


def test_ingest_account_of_the_generator_output(tmp_path: Path):
    """The generator's plain folder is read whole; one bad row is counted and makes it unclean."""
    from kto_devtools.bench.ingest_account import account

    from dagster_project.ingest.loader import load_landing

    year = write_year(tmp_path / "landing", 3, 20, 2020)
    faults = len(year.manifest.quirks)
    assert faults == 0  # the bench's folder is plain
    load_landing(tmp_path / "landing", tmp_path / "clean.duckdb")
    clean = account(tmp_path / "clean.duckdb", year.files, year.rows, faults)
    assert clean.clean, clean.summary()
    assert (clean.files_read, clean.rows_read, clean.rows_accepted) == (
        year.files,
        year.rows,
        year.rows,
    )
    (log,) = (tmp_path / "landing" / "inviter").glob("*.csv")
    with log.open("a", encoding="utf-8") as out:
        out.write("GM0479;Telefoon;31-02-2020 19:08;x@example.net;Verzonden\n")  # no 31 February
    load_landing(tmp_path / "landing", tmp_path / "faulty.duckdb")
    faulty = account(tmp_path / "faulty.duckdb", year.files, year.rows + 1, faults)
    assert not faulty.clean
    assert faulty.rows_quarantined == 1 and faulty.rows_accepted == year.rows
    assert "✗ ingest" in faulty.summary() and "quarantined (1)" in faulty.summary()
