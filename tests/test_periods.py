"""The period codes: built, parsed and ordered in one module (dagster_project/domain/periods.py)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagster_project.domain.periods import Periode, code, sort_periods, year_and_quarters

years = st.integers(1000, 9999)
quarters = st.one_of(st.none(), st.integers(1, 4))


@given(years, quarters)
def test_a_code_parses_back_to_its_year_and_quarter(jaar, kwartaal):
    parsed = Periode.parse(code(jaar, kwartaal))
    assert (parsed.jaar, parsed.kwartaal, parsed.code) == (jaar, kwartaal, code(jaar, kwartaal))


@pytest.mark.parametrize(
    "text", ["20", "2020-Q5", "2020-Q0", "2020Q1", "2020-q1", " 2020", "2020-"]
)
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="expected a year"):
        Periode.parse(text)


@given(years, quarters, st.integers(0, 5))
def test_earlier_keeps_the_quarter(jaar, kwartaal, back):
    earlier = Periode.parse(code(jaar, kwartaal)).earlier(back)
    assert earlier == Periode.parse(code(jaar - back, kwartaal))


def test_chronological_a_year_before_its_quarters():
    ordered = year_and_quarters(2019) + year_and_quarters(2020)
    shuffled = ordered[:]
    random.Random(7).shuffle(shuffled)
    assert sort_periods(shuffled) == ordered
    assert ordered[:5] == ["2019", "2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"]
