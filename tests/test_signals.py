"""Funnel plots and signals (dagster_project/analysis/signals.py, portal/funnels.py,
portal/signalen.py, defs/signals.py).

The funnel limits and the signals are held to a computation of their own from the built
samples' warehouse: the spread from the raw sums ``int_cell_figures`` keeps (s1, s2, the
CES counts), not from the published intervals the code inverts; the limits and the
binomial tails with scipy; the drops from the mart's own ``richting``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dagster_project.analysis import change, multiplicity, signals
from dagster_project.defs.names import SIGNALS_CHECK
from dagster_project.portal import funnels as funnel_plots
from dagster_project.portal.signalen import csv_bytes

SVG = "{http://www.w3.org/2000/svg}"
Z_998 = stats.norm.ppf(1 - 0.002 / 2)


@pytest.fixture(scope="module")
def marts(built_sample_warehouse: Path):
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        figures, changes = signals.read_figures(con), signals.read_changes(con)
        sums = con.execute(
            """
            SELECT c.periode, c.kanaal, c.gemeentecode, c.figuur_type, c.figuur, c.n,
                   c.teller::DOUBLE AS s1, c.s2::DOUBLE AS s2, c.k_laag, c.k_hoog, c.exact
            FROM intermediate.int_cell_figures AS c
            JOIN marts.kto_figuur AS f USING (periode, kanaal, gemeentecode, figuur_type, figuur)
            WHERE f.publiceerbaar
              AND f.figuur_type IN ('totaaloordeel', 'ces', 'aspect', 'stelling')
            """
        ).df()
        lower = con.execute(
            "SELECT periode, kanaal, gemeentecode, figuur, vergelijking FROM marts.kto_verandering"
            " WHERE richting = 'lager'"
        ).fetchall()
    return figures, changes, sums, lower


def _independent_sd(group: pd.DataFrame, sums: pd.DataFrame, target: float) -> float:
    """The spread around ``target`` from the raw sums: sum (y - T)^2 = s2 - 2 T s1 + n T^2
    (grades; Hostmanship's sums are in sixtieths), CES scores +100 / 0 / -100."""
    keys = ["periode", "kanaal", "gemeentecode", "figuur_type", "figuur"]
    rows = group[keys].merge(sums, on=keys, how="left", validate="one_to_one")
    assert rows["n"].notna().all()
    total = 0.0
    for r in rows.itertuples():
        if r.figuur_type == "ces":
            plus, minus = float(r.k_laag), float(r.k_hoog)
            total += 100**2 * (plus + minus) - 2 * target * 100 * (plus - minus) + r.n * target**2
        else:
            scale = round(r.s1 / (r.n * r.exact)) if r.exact else 1
            assert scale in (1, 60), scale
            s1, s2 = r.s1 / scale, r.s2 / scale**2
            total += s2 - 2 * target * s1 + r.n * target**2
    return math.sqrt(total / rows["n"].sum())


def test_funnel_limits_and_outliers_match_an_independent_computation(marts):
    figures, _, sums, _ = marts
    made = signals.funnels(figures)
    assert made, "the samples give no funnel"
    outside_expected, outside_found, checked = set(), set(), 0
    for f in made:
        group = figures[
            (figures.periode == f.periode)
            & (figures.kanaal == f.kanaal)
            & (figures.figuur_type == f.figuur_type)
            & (figures.figuur == f.figuur)
        ]
        assert f.target == pytest.approx(group.bm_exact.dropna().iloc[0], abs=0)
        n = f.points.n.to_numpy(float)
        if f.figuur_type == "stelling":
            keys = ["gemeentecode"]
            k = (
                f.points[keys]
                .merge(
                    sums[
                        (sums.periode == f.periode)
                        & (sums.kanaal == f.kanaal)
                        & (sums.figuur == f.figuur)
                    ],
                    on=keys,
                )["k_laag"]
                .to_numpy(float)
            )  # the count of agreeing answers
            theta = f.target / 100
            above = stats.binom.sf(k - 1, n, theta) < 0.001
            below = stats.binom.cdf(k, n, theta) < 0.001
        else:
            sd = _independent_sd(group, sums, f.target)
            assert f.sd == pytest.approx(sd, rel=1e-9)
            low, high = f.target - Z_998 * sd / np.sqrt(n), f.target + Z_998 * sd / np.sqrt(n)
            assert f.points.lower_99_8.to_numpy() == pytest.approx(low, rel=1e-9)
            assert f.points.upper_99_8.to_numpy() == pytest.approx(high, rel=1e-9)
            value = f.points.waarde_exact.to_numpy(float)
            above, below = value > high, value < low
        checked += len(n)
        for code, up, down in zip(f.points.gemeentecode, above, below, strict=True):
            if up or down:
                outside_expected.add(
                    (f.periode, f.kanaal, code, f.figuur, "hoger" if up else "lager")
                )
    found = signals.signals(figures, marts[1], made)
    for r in signals.records(found[found.signaal == signals.BUITEN]):
        outside_found.add(
            (r["periode"], r["kanaal"], r["gemeentecode"], r["figuur"], r["richting"])
        )
    assert checked > 50 and outside_expected  # the samples have points outside
    assert outside_found == outside_expected


def test_funnels_are_of_the_kpi_figures_only(built_sample_warehouse):
    """Products (no BM) and the themes' shares (what texts mention, no performance) get no
    funnel, though the marts publish both with a BM or without."""
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as con:
        published = {
            t for (t,) in con.sql("SELECT DISTINCT figuur_type FROM marts.kto_figuur").fetchall()
        }
        figures = signals.read_figures(con)
    assert {"product", "thema"} <= published  # the samples have both: the exclusion is tested
    drawn = {f.figuur_type for f in signals.funnels(figures)}
    assert drawn == {"totaaloordeel", "ces", "aspect", "stelling"}


def test_all_funnels_at_once_are_each_funnel_on_its_own(marts):
    """``funnels`` computes every funnel of the frame in one pass: each is exactly (to the
    bit) the funnel of its group's rows alone, and a group without an exact BM gets none."""
    figures = marts[0]
    blind = figures.copy()
    first = tuple(blind.iloc[0][["periode", "kanaal", "figuur_type", "figuur"]])
    in_first = (blind[["periode", "kanaal", "figuur_type", "figuur"]].apply(tuple, axis=1)) == first
    blind.loc[in_first, "bm_exact"] = np.nan  # its exact BM withheld
    together = signals.funnels(blind)
    alone = [
        f for _, group in blind.groupby(signals.GROUP, sort=False) for f in signals.funnels(group)
    ]
    assert len(together) == len(alone) == blind.groupby(signals.GROUP).ngroups - 1
    assert (first[0], first[1], first[3]) not in {(f.periode, f.kanaal, f.figuur) for f in together}
    for a, b in zip(together, alone, strict=True):
        assert (a.periode, a.kanaal, a.figuur, a.target, a.sd, a.bm) == (
            b.periode,
            b.kanaal,
            b.figuur,
            b.target,
            b.sd,
            b.bm,
        )
        assert a.records == b.records
        assert a.lines.keys() == b.lines.keys()
        for name in a.lines:
            assert np.array_equal(a.lines[name], b.lines[name])


def test_the_drops_are_the_marts_significant_drops(marts):
    figures, changes, _, lower = marts
    assert lower  # the samples have drops
    found = signals.signals(figures, changes)
    drops = found[found.signaal == signals.DALING]
    assert {
        (r["periode"], r["kanaal"], r["gemeentecode"], r["figuur"], r["vergelijking"])
        for r in signals.records(drops)
    } == set(lower)
    assert (drops.q_waarde < 0.05).all()
    assert set(drops.richting) <= {"lager"}


grades = st.lists(st.integers(1, 10), min_size=2, max_size=60)


@settings(max_examples=150, deadline=None)
@given(grades, st.lists(st.tuples(grades, grades), min_size=0, max_size=8))
def test_a_municipality_whose_data_did_not_change_raises_no_drop(same, others):
    """Its two periods hold the same grades; the others change as they like. Its change is
    0, so whatever the q-values of the family it is no drop."""
    rows = []
    for i, (a, b) in enumerate([(same, same), *others]):
        rows.append(
            {
                "gemeentecode": f"GM{i:04d}",
                "figuur_type": "totaaloordeel",
                **{f"{k}_a": v for k, v in _sums(a).items()},
                **{f"{k}_b": v for k, v in _sums(b).items()},
            }
        )
    compared = change.changes(pd.DataFrame(rows))
    p = pd.to_numeric(compared["p_value"]).to_numpy(float)
    compared["q_waarde"] = multiplicity.bh_qvalues(p)
    compared["verschil_exact"] = pd.to_numeric(compared["estimate"])
    assert compared.loc[0, "verschil_exact"] == 0
    dropped = signals.drops(compared)
    assert "GM0000" not in set(dropped.gemeentecode)


def _sums(x: list[int]) -> dict:
    return {"n": len(x), "s1": sum(x), "s2": sum(g * g for g in x)}


def _binomial_limit(p: float, n: np.ndarray, theta: float) -> np.ndarray:
    """Spiegelhalter's interpolated binomial limit (2005, A.1.1) with scipy, in percent."""
    r = stats.binom.ppf(p, n, theta)
    at, below = stats.binom.cdf(r, n, theta), stats.binom.cdf(r - 1, n, theta)
    return (r - (at - p) / (at - below)) / n * 100


def _expected_99_8(f, figures, sums):
    """The 99.8% limits as functions of n, and the municipalities outside them, computed
    here: the spread from the raw sums, the tails of the counts with scipy."""
    group = figures[
        (figures.periode == f.periode)
        & (figures.kanaal == f.kanaal)
        & (figures.figuur_type == f.figuur_type)
        & (figures.figuur == f.figuur)
    ]
    rows = group.merge(
        sums, on=["periode", "kanaal", "gemeentecode", "figuur_type", "figuur"], how="left"
    )
    n = rows["n_x"].to_numpy(float)
    if f.figuur_type == "stelling":
        theta = f.target / 100

        def low(m):
            return np.clip(_binomial_limit(0.001, m, theta), 0, f.target)

        def high(m):
            return np.clip(_binomial_limit(0.999, m, theta), f.target, 100)

        k = rows["k_laag"].to_numpy(float)
        above = stats.binom.sf(k - 1, n, theta) < 0.001
        below = stats.binom.cdf(k, n, theta) < 0.001
    else:
        sd = _independent_sd(group, sums, f.target)

        def low(m):
            return f.target - Z_998 * sd / np.sqrt(m)

        def high(m):
            return f.target + Z_998 * sd / np.sqrt(m)

        value = rows["waarde_exact"].to_numpy(float)
        above, below = value > high(n), value < low(n)
    outside = set(rows["gemeente"][above | below])
    return low, high, outside


def _expected_named(f, low, high, outside: set[str]) -> set[str]:
    """The names a plot draws, from the limits computed here: every point outside when they
    are at most NAMED_MAX, else the NAMED_MAX furthest beyond their limit in multiples of the
    limit's distance from the BM (a gap between the last named and the first unnamed, so
    that the last bits of two computations cannot swap them)."""
    beyond = {}
    for r in f.records:
        if r["gemeente"] in outside:
            n, y = float(r["n"]), float(r["waarde_exact"])
            lo, hi = float(low(n)), float(high(n))
            beyond[r["gemeente"]] = (
                (y - hi) / (hi - f.target) if y > hi else (lo - y) / (f.target - lo)
            )
    if len(beyond) <= funnel_plots.NAMED_MAX:
        return set(beyond)
    ranked = sorted(beyond, key=lambda g: (-beyond[g], g))
    last, first_left = ranked[funnel_plots.NAMED_MAX - 1], ranked[funnel_plots.NAMED_MAX]
    assert beyond[last] - beyond[first_left] > 1e-9, "too close to tell apart here"
    return set(ranked[: funnel_plots.NAMED_MAX])


def _layer(chart: dict, data: str, mark: str) -> dict:
    [layer] = [
        layer
        for layer in chart["layer"]
        if layer.get("data", {}).get("name") == data and layer["mark"]["type"] == mark
    ]
    return layer


def _check_spec(f, chart: dict, low, high, outside: set[str]) -> int:
    """The Vega-Lite spec of a funnel plots what was computed here: the 99.8% lines on the
    limits at their n, the points at their n and value, the BM rule at the target, red and
    named exactly the municipalities outside the limits. The lines checked."""
    data = chart["datasets"]
    # the data the layers draw, on a log x of n and a linear y
    for name, mark in ((funnel_plots.LIMITS, "line"), (funnel_plots.POINTS, "point")):
        encoding = _layer(chart, name, mark)["encoding"]
        assert encoding["x"]["field"] == "n" and encoding["x"]["scale"]["type"] == "log"
        assert encoding["y"]["field"] == "y"
        assert encoding["y"]["scale"].get("type", "linear") == "linear"
    [rule] = [layer for layer in chart["layer"] if layer["mark"]["type"] == "rule"]
    assert rule["encoding"]["y"]["field"] == "y"
    assert rule["data"]["values"] == [{"y": pytest.approx(f.target, abs=5e-5)}]

    lines = pd.DataFrame(data[funnel_plots.LIMITS])
    checked = 0
    for side, expected in (("lower", low), ("upper", high)):
        line = lines[lines.lijn == f"99,8% {side}"]
        assert len(line) >= 2 and (line.grens == "99,8%").all(), side
        n = line.n.to_numpy(float)
        assert (n == np.rint(n)).all()  # whole n
        assert n.min() <= f.points.n.min() and n.max() >= f.points.n.max()  # every point
        # rounded to 4 decimals in the spec
        assert np.abs(line.y.to_numpy(float) - expected(n)).max() <= 5.1e-5, (f.figuur, side)
        checked += 1

    points = pd.DataFrame(data[funnel_plots.POINTS])
    by_name = {p["gemeente"]: p for p in f.records}
    assert len(points) == len(by_name)
    for point, record in zip(points.to_dict("records"), f.records, strict=True):
        assert point["n"] == record["n"]
        assert point["y"] == pytest.approx(record["waarde_exact"], abs=5e-5)
    red = set(np.asarray(list(by_name))[(points.stand == funnel_plots.OUTSIDE).to_numpy()])
    assert red == outside, f.figuur
    named = set(points["naam"].dropna()) if "naam" in points else set()
    assert named == _expected_named(f, low, high, outside), f.figuur
    for mark in [layer for layer in chart["layer"] if layer["mark"]["type"] == "text"]:
        assert mark["data"]["name"] == funnel_plots.POINTS
        assert mark["encoding"]["text"]["field"] == "naam"
    return checked


def _marks(root, kind: str) -> list:
    """Vega's groups of the spec's marks of a kind (not the axes' or the title's)."""
    return [
        g
        for g in root.iter(f"{SVG}g")
        if {"role-mark", f"mark-{kind}"} <= set(g.get("class", "").split())
    ]


def _drawn(root, kind: str, element: str) -> list:
    return [e for g in _marks(root, kind) for e in g.findall(f"{SVG}{element}")]


def test_the_funnel_plot_draws_the_limits_and_the_points_and_names_those_outside(marts):
    """Every funnel's Vega-Lite spec held to the limits and the outside points computed
    here (independently of the code), and its SVG: it parses, carries the text alternative
    as its title and aria-label, and writes as text the names of the municipalities outside
    the 99.8% limits (the furthest, past NAMED_MAX), and of no other."""
    figures, _, sums, _ = marts
    made = signals.funnels(figures)
    assert len(made) > 20 and any(f.outside for f in made)
    charts = [funnel_plots.spec(f) for f in made]
    lines_checked = 0
    for f, chart, svg in zip(made, charts, funnel_plots.render_all(charts), strict=True):
        low, high, outside = _expected_99_8(f, figures, sums)
        lines_checked += _check_spec(f, chart, low, high, outside)

        root = ET.fromstring(svg)
        # drawn: four limit lines, the BM rule, every point, a name per point outside
        assert len(_marks(root, "line")) == 4
        assert len(_drawn(root, "line", "path")) == 4
        assert len(_drawn(root, "rule", "line")) == 1
        assert len(_drawn(root, "symbol", "path")) == len(f.records)
        named = _expected_named(f, low, high, outside)
        assert sorted(t.text for t in _drawn(root, "text", "text")) == sorted(named)
        texts = {t.text for t in root.iter(f"{SVG}text")}
        assert {p["gemeente"] for p in f.records} & texts == named
        assert outside == {p["gemeente"] for p in f.outside}
        alternative = funnel_plots.text_alternative(f)
        assert chart["description"] == alternative
        assert root.get("aria-label") == alternative == root.find(f"{SVG}title").text
        for name in outside:
            assert name in alternative
        n = f.points.n.astype(int)
        assert f"n van {n.min()} tot {n.max()}" in alternative
        assert f"(BM) {funnel_plots.printed(f, f.bm)}" in alternative
    assert lines_checked == 2 * len(made)


def test_a_plot_names_only_the_points_furthest_outside():
    """Forty municipalities of which most lie outside the 99.8% limits: the plot names the
    NAMED_MAX furthest beyond their limit (relative to the limit's distance from the BM, so
    a small municipality far out outranks a large one just out), and the text alternative
    still names every one."""
    rng = np.random.default_rng(7)
    n = np.arange(100, 500, 10)
    value = 7.5 + rng.normal(0, 0.6, len(n))
    half = stats.t.ppf(0.975, n - 1) * 1.5 / np.sqrt(n)
    figures = pd.DataFrame(
        {
            "periode": "2020", "soort": "jaar", "kanaal": "balie",
            "gemeentecode": [f"GM{i:04d}" for i in range(len(n))],
            "gemeente": [f"Gemeente {i:02d}" for i in range(len(n))],
            "figuur_type": "aspect", "figuur": "Wachttijd", "volgorde": 1, "decimalen": 1,
            "waarde": np.round(value, 1), "waarde_exact": value, "n": n,
            "bm": 7.5, "bm_exact": 7.5, "ci_low": value - half, "ci_high": value + half,
        }
    )  # fmt: skip
    [f] = signals.funnels(figures)
    outside = {r["gemeente"] for r in f.outside}
    assert len(outside) > funnel_plots.NAMED_MAX
    chart = funnel_plots.spec(f)
    named = {p["naam"] for p in chart["datasets"][funnel_plots.POINTS] if "naam" in p}

    def low(m):
        return f.target - Z_998 * f.sd / np.sqrt(m)

    def high(m):
        return f.target + Z_998 * f.sd / np.sqrt(m)

    assert named == _expected_named(f, low, high, outside)
    assert len(named) == funnel_plots.NAMED_MAX
    root = ET.fromstring(funnel_plots.render(chart))
    assert sorted(t.text for t in _drawn(root, "text", "text")) == sorted(named)
    for name in outside:
        assert name in chart["description"]


@pytest.mark.parametrize("shift", [1.05, 0.95])
def test_a_limit_line_off_by_five_percent_fails_the_check(marts, shift):
    """The spec check above fails when the 99.8% lines are drawn 5% off."""
    figures, _, sums, _ = marts
    f = next(f for f in signals.funnels(figures) if f.figuur_type != "stelling")
    chart = funnel_plots.spec(f)
    low, high, outside = _expected_99_8(f, figures, sums)
    assert _check_spec(f, chart, low, high, outside) == 2
    for line in chart["datasets"][funnel_plots.LIMITS]:
        if line["grens"] == "99,8%":
            line["y"] *= shift
    with pytest.raises(AssertionError):
        _check_spec(f, chart, low, high, outside)


def test_a_plot_is_rendered_again_only_when_its_spec_changed(marts, tmp_path):
    """The render cache: a second write renders nothing and leaves every file as it was; a
    changed funnel is rendered again, alone; a pool of two workers writes the same bytes, in
    the same order, as this process alone."""
    made = signals.funnels(marts[0])[: funnel_plots.PARALLEL_MIN_PLOTS + 4]
    one, two = tmp_path / "one", tmp_path / "two"
    files, rendered = funnel_plots.write_funnels(made, one, workers=1)
    assert rendered == len(made) == len(files)
    assert all(f.breedte > 300 and f.hoogte > 200 for f in files)
    paths = sorted(one.rglob("*.svg"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}
    again, rendered = funnel_plots.write_funnels(made, one, workers=1)
    assert rendered == 0 and again == files
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths} == before

    pooled, rendered = funnel_plots.write_funnels(made, two, workers=2)
    assert rendered == len(made) and pooled == files
    assert [p.read_bytes() for p in sorted(two.rglob("*.svg"))] == [b for _, b in before.values()]

    changed = made[3]
    records = [dict(r) for r in changed.records]
    records[0]["waarde_exact"] += 0.5
    made[3] = dataclasses.replace(changed, records=records)
    _, rendered = funnel_plots.write_funnels(made, one, workers=1)
    assert rendered == 1
    after = {p: p.read_bytes() for p in paths}
    assert [p for p in paths if after[p] != before[p][1]] == [one / files[3].path]


def test_the_portal_pages_show_the_funnels_and_signals_of_the_shown_cells(
    built_sample_warehouse, tmp_path
):
    from dagster_project.factsheets import read_only, render_periods
    from dagster_project.portal import build_portal
    from dagster_project.settings import Settings

    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(built_sample_warehouse), "KTO_OUTPUT_DIR": str(tmp_path)}
    )
    with read_only(built_sample_warehouse) as con:
        render_periods(con, ["2020"], settings, generated_on=dt.date(2026, 12, 7))
    result = build_portal(settings, generated_on="7 december 2026")
    folder = tmp_path / "factsheets"
    shown = {(p.stem.split("_")[0], p.stem.split("_")[1]) for p in (folder / "2020").glob("*.pdf")}
    page = (folder / "trechters-2020.html").read_text(encoding="utf-8")
    svgs = sorted((folder / "2020" / "trechters").glob("*.svg"))
    assert result.funnels >= len(svgs) > 0
    for svg in svgs:
        assert f'src="2020/trechters/{svg.name}"' in page
        ET.fromstring(svg.read_text(encoding="utf-8"))
    assert not list(folder.glob("*-Q*/trechters/*.svg"))  # no factsheet there: nothing shown
    # the csv lists what the page lists, only cells with a factsheet
    data = (folder / "2020" / "signalen.csv").read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == signals.COLUMNS
    for line in lines[1:]:
        cells = line.split(";")
        assert (cells[2], cells[1]) in shown
    listing = (folder / "signalen-2020.html").read_text(encoding="utf-8")
    assert listing.count("<tr>") - 1 == len(lines) - 1  # a row per signal, and the header
    period = (folder / "periode-2020.html").read_text(encoding="utf-8")
    assert 'href="signalen-2020.html"' in period and 'href="trechters-2020.html"' in period


def test_the_csv_is_for_excel_with_dutch_settings():
    frame = pd.DataFrame(
        [
            {
                "periode": "2020",
                "kanaal": "balie",
                "gemeentecode": "GM0001",
                "gemeente": "=Stad",
                "signaal": signals.BUITEN,
                "figuur_type": "ces",
                "figuur": "CES",
                "decimalen": 0,
                "richting": "lager",
                "waarde": -13.0,
                "n": 40,
                "bm": 20.0,
                "ondergrens_99_8": 1.25,
                "bovengrens_99_8": 38.75,
                "vergelijking": None,
                "periode_vorig": None,
                "verschil": float("nan"),
                "q_waarde": float("nan"),
            }
        ]
    )
    text = csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines()[1] == (
        "2020;balie;GM0001;'=Stad;buiten_trechter;ces;CES;0;lager;-13;40;20;1,25;38,75;;;;"
    )


def test_the_check_warns_exactly_when_there_are_signals(marts):
    import dagster as dg

    from dagster_project.defs.signals import result_of, signals_check

    figures, changes, _, _ = marts
    found = signals.signals(figures, changes)
    result = result_of(found, 0.1)
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.passed == found.empty
    assert result.metadata["signals_count"].value == len(found)
    assert len(result.metadata["signals"].value) == min(len(found), 200)
    none = result_of(found.iloc[0:0], 0.1)
    assert none.passed and none.metadata["signals_count"].value == 0
    some = result_of(_one_signal(), 0.1)
    assert not some.passed and some.severity == dg.AssetCheckSeverity.WARN
    assert some.metadata["signals"].value[0]["gemeentecode"] == "GM0001"
    [spec] = signals_check.check_specs
    assert spec.name == SIGNALS_CHECK and spec.asset_key == dg.AssetKey(
        ["marts", "kto_verandering"]
    )
    assert not spec.blocking


def _one_signal() -> pd.DataFrame:
    row = dict.fromkeys(signals.COLUMNS)
    row.update(
        periode="2020",
        kanaal="balie",
        gemeentecode="GM0001",
        gemeente="Stad",
        signaal=signals.DALING,
        figuur_type="totaaloordeel",
        figuur="Totaaloordeel",
        decimalen=1,
        richting="lager",
        n=120,
        verschil=-0.4,
        q_waarde=0.01,
        vergelijking="vorig_jaar",
        periode_vorig="2019",
    )
    return pd.DataFrame([row], columns=signals.COLUMNS)


def test_the_gate_and_kto_run_do_not_count_the_signals_as_a_failing_rule():
    from types import SimpleNamespace

    import dagster as dg
    from dagster_shared.check import CheckError

    from dagster_project.cli import _failures
    from dagster_project.defs.gate import _check_keys

    ours = dg.AssetCheckKey(dg.AssetKey(["marts", "kto_verandering"]), SIGNALS_CHECK)
    rule = dg.AssetCheckKey(dg.AssetKey(["marts", "kto_figuur"]), "disclosure_audit")

    class Context:
        job_def = SimpleNamespace(
            asset_layer=SimpleNamespace(asset_graph=SimpleNamespace(asset_check_keys={ours, rule}))
        )

        @property
        def repository_def(self):
            raise CheckError("no repository")

    assert _check_keys(Context()) == {rule}

    def evaluation(name):
        return SimpleNamespace(
            event_type_value="ASSET_CHECK_EVALUATION",
            event_specific_data=SimpleNamespace(
                check_name=name,
                passed=False,
                asset_key=dg.AssetKey(["marts", "kto_figuur"]),
                metadata={},
                description="fails",
            ),
        )

    assert _failures(SimpleNamespace(all_events=[evaluation(SIGNALS_CHECK)])) == []
    assert _failures(SimpleNamespace(all_events=[evaluation("other")])) != []


def test_under_eigen_no_funnel_or_signal_reaches_a_municipality_s_folder(
    built_sample_warehouse, tmp_path
):
    from dagster_project.factsheets import read_only, render_periods
    from dagster_project.portal import build_portal
    from dagster_project.settings import Settings

    env = {"KTO_WAREHOUSE": str(built_sample_warehouse), "KTO_OUTPUT_DIR": str(tmp_path)}
    with read_only(built_sample_warehouse) as con:
        render_periods(con, ["2020"], Settings.from_env(env), generated_on=dt.date(2026, 12, 7))
    build_portal(Settings.from_env(env), generated_on="7 december 2026")  # open first
    folder = tmp_path / "factsheets"
    assert list(folder.glob("2020/trechters/*.svg")) and (folder / "signalen-2020.html").exists()
    result = build_portal(
        Settings.from_env({**env, "KTO_PUBLICATIE": "eigen"}), generated_on="7 december 2026"
    )
    assert result.funnels == 0
    own = tmp_path / "gemeenten"
    assert list(own.glob("*/factsheets/index.html"))
    assert not list(tmp_path.rglob("*.svg"))
    assert not list(tmp_path.rglob("signalen-*.html")) and not list(tmp_path.rglob("trechters-*"))
    assert not list(own.rglob("signalen.csv"))
    assert (folder / "2020" / "signalen.csv").is_file()  # the operator's, beside report.json
    for page in own.glob("*/factsheets/periode-*.html"):
        text = page.read_text(encoding="utf-8")
        assert "signalen-" not in text and "trechters-" not in text
