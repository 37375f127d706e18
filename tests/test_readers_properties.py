"""Property-based reader tests: for any generated export nothing escapes as an exception, and
every data row comes back exactly once (accepted or quarantined) with its own row number."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dagster_project.ingest.readers import FileRejected, read_file
from tests.bad_inputs import HEADER

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells as exports hold them and as they go wrong: valid values, near misses and any text.
VALID = {
    "Respondentnummer": st.integers(1, 10**9).map(str),
    "Gemeentecode": st.sampled_from(["GM0637", "GM0003", "gm0637", "637", ""]),
    "Kanaal": st.sampled_from(["Balie", "telefoon", "Loket", ""]),
    "Startdatum": st.sampled_from(
        ["02-03-2020 10:00", "31-02-2020 10:00", "02-03-1900 10:00", "2020-03-02", ""]
    ),
    "Einddatum": st.sampled_from(["02-03-2020 10:05", "01-03-2020 10:05", ""]),
    "Status": st.sampled_from(["Voltooid", "Onvolledig", "Half", ""]),
    "Totaaloordeel": st.sampled_from(["8", "8,0", "11", "weet niet", "acht", ""]),
}
ANY_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)


def cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(VALID.get(column, ANY_TEXT), ANY_TEXT)


ROWS = st.lists(st.tuples(*(cell(h) for h in HEADER)).map(list), max_size=12)


def lines_in(record: str) -> int:
    """Lines a CSV record spans as a reader splits them (CR, LF or CRLF)."""
    return len(list(io.StringIO(record, newline="")))


def write_csv(folder: Path, rows: list[list[str]], header: list[str]) -> tuple[str, list[int]]:
    """The export and the line each record starts on."""
    records = []
    for r in [header, *rows]:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(r)
        records.append(buffer.getvalue())
    starts, line = [], 1 + lines_in(records[0])
    for record in records[1:]:
        starts.append(line)
        line += lines_in(record)
    path = folder / "one2ten" / "export.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(records), encoding="utf-8", newline="")
    return "one2ten/export.csv", starts


def accounted(result, numbers: list[int], rows: list[list[str]], header: list[str]) -> None:
    """Every row once: accepted or quarantined, under its own number, nothing else."""
    accepted = [r["source_row"] for r in result.rows]
    quarantined = [p.row_number for p in result.quarantined]
    assert sorted(accepted + quarantined) == sorted(numbers)
    assert result.rows_read == len(rows)
    by_number = dict(zip(numbers, rows, strict=True))
    position = header.index("Respondentnummer")
    for r in result.rows:  # an accepted row is the row written under its number
        assert r["respondentnummer"] == int(by_number[r["source_row"]][position])


@SETTINGS
@given(rows=ROWS, order=st.permutations(range(len(HEADER))))
@example(rows=[["1", *[""] * 15]], order=list(range(len(HEADER))))
@example(rows=[[*[""] * 10, "\r", *[""] * 5]], order=list(range(len(HEADER))))
@example(rows=[[*[""] * 10, "\x85\u2028", *[""] * 5]], order=list(range(len(HEADER))))
def test_any_csv_export_comes_back_row_for_row(rows, order):
    header = [HEADER[i] for i in order]
    rows = [[r[i] for i in order] for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        file_path, starts = write_csv(Path(tmp), rows, header)
        result = read_file(Path(tmp), file_path)
    accounted(result, starts, rows, header)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS)
def test_any_xlsx_export_comes_back_row_for_row(rows):
    # XLSX cannot hold control characters; the rest is any text.
    rows = [
        [c for c in (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", x) for x in r)] for r in rows
    ]
    rows = [r for r in rows if any(c.strip() for c in r)]  # an empty sheet row is no data row
    with tempfile.TemporaryDirectory() as tmp:
        workbook = openpyxl.Workbook()
        for r in (HEADER, *rows):
            workbook.active.append(r)
        (Path(tmp) / "one2ten").mkdir()
        workbook.save(Path(tmp) / "one2ten" / "export.xlsx")
        result = read_file(Path(tmp), "one2ten/export.xlsx")
    accounted(result, list(range(2, len(rows) + 2)), rows, HEADER)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)
SUBMISSION = st.fixed_dictionaries(
    {
        "Formuliernaam": st.sampled_from(["KTO digitale dienstverlening"]),
        "Inzendingdatum": st.sampled_from(["2020-05-01 12:00:00", "01-05-2020", ""]),
        "respondentId": st.uuids().map(str) | ANY_TEXT,
        "gemeentecode": st.sampled_from(["GM0637", "x"]),
    },
    optional={"totaaloordeel": JSON_VALUE, "toelichting": JSON_VALUE, "extra": JSON_VALUE},
)


@SETTINGS
@given(items=st.lists(SUBMISSION | JSON_VALUE, max_size=10))
def test_any_json_export_comes_back_element_for_element(items):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "openforms").mkdir()
        (Path(tmp) / "openforms" / "export.json").write_text(json.dumps(items), encoding="utf-8")
        try:
            result = read_file(Path(tmp), "openforms/export.json")
        except FileRejected as refused:
            # Refused only for what the file is, never for a reader failure.
            assert refused.reason.startswith(
                (
                    "not the survey form",
                    "missing required column",
                    "duplicated column name",
                    "column 'extra' matches no known column but holds answers",
                )
            ), refused.reason
            return
    assert result.rows_read == len(items)
    numbers = sorted(
        [r["source_row"] for r in result.rows] + [p.row_number for p in result.quarantined]
    )
    assert numbers == list(range(1, len(items) + 1))


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    file_path=st.sampled_from(
        ["one2ten/x.csv", "one2ten/x.xlsx", "openforms/x.json", "openforms/x.csv", "inviter/x.csv"]
    ),
)
@example(data=b"[" * 5000, file_path="openforms/x.json")
@example(data=b"PK\x03\x04" + b"\x00" * 100, file_path="one2ten/x.xlsx")
def test_any_bytes_are_read_or_refused_never_raised(data, file_path):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / file_path
        path.parent.mkdir()
        path.write_bytes(data)
        try:
            result = read_file(Path(tmp), file_path)
        except FileRejected as refused:
            assert refused.file_path == file_path and refused.reason
            return
    assert result.rows_read == len(result.rows) + len(result.quarantined)
