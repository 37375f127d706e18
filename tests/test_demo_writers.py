"""The landing writers: files parse back (csv/openpyxl/json) to the ground truth,
in the conventions of docs/contract/formats.md, byte for byte the same on every run."""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from kto_devtools.demo import (
    Dataset,
    Invitation,
    One2TenResponse,
    OpenFormsSubmission,
    random_dataset,
    write_demo_landing,
    write_landing,
)
from kto_devtools.demo.model import HOSTMANSHIP_ITEMS, NVT, OF_STATEMENTS, WEET_NIET

from tests.test_demo_readers import read_all

BALIE = (
    "Openingstijden", "Wachtruimte", "Wachttijd", "Privacy aan de balie", "Vriendelijkheid",
    "Deskundigheid", "Prijs van het product", "Doorlooptijd",
)  # fmt: skip
TELEFOON = (
    "Bereikbaarheid", "Wachttijd", "Vriendelijkheid", "Deskundigheid",
    "Duidelijkheid van de informatie", "Doorlooptijd",
)  # fmt: skip
ONE2TEN_REQUIRED = {
    "Respondentnummer", "Gemeentecode", "Gemeente", "Kanaal", "Startdatum", "Einddatum", "Status",
}  # fmt: skip


# --- a small, independent parser of the formats ------------------------------------


def detect_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def read_table(path: Path, delimiter: str) -> tuple[list[str], list[dict], str]:
    """(header, rows, encoding) of a CSV, XLSX or JSON export."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        values = list(ws.iter_rows(values_only=True))
        header = list(values[0])
        return header, [dict(zip(header, row, strict=True)) for row in values[1:]], "xlsx"
    data = path.read_bytes()
    if path.suffix == ".json":
        rows = json.loads(data.decode("utf-8"))
        return list(rows[0]), rows, "utf-8"
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    header = records[0]
    return header, [dict(zip(header, r, strict=True)) for r in records[1:]], encoding


def blank(value):
    return None if value is None or value == "" else value


def answer(value):
    """A One2Ten cell back to the answer the person gave."""
    value = blank(value)
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        assert value.is_integer()
        return int(value)
    if value.lower() == "weet niet":
        return WEET_NIET
    if value.lower() == "n.v.t.":
        return NVT
    if value.isdigit() or value.endswith(",0"):
        return int(value.removesuffix(",0"))
    return value


def one2ten_date(value) -> datetime | None:
    value = blank(value)
    return None if value is None else datetime.strptime(value, "%d-%m-%Y %H:%M")


def parse_one2ten(row: dict) -> One2TenResponse:
    kanaal = row["Kanaal"]
    return One2TenResponse(
        respondentnummer=int(row["Respondentnummer"]),
        kanaal=kanaal,
        gemeentecode=row["Gemeentecode"],
        gemeente=row["Gemeente"],
        startdatum=one2ten_date(row["Startdatum"]),
        einddatum=one2ten_date(row["Einddatum"]),
        status=row["Status"],
        uitnodiging=blank(row["Uitnodiging"]),
        product=blank(row["Product"]),
        totaaloordeel=answer(row["Totaaloordeel"]),
        toelichting=blank(row["Toelichting totaaloordeel"]),
        moeite=answer(row["Moeite"]),
        aspecten={a: answer(row[a]) for a in (BALIE if kanaal == "Balie" else TELEFOON)},
        hostmanship={i: answer(row[i]) for i in HOSTMANSHIP_ITEMS},
        in_een_keer_geholpen=answer(row.get("In één keer geholpen")),
        verbetertip=blank(row["Verbetertip"]),
        verbetertip_toelichting=blank(row["Verbetertip toelichting"]),
        email=blank(row["E-mailadres"]),
    )


def parse_openforms(row: dict) -> OpenFormsSubmission:
    assert row["Formuliernaam"] == "KTO digitale dienstverlening"
    grade = blank(row["totaaloordeel"])
    return OpenFormsSubmission(
        respondent_id=row["respondentId"],
        gemeentecode=row["gemeentecode"],
        inzendingdatum=datetime.strptime(row["Inzendingdatum"], "%Y-%m-%d %H:%M:%S"),
        product=blank(row["product"]),
        totaaloordeel=None if grade is None else int(grade),
        toelichting=blank(row["toelichting"]),
        moeite=blank(row["moeite"]),
        stellingen={k: blank(row[k]) for k in OF_STATEMENTS},
        verbetertip=blank(row["verbetertip"]),
        verbetertip_toelichting=blank(row["verbetertipToelichting"]),
        email=blank(row["email"]),
    )


def parse_inviter(row: dict) -> Invitation:
    return Invitation(
        gemeentecode=row["Gemeentecode"],
        kanaal=row["Kanaal"],
        verzonden_op=datetime.strptime(row["Verzonden op"], "%d-%m-%Y %H:%M"),
        email=row["E-mailadres"],
        status=row["Status"],
    )


def read_back(manifest) -> tuple[Dataset, dict]:
    """Everything in the folder parsed back, and what was seen per file."""
    back = Dataset(gemeenten={})
    seen = {}
    for f in manifest.files:
        path = manifest.landing_dir / f.path
        delimiter = "," if f.source == "openforms" else ";"
        header, rows, encoding = read_table(path, delimiter)
        seen[f.path] = {"header": header, "rows": rows, "encoding": encoding}
        parse = {"one2ten": parse_one2ten, "openforms": parse_openforms, "inviter": parse_inviter}
        target = {"one2ten": back.responses, "openforms": back.submissions}.get(
            f.source, back.invitations
        )
        target.extend(parse[f.source](row) for row in rows)
    return back, seen


def by_key(data: Dataset):
    return (
        {(r.kanaal, r.respondentnummer): r for r in data.responses},
        {s.respondent_id: s for s in data.submissions},
        sorted(data.invitations, key=lambda i: (i.verzonden_op, i.email, i.status)),
    )


# --- the demo folder ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    manifest = write_demo_landing(tmp_path_factory.mktemp("demo") / "landing")
    back, seen = read_back(manifest)
    return manifest, back, seen


def test_demo_round_trip(demo):
    manifest, back, _ = demo
    assert len(back.responses) == len(manifest.truth.responses)
    assert len(back.submissions) == len(manifest.truth.submissions)
    assert by_key(back) == by_key(manifest.truth)


def test_demo_layout(demo):
    manifest, _, seen = demo
    folders = {f.path.split("/")[0] for f in manifest.files}
    assert folders == {"one2ten", "openforms", "inviter"}
    assert sum(f.rows for f in manifest.files) == manifest.rows
    for f in manifest.files:
        assert len(seen[f.path]["rows"]) == f.rows, f.path
        assert f.quarantined == 0 and f.rejected is None
    suffixes = {(f.source, Path(f.path).suffix) for f in manifest.files}
    assert suffixes >= {
        ("one2ten", ".csv"), ("one2ten", ".xlsx"), ("openforms", ".csv"),
        ("openforms", ".json"), ("openforms", ".xlsx"), ("inviter", ".csv"),
    }  # fmt: skip
    # Files mix municipalities and months; names say nothing about contents.
    one2ten = [f for f in manifest.files if f.source == "one2ten"]
    assert all(len({r["Gemeentecode"] for r in seen[f.path]["rows"]}) > 1 for f in one2ten)


def test_demo_encodings_and_line_ends(demo):
    manifest, _, seen = demo
    encodings = set()
    for f in manifest.files:
        if f.style.fmt != "csv":
            continue
        data = (manifest.landing_dir / f.path).read_bytes()
        detected = seen[f.path]["encoding"]
        assert detected == f.style.encoding, f.path
        encodings.add(detected)
        without_quoted = data.replace(b"\r\n", b"")
        if f.style.newline == "\r\n":
            assert data.count(b"\r\n") >= f.rows + 1, f.path
            # Line breaks inside quoted free text stay bare LF, as One2Ten writes them.
            assert b"\n" in without_quoted
        else:
            assert b"\r" not in data, f.path
    assert encodings == {"utf-8-sig", "utf-8", "cp1252"}
    # Windows-1252 really is Windows-1252: the euro sign is byte 0x80.
    cp1252 = [f for f in manifest.files if f.style.encoding == "cp1252"]
    assert any(b"\x80" in (manifest.landing_dir / f.path).read_bytes() for f in cp1252)


def test_demo_csv_quoting(demo):
    """Free text with ';', quotes and line breaks comes back intact."""
    _, back, _ = demo
    texts = [t for r in back.responses for t in (r.toelichting, r.verbetertip_toelichting) if t]
    assert any(";" in t for t in texts)
    assert any('"' in t for t in texts)
    assert any("\n" in t for t in texts)


def test_demo_answer_spellings(demo):
    manifest, _, seen = demo
    cells = set()
    types = set()
    for f in manifest.files:
        if f.source == "one2ten":
            for row in seen[f.path]["rows"]:
                cells.update({row["Totaaloordeel"], row["Wachttijd"]})
                types.add((f.style.fmt, type(row["Wachttijd"]).__name__))
    assert {"8", "8,0", "Weet niet", "weet niet", "N.v.t.", 8} <= cells
    assert ("xlsx", "int") in types and ("xlsx", "str") in types
    columns = [seen[f.path]["header"] for f in manifest.files if f.source == "one2ten"]
    assert any(c[0] != "Respondentnummer" for c in columns), "column order varies"
    assert any("Apparaat" in c for c in columns), "an unknown extra column"
    for c in columns:
        assert set(c) >= ONE2TEN_REQUIRED


def test_demo_incomplete_questionnaires(demo):
    _, back, _ = demo
    abandoned = [r for r in back.responses if r.status == "Onvolledig"]
    assert abandoned and all(r.einddatum is None for r in abandoned)
    assert all(r.einddatum is not None for r in back.responses if r.status == "Voltooid")


def test_demo_is_deterministic(demo, tmp_path):
    manifest, _, _ = demo
    again = write_demo_landing(tmp_path / "landing")
    assert [f.path for f in again.files] == [f.path for f in manifest.files]
    for f in manifest.files:
        a, b = manifest.landing_dir / f.path, again.landing_dir / f.path
        assert a.read_bytes() == b.read_bytes(), f.path
        assert a.stat().st_mtime == b.stat().st_mtime == calendar.timegm(f.mtime.timetuple())


def test_readers_accept_every_demo_row(demo):
    """The project's readers take every row of the demo, no quarantine, no issue."""
    manifest = demo[0]
    results, rejected = read_all(manifest)
    assert rejected == {}
    for f in manifest.files:
        result = results[f.path]
        assert result.rows_read == len(result.rows) == f.rows, f.path
        assert result.quarantined == [] and result.answer_issues == [], f.path
        assert set(result.extra_columns) <= {"Apparaat"}, f.path
    assert sum(len(r.rows) for r in results.values()) == manifest.rows


# --- random folders, with and without quirks -----------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_round_trip(tmp_path, seed):
    data = random_dataset(seed, municipalities=4, years=(2019, 2020), size=30)
    manifest = write_landing(tmp_path / "landing", data, seed=seed)
    back, _ = read_back(manifest)
    assert by_key(back) == by_key(data)


def test_random_dataset_is_deterministic():
    a = random_dataset(5, municipalities=3, years=(2020,), size=20)
    b = random_dataset(5, municipalities=3, years=(2020,), size=20)
    assert a == b
    assert a != random_dataset(6, municipalities=3, years=(2020,), size=20)
