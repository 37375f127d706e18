"""`kto bench --scenario history` at a tiny scale: its landing folder, and both runs.

No timing here: speed and memory are measured by `kto bench` itself, never in a test.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from kto_devtools.bench.history_landing import move_into, write_history
from kto_devtools.bench.ingest_account import account

from dagster_project.cli import main
from dagster_project.ingest.loader import load_landing


def test_the_history_folder_holds_every_format_and_december_apart(tmp_path: Path):
    landing = write_history(tmp_path / "landing", tmp_path / "december", 3, 40, 2020)
    history, december = landing.history, landing.december
    suffixes = {Path(p).suffix for p in history.files}
    assert suffixes == {".xlsx", ".csv", ".json"}
    assert {Path(p).suffix for p in december.files} == {".csv", ".xlsx"}
    assert "inviter/inviter_2019-2020_jan-nov.csv" in history.files  # two years in one log
    assert all(rows > 0 for rows in (*history.files.values(), *december.files.values()))

    # The workbook is a full channel-year; the JSON a full year.
    sheet = openpyxl.load_workbook(
        tmp_path / "landing" / "one2ten" / "kto_balie_2019.xlsx", read_only=True
    ).active
    rows = sheet.iter_rows(min_row=2, values_only=True)
    years = {str(row[6] or row[5])[6:10] for row in rows}  # Einddatum, else Startdatum
    assert years == {"2019"}
    submissions = json.loads(
        (tmp_path / "landing" / "openforms" / "kto-digitaal_2019.json").read_text("utf-8")
    )
    assert len(submissions) == history.files["openforms/kto-digitaal_2019.json"]
    assert {s["Inzendingdatum"][:4] for s in submissions} == {"2019"}

    def months(path: Path) -> set[str]:
        with path.open(encoding="utf-8", newline="") as handle:
            return {row["Verzonden op"][3:10] for row in csv.DictReader(handle, delimiter=";")}

    assert months(tmp_path / "december" / "inviter" / "inviter_2020-12.csv") == {"12-2020"}
    assert "12-2020" not in months(tmp_path / "landing" / "inviter/inviter_2019-2020_jan-nov.csv")

    # Every row of both parts is read and accepted, nothing quarantined or blanked.
    warehouse = tmp_path / "warehouse.duckdb"
    load_landing(tmp_path / "landing", warehouse)
    before = account(warehouse, len(history.files), history.rows, faults_injected=0)
    assert before.clean and before.rows_accepted == history.rows, before.summary()
    move_into(december, tmp_path / "landing")
    load_landing(tmp_path / "landing", warehouse)
    after = account(
        warehouse, len(history.files) + len(december.files), history.rows + december.rows, 0
    )
    assert after.clean and after.rows_accepted == history.rows + december.rows, after.summary()


@pytest.fixture(scope="module")
def history_bench(tmp_path_factory: pytest.TempPathFactory):
    """The scenario at a tiny scale, once: (exit status, bench folder, report text)."""
    root = tmp_path_factory.mktemp("history_bench")
    results, work = root / "results", root / "bench"
    code = main(
        ["bench", "--scenario", "history", "--scale", "0.01", "--size", "40",
         "--workdir", str(work), "--results", str(results), "--note", "test"]
    )  # fmt: skip
    (report,) = results.glob("history-0.01-*.md")
    return code, work, report.read_text(encoding="utf-8")


def _versions(work: Path) -> tuple[list[str], int]:
    """The versions kept under .published/ and the releases in the ledger."""
    kept = sorted(p.name for p in (work / "output" / ".published").glob("v*"))
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        released = con.execute(
            "SELECT count(DISTINCT version) FROM ledger.released_figures"
        ).fetchone()[0]
    return kept, released


@pytest.mark.slow
def test_the_history_scenario_accepts_every_row_and_publishes_the_two_years(history_bench):
    _, work, text = history_bench
    assert "| every row accepted |" in text and "> test" in text
    row = next(line for line in text.splitlines() if line.startswith("| every row accepted"))
    assert row.endswith("| met |"), row
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        quarantined = con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0]
        rejected = con.execute("SELECT count(*) FROM raw.rejected_files").fetchone()[0]
        december = con.execute(
            "SELECT count(*) FROM raw.one2ten_responses WHERE source_file LIKE '%2020-12%'"
        ).fetchone()[0]
        files = con.execute("SELECT count(*) FROM raw.ingested_files").fetchone()[0]
    assert (quarantined, rejected, files) == (0, 0, 11) and december > 0
    kept, released = _versions(work)
    assert kept and released >= 1  # the two years were published
    with duckdb.connect(str(work / "output" / "marts.duckdb"), read_only=True) as con:
        periods = {p for (p,) in con.execute("SELECT DISTINCT periode FROM kto_cel").fetchall()}
    assert {"2019", "2020", "2020-Q4"} <= periods


@pytest.mark.slow
def test_the_december_drop_publishes_a_new_version(history_bench):
    """December added to a published Q4 (a quarter being filled): the figures it changes
    by fewer responses than the threshold are withheld, and the drop publishes."""
    code, work, _ = history_bench
    kept, released = _versions(work)
    assert (code, len(kept), released) == (0, 2, 2)
