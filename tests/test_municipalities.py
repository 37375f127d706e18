"""The CBS code list (dbt/codelists/): the data holds together, and the readers judge a
Gemeentecode by it on the row's day (docs/formats.md, "Municipality codes and the CBS code
list")."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from dagster_project.domain import municipalities as m
from dagster_project.ingest.readers import inviter, one2ten, openforms
from dagster_project.ingest.readers.municipality_codes import judged_as

HEADER = "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;Totaaloordeel"


def test_each_ceased_code_has_a_successor_valid_on_the_day_after():
    ceased = {p.code for p in m.periods() if p.valid_to} - {
        p.code for p in m.periods() if p.valid_to is None
    }
    successors: dict[str, set[str]] = {}
    for h in m.herindelingen():
        successors.setdefault(h.code, set()).add(h.successor)
        last = max(p.valid_to for p in m.periods() if p.code == h.code)
        assert h.date == last + timedelta(days=1), h
        assert h.successor in m.valid_on(h.date), h
    assert ceased == set(successors)
    assert ceased  # the years 2015-2023 had herindelingen


def test_no_code_is_valid_twice_at_once():
    by_code: dict[str, list[m.Period]] = {}
    for p in m.periods():
        assert p.valid_to is None or p.valid_from <= p.valid_to, p
        by_code.setdefault(p.code, []).append(p)
    for code, ps in by_code.items():
        ps.sort(key=lambda p: p.valid_from)
        for a, b in pairwise(ps):
            assert a.valid_to is not None and a.valid_to < b.valid_from, (code, a, b)


@pytest.mark.parametrize(
    ("day", "count"),
    [
        # CBS's own counts of municipalities on 1 January (and after Weesp, 24 March 2022)
        (date(2015, 1, 1), 393),
        (date(2016, 1, 1), 390),
        (date(2017, 1, 1), 388),
        (date(2018, 1, 1), 380),
        (date(2019, 1, 1), 355),
        (date(2021, 1, 1), 352),
        (date(2022, 1, 1), 345),
        (date(2022, 3, 24), 344),
        (date(2023, 1, 1), 342),
        (date(2025, 1, 1), 342),
    ],
)
def test_municipalities_valid_on_a_day(day, count):
    valid = m.valid_on(day)
    assert len(valid) == count
    assert len(set(valid.values())) == count  # no two municipalities share a name


def test_codes_are_cbs_codes():
    assert all(len(p.code) == 6 and p.code.startswith("GM") for p in m.periods())
    assert all(p.code[2:].isascii() and p.code[2:].isdigit() for p in m.periods())


def test_the_rule_of_a_code_on_a_day():
    assert m.rule("GM9999", date(2023, 5, 1)) == m.NOT_IN_LIST
    assert m.rule("GM0370", date(2021, 12, 31)) is None
    assert m.name_on("GM0370", date(2021, 6, 1)) == "Beemster"
    ceased = m.rule("GM0370", date(2022, 1, 1))
    assert "GM0439 Purmerend" in ceased and "ceased after 2021-12-31" in ceased
    split = m.rule("GM0788", date(2021, 1, 1))  # Haaren: four successors
    assert all(s in split for s in ("GM0757", "GM0824", "GM0855", "GM0865")), split
    assert "from 2021-01-01" in m.rule("GM1979", date(2020, 12, 31))  # Eemsdelta
    assert m.rule("GM0457", date(2022, 3, 23)) is None  # Weesp until 23 March 2022
    assert "GM0363 Amsterdam" in m.rule("GM0457", date(2022, 3, 24))


def _one2ten(tmp_path: Path, *rows: str):
    path = tmp_path / "export.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return one2ten.read(path, "one2ten/export.csv")


ROWS = (
    "1;GM9999;Zoetermeer;Balie;02-03-2023 10:00;02-03-2023 10:05;Voltooid;8",
    "2;GM0370;Beemster;Balie;02-03-2023 10:00;02-03-2023 10:05;Voltooid;8",
    "3;GM0370;Beemster;Balie;02-03-2021 10:00;02-03-2021 10:05;Voltooid;8",
    # started in 2021, counts in 2022 (its Einddatum): Beemster had ceased
    "4;GM0370;Beemster;Balie;31-12-2021 23:58;01-01-2022 00:02;Voltooid;8",
    "5;GM0637;Zoetermeer;Balie;02-03-2023 10:00;;Onvolledig;",
    # Eemsdelta exists from 2021 on
    "6;GM1979;Eemsdelta;Balie;02-03-2020 10:00;02-03-2020 10:05;Voltooid;8",
)


def test_the_setting_is_melden_or_strikt_and_melden_by_default():
    assert m.mode({}) == m.REPORT == "melden"
    assert m.mode({"KTO_GEMEENTECODES": "strikt"}) == m.STRICT
    for wrong in ("", "STRIKT", "strict", "melden "):
        with pytest.raises(ValueError, match="KTO_GEMEENTECODES="):
            m.mode({"KTO_GEMEENTECODES": wrong})


@pytest.mark.parametrize("how", ["default", "environment", "ingest"])
def test_under_melden_the_reader_accepts_every_well_formed_code(tmp_path, monkeypatch, how):
    """The format specification defines a valid code by its form; the ingest reports codes
    outside the list from raw (tests/test_municipalities_pipeline.py)."""
    monkeypatch.delenv("KTO_GEMEENTECODES", raising=False)
    if how == "environment":
        monkeypatch.setenv("KTO_GEMEENTECODES", "melden")
    elif how == "ingest":  # the ingest's own setting wins over the environment's
        monkeypatch.setenv("KTO_GEMEENTECODES", "strikt")
    with judged_as("melden" if how == "ingest" else None):
        result = _one2ten(tmp_path, *ROWS, "7;GM06x7;Zoetermeer;Balie;02-03-2023 10:00;;Voltooid;")
    # only the code of the wrong form is quarantined
    assert [(q.row_number, q.value) for q in result.quarantined] == [(8, "GM06x7")]
    assert result.columns.column("respondentnummer").to_pylist() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("how", ["environment", "ingest"])
def test_under_strikt_the_reader_quarantines_unknown_and_ceased_codes_with_the_reason(
    tmp_path, monkeypatch, how
):
    if how == "environment":
        monkeypatch.setenv("KTO_GEMEENTECODES", "strikt")
        result = _one2ten(tmp_path, *ROWS)
    else:
        monkeypatch.setenv("KTO_GEMEENTECODES", "melden")
        with judged_as("strikt"):
            result = _one2ten(tmp_path, *ROWS)
    quarantined = {q.row_number: (q.column_name, q.value, q.rule) for q in result.quarantined}
    assert quarantined[2] == ("Gemeentecode", "GM9999", m.NOT_IN_LIST)
    assert quarantined[3][:2] == ("Gemeentecode", "GM0370")
    assert "successor GM0439 Purmerend" in quarantined[3][2]
    assert "GM0439 Purmerend" in quarantined[5][2]
    assert "Eemsdelta) exists only from 2021-01-01 on" in quarantined[7][2]
    assert set(quarantined) == {2, 3, 5, 7}
    assert result.columns.column("respondentnummer").to_pylist() == [3, 5]


def test_open_formulieren_and_inviter_judge_the_code_on_their_date(tmp_path, monkeypatch):
    monkeypatch.setenv("KTO_GEMEENTECODES", "strikt")
    form = tmp_path / "form.csv"
    form.write_text(
        "Formuliernaam,Inzendingdatum,respondentId,gemeentecode,totaaloordeel\n"
        "KTO digitale dienstverlening,2023-01-01 00:00:00,"
        "0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a01,GM0501,8\n"
        "KTO digitale dienstverlening,2022-12-31 23:59:00,"
        "0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a02,GM0501,8\n",
        encoding="utf-8",
    )
    result = openforms.read(form, "openforms/form.csv")
    assert [q.row_number for q in result.quarantined] == [2]
    assert "GM1992 Voorne aan Zee" in result.quarantined[0].rule
    log = tmp_path / "log.csv"
    log.write_text(
        "Gemeentecode;Kanaal;Verzonden op;E-mailadres;Status\n"
        "GM0003;Balie;31-12-2020 09:00;a@example.org;Verzonden\n"
        "GM0003;Balie;01-01-2021 09:00;b@example.org;Verzonden\n",
        encoding="utf-8",
    )
    result = inviter.read(log, "inviter/log.csv")
    assert [q.row_number for q in result.quarantined] == [3]
    assert "GM1979 Eemsdelta" in result.quarantined[0].rule
