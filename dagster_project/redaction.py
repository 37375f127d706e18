"""Redaction of personal data in free text (tips and reviews).

``redact(text)`` replaces, in this order:

- IBANs (``[IBAN]``): a country code, two check digits and 11 to 30 letters or
  digits, with or without spaces in groups of four. The check digits are *not*
  required to be right: a mistyped account number still points at a person.
- e-mail addresses (``[E-MAIL]``);
- BSNs (``[BSN]``): nine digits (also written 123.456.782 or 123 456 782)
  passing the 11-proof (python-stdnum's ``nl.bsn``). Nine digits failing it are
  left alone: they are more likely a case or order number;
- phone numbers (``[TELEFOON]``): what ``phonenumbers`` finds as a valid number
  for region NL (landlines, mobiles, +31/0031 and other international forms),
  plus anything shaped like a Dutch mobile number (06 and eight digits), which
  ``phonenumbers`` rejects for unallocated ranges such as 06-7;
- addresses (``[ADRES]``): a postcode (``2711 AB``, ``2711AB``, ``2711ab``) with
  the house number that follows it, if any; and a street name with a common
  Dutch street suffix followed by a house number (``Dorpsstraat 12a``).

The order matters: IBANs and e-mail addresses contain digit runs that the later
rules would otherwise take apart.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

TAG_BSN = "[BSN]"
TAG_EMAIL = "[E-MAIL]"
TAG_PHONE = "[TELEFOON]"
TAG_IBAN = "[IBAN]"
TAG_ADDRESS = "[ADRES]"

_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b", re.IGNORECASE
)
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"\s?(?:@|\(at\)|\[at\])\s?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_BSN = re.compile(r"(?<![\w.])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}\.\d{2}\.\d{3})(?![\w]|\.\d)")
_MOBILE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?31[\s-]?(?:\(0\))?|0)[\s-]?6(?:[\s-]?\d){8}(?!\d)")
_HOUSE_NUMBER = r"(?:[\s,]+(?:nr\.?\s?|huisnummer\s)?\d{1,5}(?:\s?-?\s?[A-Za-z]\b|[-/]\d{1,4})?)?"
_POSTCODE = re.compile(
    r"(?<!\w)[1-9]\d{3}(?:\s?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2})(?!\w)" + _HOUSE_NUMBER
)
_STREET = re.compile(
    r"\b[A-Z][\w'-]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|park|hof|dreef|"
    r"steeg|pad|markt|baan|ring|wal|erf)\s+\d{1,5}(?:\s?-?\s?[A-Za-z]\b|[-/]\d{1,4})?",
)


# Every kind above holds a digit, or an @ (or its spelled-out form): text without one is
# returned at once, which is most text and keeps the redaction cheap at national scale.
_MAYBE_PERSONAL = re.compile(r"[0-9@]|\(at\)|\[at\]", re.IGNORECASE)


def _iban(match: re.Match[str]) -> str:
    compact = stdnum_iban.compact(match.group(0))
    # Judge the country's account structure with the check digits recomputed, so that an
    # IBAN with a typo in it (wrong check digits) is redacted too.
    repaired = compact[:2] + stdnum_iban.calc_check_digits(compact) + compact[4:]
    if stdnum_iban.is_valid(repaired, check_country=False):
        return TAG_IBAN
    return match.group(0)


def _bsn(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return TAG_BSN if stdnum_bsn.is_valid(digits) else match.group(0)


def _phones(text: str) -> str:
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID)
    ]
    for start, end in reversed(spans):
        text = text[:start] + TAG_PHONE + text[end:]
    return _MOBILE.sub(TAG_PHONE, text)


def redact(text: str | None) -> str | None:
    """The text with personal data replaced by tags; None stays None."""
    if text is None or not _MAYBE_PERSONAL.search(text):
        return text
    text = _IBAN.sub(_iban, text)
    text = _EMAIL.sub(TAG_EMAIL, text)
    text = _BSN.sub(_bsn, text)
    text = _phones(text)
    text = _POSTCODE.sub(TAG_ADDRESS, text)
    text = _STREET.sub(TAG_ADDRESS, text)
    return text
