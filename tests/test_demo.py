"""The demo's ground truth reproduces every figure of the seed factsheet.

The figures come from tests/oracle.py (exact fractions, independent of the
pipeline) applied to the demo's ground truth, and are compared field by
field, to the digit, with tests/fixtures/zoetermeer_2020.json.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from kto_devtools.demo import demo_dataset
from kto_devtools.demo.calibration import BENCHMARK, ZOETERMEER
from stdnum import iban
from stdnum.nl import bsn

from tests import oracle

REFERENCE = json.loads(
    (Path(__file__).parent / "fixtures" / "zoetermeer_2020.json").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def data():
    return demo_dataset()


@pytest.fixture(scope="module")
def figures(data):
    return oracle.expected(data)


def cell(figures, kanaal: str, periode: str = "2020") -> dict:
    return figures["cells"][f"{REFERENCE['gemeente']['code']}|{kanaal}|{periode}"]


def bm(figures, kanaal: str, periode: str = "2020") -> dict:
    return figures["benchmark"][f"{kanaal}|{periode}"]


@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_headline_figures(figures, kanaal):
    ref = REFERENCE[kanaal]
    got = cell(figures, kanaal)
    assert got["respons"] == ref["respons"]
    assert got["reviews"] == ref["reviews"]
    assert got["verbetertips"] == ref["verbetertips"]
    assert got["totaaloordeel"]["value"] == ref["totaaloordeel"]
    assert bm(figures, kanaal)["totaaloordeel"] == ref["totaaloordeel_bm"]
    assert got["ces"]["value"] == ref["ces"]
    assert bm(figures, kanaal)["ces"] == ref["ces_bm"]


@pytest.mark.parametrize("kanaal", ["balie", "digitaal"])
def test_products_in_chart_order(figures, kanaal):
    ref = REFERENCE[kanaal]["producten"]
    got = cell(figures, kanaal)["producten"]
    assert set(got) == {p["product"] for p in ref}
    for p in ref:
        assert got[p["product"]]["respons"] == p["n"], p["product"]
        if "totaaloordeel" in p:
            assert got[p["product"]]["value"] == p["totaaloordeel"], p["product"]


def test_balie_aspects_with_benchmark(figures):
    got = cell(figures, "balie")["aspecten"]
    bms = bm(figures, "balie")
    assert len(REFERENCE["balie"]["aspecten"]) == 9
    for a in REFERENCE["balie"]["aspecten"]:
        assert got[a["aspect"]]["value"] == a["score"], a["aspect"]
        assert bms[a["aspect"]] == a["bm"], a["aspect"]


def test_digitaal_statements_with_benchmark(figures):
    got = cell(figures, "digitaal")["stellingen"]
    bms = bm(figures, "digitaal")
    assert len(REFERENCE["digitaal"]["stellingen_pct_eens"]) == 7
    for s in REFERENCE["digitaal"]["stellingen_pct_eens"]:
        assert got[s["stelling"]]["value"] == s["pct"], s["stelling"]
        assert bms[s["stelling"]] == s["bm"], s["stelling"]


def test_digitaal_trend(figures):
    for year, value in REFERENCE["digitaal"]["trend_totaaloordeel"].items():
        assert cell(figures, "digitaal", year)["totaaloordeel"]["value"] == value, year


def test_every_reference_figure_is_checked():
    """Guard: the reference holds no figure these tests do not look at."""
    checked = {
        "respons", "reviews", "verbetertips", "totaaloordeel", "totaaloordeel_bm", "ces",
        "ces_bm", "producten", "aspecten", "stellingen_pct_eens", "trend_totaaloordeel",
    }  # fmt: skip
    for kanaal in ("balie", "digitaal"):
        assert set(REFERENCE[kanaal]) <= checked


def test_rounding_traps_sit_on_halves(figures):
    """Some figures are exact halves: they print right only when rounded from
    exact sums, halves away from zero."""
    assert cell(figures, "balie")["totaaloordeel"]["exact"] == 8.35
    assert cell(figures, "balie")["aspecten"]["Prijs van het product"]["exact"] == 7.25
    stelling = cell(figures, "digitaal")["stellingen"]["Digitaal loket is gebruiksvriendelijk"]
    assert stelling["exact"] == 62.5
    assert cell(figures, "digitaal", "2019")["totaaloordeel"]["exact"] == 7.25
    assert cell(figures, "digitaal", "2018")["totaaloordeel"]["exact"] == 7.55
    negative = figures["cells"]["GM1916|telefoon|2018"]["ces"]
    assert (negative["exact"], negative["value"]) == (-12.5, -13)


def test_benchmark_counts_every_municipality_once(data, figures):
    """The BM of a 2020 figure is the mean over the twelve municipalities."""
    codes = {k.split("|")[0] for k in figures["cells"] if k.endswith("|balie|2020")}
    assert codes == {m.code for m in (ZOETERMEER, *BENCHMARK)}
    telefoon = {k.split("|")[0] for k in figures["cells"] if k.endswith("|telefoon|2020")}
    assert telefoon == {m.code for m in (ZOETERMEER, *BENCHMARK) if m.telefoon}


def test_demo_shape(data, figures):
    """Sizes and contents the demo promises (docs/demo.md)."""
    z = Counter(
        (r.kanaal, r.einddatum.year)
        for r in data.responses
        if r.gemeentecode == ZOETERMEER.code and r.status == "Voltooid"
    )
    assert z[("Balie", 2020)] == 3018
    assert all(z[("Telefoon", y)] > 0 for y in (2018, 2019, 2020))
    assert any(r.status == "Onvolledig" and r.einddatum is None for r in data.responses)
    assert {r.in_een_keer_geholpen for r in data.responses if r.kanaal == "Telefoon"} >= {
        "Ja",
        "Nee",
        "Weet niet",
    }
    # Uitnodigingen known for Inviter users, unknown for the others and for digitaal.
    assert cell(figures, "balie")["uitnodigingen"] > 0
    assert figures["cells"]["GM0363|balie|2020"]["uitnodigingen"] is None
    assert cell(figures, "digitaal")["uitnodigingen"] is None
    # Every quarter of an Inviter user has invitations.
    for q in range(1, 5):
        assert cell(figures, "telefoon", f"2020-Q{q}")["uitnodigingen"] > 0


def test_seed_tips_are_among_the_tips(data):
    balie = {r.verbetertip_toelichting for r in data.responses if r.gemeentecode == "GM0637"}
    seed_first = "betere tijdsplanning, zorg ervoor dat de klanten op tijd geholpen worden."
    assert any(t and t.startswith(seed_first) for t in balie)
    assert "Iets vriendelijker personeel." in balie
    assert "afspraak nakomen" in {s.verbetertip_toelichting for s in data.submissions}


def test_tips_carry_every_kind_of_personal_data(data):
    tips = [
        t
        for t in [r.verbetertip_toelichting for r in data.responses]
        + [s.verbetertip_toelichting for s in data.submissions]
        if t
    ]
    found = {
        "bsn": [v for v in data.pii_in_text if v.isdigit() and len(v) == 9],
        "email": [v for v in data.pii_in_text if "@" in v],
        "phone": [v for v in data.pii_in_text if re.fullmatch(r"(06|\+31 6)[- ]?\d{8}", v)],
        "iban": [v for v in data.pii_in_text if v.startswith("NL")],
        "postcode": [v for v in data.pii_in_text if re.fullmatch(r"\d{4} [A-Z]{2} \d+", v)],
    }
    for kind, values in found.items():
        assert values, kind
    assert all(bsn.is_valid(v) for v in found["bsn"])
    assert all(iban.is_valid(v) for v in found["iban"])
    for value in data.pii_in_text:
        assert any(value in t for t in tips), value


def test_tips_fit_their_channel(data):
    """No web-form tip ("Noem de knop ‘Versturen’ …") on a balie or telefoon factsheet and
    no waiting-room tip on a digitaal one: each tip's sentences are among its channel's."""
    from kto_devtools.demo import text

    per_kanaal: dict[str, list[str]] = {"balie": [], "telefoon": [], "digitaal": []}
    for r in data.responses:
        per_kanaal[r.kanaal.lower()].append(r.verbetertip_toelichting)
    per_kanaal["digitaal"] += [s.verbetertip_toelichting for s in data.submissions]
    seeds = set(text.SEED_TIPS_BALIE) | set(text.SEED_TIPS_DIGITAAL)
    for kanaal, tips in per_kanaal.items():
        allowed = text._PER_KANAAL[kanaal]
        checked = 0
        for tip in tips:
            if not tip or tip in seeds or "\n" in tip:
                continue
            # a generated tip is one or two of the channel's sentences, perhaps lowercased,
            # perhaps followed by personal data; take the sentences it starts with
            matches = [t for t in text._TIPS if tip.lower().startswith(t.lower())]
            assert matches, tip
            first = max(matches, key=len)
            assert first in allowed, (kanaal, tip)
            rest = tip[len(first) :].strip()
            second = [t for t in text._TIPS if rest.startswith(t)]
            assert all(t in allowed for t in second), (kanaal, tip)
            checked += 1
        assert checked > 50, (kanaal, checked)
    web = "Noem de knop ‘Versturen’ in plaats van ‘Afronden’."
    assert any(t and web in t for t in per_kanaal["digitaal"])
    assert not any(t and web in t for k in ("balie", "telefoon") for t in per_kanaal[k])
    assert not any('"' in t for ts in per_kanaal.values() for t in ts if t)
