"""dagster_project/analysis/change.py against independent computations on generated data:
scipy's and statsmodels' Welch tests, statsmodels' two-proportion test and Wald interval,
and the net score's variance computed directly from per-response scores."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans

from dagster_project.analysis.change import (
    Change,
    changes,
    two_net_scores,
    two_proportions,
    welch,
    welch_from_sums,
)

REL = 1e-9
SEEDS = range(40)


def _grades(rng, n, centre):
    return np.clip(np.rint(rng.normal(centre, rng.uniform(0.5, 2.5), n)), 1, 10).astype(int)


def _sums(x):
    return len(x), int(x.sum()), int((x * x).sum())


# scipy warns of its own precision when one side has no spread (its moments, not ours)
@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
@pytest.mark.parametrize("seed", SEEDS)
def test_welch_equals_scipy_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    a = _grades(rng, rng.integers(2, 300), rng.uniform(6, 8.5))
    b = _grades(rng, rng.integers(2, 300), rng.uniform(6, 8.5))
    if a.var() == 0 and b.var() == 0:
        pytest.skip("no spread: covered by the degenerate tests")
    oracle = stats.ttest_ind(b, a, equal_var=False)
    interval = oracle.confidence_interval(0.95)
    sm_low, sm_high = CompareMeans.from_data(b, a).tconfint_diff(usevar="unequal")
    for result in (
        welch_from_sums(*_sums(a), *_sums(b)),
        welch(len(a), a.mean(), a.var(ddof=1), len(b), b.mean(), b.var(ddof=1)),
    ):
        assert result.estimate == pytest.approx(b.mean() - a.mean(), rel=REL, abs=1e-12)
        assert result.statistic == pytest.approx(oracle.statistic, rel=REL, abs=1e-12)
        assert result.p_value == pytest.approx(oracle.pvalue, rel=REL)
        assert result.df == pytest.approx(oracle.df, rel=REL)
        assert result.ci_low == pytest.approx(interval.low, rel=REL)
        assert result.ci_high == pytest.approx(interval.high, rel=REL)
        assert result.ci_low == pytest.approx(sm_low, rel=REL)
        assert result.ci_high == pytest.approx(sm_high, rel=REL)


def test_welch_at_another_level_equals_scipy():
    rng = np.random.default_rng(7)
    a, b = _grades(rng, 40, 7), _grades(rng, 25, 7.6)
    interval = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.99)
    result = welch_from_sums(*_sums(a), *_sums(b), level=0.99)
    assert (result.ci_low, result.ci_high) == pytest.approx(interval, rel=REL)


def test_hostmanship_sums_in_sixtieths_give_the_test_of_the_means():
    # per-response means of 3..6 items, stored as mean x 60 (a whole number)
    rng = np.random.default_rng(3)
    a60 = rng.integers(60, 601, 50)
    b60 = rng.integers(120, 601, 70)
    oracle = stats.ttest_ind(b60 / 60, a60 / 60, equal_var=False)
    result = welch_from_sums(*_sums(a60), *_sums(b60), scale=60)
    assert result.estimate == pytest.approx(b60.mean() / 60 - a60.mean() / 60, rel=REL)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=REL)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        oracle.confidence_interval(0.95), rel=REL
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_two_proportions_equal_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n_a, n_b = rng.integers(1, 400, 2)
    k_a, k_b = rng.binomial(n_a, rng.uniform(0.5, 0.95)), rng.binomial(n_b, rng.uniform(0.5, 1))
    result = two_proportions(int(k_a), int(n_a), int(k_b), int(n_b))
    if k_a + k_b in (0, n_a + n_b):
        assert result == Change(estimate=0.0, p_value=1.0)
        return
    z, p = proportions_ztest([k_b, k_a], [n_b, n_a])  # pooled under the null hypothesis
    assert result.estimate == pytest.approx(100 * (k_b / n_b - k_a / n_a), rel=REL, abs=1e-12)
    assert result.statistic == pytest.approx(z, rel=REL)
    assert result.p_value == pytest.approx(p, rel=REL)
    if k_a in (0, n_a) and k_b in (0, n_b):
        assert result.ci_low is None and result.ci_high is None
        return
    low, high = confint_proportions_2indep(k_b, n_b, k_a, n_a, method="wald", compare="diff")
    assert result.ci_low == pytest.approx(100 * low, rel=REL)
    assert result.ci_high == pytest.approx(100 * high, rel=REL)


def _net_scores(rng, n, weights):
    return rng.choice([1, 0, -1], size=n, p=weights)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_net_scores_equal_the_variance_of_per_response_scores(seed):
    # A net score is the mean of +1 / 0 / -1 per response; its variance is that of the
    # scores (ddof = 0) over n: computed here from the scores, not from the formula.
    rng = np.random.default_rng(seed)
    a = _net_scores(rng, rng.integers(1, 300), rng.dirichlet([6, 2, 1]))
    b = _net_scores(rng, rng.integers(1, 300), rng.dirichlet([6, 2, 1]))
    se = math.sqrt(a.var() / len(a) + b.var() / len(b))
    result = two_net_scores(
        int((a == 1).sum()),
        int((a == -1).sum()),
        len(a),
        int((b == 1).sum()),
        int((b == -1).sum()),
        len(b),
    )
    diff = b.mean() - a.mean()
    assert result.estimate == pytest.approx(100 * diff, rel=REL, abs=1e-12)
    if se == 0:
        assert result.ci_low is None and result.p_value == (1.0 if diff == 0 else None)
        return
    z = NormalDist().inv_cdf(0.975)
    assert result.se == pytest.approx(100 * se, rel=REL)
    assert result.statistic == pytest.approx(diff / se, rel=REL, abs=1e-12)
    assert result.p_value == pytest.approx(2 * NormalDist().cdf(-abs(diff / se)), rel=1e-7)
    assert result.ci_low == pytest.approx(100 * (diff - z * se), rel=REL, abs=1e-12)
    assert result.ci_high == pytest.approx(100 * (diff + z * se), rel=REL, abs=1e-12)


# -- degenerate cases --------------------------------------------------------------------


def test_a_side_without_data_gives_nothing():
    assert welch_from_sums(0, 0, 0, 10, 80, 700) == Change()
    assert two_proportions(0, 0, 3, 10) == Change()
    assert two_net_scores(0, 0, 0, 3, 2, 10) == Change()


def test_a_mean_of_one_answer_gives_the_difference_only():
    assert welch_from_sums(1, 7, 49, 10, 80, 700) == Change(estimate=1.0)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
def test_no_spread_on_either_side():
    # every grade 8 on both sides: nothing changed, p = 1, no interval
    assert welch_from_sums(5, 40, 320, 7, 56, 448) == Change(estimate=0.0, p_value=1.0)
    # every grade 8 before, every grade 9 after: a difference but no test
    assert welch_from_sums(5, 40, 320, 7, 63, 567) == Change(estimate=1.0)
    # one side without spread is an ordinary Welch test with df = the other's n - 1
    rng = np.random.default_rng(0)
    b = _grades(rng, 12, 7)
    result = welch_from_sums(5, 40, 320, *_sums(b))
    oracle = stats.ttest_ind(b, np.full(5, 8), equal_var=False)
    assert result.df == pytest.approx(11, rel=REL)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=REL)


def test_proportions_at_0_or_100_percent():
    assert two_proportions(10, 10, 20, 20) == Change(estimate=0.0, p_value=1.0)
    assert two_proportions(0, 10, 0, 20) == Change(estimate=0.0, p_value=1.0)
    opposite = two_proportions(0, 10, 20, 20)
    assert opposite.estimate == 100.0 and opposite.ci_low is None
    assert opposite.p_value == pytest.approx(proportions_ztest([20, 0], [20, 10])[1], rel=REL)


def test_net_scores_without_spread():
    assert two_net_scores(10, 0, 10, 20, 0, 20) == Change(estimate=0.0, p_value=1.0)
    assert two_net_scores(0, 0, 10, 0, 0, 20) == Change(estimate=0.0, p_value=1.0)
    assert two_net_scores(10, 0, 10, 0, 20, 20) == Change(estimate=-200.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: welch_from_sums(-1, 0, 0, 5, 40, 320),
        lambda: welch_from_sums(3, 10, 30, 5, 40, 320),  # s2 < s1^2 / n
        lambda: welch(3, 7.0, -0.1, 5, 8.0, 1.0),
        lambda: two_proportions(11, 10, 3, 10),
        lambda: two_net_scores(6, 5, 10, 3, 3, 10),
    ],
)
def test_impossible_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()


# -- properties --------------------------------------------------------------------------

grade_lists = st.lists(st.integers(1, 10), min_size=2, max_size=60)


@settings(max_examples=300)
@given(grade_lists)
def test_identical_grades_on_both_sides_are_no_change(grades):
    x = np.array(grades)
    result = welch_from_sums(*_sums(x), *_sums(x))
    assert result.estimate == 0 and result.p_value == 1.0


@settings(max_examples=300)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_identical_proportions_are_no_change(counts):
    k, n = counts
    result = two_proportions(k, n, k, n)
    assert result.estimate == 0 and result.p_value == 1.0


@settings(max_examples=300)
@given(st.integers(1, 500), st.data())
def test_identical_net_scores_are_no_change(n, data):
    plus = data.draw(st.integers(0, n))
    minus = data.draw(st.integers(0, n - plus))
    result = two_net_scores(plus, minus, n, plus, minus, n)
    assert result.estimate == 0 and result.p_value == 1.0


@settings(max_examples=300)
@given(grade_lists, grade_lists, st.sampled_from([0.8, 0.95, 0.99]))
def test_the_welch_interval_holds_the_difference(a, b, level):
    result = welch_from_sums(*_sums(np.array(a)), *_sums(np.array(b)), level=level)
    if result.ci_low is not None:
        assert result.ci_low <= result.estimate <= result.ci_high
        # the interval excludes 0 exactly when the test rejects at 1 - level
        if not math.isclose(result.p_value, 1 - level, rel_tol=1e-6):
            assert (result.ci_low > 0 or result.ci_high < 0) == (result.p_value < 1 - level)


@settings(max_examples=300)
@given(st.integers(1, 300), st.integers(1, 300), st.data())
def test_the_proportion_and_net_score_intervals_hold_the_difference(n_a, n_b, data):
    k_a, k_b = data.draw(st.integers(0, n_a)), data.draw(st.integers(0, n_b))
    m_a, m_b = data.draw(st.integers(0, n_a - k_a)), data.draw(st.integers(0, n_b - k_b))
    for result in (
        two_proportions(k_a, n_a, k_b, n_b),
        two_net_scores(k_a, m_a, n_a, k_b, m_b, n_b),
    ):
        assert 0 <= result.p_value <= 1 if result.p_value is not None else True
        if result.ci_low is not None:
            assert result.ci_low <= result.estimate <= result.ci_high


# -- DataFrame -----------------------------------------------------------------------------


def test_changes_on_a_frame_equal_the_functions_row_by_row():
    frame = pd.DataFrame(
        [
            dict(figuur_type="totaaloordeel", n_a=40, s1_a=300, s2_a=2330, n_b=35, s1_b=280,
                 s2_b=2300),
            dict(figuur_type="aspect", n_a=40, s1_a=24000, s2_a=15_000_000, n_b=30,
                 s1_b=19000, s2_b=12_400_000, schaal=60),
            dict(figuur_type="ces", n_a=50, k_laag_a=30, k_hoog_a=8, n_b=60, k_laag_b=45,
                 k_hoog_b=5),
            dict(figuur_type="stelling", n_a=50, k_laag_a=40, n_b=60, k_laag_b=55),
            dict(figuur_type="stelling", n_a=None, k_laag_a=None, n_b=60, k_laag_b=55),
        ]
    )  # fmt: skip
    out = changes(frame)
    assert list(out.columns[: len(frame.columns)]) == list(frame.columns)
    expected = [
        welch_from_sums(40, 300, 2330, 35, 280, 2300),
        welch_from_sums(40, 24000, 15_000_000, 30, 19000, 12_400_000, scale=60),
        two_net_scores(30, 8, 50, 45, 5, 60),
        two_proportions(40, 50, 55, 60),
        Change(),
    ]
    for (_, row), want in zip(out.iterrows(), expected, strict=True):
        got = Change(**{k: row[k] for k in Change.__dataclass_fields__})
        assert got == want
    assert out.loc[4, "p_value"] is None
