"""dagster_project/analysis/funnel.py against direct formulas: the normal quantiles of the
standard library, and the binomial distribution in exact rational arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.analysis.funnel import (
    flag_units,
    mean_limits,
    proportion_limits,
    suffix,
    z_value,
)

REL = 1e-9
N = np.arange(1, 301)


def test_the_exact_normal_quantiles_of_both_levels():
    assert z_value(0.95) == pytest.approx(NormalDist().inv_cdf(0.975), rel=1e-12)
    assert z_value(0.998) == pytest.approx(NormalDist().inv_cdf(0.999), rel=1e-12)
    assert z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-12)
    assert z_value(0.998) == pytest.approx(3.090232306167813, rel=1e-12)
    assert (suffix(0.95), suffix(0.998)) == ("95", "99_8")


@pytest.mark.parametrize(("target", "sd"), [(7.6, 1.4), (8.2, 0.9), (-12.0, 70.0)])
def test_mean_limits_are_target_plus_minus_z_sd_over_root_n(target, sd):
    limits = mean_limits(target, sd, N)
    for level, z in ((0.95, NormalDist().inv_cdf(0.975)), (0.998, NormalDist().inv_cdf(0.999))):
        half = np.array([z * sd / math.sqrt(n) for n in N])
        np.testing.assert_allclose(limits[f"lower_{suffix(level)}"], target - half, rtol=REL)
        np.testing.assert_allclose(limits[f"upper_{suffix(level)}"], target + half, rtol=REL)


def test_normal_proportion_limits_are_the_textbook_formula_clipped():
    limits = proportion_limits(88.0, N, method="normal")
    z = NormalDist().inv_cdf(0.975)
    half = np.array([z * math.sqrt(0.88 * 0.12 / n) for n in N])
    np.testing.assert_allclose(limits["lower_95"], 100 * np.maximum(0, 0.88 - half), rtol=REL)
    np.testing.assert_allclose(limits["upper_95"], 100 * np.minimum(1, 0.88 + half), rtol=REL)


def _cdf(k: int, n: int, theta: Fraction) -> Fraction:
    return sum((math.comb(n, i) * theta**i * (1 - theta) ** (n - i) for i in range(k + 1)),
               Fraction(0))  # fmt: skip


def _spiegelhalter_limit(p: float, n: int, theta: Fraction) -> float:
    # Spiegelhalter (2005), Appendix A.1.1, written out from the paper
    p = Fraction(p)
    r = next(r for r in range(n + 1) if _cdf(r, n, theta) >= p)
    at_r, below_r = _cdf(r, n, theta), _cdf(r - 1, n, theta) if r > 0 else Fraction(0)
    alpha = (at_r - p) / (at_r - below_r)
    return float(100 * min(1, max(0, (r - alpha) / n)))


def _band(limit: float, target: float, side: str) -> float:
    # clipped to the target as well (module docstring)
    return min(limit, target) if side == "lower" else max(limit, target)


@pytest.mark.parametrize("target", [50.0, 73.5, 91.0, 97.0, 1.0, 0.0, 100.0])
def test_binomial_limits_equal_the_exact_computation(target):
    ns = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    limits = proportion_limits(target, ns)
    theta = Fraction(target) / 100
    for level in (0.95, 0.998):
        tail = (1 - level) / 2
        lower = [_band(_spiegelhalter_limit(tail, n, theta), target, "lower") for n in ns]
        upper = [_band(_spiegelhalter_limit(1 - tail, n, theta), target, "upper") for n in ns]
        np.testing.assert_allclose(limits[f"lower_{suffix(level)}"], lower, rtol=REL, atol=1e-9)
        np.testing.assert_allclose(limits[f"upper_{suffix(level)}"], upper, rtol=REL, atol=1e-9)


def test_binomial_limits_approach_the_normal_ones_at_large_n():
    binomial = proportion_limits(85.0, [20_000])
    normal = proportion_limits(85.0, [20_000], method="normal")
    for column in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        assert binomial[column][0] == pytest.approx(normal[column][0], abs=0.02)


@pytest.mark.parametrize(("target", "n"), [(95.0, 5), (90.0, 12), (80.0, 40), (60.0, 17)])
def test_on_target_units_are_flagged_at_most_at_the_tail_rate(target, n):
    # Every count k of n, weighted by its probability for a unit exactly on target.
    theta = Fraction(target) / 100
    frame = pd.DataFrame({"waarde_exact": [100 * k / n for k in range(n + 1)], "n": n})
    flags = flag_units(frame, target, kind="proportion")
    for level in (0.95, 0.998):
        tail = Fraction((1 - level) / 2)
        column = flags[f"funnel_{suffix(level)}"]
        for side in ("hoger", "lager"):
            k_flagged = [k for k in range(n + 1) if column[k] == side]
            weight = sum(math.comb(n, k) * theta**k * (1 - theta) ** (n - k) for k in k_flagged)
            assert weight < tail
    # 5 of 5 at a target of 95% lies above the drawn line but is no outlier (docstring)
    if (target, n) == (95.0, 5):
        assert flags["upper_95"][5] < 100 and flags["funnel_95"][5] == "binnen"


def test_flag_units_on_means():
    target, sd = 7.5, 1.5
    frame = pd.DataFrame(
        {"waarde_exact": [7.5, 8.6, 5.9, 7.9, None, 9.9], "n": [10, 10, 10, 400, 50, 0]}
    )
    out = flag_units(frame, target, sd=sd)
    for level, z in ((0.95, NormalDist().inv_cdf(0.975)), (0.998, NormalDist().inv_cdf(0.999))):
        expected = []
        for value, n in zip(frame["waarde_exact"], frame["n"], strict=True):
            if pd.isna(value) or n == 0:
                expected.append(None)
            elif abs(value - target) <= z * sd / math.sqrt(n):
                expected.append("binnen")
            else:
                expected.append("hoger" if value > target else "lager")
        got = out[f"funnel_{suffix(level)}"]
        assert [None if pd.isna(flag) else flag for flag in got] == expected
    assert out["funnel_95"].tolist()[:4] == ["binnen", "hoger", "lager", "hoger"]
    assert out["funnel_99_8"].tolist()[:4] == ["binnen", "binnen", "lager", "hoger"]


def test_flag_units_on_proportions_by_the_exact_tails():
    frame = pd.DataFrame({"waarde_exact": [100.0, 60.0, 40.0, 99.5], "n": [5, 10, 10, 200]})
    out = flag_units(frame, 90.0, kind="proportion")
    theta = Fraction(9, 10)
    for row, flag in zip(frame.itertuples(), out["funnel_95"], strict=True):
        k = round(row.waarde_exact * row.n / 100)
        at_most = _cdf(k, row.n, theta)
        at_least = 1 - _cdf(k - 1, row.n, theta) if k > 0 else Fraction(1)
        want = "hoger" if at_least < 0.025 else "lager" if at_most < 0.025 else "binnen"
        assert flag == want
    assert out["funnel_95"].tolist() == ["binnen", "lager", "lager", "hoger"]


def test_impossible_inputs_are_refused():
    with pytest.raises(ValueError):
        mean_limits(7.0, -1.0, [10])
    with pytest.raises(ValueError):
        proportion_limits(101.0, [10])
    with pytest.raises(ValueError):
        proportion_limits(50.0, [2.5])
    with pytest.raises(ValueError):
        flag_units(pd.DataFrame({"waarde_exact": [7.0], "n": [3]}), 7.0)  # no sd


# -- properties --------------------------------------------------------------------------

counts = st.integers(1, 5000)


@settings(max_examples=300)
@given(st.floats(1, 10), st.floats(0, 5), counts, counts)
def test_mean_limits_widen_as_n_shrinks(target, sd, n1, n2):
    small, large = sorted((n1, n2))
    limits = mean_limits(target, sd, [small, large])
    for level in ("95", "99_8"):
        assert limits[f"lower_{level}"][0] <= limits[f"lower_{level}"][1] <= target
        assert limits[f"upper_{level}"][0] >= limits[f"upper_{level}"][1] >= target


@settings(max_examples=300)
@given(st.floats(0, 100), counts, counts)
def test_normal_proportion_limits_widen_as_n_shrinks(target, n1, n2):
    small, large = sorted((n1, n2))
    limits = proportion_limits(target, [small, large], method="normal")
    for level in ("95", "99_8"):
        assert limits[f"lower_{level}"][0] <= limits[f"lower_{level}"][1] <= target + 1e-9
        assert limits[f"upper_{level}"][0] >= limits[f"upper_{level}"][1] >= target - 1e-9


@settings(max_examples=300)
@given(st.floats(0, 100), st.lists(st.integers(1, 2000), min_size=1, max_size=20))
def test_binomial_limits_are_nested_and_hold_the_target(target, ns):
    # Not monotone in n (module docstring), but the 99.8% band holds the 95% band, and both
    # hold the target (a unit exactly on target is never outside).
    limits = proportion_limits(target, ns)
    assert (limits["lower_99_8"] <= limits["lower_95"]).all()
    assert (limits["lower_95"] <= target + 1e-9).all()
    assert (limits["upper_95"] >= target - 1e-9).all()
    assert (limits["upper_95"] <= limits["upper_99_8"]).all()
    assert ((limits.iloc[:, 1:] >= 0) & (limits.iloc[:, 1:] <= 100)).all().all()
