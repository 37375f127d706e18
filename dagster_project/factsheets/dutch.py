"""Dutch notation for the figures on a factsheet, independent of the system locale.

Grades get one decimal and a decimal comma (``8,4``), CES and percentages are whole
numbers. Nothing here rounds: every number arrives rounded from the marts (dbt's
macros/rounding.sql, halves away from zero, docs/contract/metrics.md), and a value with more digits
than its notation shows is an error (:class:`NotRounded`), never silently rounded again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

DASH = "–"  # printed in place of a figure that may not be shown
# The minus sign (U+2212) of a printed difference, not the hyphen: it is as wide as the
# plus, so +0,3 and −0,3 line up, and no browser or PDF reader breaks a line after it.
MINUS = "\u2212"

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


class NotRounded(ValueError):
    """A value with more digits than its notation shows: rounding belongs in the marts."""


def _decimal(value: float | int | Decimal) -> Decimal:
    # repr() of a float is the shortest string that round-trips, so 8.4 stays 8.4
    # instead of becoming 8.4000000000000003552... as Decimal(8.4) would.
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _exact(value: float | int | Decimal, decimals: int) -> str:
    """``value`` with exactly ``decimals`` decimals and a decimal comma, dropping only zeros."""
    number = _decimal(value)
    shown = number.quantize(Decimal(1).scaleb(-decimals))
    if shown != number:
        raise NotRounded(f"{value!r} has more than {decimals} decimal(s): round it in the marts")
    return _signed(f"{shown:f}".replace(".", ","))


def _signed(text: str) -> str:
    # "-0" and "-0,0": a negative zero reads as a difference that is not there.
    return text[1:] if text.startswith("-") and text.strip("-0,") == "" else text


def grade(value: float | int | Decimal | None) -> str:
    """A grade on the 1-10 scale, already rounded to one decimal: ``8,4``; None is a dash."""
    if value is None:
        return DASH
    return _exact(value, 1)


def whole(value: float | int | Decimal | None) -> str:
    """A CES score or a count, already whole: ``64``, ``-13``; None prints as a dash."""
    if value is None:
        return DASH
    return _exact(value, 0)


def percent(value: float | int | Decimal | None) -> str:
    """A whole percentage: ``62%``; None prints as a dash."""
    if value is None:
        return DASH
    return f"{whole(value)}%"


def fixed(value: float | int | Decimal, decimals: int) -> str:
    """A number with exactly ``decimals`` decimals and a decimal comma: ``8,38``."""
    return _exact(value, decimals)


def signed_difference(text: str, other: str) -> str:
    """``text - other`` of two printed figures, with a sign: ``+0,3``, ``−4`` (U+2212), ``0``.

    Computed on the printed numbers, so the difference adds up on the sheet. Of two
    percentages (``54%``, ``60%``) it is a number of percentage points: the caller adds
    the unit.
    """
    a, b = (Decimal(t.rstrip("%").replace(",", ".")) for t in (text, other))
    diff = a - b
    decimals = max(-a.as_tuple().exponent, -b.as_tuple().exponent, 0)
    body = fixed(abs(diff), decimals)
    return body if diff == 0 else ("+" if diff > 0 else MINUS) + body


def interval(low: float | Decimal, high: float | Decimal, decimals: int) -> str:
    """A confidence interval, bounds already rounded: ``[8,31; 8,39]``; the semicolon because
    the comma is decimal."""
    return f"[{_exact(low, decimals)}; {_exact(high, decimals)}]"


def long_date(day: dt.date) -> str:
    """``28 november 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def quarter_label(jaar: int, kwartaal: int | None) -> str:
    """``2020`` for a year, ``1e kwartaal 2020`` for a quarter."""
    return str(jaar) if kwartaal is None else f"{kwartaal}e kwartaal {jaar}"


def short_period_label(jaar: int, kwartaal: int | None) -> str:
    """Axis label in the trend chart: ``2019`` or ``K1 2019``."""
    return str(jaar) if kwartaal is None else f"K{kwartaal} {jaar}"
