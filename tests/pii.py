"""Personal data in many disguises, drawn by Hypothesis, with an oracle that does not use
the code under test.

Each drawn item is ``(text, core, kind)``: ``text`` is what a citizen might type (an
identifier inside an ordinary tip, disguised), ``core`` what must not be readable in any
output. The oracle ``leaked(core, output)`` compares letters and digits only, after
Python's own NFKC, ``str.isdecimal`` digit values and a table of look-alike letters
written here, so a leak through a disguise the pipeline forgot is still seen.

Disguises: invisible characters anywhere (zero-width space and joiners, soft hyphen, word
joiner, byte-order mark, invisible operators), other separators (spaces of every width,
dots, slashes, hyphens and their Unicode look-alikes), fullwidth, Arabic-Indic and
mathematical digits, fullwidth and Cyrillic or Greek look-alike letters, letter case, and
e-mail addresses written out (``at``, ``(dot)``, ``punt``, ``apenstaartje``).

What is drawn is what a careful reader recognises as personal: a name is drawn after ``mijn
naam is``/``ik heet``/``ik ben``, after a form of address, or with a capital, never as a
lower-case word in the middle of a sentence (docs/metrics.md, "Personal data in free
text", says what is not found).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from hypothesis import strategies as st
from stdnum import iban as stdnum_iban

INVISIBLE = "\u200b\u200c\u200d\u00ad\u2060\ufeff\u2061\u2062\u2063\u2064\u200e\u200f\u180e"
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u3000", "  "]
DASHES = ["-", "\u2010", "\u2011", "\u2013", "\u2212", "\uff0d"]
SEPARATORS = [*SPACES, *DASHES, ".", "/", " - ", " / "]

# Look-alike letters, written out here (not taken from the code under test).
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_CYRILLIC |= {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О"}
_CYRILLIC |= {"P": "Р", "C": "С", "T": "Т", "X": "Х", "j": "ј", "s": "ѕ"}
_ORACLE_FOLD = {v: k for k, v in _CYRILLIC.items()}

_DIGIT_ZEROS = [0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE, 0x1D7EC]  # fullwidth .. math

FILLERS = (
    "Zorg dat je sneller een afspraak kunt maken.",
    "Meer avondopeningen, ik werk overdag.",
    "Maak de website overzichtelijker.",
    "Stuur een bevestigingsmail na het indienen van een aanvraag.",
    "Een scherm met volgnummers in de wachtruimte.",
    "Minder lang in de wacht aan de telefoon.",
    "Uitleg in eenvoudiger taal graag.",
    "Houd de afspraaktijden beter aan.",
    "",
)


def skeleton(text: str) -> str:
    """The oracle's view: NFKC, look-alikes Latin, digits by value, lower case, accents
    off, and only letters and digits kept."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        ch = _ORACLE_FOLD.get(ch, ch)
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
            continue
        for base in unicodedata.normalize("NFD", ch):
            if base.isalnum() and unicodedata.category(base) != "Mn":
                out.append(base.lower())
    return "".join(out)


def _words(text: str) -> list[str]:
    parts = unicodedata.normalize("NFKC", text).split()
    return [w for w in map(skeleton, parts) if w]


def leaked(core: str, output: str, kind: str = "") -> bool:
    """Whether ``core`` can be read in ``output``: letters and digits only, and for a name
    its words in a row (a name's letters may occur inside other words)."""
    if kind == "naam":
        want, words = _words(core), _words(output)
        return any(words[i : i + len(want)] == want for i in range(len(words)))
    return skeleton(core) in skeleton(output)


# -- lists of the field ---------------------------------------------------------------


@cache
def _deduce_list(*parts: str) -> tuple[str, ...]:
    spec = find_spec("deduce")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / "lookup" / "src"
    text = root.joinpath(*parts).read_text(encoding="utf-8")
    return tuple(sorted({line.strip() for line in text.splitlines() if line.strip()}))


def _plain(name: str) -> bool:
    return name.isalpha() and name[:1].isupper() and 4 <= len(name) <= 12


@cache
def _filler_words() -> frozenset[str]:
    return frozenset(skeleton(w) for f in FILLERS for w in f.split())


@cache
def first_names() -> tuple[str, ...]:
    common = {skeleton(w) for w in _deduce_list("whitelist", "lst_common_word", "items.txt")}
    return tuple(
        n
        for n in _deduce_list("names", "lst_first_name", "items.txt")
        if _plain(n) and skeleton(n) not in common | _filler_words()
    )


@cache
def surnames() -> tuple[str, ...]:
    return tuple(n for n in _deduce_list("names", "lst_surname", "items.txt") if _plain(n))


@cache
def streets() -> tuple[str, ...]:
    return tuple(
        s
        for s in _deduce_list("locations", "lst_street", "streets_bag.txt")
        if all(w.isalpha() and w[:1].isupper() for w in s.split()) and 2 <= len(s.split()) <= 3
    )


# -- disguises ------------------------------------------------------------------------


@st.composite
def disguised(draw, text: str, *, letters: bool = True) -> str:
    """``text`` with invisible characters, look-alike digits and (if ``letters``) letters."""
    out = []
    digit_zero = draw(st.sampled_from([ord("0"), *_DIGIT_ZEROS]))
    fullwidth_letters = letters and draw(st.booleans())
    look_alike = letters and draw(st.integers(0, 3))
    for ch in text:
        if ch.isdigit() and draw(st.integers(0, 3)) == 0:
            ch = chr(digit_zero + int(ch))
        elif ch.isascii() and ch.isalpha():
            if look_alike and ch in _CYRILLIC and draw(st.integers(0, look_alike)) == 0:
                ch = _CYRILLIC[ch]
            elif fullwidth_letters and draw(st.integers(0, 4)) == 0:
                ch = chr(ord(ch) - ord("A") + 0xFF21) if ch.isupper() else chr(ord(ch) + 0xFEE0)
        out.append(ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


def _grouped(draw, digits: str) -> str:
    """Digits in random groups with random separators (at most two characters wide)."""
    out, i = [], 0
    while i < len(digits):
        size = draw(st.integers(1, 4))
        out.append(digits[i : i + size])
        i += size
    seps = [s for s in SEPARATORS if len(s) <= 2]
    return "".join(
        part + (draw(st.sampled_from(seps)) if k < len(out) - 1 and draw(st.booleans()) else "")
        for k, part in enumerate(out)
    )


# -- the kinds ------------------------------------------------------------------------


def _bsn_digits(draw) -> str:
    while True:
        digits = [draw(st.integers(0, 9)) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


@st.composite
def bsn(draw):
    digits = _bsn_digits(draw)
    shown = _grouped(draw, digits)
    text = draw(st.sampled_from(["Mijn BSN is {}.", "bsn: {}", "burgerservicenummer {} svp"]))
    return text.format(draw(disguised(shown, letters=False))), digits, "bsn"


@st.composite
def phone(draw):
    national = draw(st.sampled_from(["6", "10", "20", "70", "79", "30", "40", "50"]))
    rest = "".join(str(draw(st.integers(0, 9))) for _ in range(9 - len(national)))
    prefix = draw(st.sampled_from(["0", "+31 ", "0031 ", "+31 (0)", "(0"]))
    number = national + rest
    if prefix == "(0":
        shown = f"(0{national}) {_grouped(draw, rest)}"
    else:
        shown = prefix + _grouped(draw, number)
    text = draw(st.sampled_from(["Bel mij op {}.", "tel {} graag terugbellen", "{}"]))
    return text.format(draw(disguised(shown, letters=False))), number, "telefoon"


@st.composite
def iban(draw):
    bank = draw(st.sampled_from(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB"]))
    account = "".join(str(draw(st.integers(0, 9))) for _ in range(10))
    bban = bank + account
    number = "NL" + stdnum_iban.calc_check_digits("NL00" + bban) + bban
    if draw(st.booleans()):
        number = number.lower()
    shown = _grouped(draw, number)
    text = draw(st.sampled_from(["Terugstorten op {} graag.", "rekening {}", "IBAN: {}"]))
    return text.format(draw(disguised(shown))), number, "iban"


@st.composite
def email(draw):
    local = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=10))
    local += str(draw(st.integers(10, 999)))
    domain = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=8))
    tld = draw(st.sampled_from(["nl", "com", "net", "org", "be"]))
    at = draw(st.sampled_from(["@", " @ ", "＠", " at ", "(at)", " [at] ", " apenstaartje "]))
    dot = draw(st.sampled_from([".", " dot ", "(dot)", " punt ", "[punt]"]))
    shown = f"{local}{at}{domain}{dot}{tld}"
    text = draw(st.sampled_from(["Mail mij op {}", "mijn mail: {} graag", "{}"]))
    return text.format(draw(disguised(shown))), local, "e-mail"


@st.composite
def postcode(draw):
    digits = str(draw(st.integers(1000, 9999)))
    letters = "".join(draw(st.sampled_from("ABCEGHJKLMNPRTVWXZ")) for _ in range(2))
    number = str(draw(st.integers(1, 300)))
    letters_shown = letters if draw(st.booleans()) else letters.lower()
    sep = draw(st.sampled_from(["", " ", "-", "\u00a0"]))
    shown = f"{digits}{sep}{letters_shown} {number}"
    text = draw(st.sampled_from(["Mijn adres: {}.", "postcode en huisnummer {}", "{}"]))
    return text.format(draw(disguised(shown))), f"{digits}{letters}{number}", "postcode"


@st.composite
def street(draw):
    name = draw(st.sampled_from(streets()))
    number = str(draw(st.integers(1, 400))) + draw(st.sampled_from(["", "a", "B", "-2"]))
    shown = draw(st.sampled_from([name, name.upper(), name.lower()])) + " " + number
    text = draw(st.sampled_from(["Ik woon aan de {}.", "adres: {}", "{} in het dorp"]))
    return text.format(draw(disguised(shown))), f"{name}{number}", "straat"


@st.composite
def date_of_birth(draw):
    day, month = draw(st.integers(1, 28)), draw(st.integers(1, 12))
    year = draw(st.integers(1930, 2010))
    months = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus"]
    months += ["september", "oktober", "november", "december"]
    sep = draw(st.sampled_from(["-", "/", ".", " - ", "\u2011"]))
    shown, core = draw(
        st.sampled_from(
            [
                (f"{day:02d}{sep}{month:02d}{sep}{year}", f"{day:02d}{month:02d}{year}"),
                (f"{day}{sep}{month}{sep}{year}", f"{day}{sep}{month}{sep}{year}"),
                (f"{year}-{month:02d}-{day:02d}", f"{year}{month:02d}{day:02d}"),
                (f"{day} {months[month - 1]} {year}", f"{day}{months[month - 1]}{year}"),
            ]
        )
    )
    text = draw(st.sampled_from(["Geboren op {}.", "geboortedatum {}", "ik ben van {}"]))
    return text.format(draw(disguised(shown))), core, "geboortedatum"


_SIDE_CODES = ["LL-DD-DD", "DD-LL-DD", "DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL"]
_SIDE_CODES += ["LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D", "LL-LL-DD", "DD-LL-LL"]


@st.composite
def plate(draw):
    code = draw(st.sampled_from(_SIDE_CODES))
    letters = "BDFGHJKLNPRSTVXZ"
    shown = "".join(
        draw(st.sampled_from(letters))
        if c == "L"
        else str(draw(st.integers(0, 9)))
        if c == "D"
        else c
        for c in code
    )
    style = draw(st.sampled_from(["hyphens", "together", "lower"]))
    if style == "together":
        shown = shown.replace("-", "")
    elif style == "lower":
        shown = shown.lower()
    text = draw(st.sampled_from(["Mijn kenteken is {}.", "auto {} stond fout", "{}"]))
    return text.format(draw(disguised(shown))), shown.replace("-", ""), "kenteken"


@st.composite
def document_number(draw):
    letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"
    head = draw(st.sampled_from(letters)) + draw(st.sampled_from(letters))
    middle = [draw(st.sampled_from(letters + "0123456789")) for _ in range(6)]
    middle[draw(st.integers(0, 5))] = str(draw(st.integers(0, 9)))
    number = head + "".join(middle) + str(draw(st.integers(0, 9)))
    text = draw(st.sampled_from(["paspoortnummer {}", "Mijn ID-kaart {} is verlopen", "{}"]))
    return text.format(draw(disguised(number))), number, "documentnummer"


@st.composite
def name(draw):
    first = draw(st.sampled_from(first_names()))
    last = draw(st.sampled_from(surnames()))
    interfix = draw(st.sampled_from(["", "", "van ", "de ", "van der ", "van den "]))
    full = f"{first} {interfix}{last}"
    form = draw(st.integers(0, 4))
    if form == 0:
        text, core = f"Mijn naam is {draw(st.sampled_from([full, full.lower()]))}.", full
    elif form == 1:
        text, core = f"Ik heet {full.lower()}, graag contact.", full
    elif form == 2:
        title = draw(st.sampled_from(["mevrouw", "Meneer", "dhr.", "mw.", "collega"]))
        text, core = f"Ik werd geholpen door {title} {interfix}{last}.", f"{interfix}{last}"
    elif form == 3:
        text, core = f"{full} aan de balie was erg vriendelijk.", full
    else:
        text, core = f"Ik ben {first}, bel me even.", first
    return draw(disguised(text)), core, "naam"


KINDS = [bsn(), phone(), iban(), email(), postcode(), street(), date_of_birth(), plate()]
KINDS += [document_number(), name()]


@st.composite
def personal_text(draw):
    """A tip with one disguised piece of personal data: (text, core, kind)."""
    text, core, kind = draw(st.one_of(KINDS))
    before, after = draw(st.sampled_from(FILLERS)), draw(st.sampled_from(FILLERS))
    return f"{before} {text} {after}".strip(), core, kind


def main() -> None:
    """Draw 40 items, four of each kind, and write them to tests/fixtures/pii_items.json."""
    import json
    import warnings

    from hypothesis.errors import NonInteractiveExampleWarning

    items: list[tuple[str, str, str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for kind in KINDS:
            for _ in range(4):
                text, core, name = kind.example()
                items.append((f"{FILLERS[len(items) % 8]} {text}", core, name))
    path = Path(__file__).parent / "fixtures" / "pii_items.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
