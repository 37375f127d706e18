"""The bad-input corpus in one landing folder with the samples: every file is refused with
its reason or read with every row accounted for, and the sample files load as without it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest import load_landing
from dagster_project.ingest.readers import FileRejected, read_file
from tests.bad_inputs import CORPUS, INJECTIONS, Case

FAST = [c for c in CORPUS if not c.slow]


def write(landing: Path, case: Case) -> None:
    path = landing / case.file_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.build())


@pytest.fixture(scope="module")
def corpus_load(tmp_path_factory):
    """The samples and the fast corpus ingested together: (landing, warehouse, report)."""
    from tests.conftest import copy_samples

    root = tmp_path_factory.mktemp("corpus")
    landing = copy_samples(root / "landing")
    for case in FAST:
        write(landing, case)
    warehouse = root / "w.duckdb"
    return landing, warehouse, load_landing(landing, warehouse)


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.file_path)
def test_each_file_is_refused_with_its_reason_or_every_row_is_accounted_for(corpus_load, case):
    _, warehouse, report = corpus_load
    (outcome,) = [f for f in report.files if f.file_path == case.file_path]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = con.execute(
            "SELECT reason FROM raw.rejected_files WHERE file_path = ?", [case.file_path]
        ).fetchall()
        counts = con.execute(
            "SELECT rows_read, rows_accepted, rows_quarantined FROM raw.ingested_files "
            "WHERE file_path = ?",
            [case.file_path],
        ).fetchall()
        problems = con.execute(
            "SELECT row_number, column_name, rule FROM raw.quarantine WHERE file_path = ? "
            "ORDER BY row_number",
            [case.file_path],
        ).fetchall()
        loaded = sum(
            con.execute(
                f"SELECT count(*) FROM raw.{table} WHERE source_file = ?", [case.file_path]
            ).fetchall()[0][0]
            for table in ("one2ten_responses", "openforms_submissions", "inviter_invitations")
        )
    if case.rejected:
        assert outcome.status == "rejected"
        assert rejected and re.search(case.rejected, rejected[0][0]), rejected
        assert counts == [] and problems == [] and loaded == 0
        return
    assert outcome.status == "ingested" and rejected == []
    read, accepted, quarantined = case.rows
    assert counts == [(read, accepted, quarantined)]
    assert read == accepted + quarantined and loaded == accepted
    assert len(problems) == len(case.problems) == quarantined
    for (row, column, rule), expected in zip(problems, case.problems, strict=True):
        assert (row, column) == expected[:2]
        assert re.search(expected[2], rule), rule


@pytest.mark.parametrize("case", [c for c in FAST if c.problems], ids=lambda c: c.file_path)
def test_a_quarantine_message_names_file_row_and_column(tmp_path, case):
    write(tmp_path, case)
    result = read_file(tmp_path, case.file_path)
    for problem, (row, column, _) in zip(result.quarantined, case.problems, strict=True):
        message = str(problem)
        assert message.startswith(f"{case.file_path}, row {row}")
        if column:
            assert f"column {column!r}" in message


@pytest.mark.parametrize("case", [c for c in FAST if c.rejected], ids=lambda c: c.file_path)
def test_a_rejection_names_the_file(tmp_path, case):
    write(tmp_path, case)
    with pytest.raises(FileRejected) as refused:
        read_file(tmp_path, case.file_path)
    assert str(refused.value).startswith(f"{case.file_path}: ")


def test_the_sample_files_load_as_without_the_corpus(corpus_load, expected):
    _, warehouse, _ = corpus_load
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {
            path: {"rows": read, "quarantined": quarantined}
            for path, read, quarantined in con.execute(
                "SELECT file_path, rows_read, rows_quarantined FROM raw.ingested_files"
            ).fetchall()
        }
        rejected = {
            r[0] for r in con.execute("SELECT file_path FROM raw.rejected_files").fetchall()
        }
    for file_path, want in expected["files"].items():
        assert counts[file_path] == want, file_path
    assert set(expected["rejected_files"]) <= rejected
    assert rejected - set(expected["rejected_files"]) == {c.file_path for c in FAST if c.rejected}


def test_injection_and_control_text_is_stored_literally_or_cleaned(corpus_load):
    _, warehouse, _ = corpus_load
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = con.execute(
            "SELECT product, toelichting_totaaloordeel FROM raw.one2ten_responses "
            "WHERE source_file = 'one2ten/injectie.csv' ORDER BY source_row"
        ).fetchall()
        cleaned = con.execute(
            "SELECT gemeente, toelichting_totaaloordeel FROM raw.one2ten_responses "
            "WHERE source_file = 'one2ten/stuurtekens.csv'"
        ).fetchall()
    assert stored == [(text.strip(), text.strip()) for text in INJECTIONS]
    (case,) = [c for c in CORPUS if c.file_path == "one2ten/stuurtekens.csv"]
    assert cleaned == [(case.stored["gemeente"], case.stored["toelichting_totaaloordeel"])]


def test_a_later_run_is_not_stuck_and_reads_nothing_again(corpus_load):
    landing, warehouse, _ = corpus_load
    again = load_landing(landing, warehouse)
    assert again.of("ingested") == [] and again.of("rejected") == []
    assert {f.status for f in again.files} == {"unchanged"}


@pytest.mark.slow
def test_a_zip_bomb_is_refused_fast_without_unpacking(tmp_path):
    (case,) = [c for c in CORPUS if c.slow]
    write(tmp_path, case)
    assert (tmp_path / case.file_path).stat().st_size < 2 * 1024**2
    started = time.perf_counter()
    with pytest.raises(FileRejected, match=case.rejected):
        read_file(tmp_path, case.file_path)
    assert time.perf_counter() - started < 2


def test_any_reader_failure_refuses_only_that_file(tmp_path, monkeypatch):
    """A bug or an unforeseen exception in a reader is the file's rejection, not the run's."""
    from dagster_project.ingest.readers import inviter, registry
    from tests.bad_inputs import csv_bytes, row

    def broken(path, file_path):
        raise RuntimeError("reader bug")

    sources = tuple(
        s
        if s.folder != "inviter"
        else type(s)(s.folder, s.raw_table, s.extensions, s.fields, broken)
        for s in registry.SOURCES
    )
    monkeypatch.setattr(registry, "SOURCES", sources)
    landing = tmp_path / "landing"
    (landing / "inviter").mkdir(parents=True)
    (landing / "inviter" / "log.csv").write_text("x", encoding="utf-8")
    (landing / "one2ten").mkdir()
    (landing / "one2ten" / "export.csv").write_bytes(csv_bytes(row(1)))
    report = load_landing(landing, tmp_path / "w.duckdb")
    assert inviter.RAW_TABLE == "inviter_invitations"
    (refused,) = report.of("rejected")
    assert refused.file_path == "inviter/log.csv"
    assert refused.reason == "cannot be read (RuntimeError: reader bug)"
    assert [f.file_path for f in report.of("ingested")] == ["one2ten/export.csv"]


def test_the_row_limit_refuses_a_file_naming_it(tmp_path, monkeypatch):
    from tests.bad_inputs import csv_bytes, row

    monkeypatch.setenv("KTO_MAX_ROWS", "3")
    (tmp_path / "one2ten").mkdir()
    (tmp_path / "one2ten" / "export.csv").write_bytes(csv_bytes(*(row(i) for i in range(1, 5))))
    with pytest.raises(FileRejected, match="more than 3 data rows \\(the limit per file\\)"):
        read_file(tmp_path, "one2ten/export.csv")
    (tmp_path / "one2ten" / "export.csv").write_bytes(csv_bytes(*(row(i) for i in range(1, 4))))
    assert read_file(tmp_path, "one2ten/export.csv").rows_read == 3
