"""Re-ingest: the same file twice changes nothing; only new or changed files are read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from dagster_project.ingest import load_landing

TABLES = (
    "one2ten_responses",
    "openforms_submissions",
    "inviter_invitations",
    "quarantine",
    "answer_issues",
    "rejected_files",
)


def snapshot(warehouse: Path, *, times: bool = True) -> dict[str, list]:
    """Every raw row; without ``times`` the moment a file was refused is left out."""
    columns = {"rejected_files": "* EXCLUDE (rejected_at)"} if not times else {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: sorted(
                map(repr, con.execute(f"SELECT {columns.get(t, '*')} FROM raw.{t}").fetchall())
            )
            for t in TABLES
        }


def test_ingesting_twice_changes_nothing(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    first = load_landing(sample_landing, warehouse)
    before = snapshot(warehouse)
    second = load_landing(sample_landing, warehouse)

    assert len(first.of("ingested")) == 8 and len(first.of("rejected")) == 2
    assert second.of("ingested") == [] and second.of("rejected") == []
    assert len(second.of("unchanged")) == 10
    assert snapshot(warehouse) == before

    # Touching a file without changing it reads it (to hash it) but changes nothing.
    path = sample_landing / "inviter" / "inviter_log.csv"
    os.utime(path, (path.stat().st_mtime + 60,) * 2)
    assert load_landing(sample_landing, warehouse).of("ingested") == []
    assert snapshot(warehouse) == before


def test_only_new_or_changed_files_are_read(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)

    changed = sample_landing / "one2ten" / "export_balie_2019.csv"
    lines = changed.read_bytes().split(b"\r\n")
    changed.write_bytes(b"\r\n".join(lines[:10]) + b"\r\n")  # a corrected, shorter export
    added = sample_landing / "inviter" / "inviter_2021.csv"
    added.write_text(
        "Gemeentecode;Kanaal;Verzonden op;E-mailadres;Status\n"
        "GM0637;Balie;05-01-2021 09:00;x@example.org;Verzonden\n",
        encoding="utf-8",
    )

    report = load_landing(sample_landing, warehouse)
    assert sorted(f.file_path for f in report.of("ingested")) == [
        "inviter/inviter_2021.csv",
        "one2ten/export_balie_2019.csv",
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ((rows, accepted),) = con.execute(
            "SELECT rows_read, rows_accepted FROM raw.ingested_files"
            " WHERE file_path = 'one2ten/export_balie_2019.csv'"
        ).fetchall()
        (kept,) = con.execute(
            "SELECT count(*) FROM raw.one2ten_responses"
            " WHERE source_file = 'one2ten/export_balie_2019.csv'"
        ).fetchone()
        (quarantined,) = con.execute(
            "SELECT count(*) FROM raw.quarantine WHERE file_path = 'one2ten/export_balie_2019.csv'"
        ).fetchone()
    # The previous version's rows are gone: only what the corrected file holds is left.
    assert rows == 9 and kept == accepted and quarantined == rows - accepted


def test_a_file_that_becomes_readable_leaves_the_rejected_list(tmp_path, sample_landing):
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    broken = sample_landing / "one2ten" / "export_zonder_gemeentecode.csv"
    broken.write_text(
        "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status\r\n"
        "900001;GM0637;Zoetermeer;Balie;02-03-2020 10:00;02-03-2020 10:05;Voltooid\r\n",
        encoding="utf-8",
    )
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = [
            p for (p,) in con.execute("SELECT file_path FROM raw.rejected_files").fetchall()
        ]
        (n,) = con.execute(
            "SELECT count(*) FROM raw.one2ten_responses"
            " WHERE source_file = 'one2ten/export_zonder_gemeentecode.csv'"
        ).fetchone()
    assert rejected == ["openforms/melding_openbare_ruimte.csv"]
    assert n == 1


def test_reading_in_worker_processes_loads_the_same_rows(tmp_path, sample_landing, monkeypatch):
    from dagster_project.ingest import loader

    sequential = tmp_path / "sequential.duckdb"
    load_landing(sample_landing, sequential)
    monkeypatch.setattr(loader, "PARALLEL_READ_BYTES", 0)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 2)
    parallel = tmp_path / "parallel.duckdb"
    report = load_landing(sample_landing, parallel)

    assert len(report.of("ingested")) == 8 and len(report.of("rejected")) == 2
    assert snapshot(parallel, times=False) == snapshot(sequential, times=False)


def test_reading_ahead_is_bounded_by_the_workers(tmp_path, sample_landing, monkeypatch):
    """Results are taken as they come and at most one file per worker is read ahead, so
    the ingest's memory does not grow with the number of files waiting to be written."""
    from concurrent.futures import Future

    from dagster_project.ingest import loader

    submitted: list[str] = []

    class InlinePool:  # runs each read at submission, so "read" means "submitted"
        def __init__(self, workers, mp_context=None):
            self.workers = workers

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, *args):
            submitted.append(args[1])
            future: Future = Future()
            future.set_result(fn(*args))
            return future

    monkeypatch.setattr(loader, "ProcessPoolExecutor", InlinePool)
    monkeypatch.setattr(loader, "PARALLEL_READ_BYTES", 0)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 2)
    files = loader.scan_landing(sample_landing)
    taken = []
    for i, _ in loader._read_all(sample_landing, files, "melden"):
        taken.append(i)
        assert len(submitted) - len(taken) <= 2 - 1, (submitted, taken)
    assert sorted(taken) == list(range(len(files)))
    assert submitted[0] == max(files, key=lambda f: f.size_bytes).file_path  # largest first
