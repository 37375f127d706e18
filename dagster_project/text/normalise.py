"""The one normaliser of codes, labels and product names, and how file names are shown.

An export that was typed, pasted or re-encoded carries characters nobody sees: a
zero-width space, a soft hyphen, a byte order mark, a bidi mark, Arabic-Indic or
fullwidth digits, a non-breaking hyphen. Left in, ``GM٠٦٣٧`` passes a Unicode-aware
``\\d`` but fails dbt's ``[0-9]``, and ``Rij\\u200bbewijs`` is a product of its own. So
every code, label and product name goes through :func:`normalise` before it is judged
(docs/formats.md, "Normalised values"); free text (reviews, tips) is not changed here.

Free of Dagster and of the readers: anyone may import it.
"""

from __future__ import annotations

import os
import re
import unicodedata

# Dash look-alikes that are not dash punctuation (Pd): the minus sign and the hyphen bullet.
_OTHER_DASHES = frozenset("\u2212\u2043")
# Invisible characters outside category Cf (Unicode's other default-ignorables): the
# combining grapheme joiner, variation selectors, Mongolian free variation selectors,
# Hangul fillers.
_OTHER_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


class _CharMap(dict):
    """What ``str.translate`` does with each code point, worked out when first met."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cf" or char in _OTHER_INVISIBLE:  # zero-width, bidi, soft hyphen, BOM
            out: str | None = None
        elif category == "Nd":
            out = str(unicodedata.decimal(char))  # Arabic-Indic, fullwidth, ... -> ASCII
        elif category == "Pd" or char in _OTHER_DASHES:
            out = "-"
        else:
            out = char
        self[code] = out
        return out


_MAP = _CharMap()
_WHITESPACE = re.compile(r"\s+")


def fold_char(char: str) -> str | None:
    """One character as :func:`normalise` folds it: None for an invisible one, the ASCII
    digit for a decimal digit, ``-`` for a dash; free text (``fold``) folds with it."""
    return _MAP[ord(char)]


def normalise(value: str) -> str:
    """``value`` as it is compared: invisible characters (Cf, default-ignorables) removed,
    decimal digits as ASCII, dashes as ``-``, NFKC (but not for numbers that are no digits),
    whitespace runs as one space, trimmed.

    Idempotent. A lone surrogate (an invalid ``\\ud800`` from a JSON escape) is left in:
    it is not text, and whatever holds it fails its rule (tabular.py quarantines its row).
    """
    if value.isascii():  # nearly every cell: only the blanks can need work
        return " ".join(value.split())
    # Drop and fold first (NFKC would turn a fullwidth digit into ASCII anyway, but not
    # Arabic-Indic ones), NFKC, then again: NFKC can produce a dash or digit to fold.
    folded = _nfkc(value.translate(_MAP)).translate(_MAP)
    return _WHITESPACE.sub(" ", folded).strip()


def _nfkc(value: str) -> str:
    """NFKC, except that numbers which are not digits (², ①, ½, Ⅻ) stay as they are: NFKC
    would make ``²`` a ``2``, and a superscript is a typing accident, not a digit."""
    if not any(unicodedata.category(c) in ("No", "Nl") for c in value):
        return unicodedata.normalize("NFKC", value)
    out, run = [], []
    for c in value:
        if unicodedata.category(c) in ("No", "Nl"):
            out.append(unicodedata.normalize("NFKC", "".join(run)))
            out.append(c)
            run = []
        else:
            run.append(c)
    out.append(unicodedata.normalize("NFKC", "".join(run)))
    return "".join(out)


def has_surrogate(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate, which no UTF-8 writer (Arrow, DuckDB) accepts."""
    return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)


def storable(value: str, file_name: bool = False) -> str:
    """``value`` with each lone surrogate written as its escape (``\\ud800``), so it can be
    stored and printed; in a file name an undecodable byte (``\\udce9``) becomes ``\\xe9``."""
    if not has_surrogate(value):
        return value
    out = []
    for c in value:
        if file_name and "\udc80" <= c <= "\udcff":  # os.fsdecode's escape of one byte
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif "\ud800" <= c <= "\udfff":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def file_name_problem(name: str) -> str | None:
    """Why a file name as the file system gave it (``os.fsdecode``) cannot be used, or None."""
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"file name is not UTF-8 (byte 0x{exc.object[exc.start]:02x}); rename the file"
    return None


# Control characters (C0, DEL, C1) and the line and paragraph separators: in a terminal
# they break a table's line or move the cursor. Escaped, a name stays on its line.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown_name(file_path: str) -> str:
    """A file name as a table prints it: control characters (a newline) escaped as in Python
    (``\\n``, ``\\x1b``), undecodable bytes as ``\\xe9``; everything else as it is."""
    path = storable(file_path, file_name=True)

    def escape(match: re.Match) -> str:
        return repr(match.group())[1:-1]

    return _UNPRINTABLE.sub(escape, path)
