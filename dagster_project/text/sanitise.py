"""The one sanitiser for free text that reaches an output (product, municipality name,
reviews, tips): what the marts hold, the factsheets print and BI tools read.

``free_text(text)`` = ``break_long_words(redact(clean(text)))``, or ``WITHHELD`` when
``publishable`` refuses the redacted text:

1. ``clean``: folded first (``fold.fold``: NFKC, every invisible format character
   such as U+200B, U+00AD and U+2060 out, digits of any script and dashes ASCII); then
   control characters (NUL, C0, DEL, C1) and line/paragraph separators
   become a space or disappear; the byte-order mark and explicit bidi formatting
   characters (embeddings, overrides, isolates, marks) are removed, so an unbalanced
   U+202E cannot reverse what follows it; runs of white space become one space.
   Text with right-to-left letters is then wrapped in one isolate (U+2068 FSI ...
   U+2069 PDI): it keeps its own direction without reordering the text around it.
2. ``redaction.redact``: personal data replaced by tags. After cleaning, so a NUL, a
   zero-width space or a bidi mark inside an e-mail address cannot hide it from the
   patterns.
2b. ``publishable``: fail closed. The redacted text with accents off and look-alike letters Latin
   (``fold.latin``), tags taken out, may hold none
   of: an ``@`` or a written-out one, a run of six or more digits (separators between
   them do not break a run), a code of letters with three or more digits, and nothing the
   redaction rules find. A text that does is replaced whole by ``WITHHELD``: it is not
   shown anywhere, and it still counts as a review or tip.
3. ``break_long_words``: a zero-width space (U+200B) after every ``WORD_CHUNK``
   characters of a run without a break opportunity, so a long word or URL wraps
   instead of running off the PDF page (Typst and browsers break lines there; it is
   invisible). After redaction, so no pattern is cut in two.
"""

from __future__ import annotations

import re
import unicodedata

from ..domain.code_lists import withheld_text
from .fold import fold, latin
from .redaction import TAGS, redact

ZWSP = "\u200b"
ZWJ = "\u200d"
FSI, PDI = "\u2068", "\u2069"
WORD_CHUNK = 24  # characters; the narrowest column (a product row) holds about 30

# Explicit bidi formatting: LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM ALM.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
)
_REMOVE = {**_BIDI_CONTROLS, 0xFEFF: None}
_WHITESPACE = re.compile(r"\s+")
_UNBROKEN = re.compile(rf"[^\s{ZWSP}\-/]{{{WORD_CHUNK + 1},}}")


# Category Cc is exactly NUL..US, DEL and the C1 range; Zl and Zp are U+2028 and U+2029
# alone; Cs is the surrogate block. Character classes instead of a category lookup per
# character, as every review, tip, product and municipality name passes here
# (tests/test_sanitise.py holds the classes to unicodedata over every code point).
_CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates cannot be written out


def _control_to_space(text: str) -> str:
    return _CONTROL_OR_SEPARATOR.sub(" ", _SURROGATE.sub("", text))


def _has_rtl(text: str) -> bool:
    if text.isascii():  # no ASCII character is right-to-left
        return False
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text if ch > "\x7f")


def clean(text: str | None) -> str | None:
    """Control characters out, bidi controls out (right-to-left text isolated), spaces
    collapsed; None stays None, text that is only white space becomes ''."""
    if text is None:
        return None
    text = fold(unicodedata.normalize("NFC", text)).translate(_REMOVE)
    text = _WHITESPACE.sub(" ", _control_to_space(text)).strip()
    if _has_rtl(text):
        text = FSI + text + PDI
    return text


def _breakable_at(word: str, i: int) -> bool:
    """Between word[i-1] and word[i] without cutting a character from its accents or an
    emoji from its joiner / variation selector."""
    nxt, prev = word[i], word[i - 1]
    return not (
        unicodedata.category(nxt).startswith("M")
        or ZWJ in (prev, nxt)
        or "\ufe00" <= nxt <= "\ufe0f"
    )


def _break_word(word: str) -> str:
    parts, start = [], 0
    for i in range(1, len(word)):
        if i - start >= WORD_CHUNK and _breakable_at(word, i):
            parts.append(word[start:i])
            start = i
    parts.append(word[start:])
    return ZWSP.join(parts)


def break_long_words(text: str | None) -> str | None:
    """A zero-width space after about every ``WORD_CHUNK`` characters of over-long words."""
    if text is None:
        return None
    return _UNBROKEN.sub(lambda m: _break_word(m.group(0)), text)


# A text that still looks personal after redaction is replaced by this, whole; the tips of
# the marts leave it out (dbt_project.yml's var withheld_text, its one source).
WITHHELD = withheld_text()

_TAGS_AND_WITHHELD = re.compile("|".join(re.escape(t) for t in (*TAGS, WITHHELD)))
_AT_WRITTEN = re.compile(
    r"[\w.-]+\s*(?:\(at\)|\[at\]|\{at\}|\bat\b|apenstaartje)\s*[\w-]+"
    r"\s*(?:\.|\(dot\)|\[dot\]|\bdot\b|\bpunt\b)\s*[a-z]{2,}"
)
_AT_WORD = re.compile(r"\bat\b|apenstaartje")
_DIGIT = re.compile(r"[0-9]")
# Six digits with at most two characters that are no letter or digit between each two.
_DIGIT_RUN = re.compile(r"\d(?:[^a-z0-9]{0,2}\d){5,}")
_CODE = re.compile(r"\b(?=(?:[a-z]*\d){3})(?=\w*[a-z])[a-z0-9]{5,}\b")


def publishable(redacted: str) -> bool:
    """Whether a redacted text may be shown: its skeleton, tags out, holds nothing that
    looks personal. The redaction rules run once more on the skeleton, so a look-alike
    letter that kept an address or a name from them keeps the text from being shown."""
    shown = latin(redacted)
    bare = _TAGS_AND_WITHHELD.sub(" ", shown)
    low = bare.lower()
    if "@" in low or (_AT_WORD.search(low) and _AT_WRITTEN.search(low)):
        return False
    if _DIGIT.search(low) and (_DIGIT_RUN.search(low) or _CODE.search(low)):
        return False
    # The rules once more where folding to Latin changed a letter; the text as it is has
    # been through them already (``redact`` leaves its own output as it is).
    return shown == redacted or redact(bare) == bare


def free_text(text: str | None) -> str | None:
    """Clean, redact, then make breakable: every free-text value on its way to an output;
    ``WITHHELD`` for a text that still looks personal after redaction."""
    redacted = redact(clean(text))
    if redacted is None:
        return None
    if not publishable(redacted):
        return WITHHELD
    return break_long_words(redacted)
