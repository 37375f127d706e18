"""Periods: a year (``2020``) or a quarter (``2020-Q1``), by the moment a questionnaire was
completed. The one place the Python code builds, parses and orders period codes; the SQL
side builds them in dbt (``int_response_periods``) and checks them in the GX suites."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

QUARTERS = (1, 2, 3, 4)
_CODE = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


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
        match = _CODE.match(text)
        if not match:
            raise ValueError(f"periode {text!r}: expected a year (2020) or a quarter (2020-Q1)")
        kwartaal = int(match.group(2)) if match.group(2) else None
        return cls(text, int(match.group(1)), kwartaal)

    def earlier(self, years: int) -> Periode:
        """The same period ``years`` years back (a quarter maps to the same quarter)."""
        jaar = self.jaar - years
        return Periode(code(jaar, self.kwartaal), jaar, self.kwartaal)


def sort_periods(periods: Iterable[str]) -> list[str]:
    """Chronological, a year before its quarters: 2019, 2019-Q1, ..., 2019-Q4, 2020."""
    return sorted(periods, key=lambda p: (p[:4], p[4:]))
