"""Dutch notation for the figures on a factsheet, independent of the system locale.

Grades get one decimal and a decimal comma (``8,4``), CES and percentages are
whole numbers, halves are rounded away from zero (METRICS.md). The marts
already hold rounded values; rounding again here is a no-op for them and makes
confidence-interval bounds (kept unrounded in the marts) print the same way.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

DASH = "–"  # printed in place of a figure that may not be shown

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


def _decimal(value: float | int | Decimal) -> Decimal:
    # repr() of a float is the shortest string that round-trips, so 8.35 stays 8.35
    # instead of becoming 8.3499999... as Decimal(8.35) would.
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def round_half_away(value: float | int | Decimal, decimals: int) -> Decimal:
    """Round halves away from zero (ROUND_HALF_UP works on the magnitude)."""
    return _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _signed(text: str) -> str:
    # "-0" and "-0,0" are artefacts of rounding a small negative number.
    return text[1:] if text.startswith("-") and text.strip("-0,") == "" else text


def grade(value: float | int | Decimal | None) -> str:
    """A grade on the 1-10 scale: ``8,4``; None prints as a dash."""
    if value is None:
        return DASH
    return _signed(f"{round_half_away(value, 1):f}".replace(".", ","))


def whole(value: float | int | Decimal | None) -> str:
    """A CES score or a count: ``64``, ``-13``; None prints as a dash."""
    if value is None:
        return DASH
    return _signed(f"{round_half_away(value, 0):f}")


def percent(value: float | int | Decimal | None) -> str:
    """A percentage: ``62%``; None prints as a dash."""
    if value is None:
        return DASH
    return f"{whole(value)}%"


def fixed(value: float | int | Decimal, decimals: int) -> str:
    """A number with exactly ``decimals`` decimals and a decimal comma: ``8,38``."""
    return _signed(f"{round_half_away(value, decimals):f}".replace(".", ","))


def signed_difference(text: str, other: str) -> str:
    """``text - other`` of two printed figures, with a sign: ``+0,3``, ``-4``, ``0``.

    Computed on the printed numbers, so the difference adds up on the sheet.
    """
    a, b = (Decimal(t.rstrip("%").replace(",", ".")) for t in (text, other))
    diff = a - b
    decimals = max(-a.as_tuple().exponent, -b.as_tuple().exponent, 0)
    body = fixed(abs(diff), decimals)
    return body if diff == 0 else ("+" if diff > 0 else "-") + body


def interval(low: float | Decimal, high: float | Decimal, decimals: int) -> str:
    """A confidence interval ``[8,31; 8,39]``; the semicolon because the comma is decimal."""
    bounds = (_signed(f"{round_half_away(x, decimals):f}".replace(".", ",")) for x in (low, high))
    return "[{}; {}]".format(*bounds)


def long_date(day: dt.date) -> str:
    """``28 november 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def quarter_label(jaar: int, kwartaal: int | None) -> str:
    """``2020`` for a year, ``1e kwartaal 2020`` for a quarter."""
    return str(jaar) if kwartaal is None else f"{kwartaal}e kwartaal {jaar}"


def short_period_label(jaar: int, kwartaal: int | None) -> str:
    """Axis label in the trend chart: ``2019`` or ``K1 2019``."""
    return str(jaar) if kwartaal is None else f"K{kwartaal} {jaar}"
