"""write_landing(quirks=True): what each quirk puts in the folder, and that the
manifest's truth is exactly what a correct reading of the folder gives."""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from kto_devtools.demo import Dataset, random_dataset, write_landing
from kto_devtools.demo.model import HOSTMANSHIP_ITEMS, OF_STATEMENTS

from tests import oracle
from tests.test_demo_writers import (
    BALIE,
    TELEFOON,
    by_key,
    detect_encoding,
    parse_inviter,
    parse_one2ten,
    parse_openforms,
)

GM = re.compile(r"GM\d{4}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LABELS = {
    "Moeite": {"heel veel moeite", "veel moeite", "neutraal", "weinig moeite", "geen moeite"},
    "moeite": {"heelVeelMoeite", "veelMoeite", "neutraal", "weinigMoeite", "geenMoeite"},
}
AGREEMENT = {"helemaalOneens", "oneens", "neutraal", "eens", "helemaalEens", "weetNiet"}
STATEMENTS = set(OF_STATEMENTS)
ANSWER_COLUMNS = {
    *BALIE, *TELEFOON, *HOSTMANSHIP_ITEMS, *STATEMENTS, "Totaaloordeel", "totaaloordeel",
    "Moeite", "moeite",
}  # fmt: skip


def numbered_rows(path: Path, delimiter: str) -> list[tuple[int, dict]] | None:
    """(row number, row) as docs/contract/formats.md numbers them; None when unreadable."""
    if path.suffix == ".xlsx":
        try:
            ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        except Exception:
            return None
        values = list(ws.iter_rows(values_only=True))
        header = values[0]
        return [(i + 2, dict(zip(header, v, strict=True))) for i, v in enumerate(values[1:])]
    data = path.read_bytes()
    if path.suffix == ".json":
        return [(i + 1, r) for i, r in enumerate(json.loads(data))]
    reader = csv.reader(
        io.StringIO(data.decode(detect_encoding(data)), newline=""), delimiter=delimiter
    )
    header = next(reader)
    out = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return out
        out.append((start, dict(zip(header, record, strict=True))))


def identity_ok(source: str, row: dict) -> bool:
    def date(value, fmt):
        try:
            datetime.strptime(str(value), fmt)
        except ValueError:
            return False
        return True

    if source == "one2ten":
        number = str(row.get("Respondentnummer") or "")
        end_ok = row["Status"] == "Onvolledig" and not row["Einddatum"]
        return (
            number.isdigit()
            and bool(GM.fullmatch(str(row.get("Gemeentecode") or "")))
            and row.get("Kanaal") in ("Balie", "Telefoon")
            and date(row["Startdatum"], "%d-%m-%Y %H:%M")
            and (end_ok or date(row["Einddatum"], "%d-%m-%Y %H:%M"))
        )
    if source == "openforms":
        return (
            bool(UUID.fullmatch(str(row.get("respondentId") or "")))
            and bool(GM.fullmatch(str(row.get("gemeentecode") or "")))
            and date(row["Inzendingdatum"], "%Y-%m-%d %H:%M:%S")
        )
    return True


def invalid(column: str, value) -> bool:
    """Is this cell an invalid answer by docs/contract/formats.md?"""
    if value in (None, ""):
        return False
    if column in LABELS:
        allowed = LABELS[column] | {"weet niet", "weetNiet"}
        return str(value).lower() not in {a.lower() for a in allowed}
    if column in STATEMENTS:
        return value not in AGREEMENT
    if isinstance(value, int | float):
        return not (float(value).is_integer() and 1 <= value <= 10)
    text = str(value).strip().lower()
    if text in ("weet niet", "n.v.t."):
        return False
    match = re.fullmatch(r"(\d{1,2})(,0)?", text)
    return not (match and 1 <= int(match.group(1)) <= 10)


def clean(row: dict) -> dict:
    """The row with its invalid answers blanked, as a correct reader keeps it."""
    return {c: None if c in ANSWER_COLUMNS and invalid(c, v) else v for c, v in row.items()}


@pytest.fixture(scope="module", params=[11, 12])
def quirky(request, tmp_path_factory):
    seed = request.param
    data = random_dataset(seed, municipalities=4, years=(2019, 2020), size=40)
    manifest = write_landing(
        tmp_path_factory.mktemp("quirks") / "landing", data, seed=seed, quirks=True
    )
    return data, manifest


def test_truth_is_what_a_correct_reading_gives(quirky):
    _, manifest = quirky
    versions: dict = {}
    issues = set()
    quarantined: dict[str, int] = {}
    for f in sorted(manifest.files, key=lambda f: (f.mtime, f.path)):
        path = manifest.landing_dir / f.path
        rows = numbered_rows(path, "," if f.source == "openforms" else ";")
        if f.rejected:
            unreadable = rows is None
            missing = (
                rows is not None and f.source == "one2ten" and "Gemeentecode" not in rows[0][1]
            )
            other_form = (
                rows is not None and f.source == "openforms"
                and rows[0][1]["Formuliernaam"] != "KTO digitale dienstverlening"
            )  # fmt: skip
            assert unreadable or missing or other_form, f.path
            continue
        assert len(rows) == f.rows, f.path
        quarantined[f.path] = 0
        for number, row in rows:
            if not identity_ok(f.source, row):
                quarantined[f.path] += 1
                continue
            cleaned = clean(row)
            for column, value in row.items():
                if cleaned[column] is None and value not in (None, ""):
                    issues.add((f.path, number, column, str(value)))
            parsed = {"one2ten": parse_one2ten, "openforms": parse_openforms,
                      "inviter": parse_inviter}[f.source](cleaned)  # fmt: skip
            key = (
                ("r", parsed.kanaal, parsed.respondentnummer) if f.source == "one2ten"
                else ("s", parsed.respondent_id) if f.source == "openforms"
                else ("i", f.path, number)
            )  # fmt: skip
            versions[key] = parsed  # later files (mtime order) win
    assert quarantined == {f.path: f.quarantined for f in manifest.files if not f.rejected}
    assert issues == {(a.path, a.row, a.column, a.value) for a in manifest.answer_issues}
    back = Dataset(gemeenten={})
    for key, value in versions.items():
        {"r": back.responses, "s": back.submissions, "i": back.invitations}[key[0]].append(value)
    assert by_key(back) == by_key(manifest.truth)


def test_every_quirk_is_there(quirky):
    _, manifest = quirky
    paths = {f.path: f for f in manifest.files}
    fix = next(f for f in manifest.files if f.path.endswith("_heruitlevering.csv"))
    earlier = paths[fix.path.replace("_heruitlevering.csv", ".csv")]
    assert fix.rows == 3
    assert (manifest.landing_dir / fix.path).stat().st_mtime == calendar.timegm(
        earlier.mtime.timetuple()
    ) + 3600
    assert {f.path for f in manifest.files if f.rejected} == {
        "one2ten/export_zonder_gemeentecode.csv",
        "openforms/melding_openbare_ruimte.csv",
        "one2ten/kto_telefoon_export_afgebroken.xlsx",
    }
    values = {a.value for a in manifest.answer_issues}
    assert values & {"11", "0", "8,5", "acht"}
    assert {"Best veel moeite", "beetjeMoeite", "mee eens"} <= values
    survey_files = [f for f in manifest.files if f.source != "inviter" and not f.rejected]
    assert sum(f.quarantined for f in survey_files) == len(survey_files) - 1  # not the re-export
    assert len(manifest.quirks) == 4


def test_quirks_change_the_figures_only_through_truth(quirky):
    """Blanked answers move some figures; the original ground truth is untouched."""
    data, manifest = quirky
    assert manifest.truth is not data
    before = oracle.expected(data)["cells"]
    after = oracle.expected(manifest.truth)["cells"]
    assert before.keys() == after.keys()
    assert before != after
    assert all(before[k]["respons"] == after[k]["respons"] for k in before)
