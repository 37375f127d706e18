"""Whole-column parsing gives, cell for cell, the value or the rule the per-cell parser gives.

Every field of every source is parsed both ways over generated columns: valid cells, near
misses (padded, impossible dates, one-digit days, implausible years, other digits), any text,
blanks and the numbers, booleans and dates an XLSX or JSON export holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.ingest.readers import SOURCES
from dagster_project.ingest.readers import answers as a
from dagster_project.ingest.readers import columns as c

FIELDS = [(s.folder, f) for s in SOURCES for f in s.fields]

NEAR = [
    "02-03-2020 10:00",
    "02-03-2020 10:00:59",
    "2-03-2020 10:00",
    "31-02-2020 10:00",
    "29-02-2020 23:59",
    "02-03-2020 24:00",
    "02-03-2020 10:60",
    " 02-03-2020 10:00 ",
    "02-03-1999 10:00",
    "02-03-2999 10:00",
    "02-03-2020T10:00",
    "٠٢-٠٣-٢٠٢٠ ١٠:٠٠",
    "2020-03-02 10:00:00",
    "2020-03-02T10:00",
    "2020-02-30 10:00:00",
    "2020-03-02 10:00:00Z",
    "2020-03-02  10:00",
    "1999-03-02 10:00:00",
    "8",
    "8,0",
    "8,00",
    " 8 ",
    "10",
    "0",
    "11",
    "weet niet",
    "N.v.t.",
    "Balie",
    "telefoon",
    "VOLTOOID",
    "Voltooid ",
    "Onvolledig",
    "Verzonden",
    "bounce",
    "ja",
    "Nee",
    "Weet niet",
    "geenMoeite",
    "helemaalEens",
    "GM0637",
    "gm0637",
    " GM0637",
    "KTO digitale dienstverlening",
    "123",
    "0123",
    "000",
    "-5",
    "+5",
    "1e3",
    "²",
    "12345678901234567",
    "123456789012345678",
    "1234567890123456789",
    "6f1c2a9e-0b7d-4c3e-9a8f-1d2e3f4a5b6c",
    "6F1C2A9E-0B7D-4C3E-9A8F-1D2E3F4A5B6C",
    "",
    "   ",
    "\u00a0x\u00a0",
    "tekst\nmet regels\r\n",
]
XLSX = st.one_of(
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(datetime(1990, 1, 1), datetime.now() + timedelta(days=400)),
)
CELL = st.one_of(
    st.none(),
    st.sampled_from(NEAR),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)
TEXT_COLUMNS = st.lists(CELL, max_size=30)
ANY_COLUMNS = st.lists(st.one_of(CELL, XLSX), max_size=30)


def by_cell(f, cells):
    values, rules = [], {}
    for i, v in enumerate(cells):
        try:
            values.append(f.parse(v))
        except a.InvalidValue as exc:
            values.append(None)
            rules[i] = str(exc)
    return values, rules


def check(f, cells):
    column, rules = f.vector(cells, f.parse, c.ARROW_TYPES[f.sql_type])
    want_values, want_rules = by_cell(f, cells)
    assert rules == want_rules
    assert column.to_pylist() == want_values
    assert column.type == c.ARROW_TYPES[f.sql_type]


@pytest.mark.parametrize(("folder", "f"), FIELDS, ids=lambda x: getattr(x, "column", x))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=TEXT_COLUMNS)
def test_a_text_column_parses_as_its_cells(folder, f, cells):
    check(f, cells)


@pytest.mark.parametrize(("folder", "f"), FIELDS, ids=lambda x: getattr(x, "column", x))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=ANY_COLUMNS)
def test_a_column_with_numbers_and_dates_parses_as_its_cells(folder, f, cells):
    check(f, cells)


@pytest.mark.parametrize(("folder", "f"), FIELDS, ids=lambda x: getattr(x, "column", x))
def test_every_near_miss_parses_as_its_cell(folder, f):
    check(f, [*NEAR, None, *NEAR[::-1]])
