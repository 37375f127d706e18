"""Change over time and many comparisons in the marts (kto_verandering, *_bm_p_waarde,
*_bm_q_waarde) and the factsheet's marks under KTO_SIGNIFICANCE.

On the built samples: the BM p-value marks exactly what the interval marks; every q-value is
the Benjamini-Hochberg q-value of the shown tests of its family (dagster_project/analysis/
multiplicity.py, computed independently here); every change is the one analysis/change.py
computes from int_cell_figures' sums, shown only where both figures are shown. Properties
of the SQL itself (the UDF dbt calls, the BH macro rendered from its file) on drawn data.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.analysis.change import changes
from dagster_project.analysis.multiplicity import add_qvalues, bh_qvalues
from dagster_project.domain.project_files import project_dir
from dagster_project.factsheets.view import build_view_models
from dagster_project.settings import Settings
from dagster_project.transform.plugin import register_udfs
from tests.layers import records

FAMILY = ["periode", "kanaal", "figuur_type", "figuur"]


@pytest.fixture(scope="module")
def con(built_sample_warehouse: Path):
    with duckdb.connect(str(built_sample_warehouse), read_only=True) as c:
        yield c


def frame(con, sql: str) -> pd.DataFrame:
    return pd.DataFrame(records(con, sql))


def test_the_bm_p_value_marks_exactly_where_the_interval_excludes_the_bm(con):
    rows = records(con, "select * from marts.kto_figuur where figuur_type <> 'product'")
    tested = [r for r in rows if r["bm_p_waarde"] is not None]
    assert len(tested) > 100
    for r in tested:
        assert (r["bm_p_waarde"] < 0.05) == r["significant"], r
        assert r["publiceerbaar"] and r["bm_exact"] is not None
    # not tested: hidden, or against a BM whose exact value is hidden (the p-value would
    # give that BM away)
    for r in rows:
        if not r["publiceerbaar"] or r["bm_exact"] is None:
            assert r["bm_p_waarde"] is None and r["bm_q_waarde"] is None, r


def test_the_wide_marts_carry_the_same_bm_tests_as_kto_figuur(con):
    long = {
        (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"]): (
            r["bm_p_waarde"],
            r["bm_q_waarde"],
        )
        for r in records(con, "select * from marts.kto_figuur")
    }
    for r in records(con, "select * from marts.kto_cel"):
        for name, label in (("totaaloordeel", "Totaaloordeel"), ("ces", "CES")):
            key = (r["gemeentecode"], r["kanaal"], r["periode"], name, label)
            assert (r[f"{name}_bm_p_waarde"], r[f"{name}_bm_q_waarde"]) == long[key]
    for table, kind, label in (
        ("kto_aspect", "aspect", "aspect"),
        ("kto_stelling", "stelling", "stelling"),
    ):
        for r in records(con, f"select * from marts.{table}"):
            key = (r["gemeentecode"], r["kanaal"], r["periode"], kind, r[label])
            assert (r["bm_p_waarde"], r["bm_q_waarde"]) == long[key]


def test_bm_q_values_are_benjamini_hochberg_over_the_shown_tests(con):
    tests = frame(con, "select * from marts.kto_figuur where bm_p_waarde is not null")
    want = add_qvalues(tests, FAMILY, "bm_p_waarde", "q")
    assert np.array_equal(want["q"].to_numpy(float), tests["bm_q_waarde"].to_numpy(float))
    # fewer discoveries than p < 0.05 alone, on these samples
    assert (tests["bm_q_waarde"] < 0.05).sum() < (tests["bm_p_waarde"] < 0.05).sum()


def _sides(con) -> pd.DataFrame:
    """Every pair of kto_verandering with both sides' sums from int_cell_figures."""
    pairs = frame(con, "select * from marts.kto_verandering")
    sums = frame(
        con,
        "select gemeentecode, kanaal, periode, figuur_type, figuur, n, teller, noemer, s2,"
        " k_laag, k_hoog from intermediate.int_cell_figures",
    )
    keys = ["gemeentecode", "kanaal", "figuur_type", "figuur"]
    out = pairs.merge(sums, on=[*keys, "periode"], suffixes=("", "_cel"))
    earlier = sums.rename(columns={"periode": "periode_vorig"})
    out = out.merge(earlier, on=[*keys, "periode_vorig"], suffixes=("_b", "_a"))
    assert len(out) == len(pairs)
    return out


def test_changes_are_the_tests_of_analysis_change_where_both_figures_are_shown(con):
    pairs = _sides(con)
    shown = {
        (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"])
        for r in records(con, "select * from marts.kto_figuur where publiceerbaar")
    }
    for r in pairs.to_dict("records"):
        key = (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"])
        before = (*key[:2], r["periode_vorig"], *key[3:])
        assert r["publiceerbaar"] == (key in shown and before in shown), key
    both = pairs[pairs["publiceerbaar"]].copy()
    assert len(both) > 50 and (~pairs["publiceerbaar"]).any()
    hidden = pairs[~pairs["publiceerbaar"]]
    for column in ("verschil", "verschil_exact", "ci_low", "ci_high", "p_waarde", "q_waarde"):
        assert hidden[column].isna().all(), column
    both["schaal"] = [int(t) // int(n) for t, n in zip(both["noemer_b"], both["n_b"], strict=True)]
    for side in "ab":
        both[f"s1_{side}"] = [
            int(t) if kind not in ("ces", "stelling") else None
            for t, kind in zip(both[f"teller_{side}"], both["figuur_type"], strict=True)
        ]
    want = changes(both)
    for got, expected in zip(both.to_dict("records"), want.to_dict("records"), strict=True):
        for column, name in (
            ("verschil_exact", "estimate"),
            ("ci_low", "ci_low"),
            ("ci_high", "ci_high"),
            ("p_waarde", "p_value"),
        ):
            a, b = got[column], expected[name]
            if b is None:
                assert a is None or (isinstance(a, float) and math.isnan(a)), (column, got)
            else:
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (column, got)
    q = add_qvalues(both, [*FAMILY, "vergelijking"], "p_waarde", "q")
    assert np.allclose(
        q["q"].to_numpy(float), both["q_waarde"].to_numpy(float), rtol=0, atol=0, equal_nan=True
    )


def test_the_comparisons_are_the_year_before_and_the_quarters_before(con):
    for r in records(
        con, "select distinct periode, periode_vorig, vergelijking from marts.kto_verandering"
    ):
        jaar = int(r["periode"][:4])
        if r["vergelijking"] == "vorig_jaar":
            assert r["periode_vorig"] == str(jaar - 1)
        elif r["vergelijking"] == "zelfde_kwartaal_vorig_jaar":
            assert r["periode_vorig"] == f"{jaar - 1}{r['periode'][4:]}"
        else:
            q = int(r["periode"][-1])
            assert r["periode_vorig"] == (f"{jaar}-Q{q - 1}" if q > 1 else f"{jaar - 1}-Q4")


# -- the SQL on drawn data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def udf():
    c = duckdb.connect()
    register_udfs(c)
    yield c
    c.close()


grades = st.lists(st.integers(1, 10), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None)
@given(grades, st.sampled_from(["totaaloordeel", "aspect"]))
def test_a_figure_whose_data_did_not_change_shows_no_significant_change(udf, x, kind):
    n, s1, s2 = len(x), sum(x), sum(g * g for g in x)
    (change,) = udf.execute(
        "select kto_change(?, 1, ?, ?, ?, null, null, ?, ?, ?, null, null)",
        [kind, n, s1, s2, n, s1, s2],
    ).fetchone()
    assert change["verschil"] == 0
    assert change["p"] is None or change["p"] > 0.05 if n > 1 else change["p"] is None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 300).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.integers(0, n), st.just(n))
    )
)
def test_unchanged_percentages_and_ces_show_no_significant_change(udf, counts):
    k, other, n = counts
    plus, minus = min(k, other), n - max(k, other)
    (pct,) = udf.execute(
        "select kto_change('stelling', 1, ?, null, null, ?, null, ?, null, null, ?, null)",
        [n, k, n, k],
    ).fetchone()
    (ces,) = udf.execute(
        "select kto_change('ces', 1, ?, null, null, ?, ?, ?, null, null, ?, ?)",
        [n, plus, minus, n, plus, minus],
    ).fetchone()
    for change in (pct, ces):
        assert change["verschil"] == 0 and change["p"] == 1.0


def _bh_sql() -> tuple:
    source = (project_dir("dbt") / "macros" / "multiplicity.sql").read_text()
    module = jinja2.Environment().from_string(source).module
    return module.bh_ranks("p", "family", "id"), module.bh_qvalue("p", "family", "id")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.01, 0.04, 0.5])),
        ),
        max_size=40,
    )
)
def test_the_sql_q_values_are_bh_and_monotone_in_p(udf, rows):
    ranks, qvalue = _bh_sql()
    data = pd.DataFrame(
        {"id": range(len(rows)), "family": [f for f, _ in rows], "p": [p for _, p in rows]}
    )
    data["p"] = data["p"].astype(float)
    # a cursor of its own per example: a result left open by one (DuckDB keeps an empty
    # frame's result pending) cannot block the next
    with udf.cursor() as con:
        con.register("drawn", data)
        got = con.execute(
            f"with r as (select *, {ranks} from drawn)"
            f" select id, family, p, {qvalue} as q from r order by id"
        ).df()
    for family, members in got.groupby("family"):
        want = bh_qvalues(members["p"].to_numpy(object))
        assert np.array_equal(want, members["q"].to_numpy(float), equal_nan=True), family
        tested = members.dropna(subset=["p"]).sort_values("p")
        assert tested["q"].is_monotonic_increasing
        assert (tested["q"] >= tested["p"]).all() and (tested["q"] <= 1).all()


# -- the factsheet's marks ----------------------------------------------------------------


def _marks(warehouse: Path, significance: str) -> dict:
    settings_ = Settings.from_env(
        {"KTO_WAREHOUSE": str(warehouse), "KTO_SIGNIFICANCE": significance}
    )
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as c:
        periodes = [
            r[0] for r in c.execute("select distinct periode from marts.kto_cel").fetchall()
        ]
        for periode in periodes:
            for view in build_view_models(c, periode, settings_, dt.date(2021, 1, 1)):
                for fig in (view.totaaloordeel, view.ces, *view.tabel):
                    out[(view.gemeentecode, view.kanaal, view.periode, fig.label)] = fig.teken
    return out


def test_kto_significance_fdr_marks_only_where_the_bm_q_value_is_below_5_percent(
    built_sample_warehouse, con
):
    bm, fdr = _marks(built_sample_warehouse, "bm"), _marks(built_sample_warehouse, "fdr")
    assert bm.keys() == fdr.keys()
    assert all(not mark or mark == bm[key] for key, mark in fdr.items())
    dropped = {k for k in bm if bm[k] and not fdr[k]}
    assert dropped, "the samples have marks that do not hold over all municipalities"
    q = {
        (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur"]): r["bm_q_waarde"]
        for r in records(con, "select * from marts.kto_figuur where bm_q_waarde is not null")
    }
    labels = {"Totaaloordeel": "Totaaloordeel", "CES score": "CES"}
    for key, mark in bm.items():
        figuur = labels.get(key[3], key[3].removesuffix(" (% ja)"))
        qv = q.get((*key[:3], figuur))
        assert bool(fdr[key]) == bool(mark and qv is not None and qv < 0.05), key


def test_an_unknown_significance_is_refused():
    with pytest.raises(ValueError, match="KTO_SIGNIFICANCE"):
        Settings.from_env({"KTO_SIGNIFICANCE": "bonferroni"})
