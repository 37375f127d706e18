"""Unicode folding before anything is matched: one definition for every free text.

Two levels:

- ``fold(text)``: what is shown. Unicode NFKC (fullwidth and mathematical letters and
  digits, ligatures, the many spaces become their plain forms), every format character
  removed (category Cf: zero-width space and joiners, soft hyphen, word joiner, byte-order
  mark, bidi marks), every decimal digit of any script folded to ASCII (Arabic-Indic ``٣``
  is ``3``), dashes and minus signs to ``-``. A zero-width joiner between two emoji stays:
  it joins them into one picture and carries no letter or digit.
- ``latin(text)``: what is matched. ``fold``, then accents stripped and letters that
  look like Latin ones (Cyrillic ``а``, Greek ``ο``) taken for them; ``skeleton`` is the
  same in lower case. Never shown: they only decide whether a text holds something.

Both are idempotent. A pattern run on folded text cannot be switched off by an invisible
character or a look-alike: the hostile spellings are gone before any pattern sees them.
"""

from __future__ import annotations

import unicodedata
from functools import cache

ZWJ = "\u200d"

# Dashes and minus signs that NFKC leaves alone: hyphen, non-breaking hyphen (NFKC makes it
# a hyphen), figure, en, em and horizontal-bar dashes, minus, small and fullwidth hyphen-minus.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")

# Letters of other scripts drawn like a Latin letter (Unicode's confusables for the letters
# an e-mail address, a name or a code is written in).
_LOOK_ALIKES = str.maketrans(
    dict(
        zip(
            "АВЕЅІЈКМНОРСТХУаеіјорсухѕԁԛԝһɡοαρνικτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧℓı",
            "ABESIJKMHOPCTXYaeijopcyxsdqwhgoapviktuxABEZHIKMNOPTYXli",
            strict=True,
        )
    )
)


@cache
def _is_format(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def _emoji_side(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] in "SM"


def _drop_format(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        # A joiner is kept only inside an emoji sequence: between two symbols or marks.
        if not _is_format(ch) or (
            ch == ZWJ
            and 0 < i < len(text) - 1
            and out
            and _emoji_side(out[-1])
            and _emoji_side(text[i + 1])
        ):
            out.append(ch)
    return "".join(out)


@cache
def _ascii_digit(ch: str) -> str:
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def _fold_digits(text: str) -> str:
    return "".join(ch if ch.isascii() else _ascii_digit(ch) for ch in text)


def fold(text: str) -> str:
    """NFKC, format characters out (an emoji's joiner kept), digits and dashes to ASCII."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _drop_format(text)
    return _fold_digits(text).translate(_DASHES)


def latin(text: str) -> str:
    """``fold``, accents off, look-alike letters Latin, case kept: for matching only."""
    text = fold(text)
    if text.isascii():
        return text
    text = text.translate(_LOOK_ALIKES)
    text = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )
    return _drop_format(text.replace(ZWJ, ""))


def skeleton(text: str) -> str:
    """``latin`` in lower case: for matching only."""
    return latin(text).lower()
