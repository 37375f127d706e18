"""Periods: a year (``2020``) or a quarter (``2020-Q1``), by the moment a questionnaire was
completed."""

from __future__ import annotations

from collections.abc import Iterable


def sort_periods(periods: Iterable[str]) -> list[str]:
    """Chronological, a year before its quarters: 2019, 2019-Q1, ..., 2019-Q4, 2020."""
    return sorted(periods, key=lambda p: (p[:4], p[4:]))
