"""Personal data in disguise (tests/pii.py) never reaches an output: each drawn text is
redacted or withheld whole, judged by an oracle that does not use the code under test;
ordinary tips pass unchanged."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings

from dagster_project.sanitise import WITHHELD, break_long_words, clean, free_text, publishable
from tests.pii import FILLERS, leaked, personal_text

EXAMPLES = int(os.environ.get("PII_EXAMPLES", "300"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow],
)
@given(personal_text())
# The outside pass's cases and every counter-example found since, kept.
@example(("BSN 123\u200b456782 graag", "123456782", "bsn"))
@example(("BSN 1234\u00ad56782", "123456782", "bsn"))
@example(("BSN 12345\u20606782", "123456782", "bsn"))
@example(("mail jan\u200b@gmail.com", "jan@gmail", "e-mail"))
@example(("BSN 123-456-782", "123456782", "bsn"))
@example(("BSN １２３４５６７８２", "123456782", "bsn"))
@example(("mail jan＠gmail.com", "jangmail", "e-mail"))
@example(("mail jan at gmail dot com", "jangmailcom", "e-mail"))
@example(("iban NL91 ABNA 041 716 4300", "nl91abna0417164300", "iban"))
@example(("Mijn naam is Jan de Vries.", "Jan de Vries", "naam"))
@example(("mijn naam is jan de vries", "jan de vries", "naam"))
@example(("kenteken 12-ABC-3", "12abc3", "kenteken"))
@example(("geboren op 12-03-1980", "12031980", "geboortedatum"))
@example(("paspoort NXC3F2R14", "nxc3f2r14", "documentnummer"))
@example(("Ik woon aan de Burgemeester de Jonghlaan 12.", "Jonghlaan12", "straat"))
@example(("Ik woon op Lange Voorhout 9", "langevoorhout9", "straat"))
@example(("mail jаn@gmаil.com", "jangmail", "e-mail"))
def test_no_disguised_personal_data_survives(item):
    text, core, kind = item
    out = free_text(text)
    assert out == WITHHELD or not leaked(core, out, kind), (kind, text, out)
    # what is shown passes the rule the dbt test no_personal_data holds every shown text to
    assert out == WITHHELD or publishable(out)


def test_ordinary_tips_are_shown_as_typed():
    for tip in FILLERS:
        assert free_text(tip) == break_long_words(clean(tip))
