"""Funnel plots and signals (dagster_project/analysis/signals.py, portal/funnels.py,
portal/signalen.py, defs/signals.py).

The funnel limits and the signals are held to a computation of their own from the built
samples' warehouse: the spread from the raw sums ``int_cell_figures`` keeps (s1, s2, the
CES counts), not from the published intervals the code inverts; the limits and the
binomial tails with scipy; the drops from the mart's own ``richting``.
"""

from __future__ import annotations

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
            WHERE f.publiceerbaar AND f.figuur_type <> 'product'
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


def _number(text: str) -> float:
    """A tick label as printed: ``1.000``, ``8,2``, ``-20``."""
    return float(text.replace(".", "").replace(",", ".").replace("\u2212", "-"))


def _scale(root, axis: str, log: bool):
    """The axis' map from value to pixel, fitted on its tick labels (value, position):
    (offset, slope) with a residual below a hundredth of a pixel, so the axis is linear
    (y) or logarithmic (x) as labelled."""
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"as as-{axis}")
    ticks = [t for t in group.iter(f"{SVG}text") if t.get("class") == "tick"]
    values = np.array([_number(t.text) for t in ticks])
    pixels = np.array([float(t.get(axis)) for t in ticks])
    assert len(ticks) >= 2, axis
    slope, offset = np.polyfit(np.log(values) if log else values, pixels, 1)
    fitted = offset + slope * (np.log(values) if log else values)
    assert np.abs(fitted - pixels).max() < 0.01, (axis, values, pixels)
    return offset, slope


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


def test_the_svg_draws_the_limits_and_the_points_and_names_those_outside(marts):
    """Every funnel's SVG read back through its own axes: each point where its n and value
    are, each 99.8% limit line on the limits computed here (independently of the code), the
    points drawn as outside and the names written exactly the municipalities outside those
    limits; the text alternative as the SVG's title and aria-label."""
    figures, _, sums, _ = marts
    made = signals.funnels(figures)
    assert len(made) > 20 and any(f.outside for f in made)
    lines_checked = 0
    for f in made:
        root = ET.fromstring(funnel_plots.svg(f))
        x0, dx = _scale(root, "x", log=True)
        y0, dy = _scale(root, "y", log=False)
        # coordinates are written to a hundredth of a pixel, the axes fitted on rounded ticks
        tolerance = 0.03 / abs(dy)
        low, high, outside = _expected_99_8(f, figures, sums)

        drawn = {}
        for circle in root.iter(f"{SVG}circle"):
            name = circle.find(f"{SVG}title").text.split(":")[0]
            n = math.exp((float(circle.get("cx")) - x0) / dx)
            value = (float(circle.get("cy")) - y0) / dy
            drawn[name] = (n, value, "buiten-99_8" in circle.get("class").split())
        by_name = {p["gemeente"]: p for p in f.records}
        assert set(drawn) == set(by_name)
        for name, (n, value, red) in drawn.items():
            assert n == pytest.approx(by_name[name]["n"], rel=1e-3)
            assert value == pytest.approx(by_name[name]["waarde_exact"], abs=tolerance)
            if red:  # drawn beyond the limits computed here
                assert (
                    value > high(by_name[name]["n"]) - tolerance
                    or value < low(by_name[name]["n"]) + tolerance
                )
        assert {name for name, (_, _, red) in drawn.items() if red} == outside, f.figuur

        for line in root.iter(f"{SVG}polyline"):
            kind = line.get("class").split()
            if "grens-99_8" not in kind:
                continue
            xy = np.array([[float(c) for c in v.split(",")] for v in line.get("points").split()])
            n = np.exp((xy[:, 0] - x0) / dx)
            assert np.allclose(n, np.rint(n), rtol=1e-3)  # the lines are drawn at whole n
            limit = (xy[:, 1] - y0) / dy
            want = (low if "onder" in kind else high)(np.rint(n))
            assert np.abs(limit - want).max() < tolerance, (f.figuur, kind)
            lines_checked += 1

        names = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "naam"}
        assert names == outside == {p["gemeente"] for p in f.outside}
        alternative = funnel_plots.text_alternative(f)
        assert root.get("aria-label") == alternative == root.find(f"{SVG}title").text
        for name in outside:
            assert name in alternative
        n = f.points.n.astype(int)
        assert f"n van {n.min()} tot {n.max()}" in alternative
        assert f"(BM) {funnel_plots.printed(f, f.bm)}" in alternative
    assert lines_checked == 2 * len(made)


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
    assert spec.name == signals.CHECK_NAME and spec.asset_key == dg.AssetKey(
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

    ours = dg.AssetCheckKey(dg.AssetKey(["marts", "kto_verandering"]), signals.CHECK_NAME)
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

    assert _failures(SimpleNamespace(all_events=[evaluation(signals.CHECK_NAME)])) == []
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
