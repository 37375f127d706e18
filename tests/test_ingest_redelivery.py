"""Re-deliveries people can steer: a broken re-upload keeps the good rows (loudly), a file can
be retracted, and a re-dropped old export does not undo a correction."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest import load_landing
from dagster_project.ingest.files import (
    UnknownFile,
    format_files,
    landing_files,
    landing_relative,
    retract,
)

BALIE_2020 = "one2ten/export_balie_2020.csv"
CORRECTION = "one2ten/heruitlevering_balie.csv"


def rows_of(warehouse: Path, file_path: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT count(*) FROM raw.one2ten_responses WHERE source_file = ?", [file_path]
        ).fetchall()[0][0]


def comma_copy(path: Path) -> None:
    """Overwrite an export with a comma-separated copy of itself, one minute newer."""
    mtime = path.stat().st_mtime
    text = path.read_bytes().decode("utf-8-sig").replace(";", ",")
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime + 60, mtime + 60))


def test_a_broken_reupload_keeps_the_last_good_rows_until_a_readable_version(
    tmp_path, sample_landing
):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    good = rows_of(warehouse, BALIE_2020)
    original = (sample_landing / BALIE_2020).read_bytes()
    assert good == 98

    comma_copy(sample_landing / BALIE_2020)
    report = load_landing(sample_landing, warehouse)
    (outcome,) = report.of("rejected")
    assert (outcome.file_path, outcome.kept_previous) == (BALIE_2020, True)
    assert "it looks ','-separated" in outcome.reason
    assert rows_of(warehouse, BALIE_2020) == good
    (held,) = report.held
    assert held.file_path == BALIE_2020
    assert str(held).startswith(f"{BALIE_2020}: header has no ';' delimiter")
    assert "previous version" in str(held) and "kto retract" in str(held)
    assert report.totals("one2ten")["files_held"] == 1

    # The next run reads nothing again, and still reports the file as held.
    again = load_landing(sample_landing, warehouse)
    assert again.of("rejected") == [] and [h.file_path for h in again.held] == [BALIE_2020]

    # A readable version replaces the kept rows and ends the hold.
    (sample_landing / BALIE_2020).write_bytes(original[: original.rindex(b"\r\n1000")] + b"\r\n")
    fixed = load_landing(sample_landing, warehouse)
    assert [f.file_path for f in fixed.of("ingested")] == [BALIE_2020]
    assert fixed.held == []
    assert 0 < rows_of(warehouse, BALIE_2020) < good


def test_a_new_file_that_cannot_be_read_is_rejected_not_held(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    (sample_landing / "one2ten" / "nieuw.csv").write_bytes(b"\x00")
    report = load_landing(sample_landing, warehouse)
    assert [f.file_path for f in report.of("rejected")] == ["one2ten/nieuw.csv"]
    assert report.held == [] and not report.of("rejected")[0].kept_previous


def test_retract_takes_the_rows_out_records_why_and_ignores_the_file_until_it_changes(
    tmp_path, sample_landing
):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    assert rows_of(warehouse, CORRECTION) == 5
    with duckdb.connect(str(warehouse)) as con:
        done = retract(con, sample_landing, CORRECTION, "sent for the wrong municipality")
        assert (done.file_path, done.rows_removed) == (CORRECTION, 5)
        assert con.execute("SELECT file_path, reason FROM raw.retracted_files").fetchall() == [
            (CORRECTION, "sent for the wrong municipality")
        ]
        assert con.execute(
            "SELECT count(*) FROM raw.ingested_files WHERE file_path = ?", [CORRECTION]
        ).fetchall() == [(0,)]
        with pytest.raises(UnknownFile):
            retract(con, sample_landing, "one2ten/bestaat_niet.csv", "typo")
        with pytest.raises(ValueError, match="needs a reason"):
            retract(con, sample_landing, BALIE_2020, "  ")

    # Ignored while its content stays the same, even when touched.
    path = sample_landing / CORRECTION
    os.utime(path, (path.stat().st_mtime + 600,) * 2)
    report = load_landing(sample_landing, warehouse)
    assert [f.status for f in report.files if f.file_path == CORRECTION] == ["retracted"]
    assert rows_of(warehouse, CORRECTION) == 0

    # New content is a new delivery: read again, the retraction is over.
    path.write_bytes(path.read_bytes().replace(b";3;", b";4;", 1))
    report = load_landing(sample_landing, warehouse)
    assert [f.file_path for f in report.of("ingested")] == [CORRECTION]
    assert rows_of(warehouse, CORRECTION) == 5
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.retracted_files").fetchall() == [(0,)]


def test_retracting_a_held_file_removes_the_kept_rows_and_ends_the_hold(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    comma_copy(sample_landing / BALIE_2020)
    assert load_landing(sample_landing, warehouse).held
    with duckdb.connect(str(warehouse)) as con:
        retract(con, sample_landing, BALIE_2020, "wrong export, a new one follows")
    report = load_landing(sample_landing, warehouse)
    assert report.held == [] and rows_of(warehouse, BALIE_2020) == 0


def test_a_redropped_original_keeps_the_delivery_time_of_its_content(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    copy = sample_landing / "one2ten" / "export_balie_2020 (1).csv"
    shutil.copyfile(sample_landing / BALIE_2020, copy)
    later = (sample_landing / CORRECTION).stat().st_mtime + 60
    os.utime(copy, (later, later))  # dropped again after the correction
    assert copy.stat().st_mtime > (sample_landing / CORRECTION).stat().st_mtime
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = dict(
            con.execute(
                "SELECT DISTINCT source_file, source_version_at FROM raw.one2ten_responses "
                "WHERE source_file IN (?, ?, ?)",
                [BALIE_2020, CORRECTION, "one2ten/export_balie_2020 (1).csv"],
            ).fetchall()
        )
    assert versions["one2ten/export_balie_2020 (1).csv"] == versions[BALIE_2020]
    assert versions[CORRECTION] > versions[BALIE_2020]


@pytest.mark.slow
def test_staging_shows_which_file_supplies_each_response_and_the_correction_wins(
    tmp_path, sample_landing, expected
):
    from dagster_project.settings import Settings
    from dagster_project.transform.commands import run_dbt

    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    redrop = "one2ten/export_balie_2020 (1).csv"
    shutil.copyfile(sample_landing / BALIE_2020, sample_landing / redrop)
    later = (sample_landing / CORRECTION).stat().st_mtime + 60
    os.utime(sample_landing / redrop, (later, later))
    load_landing(sample_landing, warehouse)
    run = run_dbt(
        ["run", "--select", "staging"], Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    )
    assert run.ok, run.output

    with duckdb.connect(str(warehouse), read_only=True) as con:
        corrected = con.execute(
            "SELECT respondentnummer, totaaloordeel, source_file, source_row "
            "FROM staging.stg_one2ten__responses WHERE respondentnummer IN "
            "(SELECT respondentnummer FROM raw.one2ten_responses WHERE source_file = ?) "
            "ORDER BY 1",
            [CORRECTION],
        ).fetchall()
        in_correction = con.execute(
            "SELECT respondentnummer, totaaloordeel, source_file, source_row "
            "FROM raw.one2ten_responses WHERE source_file = ? ORDER BY 1",
            [CORRECTION],
        ).fetchall()
        listing = {f.file_path: f for f in landing_files(con, sample_landing)}
    assert corrected == in_correction  # the re-dropped original did not undo the correction
    assert listing[CORRECTION].supplies == 5
    assert listing[BALIE_2020].supplies + listing[redrop].supplies == 98 - 5
    assert listing[CORRECTION].status == "loaded"
    assert listing["openforms/melding_openbare_ruimte.csv"].status == "rejected"
    assert listing["openforms/melding_openbare_ruimte.csv"].supplies == 0
    assert listing["inviter/inviter_log.csv"].supplies > 0
    shown = format_files(list(listing.values()))
    assert re.search(rf"^{re.escape(CORRECTION)} +loaded +5 +5 +0 +5$", shown, re.M), shown


def test_the_listing_shows_new_changed_held_retracted_and_removed_files(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    comma_copy(sample_landing / BALIE_2020)
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        retract(con, sample_landing, CORRECTION, "duplicate delivery")
    (sample_landing / "one2ten" / "nieuw.csv").write_bytes(b"x")
    (sample_landing / "inviter" / "inviter_log.csv").unlink()
    path = sample_landing / "one2ten" / "export_balie_2019.csv"
    path.write_bytes(path.read_bytes() + b"\r\n")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        listing = {f.file_path: f for f in landing_files(con, sample_landing)}
    statuses = {path: f.status for path, f in listing.items()}
    assert statuses[BALIE_2020] == "held"
    assert statuses[CORRECTION] == "retracted"
    assert statuses["one2ten/nieuw.csv"] == "new"
    assert statuses["inviter/inviter_log.csv"] == "loaded, removed"
    assert statuses["one2ten/export_balie_2019.csv"] == "changed"
    assert statuses["openforms/melding_openbare_ruimte.csv"] == "rejected"
    assert listing[BALIE_2020].rows_read == 99 and listing[BALIE_2020].rows_accepted == 98
    assert "','-separated" in listing[BALIE_2020].reason
    assert listing[CORRECTION].reason == "retracted: duplicate delivery"
    assert listing[CORRECTION].supplies is None  # staging not built: unknown, not zero


def test_kto_files_and_kto_retract_from_the_command_line(
    tmp_path, sample_landing, monkeypatch, capsys
):
    from dagster_project import cli

    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("KTO_LANDING_DIR", str(sample_landing))
    monkeypatch.setenv("KTO_WAREHOUSE", str(warehouse))
    assert cli.main(["files"]) == 0  # no warehouse yet: everything is new
    listing = capsys.readouterr().out
    assert re.search(rf"^{re.escape(CORRECTION)} +new +- +- +- +-$", listing, re.M), listing

    load_landing(sample_landing, warehouse)
    monkeypatch.chdir(sample_landing / "one2ten")
    assert cli.main(["retract", "heruitlevering_balie.csv", "--reason", "wrong file"]) == 0
    assert capsys.readouterr().out.startswith(f"retracted {CORRECTION}: 5 rows taken out of raw")
    assert cli.main(["retract", "nergens.csv", "--reason", "x"]) == 2
    assert "kto retract: nergens.csv: not a file of the landing folder" in capsys.readouterr().out
    assert cli.main(["files"]) == 0
    listing = capsys.readouterr().out
    assert re.search(rf"^{re.escape(CORRECTION)} +retracted +- +- +- +-$", listing, re.M)
    assert f"{CORRECTION}: retracted: wrong file" in listing
    assert landing_relative(sample_landing, str(sample_landing / BALIE_2020)) == BALIE_2020
    assert landing_relative(sample_landing, BALIE_2020) == BALIE_2020


def test_files_and_retract_say_so_when_a_run_holds_the_warehouse(tmp_path, sample_landing):
    import subprocess
    import sys

    from dagster_project.ingest.files import files_command, retract_command

    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print(1, flush=True);"
            " time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        holder.stdout.readline()
        out = io.StringIO()
        assert files_command(sample_landing, warehouse, out) == 2
        assert retract_command(sample_landing, warehouse, CORRECTION, "x", out) == 2
        assert out.getvalue().count("is in use by another process") == 2
    finally:
        holder.kill()
        holder.wait()
    assert rows_of(warehouse, CORRECTION) == 5
