"""The sample landing folder ingested into raw.* matches expected.json."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest import load_landing

# The latest version of each response (modification time, then file name, then row),
# counted when completed, by the year of completion: an independent restatement of
# what staging does, used to hold raw to expected.json's counts.
COUNTED = """
WITH versions AS (
    SELECT gemeentecode, lower(kanaal) AS kanaal, status, einddatum AS completed_at,
           row_number() OVER (PARTITION BY kanaal, respondentnummer
                              ORDER BY source_modified_at DESC, source_file DESC,
                                       source_row DESC) AS newest
    FROM raw.one2ten_responses
    UNION ALL
    SELECT gemeentecode, 'digitaal', 'Voltooid', inzendingdatum,
           row_number() OVER (PARTITION BY respondent_id
                              ORDER BY source_modified_at DESC, source_file DESC,
                                       source_row DESC)
    FROM raw.openforms_submissions
)
SELECT gemeentecode, kanaal, year(completed_at)::VARCHAR, count(*)
FROM versions WHERE newest = 1 AND status = 'Voltooid'
GROUP BY ALL
"""


@pytest.fixture(scope="module")
def raw(sample_warehouse: Path):
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        yield con


def test_every_file_is_accounted_for_as_expected(raw, expected):
    ingested = {
        path: (read, accepted, quarantined)
        for path, read, accepted, quarantined in raw.execute(
            "SELECT file_path, rows_read, rows_accepted, rows_quarantined FROM raw.ingested_files"
        ).fetchall()
    }
    assert set(ingested) == set(expected["files"])
    for path, want in expected["files"].items():
        read, accepted, quarantined = ingested[path]
        assert (read, quarantined) == (want["rows"], want["quarantined"]), path
        assert read == accepted + quarantined, path


def test_rejected_files_have_a_reason(raw, expected):
    rejected = dict(raw.execute("SELECT file_path, reason FROM raw.rejected_files").fetchall())
    assert sorted(rejected) == sorted(expected["rejected_files"])
    assert "Gemeentecode" in rejected["one2ten/export_zonder_gemeentecode.csv"]
    assert "not the survey form" in rejected["openforms/melding_openbare_ruimte.csv"]


def test_answer_issues_and_quarantine_are_recorded_per_row(raw, expected):
    (issues,) = raw.execute("SELECT count(*) FROM raw.answer_issues").fetchone()
    assert issues == expected["answer_issues"]
    quarantined = Counter(
        path for (path,) in raw.execute("SELECT file_path FROM raw.quarantine").fetchall()
    )
    assert quarantined == Counter(
        {p: f["quarantined"] for p, f in expected["files"].items() if f["quarantined"]}
    )
    # Every accepted row is in its raw table, with its lineage.
    accepted = raw.execute(
        "SELECT (SELECT count(*) FROM raw.one2ten_responses)"
        " + (SELECT count(*) FROM raw.openforms_submissions)"
        " + (SELECT count(*) FROM raw.inviter_invitations),"
        " (SELECT sum(rows_accepted) FROM raw.ingested_files)"
    ).fetchone()
    assert accepted[0] == accepted[1]


def test_counted_responses_per_municipality_channel_year(raw, expected):
    counted = {f"{g}|{k}|{y}": n for g, k, y, n in raw.execute(COUNTED).fetchall()}
    want = {key: cell["respons"] for key, cell in expected["cells"].items() if "-Q" not in key}
    assert counted == want


def test_the_re_export_wins_only_when_newer(tmp_path, sample_landing, expected):
    """With the re-export made *older* than the export, the export's grades stand."""
    original = sample_landing / "one2ten" / "export_balie_2020.csv"
    reexport = sample_landing / "one2ten" / "heruitlevering_balie.csv"
    old = original.stat().st_mtime - 3600
    os.utime(reexport, (old, old))
    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        newest_file = dict(
            con.execute(
                "SELECT respondentnummer, arg_max(source_file, (source_modified_at, source_file))"
                " FROM raw.one2ten_responses WHERE respondentnummer IN"
                " (SELECT respondentnummer FROM raw.one2ten_responses"
                "  WHERE source_file = 'one2ten/heruitlevering_balie.csv') GROUP BY 1"
            ).fetchall()
        )
    assert set(newest_file.values()) == {"one2ten/export_balie_2020.csv"}
