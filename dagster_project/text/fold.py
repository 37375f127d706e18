"""Unicode folding before anything is matched: one definition for every free text.

Two levels:

- ``fold(text)``: what is shown. Unicode NFKC (fullwidth and mathematical letters and
  digits, ligatures, the many spaces become their plain forms), then the readers'
  normaliser's folding of each character (``normalise``, the one definition):
  every invisible character removed (category Cf: zero-width space and joiners, soft
  hyphen, word joiner, byte-order mark, bidi marks; variation selectors), every decimal
  digit of any script ASCII (Arabic-Indic ``٣`` is ``3``), dashes and minus signs ``-``.
  An emoji's zero-width joiner or presentation selector stays inside an emoji sequence:
  it joins them into one picture and carries no letter or digit.
- ``latin(text)``: what is matched. ``fold``, then accents stripped and letters that
  look like Latin ones (Cyrillic ``а``, Greek ``ο``) taken for them; ``skeleton`` is the
  same in lower case. Never shown: they only decide whether a text holds something.

Both are idempotent. A pattern run on folded text cannot be switched off by an invisible
character or a look-alike: the hostile spellings are gone before any pattern sees them.
"""

from __future__ import annotations

import unicodedata

from .normalise import fold_char

ZWJ = "\u200d"
VS16 = "\ufe0f"  # emoji presentation

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


def _emoji_side(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] in "SM"


def fold(text: str) -> str:
    """NFKC, then each character as the readers' normaliser folds it (``fold_char``:
    invisible characters out, digits and dashes ASCII), except an emoji's joiner or
    presentation selector inside an emoji sequence (👩‍💻, ❤️), which carry no letter."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch.isascii() or (
            ch in (ZWJ, VS16)
            and out
            and _emoji_side(out[-1])
            and (ch == VS16 or (i + 1 < len(text) and _emoji_side(text[i + 1])))
        ):
            out.append(ch)
        else:
            out.append(fold_char(ch) or "")
    return "".join(out)


def latin(text: str) -> str:
    """``fold``, accents off, look-alike letters Latin, case kept: for matching only."""
    text = fold(text)
    if text.isascii():
        return text
    text = text.translate(_LOOK_ALIKES)
    text = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )
    return text.replace(ZWJ, "").replace(VS16, "")


def skeleton(text: str) -> str:
    """``latin`` in lower case: for matching only."""
    return latin(text).lower()
