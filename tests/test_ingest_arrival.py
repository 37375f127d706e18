"""Which version of a response wins is decided by arrival (the order in which ingest first saw
each content), never by file times: a correcting re-export with an older modification time
wins when it arrives later, a touched or freshly copied file changes nothing, and two files
first seen in one ingest are ordered by path and shown as a conflict."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingest import load_landing
from dagster_project.ingest.files import conflicts, landing_files
from tests.conftest import assert_done_but_for, copy_samples, kto

ROOT = Path(__file__).resolve().parents[1]
BALIE_2020 = "one2ten/export_balie_2020.csv"
CORRECTION = "one2ten/heruitlevering_balie.csv"  # in the samples: corrects 5 of BALIE_2020
LATE_FIX = "one2ten/correctie_balie_2020.csv"


def grades(path: Path) -> dict[int, str]:
    """Respondentnummer -> Totaaloordeel cell of a One2Ten CSV export."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle, delimiter=";")
        return {int(r["Respondentnummer"]): r["Totaaloordeel"] for r in rows}


def write_late_fix(landing: Path) -> dict[int, int]:
    """A re-export of 7 responses of BALIE_2020 (the 5 the sample correction corrects and 2
    more) with grades neither earlier file has, modified a day *before* the export it
    corrects (as `cp -p`, unzip and `rsync -t` leave it). Returns the grades it gives."""
    source = landing / BALIE_2020
    text = source.read_bytes().decode("utf-8-sig")
    header, *lines = text.split("\r\n")
    earlier = [grades(source), grades(landing / CORRECTION)]
    chosen = (
        sorted(grades(landing / CORRECTION))
        + [n for n in sorted(earlier[0]) if n not in earlier[1]][:2]
    )
    fixed: dict[int, int] = {}
    out = [header]
    for line in lines:
        cells = line.split(";")
        if not cells[0].isdigit() or int(cells[0]) not in chosen:
            continue
        number = int(cells[0])
        taken = {e.get(number, "").split(",")[0] for e in earlier}
        fixed[number] = next(g for g in range(1, 11) if str(g) not in taken)
        cells[10] = str(fixed[number])
        out.append(";".join(cells))
    assert len(fixed) == 7
    path = landing / LATE_FIX
    path.write_text("\r\n".join(out) + "\r\n", encoding="utf-8")
    older = source.stat().st_mtime - 86_400
    os.utime(path, (older, older))
    return fixed


@pytest.mark.slow
def test_kto_run_lets_a_later_correction_win_whatever_its_file_time(tmp_path):
    landing = copy_samples(tmp_path / "landing")
    first = kto(tmp_path, landing, "run")
    assert_done_but_for(first.returncode, first.stdout + first.stderr)

    # The sample export and its correction arrived in one ingest: ordered by path, and shown.
    files = kto(tmp_path, landing, "files")
    assert files.returncode == 0, files.stdout + files.stderr
    assert (
        f"conflict: {BALIE_2020} and {CORRECTION} were first seen in the same ingest and both "
        f"hold 5 of the same responses; the later path, {CORRECTION}, wins them"
    ) in files.stdout

    fixed = write_late_fix(landing)
    assert (landing / LATE_FIX).stat().st_mtime < (landing / BALIE_2020).stat().st_mtime
    touched = landing / "one2ten" / "export_balie_2019.csv"
    os.utime(touched, (touched.stat().st_mtime + 3600,) * 2)  # touched: not a new version
    before = kto(tmp_path, landing, "files").stdout
    assert any(
        line.startswith("one2ten/export_balie_2019.csv") and " changed " in line
        for line in before.splitlines()
    ), before

    second = kto(tmp_path, landing, "run")
    assert_done_but_for(second.returncode, second.stdout + second.stderr)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        staged = {
            n: (grade, source)
            for n, grade, source in con.execute(
                "SELECT respondentnummer, totaaloordeel, source_file "
                "FROM staging.stg_one2ten__responses WHERE kanaal = 'balie' "
                f"AND respondentnummer IN ({', '.join(map(str, fixed))})"
            ).fetchall()
        }
        arrivals = dict(
            con.execute(
                "SELECT DISTINCT source_file, source_arrival FROM raw.one2ten_responses"
            ).fetchall()
        )
    assert staged == {n: (g, LATE_FIX) for n, g in fixed.items()}
    assert arrivals[LATE_FIX] == max(arrivals.values())

    listing = kto(tmp_path, landing, "files").stdout
    rows = {
        line.split()[0]: line.split()[1:]
        for line in listing.splitlines()
        if line.startswith(("one2ten/", "openforms/", "inviter/"))
    }
    assert rows[LATE_FIX] == ["loaded", "7", "7", "0", "7"], listing
    assert rows["one2ten/export_balie_2019.csv"][0] == "loaded", listing  # not `changed` for ever
    assert rows[CORRECTION][-1] == "0" and rows[BALIE_2020][-1] == str(98 - 7), listing
    conflict_lines = [line for line in listing.splitlines() if line.startswith("conflict:")]
    assert len(conflict_lines) == 1 and LATE_FIX not in conflict_lines[0], listing


# -- the arrival rule against an oracle -------------------------------------------------------

HEADER = "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;Totaaloordeel"
NAMES = ("a.csv", "b.csv", "c (1).csv", "z.csv")


def export(grades_by_respondent: dict[int, int]) -> str:
    lines = [HEADER] + [
        f"{n};GM0637;Zoetermeer;Balie;12-02-2020 15:42;12-02-2020 15:45;Voltooid;{g}"
        for n, g in sorted(grades_by_respondent.items())
    ]
    return "\r\n".join(lines) + "\r\n"


contents = st.dictionaries(st.integers(1, 6), st.integers(1, 10), min_size=1, max_size=4)
# A drop: some files written (a content, and a modification time in hours from now, often
# in the past: copies keep old times), some only touched.
drops = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.one_of(st.none(), contents),  # None: touch only (same content, new time)
            st.integers(-1000, 1000),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=25, deadline=None)
@given(drops)
def test_the_version_that_arrived_last_wins_whatever_the_file_times(history):
    """Oracle: contents numbered in the order first seen, within a drop by path; content seen
    before keeps its number; per respondent the highest number (then path, then row) wins."""
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        (landing / "one2ten").mkdir(parents=True)
        warehouse = Path(tmp) / "w.duckdb"
        numbers: dict[str, int] = {}  # content -> arrival number
        on_disk: dict[str, str] = {}  # file -> its content
        stamps: dict[str, int] = {}  # file -> its modification time
        base = 1_700_000_000
        for drop in history:
            new_here: set[str] = set()
            for name, given_grades, hours in drop:
                path = landing / "one2ten" / name
                if given_grades is None and name not in on_disk:
                    continue
                stamp = base + hours * 3600
                if given_grades is not None:
                    text = export(given_grades)
                    if name in on_disk and text != on_disk[name] and stamps[name] == stamp:
                        stamp += 1  # a write changes the time (size and time are looked at first)
                    path.write_text(text, encoding="utf-8")
                    on_disk[name] = text
                    if text not in numbers:
                        new_here.add(name)
                os.utime(path, (stamp, stamp))
                stamps[name] = stamp
            for name in sorted(f"one2ten/{n}" for n in new_here):
                content = on_disk[name.split("/", 1)[1]]
                numbers.setdefault(content, len(numbers) + 1)
            load_landing(landing, warehouse)

            expected: dict[int, tuple[int, str, int]] = {}
            for name, content in on_disk.items():
                for row, line in enumerate(content.split("\r\n")[1:-1], start=2):
                    n, grade = int(line.split(";")[0]), int(line.split(";")[-1])
                    rank = (numbers[content], f"one2ten/{name}", row)
                    if n not in expected or rank > expected[n][:3]:
                        expected[n] = (*rank, grade)
            with duckdb.connect(str(warehouse), read_only=True) as con:
                versions = con.execute(
                    "SELECT respondentnummer, source_arrival, source_file, source_row, "
                    "totaaloordeel FROM raw.one2ten_responses"
                ).fetchall()
                listed = {f.file_path: f.status for f in landing_files(con, landing)}
            winners: dict[int, tuple] = {}
            for n, *version in versions:  # staging's rule: highest (arrival, file, row)
                winners[n] = max(winners.get(n, tuple(version)), tuple(version))
            assert winners == expected
            assert set(listed.values()) <= {"loaded"}, listed  # touched: not `changed`


def test_a_warehouse_from_before_arrival_numbers_keeps_its_winners(tmp_path, sample_landing):
    """Numbered once, in the order of first modification time (what decided before)."""
    from dagster_project.ingest.raw_schema import ensure_raw_schema

    warehouse = tmp_path / "w.duckdb"
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table in ("one2ten_responses", "openforms_submissions", "inviter_invitations"):
            con.execute(f"ALTER TABLE raw.{table} DROP COLUMN source_arrival")
        con.execute("ALTER TABLE raw.file_contents DROP COLUMN arrival")
        con.execute("ALTER TABLE raw.file_contents DROP COLUMN ingest_number")
        ensure_raw_schema(con)
        numbered = con.execute(
            "SELECT first_file_path, arrival, ingest_number FROM raw.file_contents "
            "ORDER BY first_modified_at, first_seen_at, first_file_path"
        ).fetchall()
        missing = con.execute(
            "SELECT count(*) FROM raw.one2ten_responses WHERE source_arrival IS NULL"
        ).fetchall()
        by_file = dict(
            con.execute(
                "SELECT DISTINCT source_file, source_arrival FROM raw.one2ten_responses"
            ).fetchall()
        )
        assert conflicts(con) == []  # each old content is an ingest of its own
    assert [n for _, n, _ in numbered] == list(range(1, len(numbered) + 1))
    assert all(arrival == ingest for _, arrival, ingest in numbered)
    assert missing == [(0,)]
    # The sample correction is an hour newer than the export: it still wins.
    assert by_file[CORRECTION] > by_file[BALIE_2020]
    # The next ingest numbers on from there.
    extra = sample_landing / "one2ten" / "nieuw.csv"
    extra.write_bytes((sample_landing / CORRECTION).read_bytes().replace(b";3;", b";4;", 1))
    load_landing(sample_landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ((arrival, ingest),) = con.execute(
            "SELECT arrival, ingest_number FROM raw.file_contents "
            "WHERE first_file_path = 'one2ten/nieuw.csv'"
        ).fetchall()
    assert (arrival, ingest) == (len(numbered) + 1, len(numbered) + 1)
