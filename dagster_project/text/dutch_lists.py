"""Dutch name and street lists for finding people and addresses in free text.

The lists are the lookup data of ``deduce`` (the de-identification method for Dutch text of
the UMC Utrecht; LGPL), read as plain data: first names, surnames, name interfixes (``van
der``), titles and forms of address (``mevrouw``, ``dhr.``), the streets of the BAG (the
national register of addresses) and deduce's own list of common words that are also names.
Deduce's full pipeline loads about 9 seconds of lookup structures per process, more than a
dbt run may spend on a handful of tips; the lists themselves load in a fraction of that,
once per process and only when a text needs them.

Every entry is folded as text is for matching (``fold.skeleton``): lower case, accents
and look-alike letters folded, so ``Jansen``, ``JANSEN`` and ``Jаnsen`` (Cyrillic а) meet.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

from .fold import skeleton

_SOURCE = ("data", "lookup", "src")


@cache
def _root() -> Path:
    # Found without importing deduce, which would load its whole pipeline's dependencies.
    spec = find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package deduce (its Dutch name lists) is not installed")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_SOURCE)


def _lines(*parts: str) -> list[str]:
    text = _root().joinpath(*parts).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _folded(*parts: str) -> set[str]:
    return {skeleton(item) for item in _lines(*parts)}


# Words of this project's texts that are also in a name list: products, aspects and the
# words citizens use for them. Not names here.
_DOMAIN_WORDS = {
    "balie", "digid", "paspoort", "rijbewijs", "gemeente", "loket", "afspraak", "website",
    "formulier", "burgerzaken", "stadhuis", "telefoon", "wachttijd", "prijs", "snel", "goed",
    "fijn", "top", "super", "prima", "graag", "heel", "erg", "mooi", "vriendelijk", "dank",
    "bedankt", "hulp", "helpen", "vriendelijkheid", "deskundigheid", "zaterdag", "zondag",
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "mei", "juni", "juli", "april",
    "maart", "augustus", "echt", "beter", "meer", "minder", "sneller", "ok", "oke", "mag",
    "alles", "niets", "niks", "geen", "wel", "niet", "ook", "nog", "dus", "maar", "want",
    "engels", "frans", "duits", "spaans", "turks", "arabisch", "pools", "nederlands",
    "lente", "zomer", "herfst", "winter", "burger", "laat", "bij",
}  # fmt: skip


@cache
def common_words() -> frozenset[str]:
    """Words that are also names but far more often just words (``Roos``, ``Mark``)."""
    words = _folded("whitelist", "lst_common_word", "items.txt")
    words |= _folded("whitelist", "lst_stop_word", "items.txt")
    return frozenset(words | _DOMAIN_WORDS)


@cache
def first_names() -> frozenset[str]:
    names = _folded("names", "lst_first_name", "items.txt")
    names -= _folded("names", "lst_first_name", "exceptions.txt")
    return frozenset(name for name in names if len(name) > 1) - common_words()


@cache
def surnames() -> frozenset[str]:
    names = _folded("names", "lst_surname", "items.txt")
    names |= _folded("names", "lst_interfix_surname", "items.txt")
    names -= _folded("names", "lst_surname", "exceptions.txt")
    return frozenset(name for name in names if len(name) > 1)


@cache
def interfixes() -> frozenset[str]:
    return frozenset(_folded("names", "lst_interfix", "items.txt"))


@cache
def titles() -> frozenset[str]:
    """Forms of address before a name, without their dot: ``mevrouw``, ``dhr``, ``collega``."""
    items = {skeleton(item).rstrip(".") for item in _lines("names", "lst_prefix", "items.txt")}
    return frozenset(items | {"de heer", "medewerker", "medewerkster", "baliemedewerker"})


@cache
def places() -> frozenset[str]:
    """Municipalities, provinces and regions: a surname that is also one (``Delft``) after
    a capitalised word is more often the place (``Stadhuis van Delft``). Not the 6,700
    towns and hamlets: many are surnames first (``Langereis``)."""
    names: set[str] = set()
    for kind in ("lst_municipality", "lst_province", "lst_region"):
        names |= _folded("locations", "lst_placename", kind, "items.txt")
    return frozenset(names)


@cache
def title_heads() -> frozenset[str]:
    """The first words of the forms of address of more than one word (``de`` of ``de heer``)."""
    return frozenset(t.split()[0] for t in titles() if " " in t)


@cache
def address_words() -> frozenset[str]:
    """Every word a form of address can start with, as typed in lower case."""
    return titles() | title_heads()


@cache
def streets() -> frozenset[str]:
    """The street names of the BAG, folded; the words deduce excludes (``Balie``) left out."""
    names = _folded("locations", "lst_street", "items.txt")
    names |= _folded("locations", "lst_street", "streets_bag.txt")
    return frozenset(names - _folded("locations", "lst_street", "exceptions.txt"))
