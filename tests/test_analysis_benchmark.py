"""The tests of one figure against its BM (dagster_project/analysis/change.py) against scipy
and statsmodels, and against the marts' own rule: p < 0.05 exactly when the 95% interval
(t, the CES normal interval, Wilson) excludes the BM."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import ztest

from dagster_project.analysis.change import (
    against_benchmark,
    mean_against,
    net_score_against,
    proportion_against,
)

REL = 1e-9
Z = 1.959963984540054


@pytest.mark.parametrize("seed", range(30))
def test_a_mean_against_its_bm_is_scipys_one_sample_t_test(seed):
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(rng.normal(rng.uniform(6, 8.5), 1.5, rng.integers(2, 200))), 1, 10)
    if x.var() == 0:
        pytest.skip("no spread: covered below")
    bm = float(rng.uniform(6, 8.5))
    oracle = stats.ttest_1samp(x, bm)
    result = mean_against(len(x), int(x.sum()), int((x * x).sum()), bm)
    assert result.estimate == pytest.approx(x.mean() - bm, rel=REL, abs=1e-12)
    assert result.statistic == pytest.approx(oracle.statistic, rel=REL)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=REL)


def test_hostmanship_in_sixtieths_is_the_test_of_the_means():
    rng = np.random.default_rng(5)
    x60 = rng.integers(60, 601, 40)
    oracle = stats.ttest_1samp(x60 / 60, 7.5)
    result = mean_against(len(x60), int(x60.sum()), int((x60 * x60).sum()), 7.5, scale=60)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=REL)


@pytest.mark.parametrize("seed", range(30))
def test_a_percentage_against_its_bm_is_the_score_test(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    k = int(rng.integers(0, n + 1))
    bm = float(rng.uniform(1, 99))
    _, p = proportions_ztest(k, n, value=bm / 100, prop_var=bm / 100)
    assert proportion_against(k, n, bm).p_value == pytest.approx(p, rel=REL)


@pytest.mark.parametrize("seed", range(30))
def test_a_ces_against_its_bm_is_the_z_test_of_per_response_scores(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    scores = rng.choice([1, 0, -1], size=n, p=rng.dirichlet([2, 1, 1]))
    if scores.var() == 0:
        pytest.skip("no spread")
    bm = float(rng.uniform(-50, 80))
    _, p = ztest(scores, value=bm / 100, ddof=0)
    plus, minus = int((scores == 1).sum()), int((scores == -1).sum())
    assert net_score_against(plus, minus, n, bm).p_value == pytest.approx(p, rel=REL)


def _t_interval(n, s1, s2):
    mean = s1 / n
    sd = math.sqrt((n * s2 - s1 * s1) / (n * (n - 1)))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


grades = st.lists(st.integers(1, 10), min_size=2, max_size=60)


@settings(max_examples=300)
@given(grades, st.floats(1, 10))
def test_the_mean_test_rejects_exactly_when_the_t_interval_excludes_the_bm(x, bm):
    n, s1, s2 = len(x), sum(x), sum(g * g for g in x)
    result = mean_against(n, s1, s2, bm)
    if result.p_value is None:
        assert len(set(x)) == 1 and s1 / n != bm
        return
    low, high = _t_interval(n, s1, s2)
    margin = min(abs(bm - low), abs(bm - high))
    if margin > 1e-9:  # away from the interval's edge, where rounding decides either way
        assert (result.p_value < 0.05) == (bm < low or bm > high)


@settings(max_examples=300)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.floats(0.5, 99.5),
)
def test_the_percentage_test_rejects_exactly_when_wilson_excludes_the_bm(counts, bm):
    k, n = counts
    low, high = (100 * b for b in proportion_confint(k, n, alpha=0.05, method="wilson"))
    result = proportion_against(k, n, bm)
    if min(abs(bm - low), abs(bm - high)) > 1e-7:
        assert (result.p_value < 0.05) == (bm < low or bm > high)


@settings(max_examples=300)
@given(st.integers(1, 300), st.data(), st.floats(-99, 99))
def test_the_ces_test_rejects_exactly_when_its_interval_excludes_the_bm(n, data, bm):
    plus = data.draw(st.integers(0, n))
    minus = data.draw(st.integers(0, n - plus))
    p_plus, p_minus = plus / n, minus / n
    d = 100 * (p_plus - p_minus)
    half = 100 * Z * math.sqrt(max(0.0, p_plus + p_minus - (p_plus - p_minus) ** 2) / n)
    result = net_score_against(plus, minus, n, bm)
    if half == 0:
        assert result.p_value == (1.0 if d == bm else None)
    elif min(abs(bm - d + half), abs(bm - d - half)) > 1e-7:
        assert (result.p_value < 0.05) == (bm < d - half or bm > d + half)


def test_no_spread_and_no_data():
    assert mean_against(3, 24, 192, 8).p_value == 1.0  # 8, 8, 8 against 8
    assert mean_against(3, 24, 192, 7.5).p_value is None
    assert mean_against(1, 8, 64, 7).p_value is None
    assert mean_against(0, 0, 0, 7).estimate is None
    assert proportion_against(5, 5, 100).p_value == 1.0
    assert proportion_against(4, 5, 100).p_value is None
    assert net_score_against(0, 0, 10, 0).p_value == 1.0


def test_against_benchmark_picks_the_test_by_figure_type():
    assert against_benchmark("aspect", 3, 7, s1=21, s2=149) == mean_against(3, 21, 149, 7)
    assert against_benchmark("ces", 10, 20, k_laag=5, k_hoog=2) == net_score_against(5, 2, 10, 20)
    assert against_benchmark("stelling", 10, 60, k_laag=7) == proportion_against(7, 10, 60)
    assert against_benchmark("ces", 10, 20).p_value is None
    with pytest.raises(ValueError):
        against_benchmark("respons", 10, 7, s1=70, s2=500)
