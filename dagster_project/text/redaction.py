"""Redaction of personal data in free text (tips, reviews, product and municipality names).

``redact(text)`` works on folded text (``fold.fold``: NFKC, invisible characters out,
digits and dashes ASCII), so a zero-width space or a fullwidth digit cannot hide anything
from it, and replaces, in this order:

- IBANs (``[IBAN]``): a country code and check digits, then letters and digits in any
  grouping (spaces, dots, hyphens). The check digits need not be right: a mistyped
  account number still points at a person; the country's account format must be.
- e-mail addresses (``[E-MAIL]``), also with spaces around the ``@`` and written out:
  ``jan (at) voorbeeld (dot) nl``, ``jan at voorbeeld punt nl``, ``apenstaartje``.
- BSNs (``[BSN]``): nine digits in any grouping (``123456782``, ``123.456.782``,
  ``123-45-6782``) passing the 11-proof (python-stdnum's ``nl.bsn``).
- phone numbers (``[TELEFOON]``): what ``phonenumbers`` finds for region NL, and every
  Dutch shape (0 or +31/0031, then nine digits in any grouping, an area code in brackets).
- dates (``[DATUM]``): day, month and year as digits (``12-03-1980``, ``1980-03-12``,
  ``12/3/80``) or a day with a month's name (``12 maart``, ``3 jun. 1990``).
- addresses (``[ADRES]``): a postcode (``2711 AB``) with the house number after it; a
  street with a house number, the street either ending in a street word (``straat``,
  ``laan``, ...) with the capitalised words before it, or in the BAG's list of streets
  (``Lange Voorhout 9``, ``de pan 1``; a street of one word only with a capital).
- licence plates (``[KENTEKEN]``): every Dutch side code (``12-ABC-3``, ``AB-12-CD``),
  with hyphens or run together in capitals.
- passport and identity-card numbers (``[DOCUMENTNUMMER]``): two letters, six letters
  or digits and a digit, at least two digits in all (``NXC3F2R14``).
- names (``[NAAM]``): after ``mijn naam is``, ``ik heet``, ``ik ben`` (the last only
  before a word that is a name); after a form of address (``mevrouw``, ``dhr.``,
  ``collega``); a capitalised first name from the name lists (``dutch_lists``); and a
  capitalised word followed by a capitalised surname of the lists that is no place name
  (``Achilles van Langereis``); each with the interfixes and surnames that follow.

The order matters: IBANs and e-mail addresses contain digit runs that the later rules
would otherwise take apart, and a phone number written with dots (``06.12.34.56.78``)
starts like a date.

What this does not find is caught after it: ``sanitise.publishable`` withholds a text that
still holds anything that looks personal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

from ..domain import code_lists
from . import dutch_lists
from .fold import fold, skeleton

TAG_BSN = "[BSN]"
TAG_EMAIL = "[E-MAIL]"
TAG_PHONE = "[TELEFOON]"
TAG_IBAN = "[IBAN]"
TAG_ADDRESS = "[ADRES]"
TAG_DATE = "[DATUM]"
TAG_PLATE = "[KENTEKEN]"
TAG_DOCUMENT = "[DOCUMENTNUMMER]"
TAG_NAME = "[NAAM]"
TAGS = (
    TAG_BSN, TAG_EMAIL, TAG_PHONE, TAG_IBAN, TAG_ADDRESS, TAG_DATE, TAG_PLATE, TAG_DOCUMENT,
    TAG_NAME,
)  # fmt: skip

# Between two digits of one number: nothing, a space, or one of . - / _ with spaces.
_SEP = r"(?:\s?[.\-/_]\s?|\s)?"

_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}(?:[\s.\-]?\d){2}(?:[\s.\-]?[A-Za-z0-9]){11,30}")
_AT = r"\s*(?:@|\(at\)|\[at\]|\{at\}|\s(?:at|apenstaartje)\s)\s*"
_DOT = r"\s*(?:\.|\(dot\)|\[dot\]|\(punt\)|\[punt\]|\s(?:dot|punt)\s)\s*"
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    + _AT
    + r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    + _DOT
    + r")+[A-Za-z]{2,}\b",
    re.IGNORECASE,
)
_BSN = re.compile(rf"(?<![\w.])\d(?:{_SEP}\d){{8}}(?![\w]|[.\-/]\d)")
_PHONE_NL = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?31[\s.\-]?(?:\(0\)[\s.\-]?)?|\(?0)"
    r"[1-9](?:[\s.\-/()]{0,2}\d){8}(?!\d)"
)
_MONTHS = (
    r"jan(?:uari)?|feb(?:ruari)?|mrt|maa(?:rt)?|apr(?:il)?|mei|juni?|juli?|aug(?:ustus)?"
    r"|sep(?:t(?:ember)?)?|o[kc]t(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<d1>\d{1,2})\s?[-/.]\s?(?P<m1>\d{1,2})\s?[-/.]\s?(?:\d{4}|\d{2})"
    r"|(?:19|20)\d{2}\s?[-/.]\s?(?P<m2>\d{1,2})\s?[-/.]\s?(?P<d2>\d{1,2})"
    rf"|(?P<d3>\d{{1,2}})(?:e|ste|de)?\s*(?:{_MONTHS})\b\.?(?:\s*'?(?:\d{{4}}|\d{{2}}))?"
    r")(?![\w])",
    re.IGNORECASE,
)
_HOUSE_NUMBER = r"[\s,]+(?:nr\.?\s?|huisnummer\s)?\d{1,5}(?:\s?-?\s?[A-Za-z]\b|[-/]\d{1,4})?"
# A postcode: four digits and two letters. In lower case with a space between it is
# taken only with a house number of at most three digits after it: "1234 en" and "2020 en
# 2019" are ordinary text.
_SHORT_HOUSE_NUMBER = _HOUSE_NUMBER.replace(r"\d{1,5}", r"\d{1,3}(?!\d)")
_POSTCODE = re.compile(
    r"(?<!\w)[1-9]\d{3}(?:"
    rf"[\s.\-]{{0,2}}(?i:(?!sa|sd|ss)[a-z]{{2}})(?!\w){_SHORT_HOUSE_NUMBER}"
    rf"|(?:[\s.\-]{{0,2}}(?!SA|SD|SS)[A-Z]{{2}}|(?!sa|sd|ss)[a-z]{{2}})(?!\w)(?:{_HOUSE_NUMBER})?"
    r")"
)
_STREET_WORDS = (
    "straat|laan|weg|plein|gracht|kade|singel|dijk|park|hof|dreef|steeg|pad|markt|baan|"
    "ring|wal|erf|plantsoen|boulevard|kanaal|haven|veld|hoven|burg|donk|straatje"
)
_STREET_END = re.compile(rf"(?:{_STREET_WORDS})$", re.IGNORECASE)
_NUMBER_AFTER = re.compile(
    r"[\s,]+(?:nr\.?\s?|no\.?\s?|huisnummer\s)?\d{1,5}(?:\s?-?\s?[A-Za-z](?![\w])|[-/]\d{1,4})?"
)
_WORD = re.compile(r"[^\W\d_](?:[\w'’.-]*[^\W_])?")
# Dutch licence plates: the fourteen side codes (L letter, D digit).
_SIDE_CODES = ["LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL"]
_SIDE_CODES += ["DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL"]
_SIDE_CODES += ["D-LL-DDD", "DDD-LL-D"]


def _side_code(code: str, sep: str, letter: str) -> str:
    return sep.join("".join(letter if c == "L" else r"\d" for c in g) for g in code.split("-"))


# With hyphens in any case (``12-abc-3``), or run together in capitals (``12ABC3``); a
# space between the groups is too common in ordinary text (``2020 en``) to count, and a
# municipality code (GM0637) is no plate.
_PLATE = re.compile(
    rf"(?<![\w-])(?!{code_lists.gemeentecode_pattern()}(?![\w-]))(?:"
    + "|".join(_side_code(code, "-", "[A-Za-z]") for code in _SIDE_CODES)
    + "|"
    + "|".join(_side_code(code, "", "[A-Z]") for code in _SIDE_CODES)
    + r")(?![\w-])"
)
_DOCUMENT = re.compile(r"(?<![\w-])[A-Za-z]{2}(?=(?:[A-Za-z]*\d){2})[A-Za-z0-9]{6}\d(?![\w-])")
_NAME_TRIGGER = re.compile(
    r"\b(?:mijn\s+naam\s+is|naam\s*:|ik\s+heet|heet|genaamd|ik\s+ben|namens)\s+",
    re.IGNORECASE,
)
# The rules but the names need a digit, or an @ or its written form.
_DIGIT_OR_AT = re.compile(r"[0-9@]|\bat\b|\(at\)|\[at\]|\{at\}|apenstaartje", re.IGNORECASE)


_INTERFIX_WORDS = {"van", "de", "der", "den", "het", "ten", "ter", "te", "la", "le", "op", "in"}


def _iban(match: re.Match[str]) -> str:
    """Redact the longest prefix of the match that is an account number of its country."""
    text = match.group(0)
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    compact = "".join(text[i] for i in positions).upper()
    for length in range(len(compact), 14, -1):
        candidate = compact[:length]
        # The country's account structure judged with the check digits recomputed, so an
        # IBAN with a typo in it (wrong check digits) is redacted too.
        repaired = candidate[:2] + stdnum_iban.calc_check_digits(candidate) + candidate[4:]
        if stdnum_iban.is_valid(repaired, check_country=False):
            return TAG_IBAN + text[positions[length - 1] + 1 :]
    return text


def _bsn(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return TAG_BSN if stdnum_bsn.is_valid(digits) else match.group(0)


def _date(match: re.Match[str]) -> str:
    day = match.group("d1") or match.group("d2") or match.group("d3")
    month = match.group("m1") or match.group("m2")
    valid = 1 <= int(day) <= 31 and (month is None or 1 <= int(month) <= 12)
    return TAG_DATE if valid else match.group(0)


def _phones(text: str) -> str:
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID)
    ]
    return _PHONE_NL.sub(TAG_PHONE, _replace_spans(text, spans, TAG_PHONE))


def _replace_spans(text: str, spans: list[tuple[int, int]], tag: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + tag + text[end:]
    return text


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


@lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """A word as the lists hold it (``fold.skeleton``); words repeat across texts."""
    return skeleton(word)


def street_spans(text: str) -> list[tuple[int, int]]:
    """Street name + house number: the words before a number that are a street of the BAG
    (up to six words), or end in a street word, with the capitalised words and interfixes
    before it (``Burgemeester van der Werffstraat 3``)."""
    spans: list[tuple[int, int]] = []
    words = _words(text)
    for i, word in enumerate(words):
        number = _NUMBER_AFTER.match(text, word.end())
        if number is None:
            continue
        streets = dutch_lists.streets()
        start = None
        for k in range(min(6, i + 1), 0, -1):
            first = words[i - k + 1]
            # one word of the BAG is a street only with a capital: "punt 2" is no address
            if (k > 1 or first.group(0)[:1].isupper()) and skeleton(
                text[first.start() : word.end()]
            ) in streets:
                start = first.start()
                break
        if start is None and len(word.group(0)) > 4 and _STREET_END.search(word.group(0)):
            j = i
            while (
                j > 0
                and i - j < 4
                and (
                    words[j - 1].group(0)[:1].isupper()
                    or skeleton(words[j - 1].group(0)) in _INTERFIX_WORDS
                )
            ):
                j -= 1
            while j < i and not words[j].group(0)[:1].isupper():
                j += 1
            start = words[j].start()
        if start is not None:
            spans.append((start, number.end()))
    return spans


def _name_like(word: str, *, lower_ok: bool, expected: bool = False) -> bool:
    """A capitalised word that is no common word (any capitalised word where a name is
    ``expected``: mevrouw Appel), or (where ``lower_ok``) a word of the name lists in any
    case."""
    folded = _key(word)
    if word[:1].isupper():
        return (
            expected
            or folded not in dutch_lists.common_words()
            or folded in dutch_lists.first_names()
        )
    return lower_ok and (folded in dutch_lists.first_names() or folded in dutch_lists.surnames())


def _joined(text: str, words: list[re.Match[str]], j: int) -> bool:
    """Whether words[j] follows words[j-1] within one name: only a space between (after
    an initial's dot too), and no tag (``[BSN]``)."""
    gap = text[words[j - 1].end() : words[j].start()]
    return bool(_NAME_GAP.fullmatch(gap))


_NAME_GAP = re.compile(r"\.?\s+")


def _extend_name(
    text: str, words: list[re.Match[str]], i: int, *, lower_ok: bool, expected: bool = False
) -> int:
    """The index after the last word of a name that goes on at words[i]: name words, and
    interfixes (van, de, van der) followed by a name word."""
    j = i
    while j < len(words) and j - i < 5 and _joined(text, words, j):
        if _name_like(words[j].group(0), lower_ok=lower_ok, expected=expected and j == i):
            j += 1
            continue
        k = j
        while (
            k < len(words)
            and k - j < 3
            and _joined(text, words, k)
            and _key(words[k].group(0)) in _INTERFIX_WORDS
        ):
            k += 1
        if (
            j < k < len(words)
            and _joined(text, words, k)
            and _name_like(words[k].group(0), lower_ok=lower_ok)
        ):
            j = k
            continue
        break
    return j


def _surname_follows(text: str, words: list[re.Match[str]], i: int) -> bool:
    """Whether words[i:] start with a capitalised surname of the lists that is no place,
    perhaps after interfixes: "Achilles van Langereis", "Achilles Langereis"."""
    while i < len(words) and _joined(text, words, i) and _key(words[i].group(0)) in _INTERFIX_WORDS:
        i += 1
    if i >= len(words) or not _joined(text, words, i):
        return False
    word = words[i].group(0)
    key = _key(word)
    return (
        word[:1].isupper()
        and key in dutch_lists.surnames()
        and key not in dutch_lists.places()
        and key not in dutch_lists.common_words()
    )


def name_spans(text: str) -> list[tuple[int, int]]:
    """People's names: after a trigger phrase or a form of address, and first names from
    the lists (capitalised), each with the interfixes and surnames that follow."""
    words = _words(text)
    if not words:
        return []
    spans: list[tuple[int, int]] = []
    firsts = dutch_lists.first_names()
    triggers = list(_NAME_TRIGGER.finditer(text))
    by_start = {w.start(): i for i, w in enumerate(words)} if triggers else {}
    for trigger in triggers:
        i = by_start.get(trigger.end())
        if i is None:
            continue
        # After "mijn naam is" the next word is a name whatever it is; after "ik ben" (ik
        # ben blij) only a word that is a name by its capital or the lists.
        ambiguous = trigger.group(0).strip().lower().startswith(("ik ben", "heet", "namens"))
        first = words[i].group(0)
        if ambiguous and not (_name_like(first, lower_ok=False) or _key(first) in firsts):
            continue
        end = _extend_name(text, words, i + 1, lower_ok=True)
        spans.append((words[i].start(), words[end - 1].end()))
    titles, heads = dutch_lists.titles(), dutch_lists.title_heads()
    address = dutch_lists.address_words()
    for i, word in enumerate(words):
        text_word = word.group(0)
        if not text_word[:1].isupper() and text_word.lower() not in address:
            continue  # most words: neither a name's start nor a form of address
        key = _key(text_word)
        # a form of address (mevrouw, dhr., de heer) and the name after it
        size = 1 if key in titles else 0
        if key in heads and i + 1 < len(words):
            size = 2 if f"{key} {_key(words[i + 1].group(0))}" in titles else size
        if size and i + size < len(words) and _joined(text, words, i + size):
            end = _extend_name(text, words, i + size, lower_ok=False, expected=True)
            if end > i + size:
                spans.append((word.start(), words[end - 1].end()))
        elif text_word[:1].isupper() and (key in firsts or _surname_follows(text, words, i + 1)):
            end = _extend_name(text, words, i + 1, lower_ok=False)
            spans.append((word.start(), words[end - 1].end()))
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _spans_rule(find: Callable[[str], list[tuple[int, int]]], tag: str) -> Callable[[str], str]:
    return lambda text: _replace_spans(text, find(text), tag)


# Each needs a digit or an @ (or its written form); names are looked for in every text.
_RULES: tuple[Callable[[str], str], ...] = (
    lambda t: _IBAN.sub(_iban, t),
    lambda t: _EMAIL.sub(TAG_EMAIL, t),
    lambda t: _BSN.sub(_bsn, t),
    _phones,
    lambda t: _DATE.sub(_date, t),
    lambda t: _POSTCODE.sub(TAG_ADDRESS, t),
    _spans_rule(street_spans, TAG_ADDRESS),
    lambda t: _PLATE.sub(TAG_PLATE, t),
    lambda t: _DOCUMENT.sub(TAG_DOCUMENT, t),
)
_names = _spans_rule(name_spans, TAG_NAME)


def redact(text: str | None) -> str | None:
    """The text (folded) with personal data replaced by tags; None stays None."""
    if text is None:
        return None
    text = fold(text)
    if _DIGIT_OR_AT.search(text):
        for rule in _RULES:
            text = rule(text)
    return _names(text)
