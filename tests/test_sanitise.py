"""The free-text sanitiser: control characters, bidi, long words, and its order with redaction."""

from __future__ import annotations

import sys
import unicodedata

import duckdb
import pytest

from dagster_project.text.sanitise import (
    FSI,
    PDI,
    WORD_CHUNK,
    ZWSP,
    _control_to_space,
    _has_rtl,
    break_long_words,
    clean,
    free_text,
)
from dagster_project.transform.plugin import register_udfs


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (None, None),
        ("Zoetermeer", "Zoetermeer"),
        ("  twee   spaties\tof tab  ", "twee spaties of tab"),
        ("nul\x00teken", "nul teken"),
        ("regel\r\nnieuwe regel\u2028en\u2029zo", "regel nieuwe regel en zo"),
        ("bel\x07 \x1b[31mrood\x7f \x85c1", "bel [31mrood c1"),
        ("\ufeffmet BOM", "met BOM"),
        ("Den \u202eHaag", "Den Haag"),  # an unbalanced override cannot reverse what follows
        ("a\u2066b\u2069c\u200fd\u200ee\u061cf", "abcdef"),
        ("   ", ""),
    ],
)
def test_clean(text, want):
    assert clean(text) == want


def test_right_to_left_text_is_isolated_once():
    assert clean("\u202bשלום עולם\u202c") == FSI + "שלום עולם" + PDI
    assert clean("Balie السلام") == FSI + "Balie السلام" + PDI


def test_accents_are_composed():
    assert clean("Cafe\u0301") == "Café"


def test_long_words_get_a_break_opportunity_every_chunk():
    word = "x" * (3 * WORD_CHUNK + 5)
    got = break_long_words(f"kort {word} kort")
    parts = got.split(" ")[1].split(ZWSP)
    assert [len(p) for p in parts] == [WORD_CHUNK, WORD_CHUNK, WORD_CHUNK, 5]
    assert got.replace(ZWSP, "") == f"kort {word} kort"
    short = "y" * WORD_CHUNK
    assert break_long_words(short) == short
    assert (
        break_long_words("https://www.zoetermeer.nl/a-b/c-d") == "https://www.zoetermeer.nl/a-b/c-d"
    )


def test_breaks_never_split_accents_or_emoji_sequences():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji of five code points
    word = "e\u0301" * WORD_CHUNK + family * 10
    got = break_long_words(word)
    for piece in got.split(ZWSP)[1:]:
        assert not piece.startswith(("\u0301", "\u200d"))
    assert ZWSP + "\u200d" not in got and "\u200d" + ZWSP not in got


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("mail j\x00an@voorbeeld.nl", "mail j [E-MAIL]"),
        ("mail jan@voor\u202ebeeld.nl nu", "mail [E-MAIL] nu"),
        ("BSN 1234\u200f56782", "BSN [BSN]"),
        ("Paspoort en ID-kaart", "Paspoort en ID-kaart"),
        ("bel 0612345678 " + "z" * 40, "bel [TELEFOON] " + "z" * WORD_CHUNK + ZWSP + "z" * 16),
    ],
)
def test_free_text_cleans_before_and_breaks_after_redaction(text, want):
    assert free_text(text) == want


def test_a_long_email_is_redacted_whole_not_broken():
    address = "heel.lang.adres.van.iemand.die.klaagt@gemeentelijke-dienstverlening.nl"
    assert free_text(f"stuur naar {address}") == "stuur naar [E-MAIL]"


def test_control_characters_and_right_to_left_letters_by_their_unicode_properties():
    """Every code point: the character classes of clean() against unicodedata's categories
    and bidi classes, so a class that misses or adds one character fails here."""
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        category = unicodedata.category(ch)
        want = "" if category == "Cs" else " " if category in ("Cc", "Zl", "Zp") else ch
        assert _control_to_space(f"a{ch}b") == f"a{want}b", hex(point)
        if category != "Cs":
            rtl = unicodedata.bidirectional(ch) in ("R", "AL")
            assert _has_rtl(f"ab{ch}") is rtl, hex(point)


def test_the_dbt_function_equals_free_text_also_when_a_text_repeats():
    texts = ["Zoetermeer", "  Den \u202eHaag ", "mail jan@voorbeeld.nl", None, "x" * 60]
    with duckdb.connect() as con:
        register_udfs(con)
        got = con.execute("SELECT kto_free_text(t) FROM unnest(?) AS u(t)", [texts * 3]).fetchall()
    assert [g for (g,) in got] == [free_text(t) for t in texts * 3]
