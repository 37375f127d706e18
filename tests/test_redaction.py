"""Redaction of free text: each kind of personal data, what must be left alone, the samples."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.text.redaction import redact


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Mijn BSN is 123456782.", "Mijn BSN is [BSN]."),
        ("bsn 1234.56.782 graag", "bsn [BSN] graag"),
        ("bsn 123 456 782", "bsn [BSN]"),
        ("Mail mij op j.878@voorbeeld.nl", "Mail mij op [E-MAIL]"),
        ("mail: Jan.de-Vries+kto@sub.gemeente.nl!", "mail: [E-MAIL]!"),
        ("Bel 06-41566932 graag terug.", "Bel [TELEFOON] graag terug."),
        ("Bel 06-70537277 graag terug.", "Bel [TELEFOON] graag terug."),  # unallocated 06-7
        ("bel 0612345678 of +31 6 12345678", "bel [TELEFOON] of [TELEFOON]"),
        ("vast: 079-3468000, (079) 346 80 00", "vast: [TELEFOON], [TELEFOON]"),
        ("of 0031 79 346 8000", "of [TELEFOON]"),
        ("Rekening NL91ABNA0417164300.", "Rekening [IBAN]."),
        ("Rekening NL91ABNA0417184495.", "Rekening [IBAN]."),  # wrong check digits
        ("iban nl91 abna 0417 1643 00 svp", "iban [IBAN] svp"),
        ("BE68539007547034 ook", "[IBAN] ook"),
        ("Ik woon op 2711 AB 12.", "Ik woon op [ADRES]."),
        ("postcode 2711ab, nr 3a", "postcode [ADRES]"),
        ("adres Dorpsstraat 12a in Zoetermeer", "adres [ADRES] in Zoetermeer"),
        # Dates are personal data too (a date of birth), and so is every date shape.
        ("Afspraak 06-05-2020 om 11:25.", "Afspraak [DATUM] om 11:25."),
        ("het was op 12 maart om 10:00 druk", "het was op [DATUM] om 10:00 druk"),
        ("geboren 1980-03-12, of 3 jun. '80", "geboren [DATUM], of [DATUM]"),
    ],
)
def test_redacts(text, want):
    assert redact(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "In 2020 en 2019 was het in maart om 10:00 druk.",
        "Ik gaf een 8,5 en wachtte 15 minuten; respondent 100031.",
        "Zaaknummer 123456789 klopt niet.",  # nine digits failing the 11-proof
        "Sneller, duidelijker!! :-)",
        'Zie "punt 2"; en\nverder niets.',
        "GM0637 Zoetermeer",
        "",
    ],
)
def test_leaves_ordinary_text_alone(text):
    assert redact(text) == text


def test_none_stays_none():
    assert redact(None) is None


def test_redacting_twice_changes_nothing():
    text = "BSN 123456782, mail a@b.nl, bel 06-12345678, NL91ABNA0417164300, 2711 AB 12"
    once = redact(text)
    assert redact(once) == once
    assert all(tag in once for tag in ("[BSN]", "[E-MAIL]", "[TELEFOON]", "[IBAN]", "[ADRES]"))


def test_every_pii_string_of_the_samples_is_gone(sample_warehouse: Path, expected):
    """All free text of the samples, redacted: no string of expected["pii"] survives."""
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        texts = [
            v
            for (v,) in con.execute(
                """
                select toelichting_totaaloordeel from raw.one2ten_responses
                union all select verbetertip_toelichting from raw.one2ten_responses
                union all select toelichting from raw.openforms_submissions
                union all select verbetertip_toelichting from raw.openforms_submissions
                """
            ).fetchall()
            if v
        ]
    pii = [p for p in expected["pii"] if "@example.org" not in p]  # those are address columns
    found = {p for p in pii for t in texts if p in t}
    assert len(found) > 30, "the samples' free text should carry the PII this test is about"
    for text in texts:
        redacted = redact(text)
        assert not [p for p in expected["pii"] if p in redacted], (text, redacted)
