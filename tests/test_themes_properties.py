"""Properties of the theme finder: a text's themes do not change with case, accents,
invisible characters, fullwidth letters or the inflection of a term."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.themes import themes
from dagster_project.themes.evaluate import read_labelled

TEXTS = [
    row["text"]
    for row in read_labelled(Path(__file__).parent / "fixtures" / "themes_labelled.jsonl")
]

INVISIBLE = ["\u200b", "\u00ad", "\u2060", "\u200c", "\ufeff", "\u200e"]
# One accented form per vowel: accents are folded before matching (text.fold).
ACCENTED = {"a": "á", "e": "é", "i": "ï", "o": "ó", "u": "ü", "A": "À", "E": "Ë"}


@st.composite
def recased(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(
        c.swapcase() if flip and c.isascii() else c for c, flip in zip(text, flips, strict=True)
    )


@given(st.sampled_from(TEXTS).flatmap(lambda t: st.tuples(st.just(t), recased(t))))
def test_case_does_not_change_themes(pair):
    text, changed = pair
    assert themes(changed) == themes(text)


@given(st.sampled_from(TEXTS), st.data())
def test_accents_do_not_change_themes(text, data):
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    changed = "".join(
        ACCENTED.get(c, c) if flip else c for c, flip in zip(text, flips, strict=True)
    )
    assert themes(changed) == themes(text)


@given(st.sampled_from(TEXTS), st.data())
def test_invisible_characters_do_not_change_themes(text, data):
    # Anywhere, also inside a word: "af\u00adspraak" is still "afspraak".
    where = data.draw(st.lists(st.integers(0, len(text)), max_size=8))
    chars = data.draw(
        st.lists(st.sampled_from(INVISIBLE), min_size=len(where), max_size=len(where))
    )
    changed = text
    for i, ch in sorted(zip(where, chars, strict=True), reverse=True):
        changed = changed[:i] + ch + changed[i:]
    assert themes(changed) == themes(text)


@given(st.sampled_from(TEXTS), st.data())
def test_fullwidth_letters_do_not_change_themes(text, data):
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    changed = "".join(
        chr(ord(c) + 0xFEE0) if flip and "!" <= c <= "~" else c
        for c, flip in zip(text, flips, strict=True)
    )
    assert themes(changed) == themes(text)


# A term, the theme it names and forms of it a citizen writes: plural, diminutive,
# conjugation, a compound.
INFLECTIONS = [
    ("afspraak", ["afspraak", "afspraken", "afspraakje", "afspraakjes"]),
    ("wachttijd", ["wachten", "gewacht", "wachttijd", "wachttijden", "wachtrij"]),
    ("website", ["formulier", "formulieren", "formuliertje", "aanvraagformulier"]),
    ("website", ["website", "websites", "webpagina", "webpagina's"]),
    ("locatie", ["parkeren", "parkeerplaats", "parkeerplaatsen", "geparkeerd"]),
    ("vriendelijkheid", ["vriendelijk", "vriendelijke", "onvriendelijk"]),
    ("terugkoppeling", ["bevestiging", "bevestigingen", "bevestigingsmail"]),
    ("prijs", ["prijs", "prijzen", "kosten", "kostte", "leges"]),
    ("toegankelijkheid", ["rolstoel", "rolstoelen", "rolstoeltje"]),
    ("wachtruimte", ["stoel", "stoelen", "stoeltjes", "wachtkamer"]),
    ("digid", ["DigiD", "digid", "inloggen", "ingelogd"]),
    ("bereikbaarheid", ["bereikbaar", "onbereikbaar", "terugbellen"]),
]
FILLER = ["de", "het", "was", "erg", "vandaag", "bij", "de", "gemeente", "echt", "jammer", "wel"]


@settings(max_examples=200)
@given(
    st.sampled_from(INFLECTIONS).flatmap(
        lambda case: st.tuples(st.just(case[0]), st.sampled_from(case[1]))
    ),
    st.lists(st.sampled_from(FILLER), max_size=4),
    st.lists(st.sampled_from(FILLER), max_size=4),
)
def test_inflected_terms_name_their_theme(case, before, after):
    code, form = case
    text = " ".join([*before, form, *after])
    assert themes(text) == {code}
