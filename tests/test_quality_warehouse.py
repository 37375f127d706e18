"""A small, valid marts + staging warehouse for the quality suites, and proof that it passes.

The warehouse is computed here from synthetic responses by the definitions of
docs/contract/metrics.md and docs/architecture.md (contract columns), independently of the
dbt models. Set KTO_QUALITY_WAREHOUSE to a built warehouse file to run the
quality tests on that instead: the corruption tests copy it and corrupt the
copy by contract columns only.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from scipy import stats

from dagster_project.quality.runner import run_all
from dagster_project.quality.suites import load_suites

MIN_N = 10
YEAR = 2020

# responses per quarter: (gemeentecode, gemeente) -> kanaal -> [Q1, Q2, Q3, Q4]
SIZES = {
    ("GM0637", "Zoetermeer"): {
        "balie": [14, 12, 5, 15],
        "telefoon": [11, 13, 12, 10],
        "digitaal": [20, 8, 12, 11],
    },
    ("GM0599", "Rotterdam"): {
        "balie": [15, 15, 15, 16],
        "telefoon": [6, 4, 3, 2],
        "digitaal": [12, 12, 13, 12],
    },
    ("GM0014", "Groningen"): {
        "balie": [2, 3, 1, 2],
        "telefoon": [10, 10, 11, 10],
        "digitaal": [0, 5, 0, 6],
    },
}
ASPECTS = {
    "balie": [
        "Openingstijden",
        "Wachtruimte",
        "Wachttijd",
        "Privacy aan de balie",
        "Vriendelijkheid",
        "Deskundigheid",
        "Hostmanship",
        "Prijs van het product",
        "Doorlooptijd",
    ],
    "telefoon": [
        "Bereikbaarheid",
        "Wachttijd",
        "Vriendelijkheid",
        "Deskundigheid",
        "Hostmanship",
        "Duidelijkheid van de informatie",
        "Doorlooptijd",
    ],
}
STELLINGEN = {
    "digitaal": [
        "Aanvraag verliep eenvoudig",
        "Digitaal loket is gebruiksvriendelijk",
        "Digitaal loket is goed vindbaar",
        "Benodigde info van de aanvraag is duidelijk",
        "Benodigde info is eenvoudig te vinden",
        "Formulier makkelijk in te vullen",
        "Gebruikte taal in het formulier is duidelijk",
    ],
    "telefoon": ["In één keer geholpen"],
}
PRODUCTS = {
    "balie": ["Paspoort en ID-kaart", "Rijbewijs", "Uittreksel BRP", "Verhuizing"],
    "telefoon": ["Reisdocumenten", "Rijbewijs", "Afspraak"],
    "digitaal": ["Eerste inschrijving", "Uittreksel BRP", "Verhuizing doorgeven"],
}
EFFORT = ["Heel veel moeite", "Veel moeite", "Neutraal", "Weinig moeite", "Geen moeite"]


def _round(value: float | None, digits: int) -> float | None:
    """Half away from zero, on the decimal value (docs/contract/metrics.md rounding)."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-digits)
    d = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return float(d)


def _responses(rng: random.Random) -> list[dict]:
    rows = []
    for (code, name), channels in SIZES.items():
        for kanaal, per_quarter in channels.items():
            for q, count in enumerate(per_quarter, start=1):
                start = datetime(YEAR, 3 * q - 2, 1)
                for _ in range(count):
                    number = len(rows) + 1
                    moment = start + timedelta(days=rng.randrange(89), minutes=rng.randrange(1440))
                    row = {
                        "response_id": f"{kanaal}:{100000 + number}",
                        "respondentnummer": 100000 + number,
                        "respondent_id": f"00000000-0000-4000-8000-{number:012d}",
                        "gemeentecode": code,
                        "gemeente": name,
                        "kanaal": kanaal,
                        "voltooid_op": moment,
                        "kwartaal": q,
                        "product": rng.choice(PRODUCTS[kanaal]),
                        "totaaloordeel": rng.choice([None, *range(4, 11), 8, 8, 7]),
                        "moeite": rng.choice([None, "Weet niet", *EFFORT, "Geen moeite"]),
                        "review": rng.random() < 0.3,
                        "tip": rng.random() < 0.25,
                        "aspects": {},
                        "stellingen": {},
                    }
                    for aspect in ASPECTS.get(kanaal, []):
                        if aspect == "Hostmanship":
                            items = [rng.choice([None, 6, 7, 8, 9, 10]) for _ in range(6)]
                            valid = [i for i in items if i is not None]
                            row["aspects"][aspect] = (
                                statistics.fmean(valid) if len(valid) >= 3 else None
                            )
                        else:
                            row["aspects"][aspect] = rng.choice([None, 5, 6, 7, 8, 8, 9, 10])
                    for stelling in STELLINGEN.get(kanaal, []):
                        row["stellingen"][stelling] = rng.choice([None, True, True, True, False])
                    rows.append(row)
    return rows


def _periods(row: dict) -> list[tuple[str, int | None]]:
    return [(str(YEAR), None), (f"{YEAR}-Q{row['kwartaal']}", row["kwartaal"])]


def _mean_ci(values: list[float]) -> tuple[float, float, float]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def _wilson(yes: int, n: int) -> tuple[float, float, float]:
    z, p = 1.959963984540054, yes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def _ces(labels: list[str]) -> tuple[float, float, float]:
    n = len(labels)
    low = sum(label in ("Weinig moeite", "Geen moeite") for label in labels) / n
    high = sum(label in ("Veel moeite", "Heel veel moeite") for label in labels) / n
    value = 100 * (low - high)
    half = 100 * 1.959963984540054 * math.sqrt(max(low + high - (low - high) ** 2, 0) / n)
    return value, value - half, value + half


def _complementary(rows: list[dict], group: tuple[str, ...], n: str, pub: str) -> None:
    """Mark the smallest published quarter of a year whose one other quarter is suppressed."""
    years = defaultdict(list)
    for row in rows:
        years[(*(row[g] for g in group), row["jaar"])].append(row)
    for members in years.values():
        year = [r for r in members if r["kwartaal"] is None]
        quarters = sorted(
            (r for r in members if r["kwartaal"] is not None), key=lambda r: r["kwartaal"]
        )
        if not year or not year[0][pub]:
            continue
        hidden = [r for r in quarters if r[n] > 0 and not r[pub]]
        shown = [r for r in quarters if r[n] > 0 and r[pub]]
        if len(hidden) == 1 and shown:
            min(shown, key=lambda r: (r[n], r["kwartaal"]))[pub] = False


def _benchmark(rows: list[dict], group: tuple[str, ...], exact: str, bm: str, digits: int):
    values = defaultdict(list)
    for row in rows:
        if row[exact] is not None:
            values[tuple(row[g] for g in group)].append(row[exact])
    for row in rows:
        found = values.get(tuple(row[g] for g in group))
        row[bm] = _round(statistics.fmean(found), digits) if found else None


def _significant(row: dict, low: str, high: str, bm: str) -> bool | None:
    if row[low] is None or row[bm] is None:
        return None
    return not (row[low] <= row[bm] <= row[high])


def marts_from_responses(responses: list[dict], min_n: int = MIN_N) -> dict[str, pd.DataFrame]:
    """The marts of docs/architecture.md, computed straight from the definitions."""
    cells = defaultdict(list)
    for row in responses:
        for periode, kwartaal in _periods(row):
            cells[(row["gemeentecode"], row["gemeente"], row["kanaal"], periode, kwartaal)].append(
                row
            )

    cel, aspect, stelling, product, tip = [], [], [], [], []
    for (code, name, kanaal, periode, kwartaal), members in sorted(cells.items(), key=str):
        keys = {
            "gemeentecode": code,
            "gemeente": name,
            "kanaal": kanaal,
            "periode": periode,
            "jaar": YEAR,
            "kwartaal": kwartaal,
        }
        respons = len(members)
        grades = [r["totaaloordeel"] for r in members if r["totaaloordeel"] is not None]
        effort = [r["moeite"] for r in members if r["moeite"] in EFFORT]
        uitnodigingen = None if kanaal == "digitaal" else 3 * respons + 2
        respons_inviter = 0 if kanaal == "digitaal" else (respons + 1) // 2
        c = {
            **keys,
            "respons": respons,
            "reviews": sum(r["review"] for r in members),
            "verbetertips": sum(r["tip"] for r in members),
            "uitnodigingen": uitnodigingen,
            "respons_inviter": respons_inviter,
            "totaaloordeel_n": len(grades),
            "ces_n": len(effort),
            "responspercentage": None
            if uitnodigingen is None
            else _round(100 * respons_inviter / uitnodigingen, 0),
            "respons_publiceerbaar": respons >= min_n,
            "bm_method": "gemeenten",
        }
        for fig, values, fn, digits in (
            ("totaaloordeel", grades, _mean_ci, 1),
            ("ces", effort, _ces, 0),
        ):
            shown = len(values) >= min_n
            exact, low, high = fn(values) if shown else (None, None, None)
            c.update(
                {
                    f"{fig}_exact": exact,
                    fig: _round(exact, digits),
                    f"{fig}_ci_low": low,
                    f"{fig}_ci_high": high,
                    f"{fig}_publiceerbaar": shown,
                }
            )
        cel.append(c)
        for volgorde, label in enumerate(ASPECTS.get(kanaal, []), start=1):
            values = [r["aspects"][label] for r in members if r["aspects"][label] is not None]
            shown = len(values) >= min_n
            exact, low, high = _mean_ci(values) if shown else (None, None, None)
            aspect.append(
                {
                    **keys,
                    "aspect": label,
                    "volgorde": volgorde,
                    "n": len(values),
                    "score_exact": exact,
                    "score": _round(exact, 1),
                    "ci_low": low,
                    "ci_high": high,
                    "publiceerbaar": shown,
                    "bm_method": "gemeenten",
                }
            )
        for volgorde, label in enumerate(STELLINGEN.get(kanaal, []), start=1):
            values = [r["stellingen"][label] for r in members if r["stellingen"][label] is not None]
            shown = len(values) >= min_n
            exact, low, high = _wilson(sum(values), len(values)) if shown else (None, None, None)
            stelling.append(
                {
                    **keys,
                    "stelling": label,
                    "volgorde": volgorde,
                    "n": len(values),
                    "pct_exact": exact,
                    "pct": _round(exact, 0),
                    "ci_low": low,
                    "ci_high": high,
                    "publiceerbaar": shown,
                    "bm_method": "gemeenten",
                }
            )
        for volgorde, label in enumerate(PRODUCTS[kanaal], start=1):
            bought = [r for r in members if r["product"] == label]
            if not bought:
                continue
            values = [r["totaaloordeel"] for r in bought if r["totaaloordeel"] is not None]
            shown = len(values) >= min_n
            exact = statistics.fmean(values) if shown else None
            product.append(
                {
                    **keys,
                    "product": label,
                    "volgorde": volgorde,
                    "respons": len(bought),
                    "totaaloordeel_n": len(values),
                    "totaaloordeel_exact": exact,
                    "totaaloordeel": _round(exact, 1),
                    "publiceerbaar": shown,
                }
            )
        if c["respons_publiceerbaar"]:
            for rang in range(1, min(4, c["verbetertips"]) + 1):
                tip.append({**keys, "rang": rang, "tekst": f"Tip {rang} [BSN]"})

    _complementary(
        cel, ("gemeentecode", "kanaal"), "totaaloordeel_n", "totaaloordeel_publiceerbaar"
    )
    _complementary(cel, ("gemeentecode", "kanaal"), "ces_n", "ces_publiceerbaar")
    _complementary(aspect, ("gemeentecode", "kanaal", "aspect"), "n", "publiceerbaar")
    _complementary(stelling, ("gemeentecode", "kanaal", "stelling"), "n", "publiceerbaar")
    _complementary(
        product, ("gemeentecode", "kanaal", "product"), "totaaloordeel_n", "publiceerbaar"
    )
    _benchmark(cel, ("kanaal", "periode"), "totaaloordeel_exact", "totaaloordeel_bm", 1)
    _benchmark(cel, ("kanaal", "periode"), "ces_exact", "ces_bm", 0)
    _benchmark(aspect, ("kanaal", "periode", "aspect"), "score_exact", "bm", 1)
    _benchmark(stelling, ("kanaal", "periode", "stelling"), "pct_exact", "bm", 0)
    for fig in ("totaaloordeel", "ces"):
        for row in cel:
            row[f"{fig}_significant"] = _significant(
                row, f"{fig}_ci_low", f"{fig}_ci_high", f"{fig}_bm"
            )
    for row in aspect + stelling:
        row["significant"] = _significant(row, "ci_low", "ci_high", "bm")
    return {
        "kto_cel": pd.DataFrame(cel),
        "kto_aspect": pd.DataFrame(aspect),
        "kto_stelling": pd.DataFrame(stelling),
        "kto_product": pd.DataFrame(product),
        "kto_tip": pd.DataFrame(tip),
    }


def staging_from_responses(responses: list[dict]) -> dict[str, pd.DataFrame]:
    """The staging and intermediate columns the quality frames read (dbt model names)."""
    one2ten = [r for r in responses if r["kanaal"] != "digitaal"]
    digitaal = [r for r in responses if r["kanaal"] == "digitaal"]
    # an incomplete questionnaire: kept in staging and int_responses, in no period
    incomplete = {
        "response_id": "balie:999999",
        "respondentnummer": 999999,
        "kanaal": "balie",
        "gemeentecode": "GM0637",
        "gemeente": "Zoetermeer",
        "voltooid_op": None,
    }
    stg_one2ten = pd.DataFrame(
        {
            "response_id": [r["response_id"] for r in [*one2ten, incomplete]],
            "respondentnummer": [r["respondentnummer"] for r in [*one2ten, incomplete]],
            "kanaal": [r["kanaal"] for r in [*one2ten, incomplete]],
            "gemeentecode": [r["gemeentecode"] for r in [*one2ten, incomplete]],
            "gemeente": [r["gemeente"] for r in [*one2ten, incomplete]],
            "beeindigd_op": [r["voltooid_op"] for r in [*one2ten, incomplete]],
            "is_voltooid": [r["voltooid_op"] is not None for r in [*one2ten, incomplete]],
        }
    )
    stg_openforms = pd.DataFrame(
        {
            "response_id": [f"digitaal:{r['respondent_id']}" for r in digitaal],
            "respondent_id": [r["respondent_id"] for r in digitaal],
            "kanaal": "digitaal",
            "gemeentecode": [r["gemeentecode"] for r in digitaal],
            "ingezonden_op": [r["voltooid_op"] for r in digitaal],
        }
    )
    everyone = [*responses, incomplete]
    int_responses = pd.DataFrame(
        {
            "response_id": [r["response_id"] for r in everyone],
            "kanaal": [r["kanaal"] for r in everyone],
            "gemeentecode": [r["gemeentecode"] for r in everyone],
            "is_voltooid": [r["voltooid_op"] is not None for r in everyone],
            "voltooid_op": [r["voltooid_op"] for r in everyone],
        }
    )
    periods = [
        (
            r["response_id"],
            r["kanaal"],
            r["gemeentecode"],
            YEAR,
            kwartaal,
            periode,
            r["voltooid_op"],
        )
        for r in responses
        for periode, kwartaal in _periods(r)
    ]
    columns = [
        "response_id",
        "kanaal",
        "gemeentecode",
        "jaar",
        "kwartaal",
        "periode",
        "voltooid_op",
    ]
    int_periods = pd.DataFrame(periods, columns=columns)
    return {
        "staging.stg_one2ten__responses": stg_one2ten,
        "staging.stg_openforms__submissions": stg_openforms,
        "intermediate.int_responses": int_responses,
        "intermediate.int_response_periods": int_periods,
    }


INTEGER_COLUMNS = {
    "kto_cel": [
        "kwartaal",
        "respons",
        "reviews",
        "verbetertips",
        "uitnodigingen",
        "respons_inviter",
        "totaaloordeel_n",
        "ces_n",
        "ces",
        "ces_bm",
        "responspercentage",
    ],
    "kto_aspect": ["kwartaal", "n", "volgorde"],
    "kto_stelling": ["kwartaal", "n", "volgorde", "pct", "bm"],
    "kto_product": ["kwartaal", "respons", "totaaloordeel_n", "volgorde"],
}


def build_warehouse(path: Path, min_n: int = MIN_N, seed: int = 20200) -> Path:
    """Write the synthetic staging, intermediate and marts tables into a new DuckDB file."""
    responses = _responses(random.Random(seed))
    tables = {f"marts.{k}": v for k, v in marts_from_responses(responses, min_n).items()}
    tables.update(staging_from_responses(responses))
    with duckdb.connect(str(path)) as con:
        for name, df in tables.items():
            con.execute(f"create schema if not exists {name.split('.')[0]}")
            con.register("df", df)
            con.execute(f"create table {name} as select * from df")
            con.unregister("df")
        # whole numbers as the dbt contracts type them (pandas made the ones with NULLs floats)
        for table, columns in INTEGER_COLUMNS.items():
            for column in columns:
                con.execute(f"alter table marts.{table} alter {column} type integer")
    return path


def warehouse_copy(tmp_path: Path) -> tuple[Path, int]:
    """A writable warehouse for one test: the synthetic one, or a copy of KTO_QUALITY_WAREHOUSE."""
    target = tmp_path / "warehouse.duckdb"
    given = os.environ.get("KTO_QUALITY_WAREHOUSE")
    if given:
        shutil.copyfile(given, target)
        return target, int(os.environ.get("KTO_MIN_RESPONDENTS", MIN_N))
    return build_warehouse(target), MIN_N


@pytest.fixture
def warehouse(tmp_path):
    return warehouse_copy(tmp_path)


def test_clean_warehouse_passes_every_suite(warehouse):
    path, min_n = warehouse
    results = run_all(path, min_n)
    suites = load_suites()
    # every suite ran on every asset it guards, every expectation evaluated
    assert {(r.suite, r.asset) for r in results} == {
        (s.name, a) for s in suites.values() for a in s.assets()
    }
    assert sum(r.evaluated for r in results) == sum(
        len(s.for_frame(f)) for s in suites.values() for f in s.frames()
    )
    failing = [
        (f.suite, f.rule, f.failing_rows, f.error, f.sample) for r in results for f in r.failures
    ]
    assert failing == []
