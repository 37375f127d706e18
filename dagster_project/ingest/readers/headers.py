"""Which export column is which field: one table of header spellings (docs/formats.md).

A header matches a field when both have the same *key*: the name in NFKC, without
invisible characters and accents, case-folded, with everything but letters and digits
dropped, so ``totaaloordeel``, ``TOTAALOORDEEL``, ``Wacht tijd``, ``Wacht-tijd``,
``wacht_tijd`` and ``In een keer geholpen`` are the columns of the format contract.
``ALIASES`` adds the other names an export is known to use for a field. A header that
matches no field is an extra column, ignored and listed; one that still holds answers
(nearly every filled cell reads as the answer of one of the file's fields) refuses the file, since
its answers would vanish without a word.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import answers as a
from .model import FileRejected

if TYPE_CHECKING:
    from .fields import Field


def header_key(name: str) -> str:
    """What is left of a header name when spelling is set aside (see the module)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    return "".join(
        ch for ch in decomposed.casefold() if ch.isalnum() and unicodedata.category(ch) != "Mn"
    )


# Per raw table: another name of a field (any spelling; it is keyed) -> the field's column.
ALIASES: dict[str, dict[str, str]] = {
    "one2ten_responses": {
        "Respondentnr": "Respondentnummer",
        "Gemeentenaam": "Gemeente",
        "Email": "E-mailadres",
        "E-mail": "E-mailadres",
        "Cijfer totaaloordeel": "Totaaloordeel",
        "Totaal cijfer": "Totaaloordeel",
        "Toelichting": "Toelichting totaaloordeel",
        "Toelichting verbetertip": "Verbetertip toelichting",
    },
    "openforms_submissions": {
        "Formulier": "Formuliernaam",
        "Inzenddatum": "Inzendingdatum",
        "Respondent": "respondentId",
        "E-mailadres": "email",
        "Toelichting verbetertip": "verbetertipToelichting",
    },
    "inviter_invitations": {
        "Verzonden": "Verzonden op",
        "Verzenddatum": "Verzonden op",
        "Email": "E-mailadres",
        "E-mail": "E-mailadres",
    },
}


def _keys(raw_table: str, fields: Sequence[Field]) -> dict[str, str]:
    """Header key -> field column, for the fields' own names and the aliases."""
    keys = {header_key(f.column): f.column for f in fields}
    for alias, column in ALIASES.get(raw_table, {}).items():
        keys.setdefault(header_key(alias), column)
    return keys


def match_columns(
    header: Sequence[str], fields: Sequence[Field], raw_table: str, file_path: str
) -> tuple[dict[str, int], list[str]]:
    """Field column -> position in the header, and the headers that match no field.

    Two headers that match one field refuse the file: which holds the answer is unknown.
    """
    keys = _keys(raw_table, fields)
    positions: dict[str, int] = {}
    extra: list[str] = []
    for i, name in enumerate(header):
        if not name:
            continue
        column = keys.get(header_key(name))
        if column is None:
            extra.append(name)
        elif column in positions:
            raise FileRejected(
                file_path,
                f"columns {header[positions[column]]!r} and {name!r} are both {column!r}",
            )
        else:
            positions[column] = i
    return positions, extra


# Share of an extra column's filled cells that must read as answers for it to count as
# an answer column: real exports carry a few invalid answers (0, 11, acht) too.
ANSWER_SHARE = 0.9


def _reads_as(cells: Sequence[Any], field: Field) -> bool:
    """Whether the filled cells are answers of ``field``, one at least not "no answer"."""
    given = [v for v in cells if v is not None and not (type(v) is str and not v.strip())]
    if not given or any(type(v) not in (str, int, float) for v in given):
        return False  # lists, objects, booleans, dates: no answer of a closed set
    filled = Counter(given)
    read = answered = 0
    for cell, times in filled.items():
        try:
            value = field.parse(cell)
        except a.InvalidValue:
            continue
        read += times
        answered += value is not None
    return answered > 0 and read >= ANSWER_SHARE * filled.total()


def refuse_unmapped_answers(
    header: Sequence[str],
    extra: Sequence[str],
    rows: Sequence[tuple[int, list[Any]]],
    fields: Sequence[Field],
    file_path: str,
) -> None:
    """Refuse a file with an extra column whose cells are all answers (grades or labels)."""
    # Free-text fields accept anything, so only fields with a closed set of answers count.
    closed = [f for f in fields if not f.identity and f.closed]
    for name in extra:
        position = header.index(name)
        cells = [cells[position] for _, cells in rows]
        like = next((f for f in closed if _reads_as(cells, f)), None)
        if like is not None:
            raise FileRejected(
                file_path,
                f"column {name!r} matches no known column but holds answers (read as "
                f"{like.column!r} answers); its answers would be lost (docs/formats.md, "
                "header names)",
            )
