"""Exports that look right but are written with other code points, through `kto run`.

The cases found (issue 21): a Gemeentecode in Arabic-Indic or fullwidth digits passed the
reader and failed a staging rule, which withheld every period on every run; zero-width
characters or a non-breaking hyphen in product names gave one factsheet three "Rijbewijs"
bars; a lone surrogate in an Open Formulieren JSON export crashed the ingest (in
respondentId or a key) or refused the whole file (in free text); a file name that is not
UTF-8 crashed the ingest and `kto retract`; a newline in a file name split its row of the
`kto files` table. Each now quarantines its row, or refuses its file, with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import duckdb
import pytest

from dagster_project.domain import code_lists
from tests.conftest import REFUSED_ON_PURPOSE, assert_done_but_for, copy_samples
from tests.conftest import kto as kto_process

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def kto(root: Path, landing: Path, *args: str | bytes) -> subprocess.CompletedProcess:
    return kto_process(root, landing, *args, text=False)  # names may not be UTF-8


HEADER = (
    "Respondentnummer;Survey;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;"
    "Product;Totaaloordeel;Moeite;Verbetertip"
)
# (Respondentnummer, Gemeentecode, Product): Zoetermeer balie 2020, each code and product
# written with other code points; 990004 has a superscript, which is no digit.
DISGUISED = [
    ("990001", "GM٠٦٣٧", "Rij\u200bbewijs"),  # Arabic-Indic digits, zero-width space
    ("990002", "ＧＭ０６３７", "Rijbewijs\u2060"),  # fullwidth, word joiner
    ("990003", "GM0637", "Paspoort en ID\u2011kaart"),  # non-breaking hyphen
    ("990004", "GM06³7", "Rijbewijs"),
    ("990005", "GM\u200b06\ufeff37", "\u00adRijbewijs\u200e"),  # soft hyphen, bidi mark
]
NOT_UTF8 = b"one2ten/caf\xe9.csv"
NEWLINE = "one2ten/regel\neen.csv"


def disguised_csv() -> str:
    lines = [HEADER]
    for number, code, product in DISGUISED:
        lines.append(
            f"{number};KTO Balie;{code};Zoetermeer;Balie;02-03-2020 10:00;02-03-2020 10:05;"
            f"Voltooid;{product};8;Geen moeite;Nee"
        )
    return "\r\n".join(lines) + "\r\n"


def submission(n: int, **changes) -> dict:
    return {
        "Formuliernaam": "KTO digitale dienstverlening",
        "Inzendingdatum": "2020-05-01 12:00:00",
        "respondentId": str(uuid.UUID(int=n)),
        "gemeentecode": "GM0637",
        "product": "Afspraak maken",
        "totaaloordeel": "8",
        "toelichting": "Prima",
        **changes,
    }


def surrogate_json() -> str:
    """Twelve good submissions, then a lone surrogate in respondentId, in a key, in free text."""
    items = [submission(i) for i in range(1, 13)]
    items.append(submission(13, respondentId="\ud800"))
    items.append({**submission(14), "opmerk\udc00ing": "x"})
    items.append(submission(15, toelichting="Goed\udfff geholpen"))
    return json.dumps(items, ensure_ascii=True)  # the surrogates as "\ud800" escapes


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("unicode")
    landing = copy_samples(root / "landing")
    (landing / "one2ten" / "vermomd.csv").write_text(disguised_csv(), encoding="utf-8")
    (landing / "openforms" / "surrogaat.json").write_text(surrogate_json(), encoding="ascii")
    # The oldest file, so it is read first: the files after it must load.
    os.utime(landing / "openforms" / "surrogaat.json", (946684800, 946684800))
    good = disguised_csv().splitlines()[0] + "\r\n"  # a header only: a readable file
    with open(os.fsencode(landing) + b"/" + NOT_UTF8, "wb") as handle:
        handle.write(good.encode("utf-8"))
    (landing / NEWLINE).write_text(good, encoding="utf-8")
    done = kto(root, landing, "run")
    return root, landing, done


def test_the_run_succeeds_and_withholds_nothing(run, expected):
    root, _, done = run
    out = done.stdout.decode() + done.stderr.decode()
    # the file whose name is not UTF-8 is refused (test below), beside the samples' own
    assert_done_but_for(done.returncode, out, refused=(*REFUSED_ON_PURPOSE, "one2ten/caf\\xe9.csv"))
    factsheets = root / "output" / "factsheets"
    for key, cell in expected["cells"].items():
        code, kanaal, periode = key.split("|")
        if cell["respons"] >= expected["min_n"]:
            assert (factsheets / periode / f"{code}_{kanaal}.pdf").is_file(), key
    for report in factsheets.glob("*/report.json"):
        assert json.loads(report.read_text(encoding="utf-8"))["achtergehouden"] == [], report
    assert (root / "output" / "marts.duckdb").exists()  # the snapshot is published


def test_a_disguised_code_is_read_as_the_code_and_a_superscript_quarantines_its_row(run):
    root, _, _ = run
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT respondentnummer, gemeentecode, product FROM raw.one2ten_responses "
            "WHERE source_file = 'one2ten/vermomd.csv' ORDER BY 1"
        ).fetchall()
        quarantined = con.execute(
            "SELECT row_number, column_name, value, rule FROM raw.quarantine "
            "WHERE file_path = 'one2ten/vermomd.csv'"
        ).fetchall()
    assert stored == [
        (990001, "GM0637", "Rijbewijs"),
        (990002, "GM0637", "Rijbewijs"),
        (990003, "GM0637", "Paspoort en ID-kaart"),
        (990005, "GM0637", "Rijbewijs"),
    ]
    assert quarantined == [
        (5, "Gemeentecode", "GM06³7", "Gemeentecode must be GM followed by 4 digits")
    ]


def test_one_bar_per_product_whatever_its_invisible_characters(run, expected):
    root, _, _ = run
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        products = dict(
            con.execute(
                "SELECT product, respons FROM marts.kto_product "
                "WHERE gemeentecode = 'GM0637' AND kanaal = 'balie' AND periode = '2020'"
            ).fetchall()
        )
    assert set(products) <= set(code_lists.products()["balie"])
    before = expected["cells"]["GM0637|balie|2020"]["producten"]
    assert products["Rijbewijs"] == before["Rijbewijs"]["respons"] + 3
    assert products["Paspoort en ID-kaart"] == before["Paspoort en ID-kaart"]["respons"] + 1


def test_a_lone_surrogate_in_json_quarantines_its_row_naming_row_and_column(run):
    root, _, _ = run
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        counts = con.execute(
            "SELECT rows_read, rows_accepted, rows_quarantined FROM raw.ingested_files "
            "WHERE file_path = 'openforms/surrogaat.json'"
        ).fetchall()
        quarantined = con.execute(
            "SELECT row_number, column_name, value, rule FROM raw.quarantine "
            "WHERE file_path = 'openforms/surrogaat.json' ORDER BY row_number"
        ).fetchall()
        accepted = con.execute(
            "SELECT count(*) FROM staging.stg_openforms__submissions "
            "WHERE source_file = 'openforms/surrogaat.json'"
        ).fetchall()
    assert counts == [(15, 12, 3)]
    assert accepted == [(12,)]
    rule = "not valid Unicode text (a lone surrogate such as \\ud800)"
    assert quarantined == [
        (13, "respondentId", "\\ud800", rule),
        (14, "opmerk\\udc00ing", None, f"{rule} in the key"),
        (15, "toelichting", "Goed\\udfff geholpen", rule),
    ]


def test_a_file_name_that_is_not_utf8_is_refused_with_its_reason(run, expected):
    root, _, _ = run
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        rejected = dict(con.execute("SELECT file_path, reason FROM raw.rejected_files").fetchall())
        loaded = {r[0] for r in con.execute("SELECT file_path FROM raw.ingested_files").fetchall()}
    assert rejected["one2ten/caf\\xe9.csv"] == (
        "file name is not UTF-8 (byte 0xe9); rename the file"
    )
    # Every other file was read: neither the name nor the surrogates stopped anything.
    assert (
        set(expected["files"]) | {NEWLINE, "one2ten/vermomd.csv", "openforms/surrogaat.json"}
        <= loaded
    )


def test_kto_files_prints_each_file_on_one_line_and_kto_retract_takes_the_odd_names(run):
    root, landing, _ = run
    listing = kto(root, landing, "files")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.decode().splitlines()
    by_name = {line.split("  ")[0]: line for line in lines}
    assert "loaded" in by_name["one2ten/regel\\neen.csv"]
    assert "rejected" in by_name["one2ten/caf\\xe9.csv"]
    assert "  one2ten/caf\\xe9.csv: file name is not UTF-8 (byte 0xe9); rename the file" in lines

    # The name as the file system has it, and the name as `kto files` shows it.
    on_disk = os.fsencode(landing) + b"/" + NOT_UTF8
    retracted = kto(root, landing, "retract", on_disk, "--reason", "naam hernoemd")
    assert retracted.returncode == 0, retracted.stdout + retracted.stderr
    assert retracted.stdout.decode().startswith("retracted one2ten/caf\\xe9.csv: 0 rows")
    retracted = kto(root, landing, "retract", "one2ten/regel\\neen.csv", "--reason", "leeg")
    assert retracted.returncode == 0, retracted.stdout + retracted.stderr
    assert retracted.stdout.decode().startswith("retracted one2ten/regel\\neen.csv: 0 rows")

    lines = kto(root, landing, "files").stdout.decode().splitlines()
    by_name = {line.split("  ")[0]: line for line in lines}
    assert "retracted" in by_name["one2ten/caf\\xe9.csv"]
    assert "retracted" in by_name["one2ten/regel\\neen.csv"]
