"""Factsheet view model, and the marts fixtures the factsheet tests share.

Until the demo pipeline's marts are available here, the tests build small marts
warehouses in the contract's columns (docs/architecture.md, "Marts") from the
JSON fixtures: the real 2020 Zoetermeer factsheet (zoetermeer_2020.json) and
the sample landing folder's expected figures (samples/expected.json, every
channel, quarters and suppressed figures). Swapping in real marts means
swapping `marts_from_*` for the pipeline's warehouse; the assertions read
their expectations from the same dicts.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.factsheets import dutch, list_periodes, read_only
from dagster_project.factsheets.view import build_period, build_view_models
from dagster_project.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "zoetermeer_2020.json").read_text(encoding="utf-8"))
SAMPLES = json.loads((FIXTURES / "samples" / "expected.json").read_text(encoding="utf-8"))
GENERATED_ON = dt.date(2026, 11, 28)

# Synthetic confidence-interval half-widths: the JSON fixtures carry no intervals,
# and the factsheet only has to print and compare what the marts hold.
HALF_WIDTH = {"cijfer": 0.12, "ces": 4.0, "pct": 3.0}
CI_DECIMALS = {"cijfer": 2, "ces": 1, "pct": 1}  # one more than the figure (docs/metrics.md)

# Bar labels: the code list's display names (docs/factsheets.md), other names as given.
DISPLAY_NAMES = {
    "Paspoort en ID-kaart": "Paspoort, ID\u2011kaart",
    "Huwelijk en partnerschap": "Huwelijk, partnerschap",
    "Geboorteaangifte": "Aangifte geboorte",
    "Verklaring omtrent het gedrag": "VOG",
    "Afspraak maken": "Afspraak",
    "Verhuizing doorgeven": "Verhuizing",
}

# The seed's own tips, plus one that must be cut short (and a fifth that kto_tip never holds).
SEED_TIPS = [
    "betere tijdsplanning, zorg ervoor dat de klanten op tijd geholpen worden. Plan "
    "voldoende tijd voor de afspraken die gemaakt zijn.",
    "Dat de afspraak is altijd op het tijdstip dat ingepland was",
    "Iets vriendelijker personeel.",
    "backoffice goed organiseren en afspraak voorbereiden. Ik had een e-mail kunnen "
    "krijgen, dat het gevraagde dossier (nog) niet beschikbaar was. Bel me op [TELEFOON]. "
    + "Verder was alles prima geregeld en zeer netjes en vriendelijk afgehandeld. "
    * 6,
    "Deze vijfde tip hoort niet op de factsheet.",
]

CEL_COLUMNS = {
    "gemeentecode": "VARCHAR",
    "gemeente": "VARCHAR",
    "kanaal": "VARCHAR",
    "periode": "VARCHAR",
    "jaar": "INTEGER",
    "kwartaal": "INTEGER",
    "respons": "INTEGER",
    "reviews": "INTEGER",
    "verbetertips": "INTEGER",
    "uitnodigingen": "INTEGER",
    "responspercentage": "INTEGER",
    "respons_publiceerbaar": "BOOLEAN",
    "totaaloordeel": "DECIMAL(3,1)",
    "totaaloordeel_exact": "DOUBLE",
    "totaaloordeel_n": "INTEGER",
    "totaaloordeel_bm": "DECIMAL(3,1)",
    "totaaloordeel_bm_exact": "DOUBLE",
    "totaaloordeel_ci_low": "DOUBLE",
    "totaaloordeel_ci_high": "DOUBLE",
    "totaaloordeel_ci_low_afgerond": "DECIMAL(18,4)",
    "totaaloordeel_ci_high_afgerond": "DECIMAL(18,4)",
    "totaaloordeel_verfijnd_decimalen": "INTEGER",
    "totaaloordeel_verfijnd": "DECIMAL(18,4)",
    "totaaloordeel_bm_verfijnd": "DECIMAL(18,4)",
    "totaaloordeel_publiceerbaar": "BOOLEAN",
    "totaaloordeel_significant": "BOOLEAN",
    "totaaloordeel_richting": "VARCHAR",
    "ces": "INTEGER",
    "ces_exact": "DOUBLE",
    "ces_n": "INTEGER",
    "ces_bm": "INTEGER",
    "ces_bm_exact": "DOUBLE",
    "ces_ci_low": "DOUBLE",
    "ces_ci_high": "DOUBLE",
    "ces_ci_low_afgerond": "DECIMAL(18,4)",
    "ces_ci_high_afgerond": "DECIMAL(18,4)",
    "ces_verfijnd_decimalen": "INTEGER",
    "ces_verfijnd": "DECIMAL(18,4)",
    "ces_bm_verfijnd": "DECIMAL(18,4)",
    "ces_publiceerbaar": "BOOLEAN",
    "ces_significant": "BOOLEAN",
    "ces_richting": "VARCHAR",
    "bm_method": "VARCHAR",
    "drempel": "INTEGER",
}
KEYS = {k: CEL_COLUMNS[k] for k in ("gemeentecode", "gemeente", "kanaal", "periode", "jaar")}
KEYS["kwartaal"] = "INTEGER"
ROW_FIGURE = {
    "n": "INTEGER",
    "bm": "DOUBLE",
    "bm_exact": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "ci_low_afgerond": "DECIMAL(18,4)",
    "ci_high_afgerond": "DECIMAL(18,4)",
    "verfijnd_decimalen": "INTEGER",
    "waarde_verfijnd": "DECIMAL(18,4)",
    "bm_verfijnd": "DECIMAL(18,4)",
    "publiceerbaar": "BOOLEAN",
    "significant": "BOOLEAN",
    "richting": "VARCHAR",
    "bm_method": "VARCHAR",
}
COLUMNS = {
    "kto_cel": CEL_COLUMNS,
    "kto_aspect": {
        **KEYS,
        "aspect": "VARCHAR",
        "volgorde": "INTEGER",
        "score": "DECIMAL(3,1)",
        "score_exact": "DOUBLE",
        **ROW_FIGURE,
    },
    "kto_stelling": {
        **KEYS,
        "stelling": "VARCHAR",
        "volgorde": "INTEGER",
        "pct": "INTEGER",
        "pct_exact": "DOUBLE",
        **ROW_FIGURE,
    },
    "kto_product": {
        **KEYS,
        "product": "VARCHAR",
        "volgorde": "INTEGER",
        "respons": "INTEGER",
        "totaaloordeel": "DECIMAL(3,1)",
        "totaaloordeel_exact": "DOUBLE",
        "totaaloordeel_n": "INTEGER",
        "publiceerbaar": "BOOLEAN",
    },
    "kto_tip": {**KEYS, "rang": "INTEGER", "tekst": "VARCHAR"},
    # the seed factsheet has no themes: the section says so, the rest is as before
    "kto_thema": {
        **KEYS,
        "thema": "VARCHAR",
        "label": "VARCHAR",
        "volgorde": "INTEGER",
        "n": "INTEGER",
        "aantal": "INTEGER",
        "aandeel": "INTEGER",
        "aandeel_exact": "DOUBLE",
        "bm": "INTEGER",
        "publiceerbaar": "BOOLEAN",
        "aandeel_vorig_jaar": "INTEGER",
        "verschil_vorig_jaar": "INTEGER",
        "richting": "VARCHAR",
    },
}


def _keys(code: str, naam: str, kanaal: str, periode: str) -> dict:
    jaar, _, q = periode.partition("-Q")
    return {
        "gemeentecode": code,
        "gemeente": naam,
        "kanaal": kanaal,
        "periode": periode,
        "jaar": int(jaar),
        "kwartaal": int(q) if q else None,
    }


def _interval(value, bm, soort: str) -> dict:
    """A synthetic CI around the value, and what the marts would say of it.

    The fixture stands in for dbt: it states significance and direction as marts
    columns (here against the fixture's BM, taken as exact). The view must print the
    direction it is given; test_direction_is_the_marts_not_a_rounded_comparison holds
    it to a row where a comparison with the rounded BM would point the other way.
    """
    if value is None:
        return {
            "ci_low": None,
            "ci_high": None,
            "ci_low_afgerond": None,
            "ci_high_afgerond": None,
            "significant": None,
            "richting": None,
        }
    low, high = value - HALF_WIDTH[soort], value + HALF_WIDTH[soort]
    significant = None if bm is None else not (low <= bm <= high)
    step = Decimal(1).scaleb(-CI_DECIMALS[soort])
    return {
        "ci_low": low,
        "ci_high": high,
        # as the marts round them (half away from zero on the decimal the double spells)
        "ci_low_afgerond": Decimal(repr(low)).quantize(step, rounding=ROUND_HALF_UP),
        "ci_high_afgerond": Decimal(repr(high)).quantize(step, rounding=ROUND_HALF_UP),
        "significant": significant,
        "richting": None
        if significant is None
        else ("gelijk" if not significant else "hoger" if bm < low else "lager"),
        "bm_exact": bm,
    }


def _cell_figure(name: str, soort: str, value, exact, n, bm, shown: bool) -> dict:
    ci = _interval(value, bm, soort)
    return {
        name: value,
        f"{name}_exact": exact,
        f"{name}_n": n,
        f"{name}_bm": bm,
        f"{name}_bm_exact": bm,
        f"{name}_ci_low": ci["ci_low"],
        f"{name}_ci_high": ci["ci_high"],
        f"{name}_ci_low_afgerond": ci["ci_low_afgerond"],
        f"{name}_ci_high_afgerond": ci["ci_high_afgerond"],
        f"{name}_publiceerbaar": shown,
        f"{name}_significant": ci["significant"],
        f"{name}_richting": ci["richting"],
    }


def _row_figure(value_col: str, soort: str, value, exact, n, bm) -> dict:
    ci = _interval(value, bm, soort)
    return {
        value_col: value,
        f"{value_col}_exact": exact,
        "n": n,
        "bm": bm,
        "bm_exact": bm,
        **ci,
        "publiceerbaar": value is not None,
        "bm_method": "gemeenten",
    }


def marts_from_reference(ref: dict = REFERENCE) -> dict[str, list[dict]]:
    """Marts rows for the seed's Zoetermeer 2020 balie and digitaal factsheets."""
    code, naam = ref["gemeente"]["code"], ref["gemeente"]["naam"]
    periode = str(ref["jaar"])
    tables: dict[str, list[dict]] = {t: [] for t in COLUMNS}
    for kanaal in ("balie", "digitaal"):
        c = ref[kanaal]
        keys = _keys(code, naam, kanaal, periode)
        tables["kto_cel"].append(
            {
                **keys,
                "respons": c["respons"],
                "reviews": c["reviews"],
                "verbetertips": c["verbetertips"],
                "uitnodigingen": None,
                "responspercentage": None,
                "respons_publiceerbaar": True,
                **_cell_figure(
                    "totaaloordeel",
                    "cijfer",
                    c["totaaloordeel"],
                    c["totaaloordeel"],
                    c["respons"],
                    c["totaaloordeel_bm"],
                    True,
                ),
                **_cell_figure("ces", "ces", c["ces"], c["ces"], c["respons"], c["ces_bm"], True),
                "bm_method": "gemeenten",
                "drempel": 10,
            }
        )
        for i, p in enumerate(c["producten"], 1):
            grade = p.get("totaaloordeel")
            tables["kto_product"].append(
                {
                    **keys,
                    "product": p["product"],
                    "volgorde": i,
                    "respons": p["n"],
                    "totaaloordeel": grade,
                    "totaaloordeel_exact": grade,
                    "totaaloordeel_n": p["n"],
                    "publiceerbaar": grade is not None,
                }
            )
        for i, a in enumerate(c.get("aspecten", []), 1):
            tables["kto_aspect"].append(
                {
                    **keys,
                    "aspect": a["aspect"],
                    "volgorde": i,
                    **_row_figure("score", "cijfer", a["score"], a["score"], 100, a["bm"]),
                }
            )
        for i, s in enumerate(c.get("stellingen_pct_eens", []), 1):
            tables["kto_stelling"].append(
                {
                    **keys,
                    "stelling": s["stelling"],
                    "volgorde": i,
                    **_row_figure("pct", "pct", s["pct"], s["pct"], 100, s["bm"]),
                }
            )
        # kto_tip holds at most four per cell (dbt chooses them); the view shows what it finds
        for rang, tekst in enumerate(SEED_TIPS[:4], 1):
            tables["kto_tip"].append({**keys, "rang": rang, "tekst": tekst})
        for jaar, grade in c.get("trend_totaaloordeel", {}).items():
            if jaar == periode:
                continue
            tables["kto_cel"].append(
                {
                    **_keys(code, naam, kanaal, jaar),
                    "respons": 100,
                    "reviews": 0,
                    "verbetertips": 0,
                    "respons_publiceerbaar": True,
                    **_cell_figure("totaaloordeel", "cijfer", grade, grade, 100, None, True),
                    "bm_method": "gemeenten",
                    "drempel": 10,
                }
            )
    return tables


def marts_from_samples(expected: dict = SAMPLES) -> dict[str, list[dict]]:
    """Marts rows for every cell of the sample landing folder's expected figures."""
    threshold = expected["min_n"]
    cells = expected["cells"]
    names = {"GM0627": "Bleiswijk", "GM0637": "Zoetermeer", "GM0644": "Delfland"}
    tables: dict[str, list[dict]] = {t: [] for t in COLUMNS}
    for key, c in cells.items():
        code, kanaal, periode = key.split("|")
        keys = _keys(code, names.get(code, code), kanaal, periode)
        bm = expected["benchmark"].get(f"{kanaal}|{periode}", {})
        uitn = c.get("uitnodigingen")
        row = {
            **keys,
            "respons": c["respons"],
            "reviews": c["reviews"],
            "verbetertips": c["verbetertips"],
            "uitnodigingen": uitn,
            "responspercentage": None if not uitn else round(100 * c["respons"] / uitn),
            "respons_publiceerbaar": c["respons"] >= threshold,
            "bm_method": "gemeenten",
            "drempel": threshold,
        }
        for name, soort in (("totaaloordeel", "cijfer"), ("ces", "ces")):
            f = c[name]
            shown = f["value"] is not None
            row |= _cell_figure(name, soort, f["value"], f["exact"], f["n"], bm.get(name), shown)
        tables["kto_cel"].append(row)
        for i, (aspect, f) in enumerate(c.get("aspecten", {}).items(), 1):
            tables["kto_aspect"].append(
                {
                    **keys,
                    "aspect": aspect,
                    "volgorde": i,
                    **_row_figure(
                        "score", "cijfer", f["value"], f["exact"], f["n"], bm.get(aspect)
                    ),
                }
            )
        stellingen = dict(c.get("stellingen", {}))
        if "in_een_keer_geholpen" in c:
            stellingen["In één keer geholpen"] = c["in_een_keer_geholpen"]
        for i, (stelling, f) in enumerate(stellingen.items(), 1):
            tables["kto_stelling"].append(
                {
                    **keys,
                    "stelling": stelling,
                    "volgorde": i,
                    **_row_figure("pct", "pct", f["value"], f["exact"], f["n"], bm.get(stelling)),
                }
            )
        for i, (product, f) in enumerate(c.get("producten", {}).items(), 1):
            tables["kto_product"].append(
                {
                    **keys,
                    "product": product,
                    "volgorde": i,
                    "respons": f["respons"],
                    "totaaloordeel": f["value"],
                    "totaaloordeel_exact": f["exact"],
                    "totaaloordeel_n": f["n"],
                    "publiceerbaar": f["value"] is not None,
                }
            )
        if c["respons"] >= threshold:
            for rang, tekst in enumerate(SEED_TIPS[:2], 1):
                tables["kto_tip"].append({**keys, "rang": rang, "tekst": tekst})
    return tables


def write_marts(path: Path, tables: dict[str, list[dict]]) -> Path:
    """A DuckDB file with schema `marts` holding `tables` in the contract's columns."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table, columns in COLUMNS.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            con.execute(f"CREATE OR REPLACE TABLE marts.{table} ({cols})")
            rows = tables.get(table, [])
            if not rows:
                continue
            # One typed bulk load instead of a slow row-by-row executemany.
            staging = path.with_name(f"{path.stem}.{table}.json")
            staging.write_text(
                json.dumps([{c: r.get(c) for c in columns} for r in rows], default=float),
                encoding="utf-8",
            )
            spec = ", ".join(f"'{c}': '{t}'" for c, t in columns.items())
            con.execute(
                f"INSERT INTO marts.{table} SELECT * FROM read_json(?, columns = {{{spec}}})",
                [str(staging)],
            )
            staging.unlink()
    finally:
        con.close()
    return path


def settings_for(tmp_path: Path, warehouse: Path, min_respondents: int = 10) -> Settings:
    return Settings.from_env(
        {
            "KTO_WAREHOUSE": str(warehouse),
            "KTO_OUTPUT_DIR": str(tmp_path / "output"),
            "KTO_LANDING_DIR": str(tmp_path / "landing"),
            "KTO_MIN_RESPONDENTS": str(min_respondents),
        }
    )


@pytest.fixture
def reference_warehouse(tmp_path: Path) -> Path:
    return write_marts(tmp_path / "reference.duckdb", marts_from_reference())


@pytest.fixture
def samples_warehouse(tmp_path: Path) -> Path:
    return write_marts(tmp_path / "samples.duckdb", marts_from_samples())


def views_of(warehouse: Path, periode: str, settings: Settings):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return build_period(con, periode, settings, GENERATED_ON)
    finally:
        con.close()


# --- expectations, computed here from the JSON independently of the formatting code ---


def nl_grade(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def test_dutch_notation_prints_rounded_values_and_refuses_to_round():
    assert dutch.grade(Decimal("8.4")) == "8,4"
    assert dutch.grade(8) == "8,0"
    assert dutch.whole(-13) == "-13"
    assert dutch.percent(62) == "62%"
    assert dutch.grade(None) == dutch.DASH
    assert dutch.fixed(Decimal("8.3500"), 2) == "8,35"  # trailing zeros of DECIMAL(18,4)
    # a value with more digits than shown was not rounded by the marts: an error, not a guess
    for call in (lambda: dutch.grade(8.35), lambda: dutch.whole(12.5), lambda: dutch.percent(61.5)):
        with pytest.raises(dutch.NotRounded):
            call()


def test_interval_has_a_semicolon_and_its_bounds_as_given():
    assert dutch.interval(Decimal("8.3100"), Decimal("8.3900"), 2) == "[8,31; 8,39]"
    assert dutch.interval(Decimal("-3.3"), Decimal("12.0"), 1) == "[-3,3; 12,0]"
    with pytest.raises(dutch.NotRounded):
        dutch.interval(8.308951945839317, 8.391048054160683, 2)


def test_a_difference_has_a_minus_sign_and_adds_up():
    # the minus sign U+2212, never the hyphen-minus a browser may break a line after
    assert dutch.signed_difference("54%", "60%") == "\u22126"
    assert dutch.signed_difference("8,0", "8,1") == "\u22120,1"
    assert dutch.signed_difference("8,444", "8,436") == "+0,008"
    assert dutch.signed_difference("64%", "64%") == "0"


def test_differences_between_percentages_are_in_procentpunten(samples_warehouse, tmp_path):
    """ "−6 pp" for 54% against 60%, not "-6%": the difference is recomputed here from the
    printed figures and the unit follows the kind of figure."""
    settings = settings_for(tmp_path, samples_warehouse, SAMPLES["min_n"])
    seen = {"pct": 0, "cijfer": 0}
    for periode in ("2020", "2020-Q1"):
        for v in views_of(samples_warehouse, periode, settings)[0]:
            soort = {f.label: f.soort for f in v.tabel}
            for a in v.afwijkingen:
                pct = soort[a.label] == "pct"
                seen[soort[a.label]] += 1
                figures = [Decimal(t.rstrip("%").replace(",", ".")) for t in (a.waarde, a.bm)]
                diff = figures[0] - figures[1]
                number = a.verschil.removesuffix("\u00a0pp") if pct else a.verschil
                assert a.verschil.endswith("\u00a0pp") == pct, a
                assert "-" not in a.verschil and "%" not in a.verschil, a
                sign = {1: "+", -1: "\u2212", 0: ""}[(diff > 0) - (diff < 0)]
                assert number == sign + nl_decimal(abs(diff)), a
    assert seen["pct"] and seen["cijfer"], seen


def nl_decimal(x: Decimal) -> str:
    return f"{x:f}".replace(".", ",")


def test_long_date_does_not_depend_on_the_locale():
    assert dutch.long_date(dt.date(2026, 11, 28)) == "28 november 2026"
    assert dutch.long_date(dt.date(2021, 3, 1)) == "1 maart 2021"


def test_reference_views_hold_every_figure_in_dutch(reference_warehouse, tmp_path):
    settings = settings_for(tmp_path, reference_warehouse)
    views, skipped = views_of(reference_warehouse, "2020", settings)
    assert skipped == []
    by_kanaal = {v.kanaal: v for v in views}
    assert sorted(by_kanaal) == ["balie", "digitaal"]
    for kanaal, v in by_kanaal.items():
        ref = REFERENCE[kanaal]
        assert v.gemeente == REFERENCE["gemeente"]["naam"]
        assert v.gegenereerd_op == "28 november 2026"
        tiles = {k.label: k.waarde for k in v.kerncijfers}
        assert tiles["Respons"] == str(ref["respons"])
        assert tiles["Reviews"] == str(ref["reviews"])
        assert tiles["Verbetertips"] == str(ref["verbetertips"])
        assert "Uitnodigingen" not in tiles  # unknown in the reference
        assert v.totaaloordeel.waarde == nl_grade(ref["totaaloordeel"])
        assert v.totaaloordeel.bm == nl_grade(ref["totaaloordeel_bm"])
        assert v.ces.waarde == str(ref["ces"])
        assert v.ces.bm == str(ref["ces_bm"])
        assert [s.n_tekst for s in v.producten] == [f"N={p['n']}" for p in ref["producten"]]
        assert [s.naam for s in v.producten] == [p["product"] for p in ref["producten"]]
        assert [s.label for s in v.producten] == [
            DISPLAY_NAMES.get(p["product"], p["product"]) for p in ref["producten"]
        ]
        grades = [p.get("totaaloordeel") for p in ref["producten"]]
        assert [s.waarde for s in v.producten] == [
            dutch.DASH if g is None else nl_grade(g) for g in grades
        ]
        assert all(
            (s.fractie is None) == (g is None) for s, g in zip(v.producten, grades, strict=True)
        )
        assert len(v.tips) == 4 and len(v.tips[3]) < len(SEED_TIPS[3])
        assert v.tips[3].endswith("…")
    balie = by_kanaal["balie"]
    assert [(r.label, r.waarde, r.bm) for r in balie.tabel] == [
        (a["aspect"], nl_grade(a["score"]), nl_grade(a["bm"]))
        for a in REFERENCE["balie"]["aspecten"]
    ]
    assert balie.trend == []  # no earlier balie years in the reference
    digitaal = by_kanaal["digitaal"]
    assert [(r.label, r.waarde, r.bm) for r in digitaal.tabel] == [
        (s["stelling"], f"{s['pct']}%", f"{s['bm']}%")
        for s in REFERENCE["digitaal"]["stellingen_pct_eens"]
    ]
    trend = REFERENCE["digitaal"]["trend_totaaloordeel"]
    assert [(t.label, t.waarde) for t in digitaal.trend] == [
        (jaar, nl_grade(trend[jaar])) for jaar in sorted(trend)
    ]
    assert [t.huidig for t in digitaal.trend] == [False, False, True]


ARROW = {"hoger": "▲", "lager": "▼"}


def test_significance_marks_are_the_marts_direction(reference_warehouse, tmp_path):
    settings = settings_for(tmp_path, reference_warehouse)
    views, _ = views_of(reference_warehouse, "2020", settings)
    rows = {(r["kanaal"], r["periode"]): r for r in marts_from_reference()["kto_cel"]}
    marks = set()
    for v in views:
        row = rows[(v.kanaal, "2020")]
        for fig, name in ((v.totaaloordeel, "totaaloordeel"), (v.ces, "ces")):
            assert fig.teken == ARROW.get(row[f"{name}_richting"], ""), (v.kanaal, name)
            marks.add(fig.teken)
    assert marks >= {"▼", ""}  # not vacuous: both a mark and no mark occur
    digitaal = next(v for v in views if v.kanaal == "digitaal")
    assert digitaal.totaaloordeel.teken == "▼"  # 7,2 against a BM of 8,3
    value, half = Decimal(str(REFERENCE["digitaal"]["totaaloordeel"])), Decimal("0.12")
    bounds = [f"{x:.2f}".replace(".", ",") for x in (value - half, value + half)]
    assert digitaal.totaaloordeel.bi == f"[{bounds[0]}; {bounds[1]}]"  # two decimals


@pytest.mark.parametrize(("richting", "teken"), [("hoger", "▲"), ("gelijk", ""), ("lager", "▼")])
def test_direction_is_the_marts_not_a_rounded_comparison(tmp_path, richting, teken):
    """An exact BM of 8.051 under an interval [8.052; 8.068] whose rounded BM (8.1) lies
    above it: the marts say significantly higher; a comparison with the rounded BM would
    draw the opposite arrow. The factsheet draws whatever the marts' richting says."""
    tables = marts_from_reference()
    cel = next(r for r in tables["kto_cel"] if r["kanaal"] == "balie" and r["periode"] == "2020")
    cel |= {
        "totaaloordeel": 8.1,
        "totaaloordeel_exact": 8.06,
        "totaaloordeel_bm": 8.1,
        "totaaloordeel_bm_exact": 8.051,
        "totaaloordeel_ci_low": 8.052,
        "totaaloordeel_ci_high": 8.068,
        "totaaloordeel_ci_low_afgerond": Decimal("8.05"),
        "totaaloordeel_ci_high_afgerond": Decimal("8.07"),
        "totaaloordeel_significant": richting != "gelijk",
        "totaaloordeel_richting": richting,
    }
    if richting != "gelijk":  # 8,1 against 8,1: the marts add the decimals that part them
        cel |= {
            "totaaloordeel_verfijnd_decimalen": 2,
            "totaaloordeel_verfijnd": Decimal("8.06"),
            "totaaloordeel_bm_verfijnd": Decimal("8.05"),
        }
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    views, _ = views_of(warehouse, "2020", settings_for(tmp_path, warehouse))
    balie = next(v for v in views if v.kanaal == "balie")
    assert balie.totaaloordeel.teken == teken
    assert balie.totaaloordeel.significant == ("" if richting == "gelijk" else richting)
    assert balie.totaaloordeel.bi == "[8,05; 8,07]"
    shown = (balie.totaaloordeel.waarde, balie.totaaloordeel.bm, balie.totaaloordeel.verfijnd)
    assert shown == (("8,1", "8,1", False) if richting == "gelijk" else ("8,06", "8,05", True))


def test_suppressed_figures_print_a_dash_and_never_their_value(samples_warehouse, tmp_path):
    settings = settings_for(tmp_path, samples_warehouse, SAMPLES["min_n"])
    views, skipped = views_of(samples_warehouse, "2020-Q1", settings)
    cells = SAMPLES["cells"]
    expected = sorted(
        k.split("|")[:2]
        for k, c in cells.items()
        if k.endswith("|2020-Q1") and c["respons"] >= SAMPLES["min_n"]
    )
    assert sorted([v.gemeentecode, v.kanaal] for v in views) == expected
    assert sorted([c["gemeentecode"], c["kanaal"]] for c in skipped) == sorted(
        k.split("|")[:2]
        for k, c in cells.items()
        if k.endswith("|2020-Q1") and c["respons"] < SAMPLES["min_n"]
    )
    checked = 0
    for v in views:
        c = cells[f"{v.gemeentecode}|{v.kanaal}|2020-Q1"]
        for fig, name in ((v.totaaloordeel, "totaaloordeel"), (v.ces, "ces")):
            if c[name]["value"] is None:
                assert fig.waarde == dutch.DASH and fig.opmerking == "n < 10"
                assert fig.bi == "" and fig.teken == "" and fig.fractie is None
                checked += 1
        for s in v.producten:
            if c["producten"][s.label]["value"] is None:
                assert s.waarde == dutch.DASH and s.fractie is None
                assert s.n_tekst == f"N={c['producten'][s.label]['respons']}"
                checked += 1
    assert checked > 0


def test_complementary_suppression_is_shown_as_protected(tmp_path):
    # A published figure (n >= threshold) that the marts mark not publiceerbaar, to keep
    # a suppressed quarter from being back-calculated: a dash, and not "n < 10".
    tables = marts_from_reference()
    cel = next(r for r in tables["kto_cel"] if r["kanaal"] == "digitaal" and r["periode"] == "2020")
    cel["ces_publiceerbaar"] = False
    warehouse = write_marts(tmp_path / "w.duckdb", tables)
    views, _ = views_of(warehouse, "2020", settings_for(tmp_path, warehouse))
    v = next(v for v in views if v.kanaal == "digitaal")
    assert (v.ces.waarde, v.ces.opmerking, v.ces.bi, v.ces.teken) == (
        dutch.DASH,
        "afgeschermd",
        "",
        "",
    )
    assert v.ces.bm == str(REFERENCE["digitaal"]["ces_bm"])
    shown = {k: x for k, x in v.to_dict()["ces"].items() if k != "bm"}
    assert str(REFERENCE["digitaal"]["ces"]) not in json.dumps(shown)


def test_quarter_trend_uses_the_same_quarter_of_earlier_years(samples_warehouse, tmp_path):
    settings = settings_for(tmp_path, samples_warehouse, SAMPLES["min_n"])
    views, _ = views_of(samples_warehouse, "2020-Q4", settings)
    v = next(v for v in views if (v.gemeentecode, v.kanaal) == ("GM0637", "digitaal"))
    earlier = SAMPLES["cells"]["GM0637|digitaal|2019-Q4"]["totaaloordeel"]["value"]
    assert [t.label for t in v.trend] == ["K4 2019", "K4 2020"]
    assert v.trend[0].waarde == (dutch.DASH if earlier is None else nl_grade(earlier))
    assert v.ondertitel == "Resultaten continu klantonderzoek 4e kwartaal 2020"


def test_build_view_models_reads_a_read_only_connection(reference_warehouse, tmp_path):
    settings = settings_for(tmp_path, reference_warehouse)
    con = duckdb.connect(str(reference_warehouse), read_only=True)
    try:
        views = build_view_models(con, "2020", settings, GENERATED_ON)
    finally:
        con.close()
    assert {v.stem for v in views} == {"GM0637_balie", "GM0637_digitaal"}
    payload = json.loads(views[0].to_json())
    assert payload["gemeente"] == "Zoetermeer"
    assert payload["totaaloordeel"]["waarde"] == views[0].totaaloordeel.waarde


def test_threshold_is_the_builds_not_the_settings(samples_warehouse, tmp_path):
    """Marts built with threshold 10, rendered with the setting at 25: the factsheets follow
    the build (which cells, which dashes, the threshold they print)."""
    built = SAMPLES["min_n"]
    settings = settings_for(tmp_path, samples_warehouse, 25)
    views, skipped = views_of(samples_warehouse, "2020", settings)
    respons = {
        (k.split("|")[0], k.split("|")[1]): c["respons"]
        for k, c in SAMPLES["cells"].items()
        if k.endswith("|2020")
    }
    assert {(v.gemeentecode, v.kanaal) for v in views} == {
        key for key, r in respons.items() if r >= built
    }
    assert any(r < 25 for key, r in respons.items() if r >= built)  # the setting would differ
    assert all(v.drempel == built for v in views)
    assert all(f"n < {built}" in " ".join(v.legenda) for v in views)
    assert {(c["gemeentecode"], c["kanaal"]) for c in skipped} == {
        key for key, r in respons.items() if r < built
    }


def test_periods_are_listed_chronologically(samples_warehouse):
    with read_only(samples_warehouse) as con:
        periods = list_periodes(con)
    want = {k.split("|")[2] for k in SAMPLES["cells"]}
    assert set(periods) == want
    years = [p for p in periods if "-" not in p]
    for year in years:  # a year comes before its own quarters
        assert periods.index(year) < periods.index(f"{year}-Q1")
    assert periods == sorted(periods, key=lambda p: (int(p[:4]), p[4:]))


def test_wording_says_what_the_figures_are():
    """The corrections of issue 24 (docs/factsheets.md, "Wording"), kept from coming back."""
    from dagster_project.factsheets import texts

    tile = texts.responspercentage(31, 1186)
    assert "1186 genodigden vulden de vragenlijst in" in tile
    assert "uitnodigingen werden ingevuld" not in tile
    for methode in ("gemeenten", "respondenten"):
        toelichting = texts.toelichting("balie", 10, methode)
        secties = {s["kop"]: " ".join(s["alineas"]) for s in toelichting}
        bm = secties["Benchmark (BM)"]
        # docs/metrics.md: a value withheld only to protect another counts in the BM
        assert "afgeschermd" in bm if methode == "gemeenten" else "niet getoond" in bm
        assert "getoond cijfer één keer" not in bm
        suppression = secties["Minimaal aantal respondenten"]
        assert "kwartaal" in suppression and "product" in suppression, suppression
        bi = secties["Betrouwbaarheidsinterval en significantie"]
        # the misreading: the true figure "falls in the interval in 95 of 100 cases"
        assert "valt het echte cijfer" not in bi and "intervallen" in bi
        assert "procentpunten (pp)" in bi
    assert "anders uit de andere cijfers terug te rekenen" not in " ".join(texts.legenda(10))
