"""Value rules of docs/contract/formats.md: grades, label sets, dates and identity fields.

Every parser takes a cell as the file gave it (str, int, float, datetime or
None) and returns the parsed value, or raises :class:`InvalidValue` whose
message is the rule that was broken. ``None`` means "not answered".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ...domain import code_lists
from ...text.normalise import normalise

# The first year the surveys ran (docs/formats.md); an earlier date is a typing or export error.
FIRST_SURVEY_YEAR = 2010
# A date later than now by more than this is in the future; the slack covers clocks and zones.
FUTURE_SLACK = timedelta(days=1)

NO_ANSWER = frozenset({"weet niet", "n.v.t."})

# ASCII digits only ([0-9], not \d): values are normalised first (normalise.py), and what
# passes here must pass dbt's staging rules, which are ASCII (the code list's pattern).
_GRADE = re.compile(r"([0-9]{1,2})(?:,0+)?")
_GEMEENTECODE = re.compile(code_lists.gemeentecode_pattern())
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ONE2TEN_DATE = re.compile(
    r"([0-9]{2})-([0-9]{2})-([0-9]{4}) ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


class InvalidValue(ValueError):
    """A value that breaks a rule; ``str(exc)`` is the rule."""


def text(value: Any) -> str | None:
    """A cell as trimmed text; empty cells are None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None


def code_text(value: Any) -> str | None:
    """A code, label, identifier or product name as it is judged and stored: normalised
    (normalise.py: NFKC, invisible characters removed, digits and dashes folded); empty
    cells are None."""
    raw = text(value)
    if raw is None:
        return None
    return normalise(raw) or None


def free_text(value: Any) -> str | None:
    """Free text keeps its inner line breaks; only surrounding blanks go."""
    return text(value)


# The spellings nearly every cell has: a dictionary hit instead of a regex (ingest's hot path).
_COMMON_GRADES = {str(i): i for i in range(1, 11)} | {f"{i},0": i for i in range(1, 11)}


def grade(value: Any) -> int | None:
    """A grade 1..10: ``8``, ``8,0`` or an XLSX number; Weet niet / N.v.t. is no answer."""
    if type(value) is str:
        common = _COMMON_GRADES.get(value)
        if common is not None:
            return common
        if not value:
            return None
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise InvalidValue("grade must be a whole number 1..10")
    if isinstance(value, int | float):
        if float(value).is_integer() and 1 <= value <= 10:
            return int(value)
        raise InvalidValue("grade must be a whole number 1..10")
    raw = code_text(value)
    if not raw or raw.lower() in NO_ANSWER:
        return None
    match = _GRADE.fullmatch(raw)
    if match and 1 <= int(match.group(1)) <= 10:
        return int(match.group(1))
    raise InvalidValue("grade must be a whole number 1..10")


def label(value: Any, allowed: dict[str, str], what: str) -> str | None:
    """A label from ``allowed`` (lower-case spelling -> canonical), any case; empty is None."""
    raw = code_text(value)
    if raw is None:
        return None
    canonical = allowed.get(raw.lower())
    if canonical is None:
        raise InvalidValue(f"unknown {what}; expected one of: {', '.join(allowed.values())}")
    return canonical


def required_label(value: Any, allowed: dict[str, str], what: str) -> str:
    """A label that identifies the row: empty is as unusable as unknown."""
    if code_text(value) is None:
        raise InvalidValue(f"missing {what}")
    return label(value, allowed, what)  # type: ignore[return-value]


def labels(*canonical: str) -> dict[str, str]:
    return {c.lower(): c for c in canonical}


def gemeentecode(value: Any) -> str:
    raw = code_text(value)
    if raw is None:
        raise InvalidValue("missing Gemeentecode")
    if not _GEMEENTECODE.fullmatch(raw):
        raise InvalidValue("Gemeentecode must be GM followed by 4 digits")
    return raw


# raw.one2ten_responses.respondentnummer is a BIGINT.
MAX_RESPONDENTNUMMER = 2**63 - 1


def respondentnummer(value: Any) -> int:
    if value is None or (isinstance(value, str) and code_text(value) is None):
        raise InvalidValue("missing Respondentnummer")
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and value > 0:
            number = int(value)
    elif isinstance(value, str):
        digits = code_text(value) or ""
        if digits.isascii() and digits.isdigit() and int(digits) > 0:
            number = int(digits)
    if number is None:
        raise InvalidValue("Respondentnummer must be a positive whole number")
    if number > MAX_RESPONDENTNUMMER:
        raise InvalidValue(f"Respondentnummer larger than {MAX_RESPONDENTNUMMER:,}")
    return number


def uuid(value: Any) -> str:
    raw = code_text(value)
    if raw is None:
        raise InvalidValue("missing respondentId")
    if not _UUID.fullmatch(raw.lower()):
        raise InvalidValue("respondentId must be a UUID")
    return raw.lower()


def _datetime(
    value: Any, column: str, pattern: re.Pattern, order: tuple[int, int, int], shown: str
) -> datetime:
    """A local date-time matching ``pattern``; an XLSX date cell is taken as it is.

    ``order`` gives the positions of day, month and year among the pattern's groups.
    """
    if isinstance(value, datetime):
        return _plausible(value.replace(tzinfo=None), column)
    raw = code_text(value)
    if raw is None:
        raise InvalidValue(f"missing {column}")
    match = pattern.fullmatch(raw)
    if match:
        parts = match.groups()
        day, month, year = (int(parts[i]) for i in order)
        try:  # a well-formed but impossible date (31-02) is as unusable as a malformed one
            moment = datetime(year, month, day, int(parts[3]), int(parts[4]), int(parts[5] or 0))
        except ValueError:
            pass
        else:
            return _plausible(moment, column)
    raise InvalidValue(f"{column} must be a date {shown}")


def _plausible(moment: datetime, column: str) -> datetime:
    if moment.year < FIRST_SURVEY_YEAR:
        raise InvalidValue(
            f"implausible {column}: before {FIRST_SURVEY_YEAR}, the first survey year"
        )
    if moment > datetime.now() + FUTURE_SLACK:
        raise InvalidValue(f"implausible {column}: in the future")
    return moment


def one2ten_datetime(value: Any, column: str) -> datetime:
    """``dd-mm-jjjj uu:mm`` local time (One2Ten, Inviter)."""
    return _datetime(value, column, _ONE2TEN_DATE, (0, 1, 2), "dd-mm-jjjj uu:mm")


def openforms_datetime(value: Any, column: str) -> datetime:
    """``jjjj-mm-dd uu:mm:ss`` naive local time (Open Formulieren)."""
    return _datetime(value, column, _ISO_DATE, (2, 1, 0), "jjjj-mm-dd uu:mm:ss")


def name(value: Any) -> str | None:
    """A product name, normalised: ``Rijbewijs`` with a zero-width space is no other product."""
    return code_text(value)
