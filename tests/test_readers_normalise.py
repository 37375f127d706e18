"""The one normaliser of codes, labels and product names (text/normalise.py), and how
file names are stored and shown. Properties against oracles written here from the Unicode
database directly: what a character is, not what the normaliser does with it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dagster_project.text.normalise import (
    file_name_problem,
    has_surrogate,
    normalise,
    shown_name,
    storable,
)

SETTINGS = settings(max_examples=300, deadline=None)
ANY = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
# Format characters (Cf) and the other invisible ones Unicode lists as default-ignorable
# (DerivedCoreProperties.txt), written out here as the Unicode data has them.
OTHER_INVISIBLE = "\u034f\u115f\u1160\u180b\u180c\u180d\u180f\u3164\uffa0\ufe00\ufe0f\U000e0100"
INVISIBLE = [
    *(c for c in map(chr, range(0x3000)) if unicodedata.category(c) == "Cf"),
    *OTHER_INVISIBLE,
]
# Every script's digits: the code points whose decimal value Unicode defines (Nd).
DIGITS = [c for c in map(chr, range(0x20000)) if unicodedata.category(c) == "Nd"]


def is_invisible(c: str) -> bool:
    return unicodedata.category(c) == "Cf" or c in OTHER_INVISIBLE


@SETTINGS
@given(ANY)
@example("GM٠٦٣٧")
@example("\u00ad")
@example("a\u200b\u0301")
@example("²")
@example("0\x1f0")  # ASCII's separators are blanks too
def test_normalised_text_is_a_fixed_point_without_invisible_characters_or_other_digits(text):
    out = normalise(text)
    assert normalise(out) == out
    assert not any(is_invisible(c) for c in out)
    assert all(c in "0123456789" for c in out if unicodedata.category(c) == "Nd")
    assert all(c == "-" for c in out if unicodedata.category(c) == "Pd")
    assert out == out.strip() and "  " not in out
    assert not any(c.isspace() and c != " " for c in out)


@SETTINGS
@given(
    st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=12),
    st.lists(st.tuples(st.integers(0, 12), st.sampled_from(INVISIBLE)), max_size=4),
)
def test_invisible_characters_change_nothing(text, inserted):
    disguised = list(text)
    for position, c in sorted(inserted, reverse=True):
        disguised.insert(min(position, len(disguised)), c)
    assert normalise("".join(disguised)) == normalise(text)


@SETTINGS
@given(st.text("0123456789GM-", max_size=10), st.data())
def test_a_digit_of_any_script_is_its_ascii_digit(text, data):
    others = "".join(
        data.draw(st.sampled_from([d for d in DIGITS if unicodedata.decimal(d) == int(c)]))
        if c.isdigit()
        else c
        for c in text
    )
    assert normalise(others) == text


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Paspoort en ID\u2011kaart", "Paspoort en ID-kaart"),  # non-breaking hyphen
        ("Paspoort en ID\u2013kaart", "Paspoort en ID-kaart"),  # en dash
        ("Paspoort en ID\u2212kaart", "Paspoort en ID-kaart"),  # minus sign
        ("Paspoort en ID\uff0dkaart", "Paspoort en ID-kaart"),  # fullwidth hyphen-minus
        ("\u00a0Heel\u2009veel\u3000 moeite\t", "Heel veel moeite"),
        ("ＧＭ０６３７", "GM0637"),
        ("Enque\u0302tezuil", "Enquêtezuil"),  # composed, as the code list writes it
        # numbers that are not digits stay what they are, so they fail a code's rule
        ("GM06³7", "GM06³7"),
        ("GM①②③④", "GM①②③④"),
        ("m²", "m²"),
        ("Ⅻ", "Ⅻ"),
        ("GМ0637", "GМ0637"),  # Cyrillic М is a letter of its own
    ],
)
def test_look_alikes(written, read):
    assert normalise(written) == read


@given(st.text(max_size=12))
@example("a\ud800")
@example("\udce9")
def test_storable_text_encodes_as_utf8_and_keeps_text_without_surrogates(text):
    stored = storable(text)
    stored.encode("utf-8")  # never raises
    assert not has_surrogate(stored)
    if not has_surrogate(text):
        assert stored == text


def test_a_file_name_that_is_not_utf8_is_named_with_its_byte():
    name = b"caf\xe9.csv".decode("utf-8", "surrogateescape")  # as os.scandir gives it
    assert file_name_problem(name) == "file name is not UTF-8 (byte 0xe9); rename the file"
    assert storable(name, file_name=True) == "caf\\xe9.csv"
    assert shown_name(name) == "caf\\xe9.csv"
    assert file_name_problem("café.csv") is None


@given(st.text(max_size=20))
@example("regel\neen.csv")
@example("a\rb\x1b[31m\u2028.csv")
def test_a_shown_name_is_one_printable_line(name):
    shown = shown_name(name)
    assert len(shown.splitlines()) <= 1
    assert not any(unicodedata.category(c) == "Cc" for c in shown)
    if all(c.isprintable() or c == " " for c in name):
        assert shown == name
