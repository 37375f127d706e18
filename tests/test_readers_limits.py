"""Limits sized for ten national years, as settings (KTO_MAX_*), and a JSON reader that reads
element by element and gives what reading the whole document gives."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dagster_project.ingest.readers import FileRejected, read_file
from dagster_project.ingest.readers import limits as lim
from dagster_project.ingest.readers.tabular import Table, _read_json_whole, read_json_parts
from dagster_project.settings import SETTINGS, Settings
from tests.bad_inputs import csv_bytes, row
from tests.test_readers_properties import HEADER, ROWS, write_csv

MiB, GiB = 1024**2, 1024**3
# What ten national years in one file are (docs/formats.md, "Limits").
NATIONAL_YEAR_ROWS = 2_000_000  # Inviter rows; One2Ten is about a million responses
NATIONAL_XLSX_UNPACKED = 225 * MiB  # one channel-year of One2Ten as XLSX
NATIONAL_CSV_BYTES = 500 * 1000**2  # a year of One2Ten as CSV


def test_the_defaults_admit_ten_national_years_in_one_file():
    defaults = lim.current({})
    assert defaults.rows >= 10 * NATIONAL_YEAR_ROWS
    assert defaults.xlsx_unpacked_bytes >= 10 * NATIONAL_XLSX_UNPACKED
    assert defaults.file_bytes >= 10 * NATIONAL_CSV_BYTES
    assert defaults.field_chars >= 100_000


def test_the_limits_are_settings_and_a_bad_one_is_refused_naming_it():
    assert {limit.variable for limit in lim.LIMITS} <= {s.variable for s in SETTINGS}
    given_ = lim.current({"KTO_MAX_ROWS": "3", "KTO_MAX_XLSX_UNPACKED_BYTES": "2 GiB"})
    assert (given_.rows, given_.xlsx_unpacked_bytes) == (3, 2 * GiB)
    for variable, value, message in (
        ("KTO_MAX_ROWS", "many", "expected a whole number"),
        ("KTO_MAX_ROWS", "3 MiB", "expected a whole number"),  # rows have no unit
        ("KTO_MAX_FILE_BYTES", "0", "must be at least 1"),
        ("KTO_MAX_FILE_BYTES", "-5", "expected a whole number"),
    ):
        with pytest.raises(ValueError, match=f"{variable}={value!r}: {message}"):
            lim.current({variable: value})
        with pytest.raises(ValueError, match=variable):
            Settings.from_env({variable: value})


def test_a_file_over_a_lowered_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    (tmp_path / "one2ten").mkdir()
    (tmp_path / "one2ten" / "export.csv").write_bytes(csv_bytes(*(row(i) for i in range(1, 5))))
    assert read_file(tmp_path, "one2ten/export.csv").rows_read == 4
    monkeypatch.setenv("KTO_MAX_FILE_BYTES", "100")
    with pytest.raises(FileRejected, match=r"bytes, more than the limit of 100$"):
        read_file(tmp_path, "one2ten/export.csv")
    monkeypatch.delenv("KTO_MAX_FILE_BYTES")
    monkeypatch.setenv("KTO_MAX_ROWS", "3")
    with pytest.raises(FileRejected, match="more than 3 data rows"):
        read_file(tmp_path, "one2ten/export.csv")
    (tmp_path / "openforms").mkdir()
    items = [{"Formuliernaam": "KTO digitale dienstverlening"}] * 4
    (tmp_path / "openforms" / "e.json").write_text(json.dumps(items))
    with pytest.raises(FileRejected, match="more than 3 data rows"):
        read_file(tmp_path, "openforms/e.json")


# -- the JSON reader, element by element, against reading the document whole -----------------

SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
ELEMENT = st.dictionaries(st.sampled_from(["a", "b", "Ä", "c\x01", " d "]), VALUE) | VALUE


def outcome(reader, path: Path):
    try:
        return reader(path)
    except FileRejected as refused:
        return refused.reason


@settings(max_examples=200, deadline=None)
@given(
    doc=st.lists(ELEMENT, max_size=6) | VALUE,
    indent=st.sampled_from([None, 0, 2]),
    block=st.integers(1, 40),
    damage=st.sampled_from(["", "cut", "extra", "bom", "cp1252", "nul", "dup"]),
    part_rows=st.integers(1, 7),
)
@example(doc=[{"a": 123456}], indent=None, block=10, damage="", part_rows=7)  # cut number
@example(doc=[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]], indent=None, block=5, damage="", part_rows=7)
@example(
    doc=[{"a": 1}, {"b": 2}, 3, {"a": 4, "c": 5}], indent=None, block=8, damage="", part_rows=1
)
def test_the_streamed_json_reader_reads_as_the_whole_document_does(
    doc, indent, block, damage, part_rows
):
    """Element by element and in parts of ``part_rows`` elements, joined, it is the table
    the whole document gives (keys first seen in a later part included)."""
    text = json.dumps(doc, indent=indent, ensure_ascii=damage == "")
    data = text.encode("utf-8")
    if damage == "cut":
        data = data[: len(data) // 2]
    elif damage == "extra":
        data += b" ]"
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "cp1252":
        data = text.encode("cp1252", errors="replace") + b" \xe9"
    elif damage == "nul":
        data = data[:3] + b"\x00" + data[3:]
    elif damage == "dup":
        data = b'[{"a": 1, "a": 2}, ' + data + b"]"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.json"
        path.write_bytes(data)
        whole = outcome(lambda p: _read_json_whole(p, "e.json"), path)
        streamed = outcome(lambda p: _joined(p, "e.json", block, part_rows), path)
    assert streamed == whole


def _joined(path: Path, file_path: str, block: int, part_rows: int) -> Table:
    """The parts ingest reads, joined into the one table a whole-document parse gives."""
    parts = list(read_json_parts(path, file_path, block, part_rows))
    return Table(
        parts[0].header,
        [row for part in parts for row in part.rows],
        [m for part in parts for m in part.malformed],
        [r for part in parts for r in part.refused],
    )


def test_kto_run_refuses_a_bad_limit_before_any_work(tmp_path, monkeypatch):
    from tests.test_ingest_arrival import kto

    (tmp_path / "landing" / "one2ten").mkdir(parents=True)
    monkeypatch.setenv("KTO_MAX_XLSX_UNPACKED_BYTES", "lots")  # `kto` runs in this environment
    run = kto(tmp_path, tmp_path / "landing", "run")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "KTO_MAX_XLSX_UNPACKED_BYTES='lots': expected a whole number" in run.stderr + run.stdout
    assert not (tmp_path / "warehouse.duckdb").exists()


# -- a CSV read in parts gives what it gives read at once -------------------------------------


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, part_rows=st.integers(1, 5), blank=st.booleans())
def test_a_csv_read_in_parts_gives_what_one_part_gives(rows, part_rows, blank):
    """Oracle: the same file as one part; row numbers, quarantine, answers must not move."""
    from dagster_project.ingest.readers import one2ten
    from dagster_project.ingest.readers.fields import apply_fields
    from dagster_project.ingest.readers.parts import apply_in_parts
    from dagster_project.ingest.readers.tabular import read_csv_parts

    with tempfile.TemporaryDirectory() as tmp:
        file_path, _ = write_csv(Path(tmp), rows, HEADER)
        path = Path(tmp) / file_path
        if blank:  # blank lines and a record of the wrong width between the parts
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n\r\n;x\r\n", 2))

        def read(size: int):
            return apply_in_parts(
                read_csv_parts(path, file_path, ";", part_rows=size),
                lambda t: apply_fields(t, file_path, one2ten.RAW_TABLE, one2ten.FIELDS),
            )

        whole, parted = read(10**9), read(part_rows)
    assert parted.rows == whole.rows

    # One part lists its malformed records before its refused rows: the order may differ.
    def where(p):
        return (p.row_number, p.rule)

    assert sorted(parted.quarantined, key=where) == sorted(whole.quarantined, key=where)
    assert parted.answer_issues == whole.answer_issues
    assert parted.extra_columns == whole.extra_columns
