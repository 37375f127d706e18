"""dagster_project/analysis/drivers.py against statsmodels' OLS (R^2 of every subset of
aspects, averaged over every order of entry: the Shapley value written out) and pandas'
pairwise correlations; the priorities against their definition in plain Python."""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.analysis.drivers import (
    priority_matrix,
    relative_importance,
    wide_answers,
)

REL = 1e-9
ASPECTS = ["Wachttijd", "Vriendelijkheid", "Deskundigheid", "Doorlooptijd"]


def _respondents(seed: int, n: int = 600) -> pd.DataFrame:
    """Aspect grades that overlap (friendliness and expertise go together) and an overall
    grade driven by them, on the 1..10 scale."""
    rng = np.random.default_rng(seed)
    service = rng.normal(0, 1, n)
    raw = {
        "Wachttijd": rng.normal(0, 1, n),
        "Vriendelijkheid": service + rng.normal(0, 0.6, n),
        "Deskundigheid": service + rng.normal(0, 0.8, n),
        "Doorlooptijd": rng.normal(0, 1, n),
    }
    weights = rng.uniform(0, 1, 4)
    overall = sum(w * raw[a] for w, a in zip(weights, ASPECTS, strict=True))
    raw["Totaaloordeel"] = overall + rng.normal(0, 1, n)
    grades = {k: np.clip(np.rint(7.5 + 1.2 * v / v.std()), 1, 10) for k, v in raw.items()}
    return pd.DataFrame(grades)


def _ols_r2(data: pd.DataFrame, columns) -> float:
    if not columns:
        return 0.0
    return sm.OLS(data["Totaaloordeel"], sm.add_constant(data[list(columns)])).fit().rsquared


def _shapley_by_orders(data: pd.DataFrame, aspects: list[str]) -> dict[str, float]:
    r2 = {}
    shares = dict.fromkeys(aspects, 0.0)
    orders = list(permutations(aspects))
    for order in orders:
        for i, aspect in enumerate(order):
            before, after = frozenset(order[:i]), frozenset(order[: i + 1])
            for subset in (before, after):
                if subset not in r2:
                    r2[subset] = _ols_r2(data, sorted(subset))
            shares[aspect] += (r2[after] - r2[before]) / len(orders)
    return shares


@pytest.mark.parametrize("seed", range(6))
def test_lmg_equals_the_shapley_value_of_ols_r2(seed):
    data = _respondents(seed)
    result = relative_importance(data, ASPECTS)
    expected = _shapley_by_orders(data, ASPECTS)
    full = _ols_r2(data, ASPECTS)
    assert result.attrs["r2"] == pytest.approx(full, rel=REL)
    assert result.attrs["respondents"] == result.attrs["complete"] == len(data)
    for aspect in ASPECTS:
        assert result.loc[aspect, "lmg"] == pytest.approx(expected[aspect], rel=1e-8)
        assert result.loc[aspect, "importance"] == pytest.approx(expected[aspect] / full, rel=1e-8)
    assert result["importance"].sum() == pytest.approx(1, rel=REL)


@pytest.mark.parametrize("seed", range(4))
def test_beta_is_the_ols_weight_on_standardised_grades(seed):
    data = _respondents(seed)
    z = (data - data.mean()) / data.std()
    fit = sm.OLS(z["Totaaloordeel"], sm.add_constant(z[ASPECTS])).fit()
    result = relative_importance(data, ASPECTS)
    np.testing.assert_allclose(result["beta"], fit.params[ASPECTS], rtol=1e-8)
    np.testing.assert_allclose(result["r"], data.corr().loc[ASPECTS, "Totaaloordeel"], rtol=REL)


def test_skipped_answers_use_pairwise_correlations():
    data = _respondents(11, 900)
    rng = np.random.default_rng(11)
    # Doorlooptijd applies to some products only; a few skip the others at random
    data.loc[rng.random(len(data)) < 0.45, "Doorlooptijd"] = np.nan
    for aspect in ASPECTS[:3]:
        data.loc[rng.random(len(data)) < 0.08, aspect] = np.nan
    data.loc[rng.random(len(data)) < 0.03, "Totaaloordeel"] = np.nan
    result = relative_importance(data, ASPECTS)
    graded = data[data["Totaaloordeel"].notna()]
    pairwise = graded.corr()  # pandas: each pair over the rows holding both
    np.testing.assert_allclose(result["r"], pairwise.loc[ASPECTS, "Totaaloordeel"], rtol=REL)
    assert result["n"].tolist() == [int(graded[a].notna().sum()) for a in ASPECTS]
    assert result.attrs["respondents"] == len(graded)
    assert result.attrs["complete"] == int(graded.notna().all(axis=1).sum())
    assert not result.attrs["repaired"]
    # the R^2 of a subset from the pairwise matrix, shared out over every order of entry
    r_xx, r_xy = pairwise.loc[ASPECTS, ASPECTS].to_numpy(), pairwise.loc[ASPECTS, "Totaaloordeel"]

    def r2(subset):
        idx = [ASPECTS.index(a) for a in subset]
        return float(r_xy.iloc[idx] @ np.linalg.solve(r_xx[np.ix_(idx, idx)], r_xy.iloc[idx]))

    expected = dict.fromkeys(ASPECTS, 0.0)
    for order in permutations(ASPECTS):
        for i, aspect in enumerate(order):
            gain = r2(order[: i + 1]) - (r2(order[:i]) if i else 0.0)
            expected[aspect] += gain / math.factorial(len(ASPECTS))
    for aspect in ASPECTS:
        assert result.loc[aspect, "lmg"] == pytest.approx(expected[aspect], rel=1e-8)


def test_inconsistent_pairwise_correlations_are_repaired():
    # Three items never answered all together: x ~ y and y ~ z strongly positive, x ~ z
    # strongly negative: no set of respondents could give that matrix.
    rng = np.random.default_rng(2)
    m = 200
    base = [rng.normal(0, 1, m) for _ in range(3)]
    nan = np.full(m, np.nan)

    def near(v):
        return v + rng.normal(0, 0.3, m)

    rows = pd.concat(
        [
            pd.DataFrame({"x": base[0], "y": near(base[0]), "z": nan}),
            pd.DataFrame({"x": nan, "y": base[1], "z": near(base[1])}),
            pd.DataFrame({"x": base[2], "y": nan, "z": -near(base[2])}),
        ],
        ignore_index=True,
    )
    rows["Totaaloordeel"] = rows.mean(axis=1) + rng.normal(0, 0.5, len(rows))
    assert np.linalg.eigvalsh(rows[["x", "y", "z"]].corr().to_numpy()).min() < 0
    result = relative_importance(rows, ["x", "y", "z"])
    assert result.attrs["repaired"] and result.attrs["complete"] == 0
    assert np.isfinite(result["lmg"]).all() and (result["lmg"] >= -1e-12).all()
    assert result["importance"].sum() == pytest.approx(1, rel=REL)
    assert 0 < result.attrs["r2"] <= 1


def test_rare_and_constant_aspects_are_left_out():
    data = _respondents(4, 300)
    data["Prijs van het product"] = np.nan
    data.loc[:19, "Prijs van het product"] = 7.0 + (np.arange(20) % 3)  # 20 answers
    data["Wachtruimte"] = 8.0  # everyone the same: no correlation exists
    aspects = [*ASPECTS, "Prijs van het product", "Wachtruimte"]
    result = relative_importance(data, aspects, min_pairs=30)
    assert result.loc[["Prijs van het product", "Wachtruimte"], "importance"].isna().all()
    assert result.loc["Prijs van het product", "n"] == 20
    kept = relative_importance(data, ASPECTS)
    np.testing.assert_allclose(result.loc[ASPECTS, "lmg"], kept["lmg"], rtol=REL)


def test_wide_answers_pivots_grades_and_leaves_skipped_items_empty():
    long = pd.DataFrame(
        [
            ("r1", "totaaloordeel", "Totaaloordeel", 8, None),
            ("r1", "aspect", "Wachttijd", 6, None),
            ("r1", "moeite", "Moeite", None, "geen_moeite"),
            ("r2", "totaaloordeel", "Totaaloordeel", 9, None),
            ("r2", "aspect", "Vriendelijkheid", 10, None),
            ("r2", "hostmanship_item", "hostmanship_inleving", 9, None),
        ],
        columns=["response_id", "vraag_type", "vraag", "cijfer", "code"],
    )
    wide = wide_answers(long)
    assert sorted(wide.columns) == ["Totaaloordeel", "Vriendelijkheid", "Wachttijd"]
    assert wide.loc["r1"].to_dict() == pytest.approx(
        {"Totaaloordeel": 8.0, "Wachttijd": 6.0, "Vriendelijkheid": np.nan}, nan_ok=True
    )
    assert wide.loc["r2", "Vriendelijkheid"] == 10.0


# -- priorities ----------------------------------------------------------------------------


def _scores(rows):
    return pd.DataFrame(
        rows, columns=["gemeentecode", "kanaal", "periode", "figuur", "waarde_exact", "bm_exact"]
    )


IMPORTANCE = pd.DataFrame(
    {
        "kanaal": "balie",
        "figuur": ["Wachttijd", "Vriendelijkheid", "Deskundigheid", "Doorlooptijd", "Wachtruimte"],
        "importance": [0.30, 0.25, 0.20, 0.15, 0.10],
    }
)


def test_priorities_are_the_most_important_aspects_below_the_bm():
    scores = _scores(
        [
            ("GM0001", "balie", "2020", "Wachttijd", 7.9, 7.5),  # above
            ("GM0001", "balie", "2020", "Vriendelijkheid", 8.0, 8.3),  # below, 2nd important
            ("GM0001", "balie", "2020", "Deskundigheid", 7.0, 8.1),  # below
            ("GM0001", "balie", "2020", "Doorlooptijd", None, 7.0),  # suppressed
            ("GM0001", "balie", "2020", "Wachtruimte", 6.0, 7.2),  # below
            ("GM0001", "balie", "2020", "Openingstijden", 5.0, 7.2),  # no importance
            ("GM0002", "balie", "2020", "Wachttijd", 7.0, 7.5),
            ("GM0002", "balie", "2020", "Vriendelijkheid", 8.5, 8.3),
        ]
    )
    out = priority_matrix(scores, IMPORTANCE)
    got = out.set_index(["gemeentecode", "figuur"])
    assert got.loc["GM0001", "priority"].dropna().to_dict() == {
        "Vriendelijkheid": 1,
        "Deskundigheid": 2,
        "Wachtruimte": 3,
    }
    assert got.loc["GM0002", "priority"].dropna().to_dict() == {"Wachttijd": 1}
    assert got.loc[("GM0001", "Deskundigheid"), "gap"] == pytest.approx(-1.1, rel=REL)
    assert pd.isna(got.loc[("GM0001", "Doorlooptijd"), "below_bm"])
    assert not got.loc[("GM0001", "Wachttijd"), "below_bm"]
    assert pd.isna(got.loc[("GM0001", "Openingstijden"), "priority"])


def test_priorities_can_require_significance():
    scores = _scores(
        [
            ("GM0001", "balie", "2020", "Wachttijd", 7.4, 7.5),
            ("GM0001", "balie", "2020", "Vriendelijkheid", 7.0, 8.3),
        ]
    )
    scores["significant"] = [False, True]
    out = priority_matrix(scores, IMPORTANCE, significant="significant")
    assert out["priority"].tolist() == [pd.NA, 1]
    assert out["below_bm"].tolist() == [False, True]


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["GM0001", "GM0002", "GM0003"]),
            st.sampled_from([*IMPORTANCE["figuur"], "Openingstijden"]),
            st.one_of(st.none(), st.integers(10, 100).map(lambda v: v / 10)),
            st.integers(10, 100).map(lambda v: v / 10),
        ),
        unique_by=lambda row: row[:2],
        max_size=18,
    )
)
def test_priorities_follow_their_definition(rows):
    scores = _scores([(g, "balie", "2020", f, v, bm) for g, f, v, bm in rows])
    out = priority_matrix(scores, IMPORTANCE)
    weight = dict(zip(IMPORTANCE["figuur"], IMPORTANCE["importance"], strict=True))
    for code in {g for g, *_ in rows}:
        below = [
            (-weight[f], v - bm, f)
            for g, f, v, bm in rows
            if g == code and v is not None and v - bm < 0 and f in weight
        ]
        expected = {f: rank for rank, (*_, f) in enumerate(sorted(below)[:3], start=1)}
        mine = out[out["gemeentecode"] == code].set_index("figuur")["priority"].dropna()
        assert mine.to_dict() == expected


def test_equal_importance_puts_the_furthest_below_first_then_the_name():
    importance = pd.DataFrame(
        {"kanaal": "balie", "figuur": ["A", "B", "C", "D"], "importance": 0.25}
    )
    scores = _scores(
        [
            ("GM0001", "balie", "2020", "A", 7.0, 7.5),
            ("GM0001", "balie", "2020", "B", 6.0, 7.5),
            ("GM0001", "balie", "2020", "C", 7.0, 7.5),
            ("GM0001", "balie", "2020", "D", 7.4, 7.5),
        ]
    )
    out = priority_matrix(scores, importance).set_index("figuur")["priority"]
    assert out.dropna().to_dict() == {"B": 1, "A": 2, "C": 3}
