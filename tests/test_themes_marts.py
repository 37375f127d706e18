"""The themes of reviews and tips in the marts (docs/themes.md, "In the marts").

- The counts per cell and theme equal an independent computation from the raw exports:
  the latest version of each counted response, its original review and tip text matched
  by ``dagster_project.themes.themes``, each response counted once per theme.
- What leaves the raw layer is codes: the one model that reads the texts for themes stores
  no text.
- ``marts.kto_thema`` is ``int_public_figures``: a hidden share has no count, no change
  against the year before, no interval; a shown one its count and its exact value.
- The attack of tests/attack.py, with the theme counts and the changes against the year
  before as known, recovers no hidden theme figure from the published snapshot, and does
  recover a theme figure from a publication that showed one quarter, one count or one
  change too many (so it can fail).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from dagster_project.disclosure.audit import audit
from dagster_project.disclosure.ledger import read_candidate
from dagster_project.themes import themes
from tests.attack import recover
from tests.layers import records
from tests.test_disclosure import DREMPEL, layers, truth

pytestmark = pytest.mark.slow
_MEANINGFUL = re.compile(r"[^\W_]")  # a letter or digit of any script


def _latest(rows: list[dict], key: str) -> list[dict]:
    """The version of each response that arrived last (docs/formats.md)."""
    best: dict = {}
    for r in rows:
        rank = (
            r["source_arrival"] is not None,
            r["source_arrival"] or 0,
            r["source_file"],
            r["source_row"],
        )
        k = (r.get("kanaal"), r[key])
        if k not in best or rank > best[k][0]:
            best[k] = (rank, r)
    return [r for _, r in best.values()]


def _text(value) -> str | None:
    return value if isinstance(value, str) and _MEANINGFUL.search(value.strip()) else None


def oracle(warehouse: Path) -> tuple[dict, dict]:
    """(n per cell, count per cell x theme) from raw.* alone."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        one2ten = records(con, "select * from raw.one2ten_responses")
        openforms = records(con, "select * from raw.openforms_submissions")
    responses = []
    for r in _latest(one2ten, "respondentnummer"):
        if r["status"] == "Voltooid" and r["einddatum"] is not None:
            tip = r["verbetertip_toelichting"] if r["verbetertip"] == "Ja" else None
            responses.append(
                (
                    r["gemeentecode"],
                    r["kanaal"].lower(),
                    r["einddatum"],
                    r["toelichting_totaaloordeel"],
                    tip,
                )
            )
    for r in _latest(openforms, "respondent_id"):
        tip = r["verbetertip_toelichting"] if r["verbetertip"] == "ja" else None
        responses.append(
            (r["gemeentecode"], "digitaal", r["inzendingdatum"], r["toelichting"], tip)
        )
    n: dict = defaultdict(int)
    counts: dict = defaultdict(int)
    for code, kanaal, moment, review, tip in responses:
        texts = [t for t in (_text(review), _text(tip)) if t is not None]
        if not texts:
            continue
        found = set().union(*(themes(t) for t in texts))
        quarter = (moment.month - 1) // 3 + 1
        for periode in (str(moment.year), f"{moment.year}-Q{quarter}"):
            n[(code, kanaal, periode)] += 1
            for theme in found:
                counts[(code, kanaal, periode, theme)] += 1
    return n, counts


def _hidden_now(f: dict) -> bool:
    return f["n"] > 0 and f["exact"] is None


def test_theme_counts_are_the_raw_texts_matched(built_sample_warehouse):
    """Every cell x theme of int_cell_figures against the oracle, and kto_thema's shown
    counts and shares against it too."""
    n, counts = oracle(built_sample_warehouse)
    assert sum(counts.values()) > 100, "the samples must mention themes for this to mean anything"
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        figures = records(
            con, "select * from intermediate.int_cell_figures where figuur_type = 'thema'"
        )
        public = records(con, "select * from marts.kto_thema")
        codes = [r[0] for r in con.execute("select distinct thema from marts.kto_thema").fetchall()]
    assert sorted(codes) == sorted({t for t in (r["figuur"] for r in figures)}), (
        "kto_thema and int_cell_figures hold the same themes"
    )
    cells = {(r["gemeentecode"], r["kanaal"], r["periode"]) for r in figures}
    assert {k for k, v in n.items() if v} <= cells
    for r in figures:
        cell = (r["gemeentecode"], r["kanaal"], r["periode"])
        assert r["n"] == n.get(cell, 0), cell
        if r["n"]:
            assert (r["teller"], r["noemer"]) == (100 * counts.get((*cell, r["figuur"]), 0), r["n"])
    shown = [r for r in public if r["publiceerbaar"]]
    assert shown, "the samples must show theme shares"
    for r in public:
        cell = (r["gemeentecode"], r["kanaal"], r["periode"])
        assert r["n"] == n.get(cell, 0)
        if not r["publiceerbaar"]:
            continue
        count = counts.get((*cell, r["thema"]), 0)
        assert r["aantal"] == count
        share = Fraction(100 * count, r["n"])
        assert r["aandeel"] == math.floor(share + Fraction(1, 2))  # half away from zero
        assert math.isclose(r["aandeel_exact"], float(share), rel_tol=1e-12)


def test_the_matching_model_stores_codes_only(built_sample_warehouse):
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'intermediate' and table_name = 'int_response_themes'"
            ).fetchall()
        ]
        taxonomy = {
            r[0]
            for r in con.execute(
                "select distinct thema from intermediate.int_response_themes"
            ).fetchall()
        }
        public = {
            r[0] for r in con.execute("select distinct thema from marts.kto_thema").fetchall()
        }
    assert sorted(columns) == sorted(["response_id", "kanaal", "gemeentecode", "bron", "thema"])
    assert taxonomy and taxonomy <= public


def test_a_hidden_share_publishes_no_count_and_no_change(built_sample_warehouse):
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        rows = records(con, "select * from marts.kto_thema")
    by_key = {(r["gemeentecode"], r["kanaal"], r["periode"], r["thema"]): r for r in rows}
    hidden = [r for r in rows if not r["publiceerbaar"] and r["n"] > 0]
    assert hidden, "the samples must hide theme shares"
    for r in hidden:
        assert (
            r["aantal"],
            r["aandeel"],
            r["aandeel_exact"],
            r["ci_low"],
            r["verschil_vorig_jaar"],
        ) == (
            None,
            None,
            None,
            None,
            None,
        )
    changes = [r for r in rows if r["verschil_vorig_jaar"] is not None]
    for r in changes:
        earlier = (
            r["gemeentecode"],
            r["kanaal"],
            str(r["jaar"] - 1) + r["periode"][4:],
            r["thema"],
        )
        before = by_key[earlier]
        assert r["publiceerbaar"] and before["publiceerbaar"]
        assert r["aandeel_vorig_jaar"] == before["aandeel"]
        exact = Fraction(100 * r["aantal"], r["n"]) - Fraction(100 * before["aantal"], before["n"])
        sign = 1 if exact >= 0 else -1
        assert r["verschil_vorig_jaar"] == sign * math.floor(abs(exact) + Fraction(1, 2))


def test_the_attack_recovers_no_theme_figure(built_sample_warehouse, tmp_path):
    """Published snapshot and Parquet: nothing; whatever the internal layer gives, exactly;
    one quarter, one count or one change too many in the publication: that figure."""
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(built_sample_warehouse.read_bytes())
    internal, snapshot, parquet, snapshot_changes, parquet_changes = layers(
        warehouse, tmp_path / "out"
    )
    hidden = {
        k for k, f in internal.items() if k[3] == "thema" and f["n"] > 0 and not f["publiceerbaar"]
    }
    assert hidden, "the samples must hide theme figures"
    for public, changes in ((snapshot, snapshot_changes), (parquet, parquet_changes)):
        assert all(public[k]["aantal"] is None for k in hidden)
        assert not recover(public, DREMPEL, changes)
    exact = truth(warehouse)
    for key, value in recover(internal, DREMPEL).items():
        assert math.isclose(value, exact[key], abs_tol=1e-6), key
    # the year's count is the sum of its quarters': a shown year with one hidden quarter
    # left gives that quarter away (the relation complementary suppression protects)
    groups: dict = defaultdict(list)
    for key, f in snapshot.items():
        if key[3] == "thema" and f["kwartaal"] is not None and _hidden_now(f):
            groups[(key[0], key[1], f["jaar"], key[4])].append(key)
    shown_years = [
        (g, quarters)
        for g, quarters in sorted(groups.items())
        if snapshot[(g[0], g[1], str(g[2]), "thema", g[3])]["exact"] is not None
    ]
    assert shown_years, "the samples must show a theme's year whose quarters are hidden"
    _, quarters = shown_years[0]
    leaked = {k: dict(f) for k, f in snapshot.items()}
    for key in quarters[1:]:
        leaked[key]["exact"] = exact[key]
    assert math.isclose(recover(leaked, DREMPEL)[quarters[0]], exact[quarters[0]], abs_tol=1e-6)
    # a count published beside a hidden share gives it away exactly
    key = sorted(hidden)[0]
    leaked = {k: dict(f) for k, f in snapshot.items()}
    leaked[key]["aantal"] = round(exact[key] * leaked[key]["n"] / 100)
    assert math.isclose(recover(leaked, DREMPEL)[key], exact[key], abs_tol=1e-6)
    # a change against a shown year before gives a hidden share to within half a point
    pairs = [
        (k, (k[0], k[1], str(int(k[2][:4]) - 1) + k[2][4:], k[3], k[4]))
        for k in hidden
        if k[2][:4].isdigit()
    ]
    pairs = [(k, e) for k, e in pairs if e in snapshot and snapshot[e]["exact"] is not None]
    if pairs:
        key, earlier = pairs[0]
        leaked = {k: dict(f) for k, f in snapshot.items()}
        leaked[key]["verschil_vorig_jaar"] = round(exact[key] - snapshot[earlier]["exact"])
        assert abs(recover(leaked, DREMPEL)[key] - exact[key]) <= 0.5 + 1e-9


def test_the_audit_accepts_only_what_a_shown_total_implies(built_sample_warehouse):
    """The samples' theme figures pass the disclosure audit. The points it accepts rather
    than report (``extreme``) are true (the hidden share is at that end of its domain) and
    implied by a total: the year's hidden quarters together, or the hidden year, hold every
    mention (or none) the shown members leave; and exact elimination fixes none of them."""
    pub = read_candidate(built_sample_warehouse)
    result = audit([pub])
    assert result.passed, [f.text() for f in result.findings[:5]]
    assert result.extreme, "the samples must have a theme year at an end of its domain"
    exact = truth(built_sample_warehouse)
    for f in result.extreme:
        assert f.width == 0 and f.low in (0.0, 100.0)
        assert math.isclose(exact[f.key], f.low, abs_tol=1e-9), f.text()
        gemeente, kanaal, periode, figuur_type, figuur = f.key
        members = [
            (k, g)
            for k, g in pub.figures.items()
            if k[:2] == (gemeente, kanaal)
            and k[2][:4] == periode[:4]
            and k[3:] == (figuur_type, figuur)
            and g.n > 0
        ]
        hidden = [k for k, g in members if g.exact is None]
        # every hidden member of the year's relation is at the same end
        assert all(math.isclose(exact[k], f.low, abs_tol=1e-9) for k in hidden), f.text()
    assert not audit([pub], domain=False).findings
