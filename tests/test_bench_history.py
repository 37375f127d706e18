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

from dagster_project.bench.history_landing import move_into, write_history
from dagster_project.bench.ingest_account import account
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


@pytest.mark.slow
def test_the_history_scenario_end_to_end(tmp_path: Path, capsys):
    """Both `kto run`s of the scenario publish, and every row is accepted."""
    results, work = tmp_path / "results", tmp_path / "bench"
    code = main(
        ["bench", "--scenario", "history", "--scale", "0.01", "--size", "40",
         "--workdir", str(work), "--results", str(results), "--note", "test"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    (report,) = results.glob("history-0.01-*.md")
    text = report.read_text(encoding="utf-8")
    assert "| every row accepted |" in text and "| met |" in text
    assert "> test" in text
    assert "of the full run**" in text

    versions = sorted(p.name for p in (work / "output" / ".published").glob("v*"))
    assert len(versions) == 2  # the two years, then December: two publications
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        quarantined = con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0]
        released = con.execute(
            "SELECT count(DISTINCT version) FROM ledger.released_figures"
        ).fetchone()[0]
        december = con.execute(
            "SELECT count(*) FROM raw.one2ten_responses WHERE source_file LIKE '%2020-12%'"
        ).fetchone()[0]
    assert quarantined == 0 and released == 2 and december > 0
    with duckdb.connect(str(work / "output" / "marts.duckdb"), read_only=True) as con:
        periods = {p for (p,) in con.execute("SELECT DISTINCT periode FROM kto_cel").fetchall()}
    assert {"2019", "2020", "2020-Q4"} <= periods
