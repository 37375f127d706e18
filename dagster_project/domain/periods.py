"""Periods: a year (``2020``) or a quarter (``2020-Q1``), by the moment a questionnaire was
completed. The one place the Python code builds, parses and orders period codes; the SQL
side builds them in dbt (``int_response_periods``). What a code looks like is the dbt var
``periode_patroon`` (code_lists.period_pattern), which the row rules and GX check too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from .code_lists import period_pattern

QUARTERS = (1, 2, 3, 4)


@cache
def _code() -> re.Pattern[str]:
    return re.compile(period_pattern())


def code(jaar: int, kwartaal: int | None = None) -> str:
    """``2020`` for a year, ``2020-Q1`` for a quarter."""
    return str(jaar) if kwartaal is None else f"{jaar}-Q{kwartaal}"


def year_and_quarters(jaar: int) -> list[str]:
    """A year and its four quarters: 2020, 2020-Q1, ..., 2020-Q4."""
    return [code(jaar)] + [code(jaar, q) for q in QUARTERS]


@dataclass(frozen=True)
class Periode:
    code: str  # "2020" or "2020-Q1"
    jaar: int
    kwartaal: int | None

    @classmethod
    def parse(cls, text: str) -> Periode:
        if not _code().fullmatch(text):
            raise ValueError(f"periode {text!r}: expected a year (2020) or a quarter (2020-Q1)")
        kwartaal = int(text[-1]) if len(text) > 4 else None  # 2020-Q1
        return cls(text, int(text[:4]), kwartaal)

    def earlier(self, years: int) -> Periode:
        """The same period ``years`` years back (a quarter maps to the same quarter)."""
        jaar = self.jaar - years
        return Periode(code(jaar, self.kwartaal), jaar, self.kwartaal)


def sort_periods(periods: Iterable[str]) -> list[str]:
    """Chronological, a year before its quarters: 2019, 2019-Q1, ..., 2019-Q4, 2020."""
    return sorted(periods, key=lambda p: (p[:4], p[4:]))
