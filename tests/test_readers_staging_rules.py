"""One definition of a valid row: whatever the readers accept passes every staging rule.

The oracle is dbt itself: the staging models and their ``row_rules`` tests are compiled
once per setting of KTO_GEMEENTECODES (``dbt compile --select staging``) and that SQL runs on
the raw tables an ingest of the drawn rows wrote under the same setting: under ``melden`` the
readers accept a well-formed code outside the CBS code list and so must staging; under
``strikt`` both refuse it. Rows are drawn from valid values in disguise (invisible characters,
digits of other scripts, fullwidth letters, dash look-alikes, odd blanks) and from any
text, lone surrogates included in JSON. An accepted label must also keep its meaning in
staging (a label that maps to NULL there would be lost silently).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dagster_project.ingest import load_landing
from dagster_project.ingest.code_list import codes_outside_list
from dagster_project.transform.plugin import register_udfs

MODELS = ("stg_one2ten__responses", "stg_openforms__submissions", "stg_inviter__invitations")
# The compiled SQL names the warehouse by its file's stem.
WAREHOUSE = "oracle.duckdb"


class CompiledSql(dict):
    """The compiled SQL by name, under KTO_GEMEENTECODES ``mode``; shown short in a failing
    example."""

    mode = "melden"

    def __repr__(self) -> str:
        return f"CompiledSql({self.mode}: {', '.join(self)})"


@pytest.fixture(scope="module", params=["melden", "strikt"])
def staging_sql(tmp_path_factory, request) -> CompiledSql:
    """The compiled SQL of each staging model and of its row_rules test, per setting."""
    from dagster_project.settings import Settings
    from dagster_project.transform.commands import run_dbt

    root = tmp_path_factory.mktemp("oracle")
    target = root / "target"
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(root / WAREHOUSE), "KTO_GEMEENTECODES": request.param}
    )
    run = run_dbt(["compile", "--select", "staging"], settings, target_path=target)
    assert run.ok, run.output[-3000:]
    compiled = target / "compiled" / "kto" / "models" / "staging"
    sql = CompiledSql()
    sql.mode = request.param
    for model in MODELS:
        sql[model] = (compiled / f"{model}.sql").read_text(encoding="utf-8")
        sql[f"row_rules_{model}"] = (
            compiled / "_staging.yml" / f"row_rules_{model}.sql"
        ).read_text(encoding="utf-8")
    return sql


# -- disguises ----------------------------------------------------------------------------

INVISIBLE = (
    "\u200b\u200c\u200d\u00ad\u2060\ufeff\u200e\u200f\u202a\u202c\u202e\u2066\u2069\ufe0f\u034f"
)
ZEROS = [0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE, 0x1D7F6]  # Nd digit 0s
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
BLANKS = "\u00a0\u2009\u202f\u3000 \t"


@st.composite
def disguised(draw, value: str) -> str:
    """``value`` as a person would still read it, written with other code points."""
    out = []
    for c in value:
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
        if c.isdigit() and draw(st.booleans()):
            c = chr(draw(st.sampled_from(ZEROS)) + int(c))
        elif c == "-" and draw(st.booleans()):
            c = draw(st.sampled_from(DASHES))
        elif c == " " and draw(st.booleans()):
            c = draw(st.sampled_from(BLANKS))
        elif c.isascii() and c.isalpha() and draw(st.integers(0, 3)) == 0:
            c = chr(ord(c) + 0xFEE0)  # fullwidth
        out.append(c)
    pad = draw(st.sampled_from(["", " ", "\u00a0", "\u200b"]))
    return pad + "".join(out) + pad


def hostile(surrogates: bool) -> st.SearchStrategy[str]:
    exclude = ["\x00"]
    chars = st.characters(
        exclude_characters=exclude, exclude_categories=() if surrogates else ("Cs",)
    )
    look_alikes = st.sampled_from(
        ["GМ0637", "GM０６３７", "GM٠٦٣٧", "GM06³7", "GM0637\u0301", "Ваlie", "ja\u0307"]
    )
    return st.one_of(st.text(chars, max_size=10), look_alikes)


def cell(values: list[str], surrogates: bool = False) -> st.SearchStrategy[str]:
    valid = st.sampled_from(values)
    return st.one_of(valid, valid.flatmap(disguised), hostile(surrogates))


ONE2TEN = {
    "Respondentnummer": [str(n) for n in range(1001, 1013)],
    # the CBS code list on the row's day: GM0003 and GM0370 ceased (2021, 2022), GM1979
    # exists from 2021 on, GM9999 never did
    "Gemeentecode": ["GM0637", "GM0003", "gm0637", "GM0370", "GM1979", "GM9999"],
    "Gemeente": ["Zoetermeer"],
    "Kanaal": ["Balie", "telefoon"],
    "Startdatum": ["02-03-2020 10:00", "31-12-2019 23:59:59", "31-12-2021 23:58"],
    "Einddatum": ["02-03-2020 10:05", "", "01-01-2022 00:03", "15-06-2023 10:00"],
    "Status": ["Voltooid", "Onvolledig"],
    "Uitnodiging": ["Enquêtezuil", "Qmatic"],
    "Product": ["Rijbewijs", "Paspoort en ID-kaart"],
    "Totaaloordeel": ["8", "10", "8,0", "Weet niet"],
    "Moeite": ["Heel veel moeite", "Geen moeite", "Weet niet"],
    "Vriendelijkheid": ["9", "N.v.t."],
    "In één keer geholpen": ["Ja", "Weet niet"],
    "Verbetertip": ["Ja", "Nee"],
    "Verbetertip toelichting": ["Sneller graag"],
}
OPENFORMS = {
    "Formuliernaam": ["KTO digitale dienstverlening"],
    "Inzendingdatum": ["2020-05-01 12:00:00", "2020-05-01T12:00", "2023-01-01 00:00:00"],
    "respondentId": [
        f"0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a{n:02d}" for n in range(12)
    ],  # upper case too: UUIDs are stored lower case
    "gemeentecode": ["GM0637", "GM0599", "GM0370", "GM1992", "GM9999"],
    "product": ["Verhuizing doorgeven"],
    "totaaloordeel": ["7"],
    "toelichting": ["Prima"],
    "moeite": ["heelVeelMoeite", "weetNiet"],
    "aanvraagEenvoudig": ["helemaalEens", "oneens"],
    "verbetertip": ["ja", "nee"],
}
INVITER = {
    "Gemeentecode": ["GM0637", "GM0370", "GM1979"],
    "Kanaal": ["Balie", "Telefoon"],
    "Verzonden op": ["01-03-2020 09:00", "31-12-2021 23:59", "01-01-2022 00:00"],
    "E-mailadres": ["a@example.org"],
    "Status": ["Verzonden", "Bounce"],
}


def rows(columns: dict[str, list[str]], surrogates: bool = False):
    return st.lists(
        st.fixed_dictionaries({k: cell(v, surrogates) for k, v in columns.items()}), max_size=6
    )


def csv_text(header: list[str], records: list[dict[str, str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([record[h] for h in header])
    return out.getvalue()


# Labels in raw and the staging column they map to: non-NULL in raw must stay non-NULL.
LABELS = {
    "stg_one2ten__responses": ("moeite", "in_een_keer_geholpen", "verbetertip"),
    "stg_openforms__submissions": ("moeite", "aanvraag_eenvoudig", "verbetertip"),
}
RAW = {
    "stg_one2ten__responses": "one2ten_responses",
    "stg_openforms__submissions": "openforms_submissions",
    "stg_inviter__invitations": "inviter_invitations",
}


def broken_staging_rules(warehouse: Path, staging_sql: dict[str, str]) -> list:
    """Every row the staging rules refuse, and every label staging would lose."""
    found = []
    with duckdb.connect(str(warehouse)) as con:
        register_udfs(con)
        con.execute("CREATE SCHEMA staging")
        for model in MODELS:
            con.execute(f"CREATE VIEW staging.{model} AS {staging_sql[model]}")
        for model in MODELS:
            rule_sql = staging_sql[f"row_rules_{model}"]
            found += con.execute(
                f"SELECT source_file, source_row, failed_rules FROM ({rule_sql})"
            ).fetchall()
        for model, labels in LABELS.items():
            lost = " OR ".join(f"(r.{c} IS NOT NULL AND s.{c} IS NULL)" for c in labels)
            found += con.execute(
                f"SELECT r.source_file, r.source_row, 'label lost in staging' "
                f"FROM raw.{RAW[model]} r JOIN staging.{model} s "
                f"ON s.source_file = r.source_file AND s.source_row = r.source_row WHERE {lost}"
            ).fetchall()
    return found


def check(staging_sql, one2ten_rows, openforms_rows, inviter_rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        for folder in ("one2ten", "openforms", "inviter"):
            (landing / folder).mkdir(parents=True)
        (landing / "one2ten" / "export.csv").write_text(
            csv_text(list(ONE2TEN), one2ten_rows), encoding="utf-8", newline=""
        )
        # ensure_ascii: a lone surrogate travels as the escape "\ud800", as exports write it
        (landing / "openforms" / "export.json").write_text(
            json.dumps(openforms_rows, ensure_ascii=True), encoding="utf-8"
        )
        (landing / "inviter" / "log.csv").write_text(
            csv_text(list(INVITER), inviter_rows), encoding="utf-8", newline=""
        )
        warehouse = Path(tmp) / WAREHOUSE
        # never raises: that is part of the claim
        report = load_landing(landing, warehouse, gemeentecodes=staging_sql.mode)
        drawn = {
            "one2ten/export.csv": len(one2ten_rows),
            "openforms/export.json": len(openforms_rows),
            "inviter/log.csv": len(inviter_rows),
        }
        for outcome in report.files:
            if outcome.status == "rejected":
                # Refused whole only for what the file is: no row of the survey form, or
                # (an empty JSON array has no keys) none of its columns.
                assert outcome.reason.startswith(
                    ("not the survey form", "missing required column")
                ), outcome.reason
                continue
            assert outcome.status == "ingested", outcome
            # Every row accepted or quarantined.
            assert outcome.rows_read == drawn[outcome.file_path], outcome
            assert outcome.rows_read == outcome.rows_accepted + outcome.rows_quarantined
        assert broken_staging_rules(warehouse, staging_sql) == []


VALID_ONE2TEN = {k: v[0] for k, v in ONE2TEN.items()}
VALID_OPENFORMS = {k: v[0] for k, v in OPENFORMS.items()}
VALID_INVITER = {k: v[0] for k, v in INVITER.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    one2ten_rows=rows(ONE2TEN),
    openforms_rows=rows(OPENFORMS, surrogates=True),
    inviter_rows=rows(INVITER),
)
# The cases found: a Gemeentecode in Arabic-Indic or fullwidth digits passed the reader
# (Python's \d) and failed staging's [0-9]; lone surrogates crashed the ingest.
@example(
    one2ten_rows=[{**VALID_ONE2TEN, "Gemeentecode": "GM٠٦٣٧"}],
    openforms_rows=[{**VALID_OPENFORMS, "gemeentecode": "GM０６３７"}],
    inviter_rows=[{**VALID_INVITER, "Gemeentecode": "GM۰۶۳۷"}],
)
@example(
    one2ten_rows=[{**VALID_ONE2TEN, "Gemeentecode": "GM06³7", "Moeite": "Geen\u00a0 moeite"}],
    openforms_rows=[
        {**VALID_OPENFORMS, "respondentId": "\ud800"},
        {**VALID_OPENFORMS, "toelichting": "a\udfffb"},
        {**VALID_OPENFORMS, "moeite": "weet\u200bNiet", "gemeentecode": "GM\u200b0637"},
    ],
    inviter_rows=[{**VALID_INVITER, "Kanaal": "Ba\u00adlie", "Status": "Verzonden\ufeff"}],
)
# The CBS code list on the row's day: Beemster (GM0370) until 2021-12-31 only.
@example(
    one2ten_rows=[
        {**VALID_ONE2TEN, "Gemeentecode": "GM0370", "Einddatum": "01-01-2022 00:03"},
        {**VALID_ONE2TEN, "Gemeentecode": "GM0370", "Respondentnummer": "1002"},
    ],
    openforms_rows=[{**VALID_OPENFORMS, "gemeentecode": "GM0370"}],
    inviter_rows=[{**VALID_INVITER, "Gemeentecode": "GM0370", "Verzonden op": "01-01-2022 00:00"}],
)
def test_whatever_the_readers_accept_passes_every_staging_rule(
    staging_sql, one2ten_rows, openforms_rows, inviter_rows
):
    check(staging_sql, one2ten_rows, openforms_rows, inviter_rows)


@pytest.mark.parametrize(
    ("column", "written", "stored"),
    [
        ("Gemeentecode", "GM٠٦٣٧", "GM0637"),  # Arabic-Indic digits
        ("Gemeentecode", "GM۰۶۳۷", "GM0637"),  # Persian (extended Arabic-Indic) digits
        ("Gemeentecode", "ＧＭ０６３７", "GM0637"),  # fullwidth
        ("Gemeentecode", "GM\u200b06\u206037\ufeff", "GM0637"),  # invisible characters
        ("Kanaal", "Ba\u00adlie", "Balie"),  # soft hyphen
        ("Status", "\u200eVoltooid\u200f", "Voltooid"),  # bidi marks
        ("Moeite", "Geen\u00a0\u00a0moeite", "Geen moeite"),  # non-breaking spaces
        ("Product", "Rij\u200bbewijs", "Rijbewijs"),
        ("Product", "Paspoort en ID\u2011kaart", "Paspoort en ID-kaart"),  # non-breaking hyphen
        ("Product", "Paspoort en ID\u2013kaart", "Paspoort en ID-kaart"),  # en dash
        ("Startdatum", "٠٢-٠٣-٢٠٢٠ ١٠:٠٠", "2020-03-02 10:00:00"),
        ("Respondentnummer", "١٠٠١", "1001"),
    ],
)
def test_a_disguised_valid_value_is_accepted_as_the_value_it_shows(
    tmp_path, column, written, stored
):
    landing = tmp_path / "landing"
    (landing / "one2ten").mkdir(parents=True)
    record = {**VALID_ONE2TEN, column: written}
    (landing / "one2ten" / "export.csv").write_text(
        csv_text(list(ONE2TEN), [record]), encoding="utf-8", newline=""
    )
    load_landing(landing, tmp_path / "w.duckdb")
    raw_column = {"Startdatum": "startdatum"}.get(column, column.lower())
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        quarantined = con.execute("SELECT rule FROM raw.quarantine").fetchall()
        values = con.execute(
            f"SELECT CAST({raw_column} AS VARCHAR) FROM raw.one2ten_responses"
        ).fetchall()
    assert quarantined == [] and values == [(stored,)]


@pytest.mark.parametrize("mode", ["melden", "strikt"])
def test_codes_outside_the_list_are_accepted_under_melden_and_quarantined_under_strikt(
    tmp_path, mode
):
    landing = tmp_path / "landing"
    (landing / "one2ten").mkdir(parents=True)
    records = [
        VALID_ONE2TEN,
        {**VALID_ONE2TEN, "Respondentnummer": "1002", "Gemeentecode": "GM9999"},  # unknown
        # ceased: Beemster after 2021
        {**VALID_ONE2TEN, "Respondentnummer": "1003", "Gemeentecode": "GM0370",
         "Einddatum": "15-06-2023 10:00"},
        # not yet: Eemsdelta before 2021
        {**VALID_ONE2TEN, "Respondentnummer": "1004", "Gemeentecode": "GM1979"},
    ]  # fmt: skip
    (landing / "one2ten" / "export.csv").write_text(
        csv_text(list(ONE2TEN), records), encoding="utf-8", newline=""
    )
    (outcome,) = load_landing(landing, tmp_path / "w.duckdb", gemeentecodes=mode).files
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        reported = {c.code: c.rows for c in codes_outside_list(con)}
        rules = [
            r
            for (r,) in con.execute(
                "SELECT rule FROM raw.quarantine ORDER BY row_number"
            ).fetchall()
        ]
    if mode == "melden":
        assert (outcome.rows_accepted, outcome.rows_quarantined) == (4, 0)
        assert reported == {code: {"one2ten": 1} for code in ("GM0370", "GM1979", "GM9999")}
    else:
        assert (outcome.rows_accepted, outcome.rows_quarantined) == (1, 3)
        assert reported == {}
        assert rules[0] == "Gemeentecode not in the CBS code list"
        assert "ceased after 2021-12-31" in rules[1] and "exists only from 2021" in rules[2]


@pytest.mark.parametrize(
    ("column", "written"),
    [
        ("Gemeentecode", "GМ0637"),  # Cyrillic М: a letter of its own, not a disguise
        ("Gemeentecode", "GM06³7"),  # a superscript is not a digit
        ("Gemeentecode", "GM①②③④"),
        ("Gemeentecode", "GM 0637"),
        ("Kanaal", "Ваlie"),  # Cyrillic В and а
        ("Respondentnummer", "1001²"),
    ],
)
def test_a_look_alike_that_is_another_value_quarantines_its_row(tmp_path, column, written):
    landing = tmp_path / "landing"
    (landing / "one2ten").mkdir(parents=True)
    record = {**VALID_ONE2TEN, column: written}
    (landing / "one2ten" / "export.csv").write_text(
        csv_text(list(ONE2TEN), [VALID_ONE2TEN, record]), encoding="utf-8", newline=""
    )
    report = load_landing(landing, tmp_path / "w.duckdb")
    (outcome,) = report.files
    assert (outcome.rows_read, outcome.rows_accepted, outcome.rows_quarantined) == (2, 1, 1)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        problems = con.execute(
            "SELECT file_path, row_number, column_name, value FROM raw.quarantine"
        ).fetchall()
    assert problems == [("one2ten/export.csv", 3, column, written)]


def test_the_staging_rule_refuses_a_code_outside_its_validity_only_under_strikt(
    tmp_path, staging_sql
):
    """The code-list rule of staging can fail: a Beemster row the reader accepted (2020),
    moved to 2023 in raw by hand, breaks it under strikt; the same row in 2020 does not.
    Under melden the readers accept a Beemster row of 2023 (reported, not quarantined), and
    staging has no rule against it."""
    landing = tmp_path / "landing"
    (landing / "one2ten").mkdir(parents=True)
    record = {**VALID_ONE2TEN, "Gemeentecode": "GM0370"}
    (landing / "one2ten" / "export.csv").write_text(
        csv_text(list(ONE2TEN), [record]), encoding="utf-8", newline=""
    )
    warehouse = tmp_path / WAREHOUSE
    load_landing(landing, warehouse, gemeentecodes=staging_sql.mode)
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("SELECT count(*) FROM raw.one2ten_responses").fetchone() == (1,)
        for model in ("openforms_submissions", "inviter_invitations"):
            con.execute(f"CREATE TABLE IF NOT EXISTS raw.{model} AS SELECT 1 AS x WHERE false")
    if any("gemeentecode" in str(r[2]) for r in _rules_on(warehouse, staging_sql)):
        raise AssertionError("a valid Beemster row of 2020 broke a staging rule")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE raw.one2ten_responses SET startdatum = TIMESTAMP '2023-03-02 10:00', "
            "einddatum = TIMESTAMP '2023-03-02 10:05'"
        )
    broken = _rules_on(warehouse, staging_sql)
    if staging_sql.mode == "strikt":
        assert any("cbs_code(gemeentecode)" in r[2] for r in broken), broken
    else:
        assert broken == [] and "kto_cbs_gemeenten" not in staging_sql[f"row_rules_{MODELS[0]}"]


def _rules_on(warehouse: Path, staging_sql: dict[str, str]) -> list:
    with duckdb.connect(str(warehouse)) as con:
        register_udfs(con)
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        model = "stg_one2ten__responses"
        con.execute(f"CREATE OR REPLACE VIEW staging.{model} AS {staging_sql[model]}")
        rules = staging_sql[f"row_rules_{model}"]
        return con.execute(
            f"SELECT source_file, source_row, failed_rules FROM ({rules})"
        ).fetchall()
