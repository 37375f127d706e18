"""The difference between two independent figures, its interval and its two-sided p-value.

Two figures are independent when no response counts in both: one municipality's cell in
two periods that do not overlap (2020 against 2019, 2020-Q2 against 2020-Q1), or two
municipalities in one period. A year against one of its own quarters is not independent and
must not be compared here. The difference is always b - a (after minus before).

Three kinds, as the figures are defined (docs/metrics.md):

- grade means (totaaloordeel, aspects, Hostmanship, product totaaloordeel): Welch's t
  (Welch 1947), which does not assume equal variances on both sides. The input is the sums
  ``int_cell_figures`` builds per cell: n, the sum of the grades s1 and the sum of their
  squares s2 (HUGEINT, exact, and a year's sums are its quarters' sums). The model keeps
  them in its CTE ``answer_sums`` and publishes only ``teller`` (= s1) and ``noemer``
  (= n), so wiring this into dbt means carrying s2 (or ``sd``) through to the output.
  ``welch_from_sums`` computes mean and variance from them in exact rational arithmetic;
  ``welch`` takes n, mean and variance where only those are at hand;
- percentages (statements, In één keer geholpen): two proportions from counts k of n. The
  p-value is the pooled z-test: under the null hypothesis both sides share one proportion,
  and the pooled estimate is that proportion's best estimate, so the test's standard error
  is the one the null hypothesis implies (statsmodels' ``proportions_ztest`` does the same).
  The interval is the unpooled Wald interval: it describes a difference that need not be
  zero, so each side keeps its own variance. The two can disagree at the margin (an
  interval that just excludes 0 with p just above 0.05); the p-value decides significance;
- CES, a net score 100 * (p+ - p-) with p+ the share answering little or no effort
  (``k_laag``) and p- much effort (``k_hoog``) of the n valid answers: as the mean of a
  score +1 / 0 / -1 per response its variance is (p+ + p- - (p+ - p-)^2) / n (the
  multinomial variance of p+ - p-, the same the marts' CES interval uses), and the
  difference of two is tested with the normal approximation. ``int_cell_figures`` publishes
  ``teller`` = 100 * (k_laag - k_hoog); k_laag and k_hoog themselves must be carried
  through as well (the variance needs their sum).

Degenerate cases give a defined result, never an exception or a NaN:

- a side without data (n = 0; n < 2 for a grade mean, which needs a variance): only the
  difference where both values exist, everything else None;
- no spread on either side (every grade equal on both sides; every answer in one category
  on both sides; for the interval of two proportions: each side at 0% or 100%): no interval
  (None), because a standard error of 0 would claim certainty the data cannot give. The
  p-value is 1 when the difference is 0 (the data show no change) and None otherwise (the
  test statistic is infinite: the normal theory says nothing useful, and a p-value of 0
  would be a false precision). A None p-value passes through the q-values untouched.

Quantiles and tail probabilities come from scipy.special, the functions scipy.stats' t and
normal distributions call (``stdtr``, ``stdtrit``, ``ndtr``, ``ndtri``): the same values
without scipy.stats' per-call overhead (about 0.1 ms, the most of a test's cost; the marts
call these once per comparison, hundreds of thousands in a national history), and without
its import (about 2 s, paid by every dbt command that loads the UDFs).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from numbers import Real

import pandas as pd
from scipy.special import ndtr, ndtri, stdtr, stdtrit

PERCENT = 100  # the marts' unit for percentages and CES

MEANS = ("totaaloordeel", "aspect", "product")
NET_SCORE = "ces"
PROPORTION = "stelling"


@dataclass(frozen=True)
class Change:
    """The difference b - a with its standard error, interval and test.

    ``se`` is the standard error of the interval; ``statistic`` is the test's t or z (for
    two proportions on the pooled standard error, so ``statistic`` is not ``estimate / se``
    there); ``df`` Welch's degrees of freedom (None for the z-tests).
    """

    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    statistic: float | None = None
    df: float | None = None


NOTHING = Change()


def _t_sf(x: float, df: float) -> float:
    """Student's t upper tail, as scipy.stats.t.sf computes it."""
    return float(stdtr(df, -x))


def welch(
    n_a: int,
    mean_a: float,
    var_a: float,
    n_b: int,
    mean_b: float,
    var_b: float,
    level: float = 0.95,
) -> Change:
    """Welch's t for mean_b - mean_a, each with its sample variance (ddof = 1)."""
    _check_counts(n_a, n_b)
    if var_a < 0 or var_b < 0:
        raise ValueError(f"a variance below 0: {var_a}, {var_b}")
    if n_a < 1 or n_b < 1:
        return NOTHING
    estimate = mean_b - mean_a
    if n_a < 2 or n_b < 2:
        return Change(estimate=float(estimate))
    return _welch(n_a, Fraction(var_a), n_b, Fraction(var_b), estimate, level)


def welch_from_sums(
    n_a: int,
    s1_a: Real,
    s2_a: Real,
    n_b: int,
    s1_b: Real,
    s2_b: Real,
    scale: int = 1,
    level: float = 0.95,
) -> Change:
    """Welch's t from each side's n, sum of grades s1 and sum of squared grades s2.

    Exact: mean s1 / n and variance (n s2 - s1^2) / (n (n - 1)) as fractions, so equal
    means give a difference of exactly 0. ``scale`` divides the values: Hostmanship's sums
    are in sixtieths (``hostmanship_60``), scale 60.
    """
    _check_counts(n_a, n_b)
    if n_a < 1 or n_b < 1:
        return NOTHING
    s1_a, s2_a, s1_b, s2_b = (Fraction(x) for x in (s1_a, s2_a, s1_b, s2_b))
    estimate = (s1_b / n_b - s1_a / n_a) / scale
    if n_a < 2 or n_b < 2:
        return Change(estimate=float(estimate))
    var_a = (n_a * s2_a - s1_a * s1_a) / (n_a * (n_a - 1)) / scale**2
    var_b = (n_b * s2_b - s1_b * s1_b) / (n_b * (n_b - 1)) / scale**2
    if var_a < 0 or var_b < 0:
        raise ValueError("s2 < s1^2 / n: these are not the sums of one set of values")
    return _welch(n_a, var_a, n_b, var_b, estimate, level)


def _welch(n_a: int, var_a: Fraction, n_b: int, var_b: Fraction, estimate, level) -> Change:
    u_a, u_b = var_a / n_a, var_b / n_b
    se2 = u_a + u_b
    if se2 == 0:
        return _no_spread(estimate)
    # Welch-Satterthwaite; a side with variance 0 contributes nothing (df = the other's n - 1)
    df = float(se2 * se2 / (u_a * u_a / (n_a - 1) + u_b * u_b / (n_b - 1)))
    se = math.sqrt(se2)
    estimate = float(estimate)
    t = estimate / se
    half = float(stdtrit(df, 0.5 + level / 2)) * se
    return Change(
        estimate=estimate,
        se=se,
        ci_low=estimate - half,
        ci_high=estimate + half,
        p_value=float(min(1.0, 2 * _t_sf(abs(t), df))),
        statistic=t,
        df=df,
    )


def two_proportions(k_a: int, n_a: int, k_b: int, n_b: int, level: float = 0.95) -> Change:
    """k_b / n_b - k_a / n_a in percentage points: pooled z-test, unpooled Wald interval."""
    _check_counts(n_a, n_b)
    for k, n in ((k_a, n_a), (k_b, n_b)):
        if not 0 <= k <= n:
            raise ValueError(f"{k} of {n}")
    if n_a < 1 or n_b < 1:
        return NOTHING
    p_a, p_b = Fraction(k_a, n_a), Fraction(k_b, n_b)
    estimate = p_b - p_a
    pooled = Fraction(k_a + k_b, n_a + n_b)
    null_var = pooled * (1 - pooled) * (Fraction(1, n_a) + Fraction(1, n_b))
    wald_var = p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b
    if null_var == 0:  # both sides all 0% or all 100%: the same, and nothing varies
        return _no_spread(estimate * PERCENT)
    z = float(estimate) / math.sqrt(null_var)
    p_value = float(min(1.0, 2 * ndtr(-abs(z))))
    estimate_pp = float(estimate * PERCENT)
    if wald_var == 0:  # 0% on one side, 100% on the other: a test, but no Wald interval
        return Change(estimate=estimate_pp, p_value=p_value, statistic=z)
    se = math.sqrt(wald_var) * PERCENT
    half = float(ndtri(0.5 + level / 2)) * se
    return Change(
        estimate=estimate_pp,
        se=se,
        ci_low=estimate_pp - half,
        ci_high=estimate_pp + half,
        p_value=p_value,
        statistic=z,
    )


def net_score_variance(plus: int, minus: int, n: int) -> Fraction:
    """Variance of the net score (plus - minus) / n as a proportion (not x 100)."""
    p_plus, p_minus = Fraction(plus, n), Fraction(minus, n)
    return (p_plus + p_minus - (p_plus - p_minus) ** 2) / n


def two_net_scores(
    plus_a: int,
    minus_a: int,
    n_a: int,
    plus_b: int,
    minus_b: int,
    n_b: int,
    level: float = 0.95,
) -> Change:
    """Difference of two net scores (CES) in points, normal approximation."""
    _check_counts(n_a, n_b)
    for plus, minus, n in ((plus_a, minus_a, n_a), (plus_b, minus_b, n_b)):
        if plus < 0 or minus < 0 or plus + minus > n:
            raise ValueError(f"{plus} + {minus} of {n}")
    if n_a < 1 or n_b < 1:
        return NOTHING
    estimate = Fraction(plus_b - minus_b, n_b) - Fraction(plus_a - minus_a, n_a)
    var = net_score_variance(plus_a, minus_a, n_a) + net_score_variance(plus_b, minus_b, n_b)
    if var == 0:
        return _no_spread(estimate * PERCENT)
    return _normal(float(estimate * PERCENT), math.sqrt(var) * PERCENT, level)


def _normal(estimate: float, se: float, level: float) -> Change:
    z = estimate / se
    half = float(ndtri(0.5 + level / 2)) * se
    return Change(
        estimate=estimate,
        se=se,
        ci_low=estimate - half,
        ci_high=estimate + half,
        p_value=float(min(1.0, 2 * ndtr(-abs(z)))),
        statistic=z,
    )


def _no_spread(estimate) -> Change:
    return Change(estimate=float(estimate), p_value=1.0 if estimate == 0 else None)


def _check_counts(n_a: int, n_b: int) -> None:
    if n_a < 0 or n_b < 0:
        raise ValueError(f"a count below 0: {n_a}, {n_b}")


# -- DataFrames --------------------------------------------------------------------------

CHANGE_COLUMNS = tuple(Change.__dataclass_fields__)


def changes(frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """``frame`` with the columns of ``Change`` added, one comparison per row.

    Each row is one figure of one cell in two periods (or of two cells): ``figuur_type``
    (totaaloordeel, aspect, product: a mean; ces; stelling) and, for side a (before) and
    side b (after), the sums ``int_cell_figures`` builds:

    - means: ``n_a``, ``s1_a``, ``s2_a`` and ``n_b``, ``s1_b``, ``s2_b``; optional
      ``schaal`` (60 for Hostmanship's sums in sixtieths, else 1);
    - ces: ``n``, ``k_laag``, ``k_hoog`` per side;
    - stelling: ``n``, ``k_laag`` per side.

    A row with a missing count (NULL: the figure did not exist in one period) gets None
    everywhere. Columns of other kinds may be missing or NULL.
    """
    rows = [change_of_row(row, level) for row in frame.to_dict("records")]
    added = pd.DataFrame([asdict(c) for c in rows], columns=CHANGE_COLUMNS, index=frame.index)
    return pd.concat([frame, added.astype(object).where(added.notna(), None)], axis=1)


def change_of_row(row: dict, level: float = 0.95) -> Change:
    """One row of ``changes`` (a mapping with the same keys): the dbt UDF ``kto_change``."""
    kind = row["figuur_type"]
    if kind in MEANS:
        keys = ("n_a", "s1_a", "s2_a", "n_b", "s1_b", "s2_b")
    elif kind == NET_SCORE:
        keys = ("k_laag_a", "k_hoog_a", "n_a", "k_laag_b", "k_hoog_b", "n_b")
    elif kind == PROPORTION:
        keys = ("k_laag_a", "n_a", "k_laag_b", "n_b")
    else:
        raise ValueError(f"no comparison for figuur_type {kind!r}")
    values = [row.get(key) for key in keys]
    if any(_missing(v) for v in values):
        return NOTHING
    if kind in MEANS:
        n_a, s1_a, s2_a, n_b, s1_b, s2_b = values
        scale = row.get("schaal")
        scale = 1 if _missing(scale) else int(scale)
        return welch_from_sums(int(n_a), s1_a, s2_a, int(n_b), s1_b, s2_b, scale, level)
    counts = [int(v) for v in values]
    if kind == NET_SCORE:
        return two_net_scores(*counts, level=level)
    return two_proportions(*counts, level=level)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# -- One figure against its benchmark ------------------------------------------------------
#
# The marts mark a figure significant when its 95% interval excludes the exact BM. The
# p-values below are the tests those intervals invert, so p < 0.05 exactly when the interval
# excludes the BM: the one-sample t-test for a mean (the t-interval), the z-test on the
# interval's own standard error for CES, and the score test for a percentage (the Wilson
# interval is the set of proportions the score test does not reject). The BM is taken as
# given, as the interval comparison takes it. The same degenerate rules as above: no spread
# gives p = 1 for a value equal to the BM and None otherwise.


def mean_against(n: int, s1: Real, s2: Real, bm: float, scale: int = 1) -> Change:
    """One-sample t-test of the mean s1 / (n scale) against ``bm``; estimate = mean - bm."""
    if n < 1:
        return NOTHING
    s1, s2 = Fraction(s1), Fraction(s2)
    estimate = s1 / n / scale - Fraction(bm)
    if n < 2:
        return Change(estimate=float(estimate))
    var = (n * s2 - s1 * s1) / (n * (n - 1)) / scale**2
    if var < 0:
        raise ValueError("s2 < s1^2 / n: these are not the sums of one set of values")
    if var == 0:
        return _no_spread(estimate)
    se = math.sqrt(var / n)
    t = float(estimate) / se
    return Change(
        estimate=float(estimate),
        se=se,
        p_value=float(min(1.0, 2 * _t_sf(abs(t), n - 1))),
        statistic=t,
        df=float(n - 1),
    )


def net_score_against(plus: int, minus: int, n: int, bm: float) -> Change:
    """z-test of the net score 100 (plus - minus) / n against ``bm`` (in points)."""
    if plus < 0 or minus < 0 or plus + minus > n:
        raise ValueError(f"{plus} + {minus} of {n}")
    if n < 1:
        return NOTHING
    estimate = Fraction(plus - minus, n) * PERCENT - Fraction(bm)
    var = net_score_variance(plus, minus, n)
    if var == 0:
        return _no_spread(estimate)
    se = math.sqrt(var) * PERCENT
    z = float(estimate) / se
    return Change(
        estimate=float(estimate),
        se=se,
        p_value=float(min(1.0, 2 * ndtr(-abs(z)))),
        statistic=z,
    )


def proportion_against(k: int, n: int, bm: float) -> Change:
    """Score test of k / n against ``bm`` percent (the null hypothesis' standard error)."""
    if not 0 <= k <= n:
        raise ValueError(f"{k} of {n}")
    if n < 1:
        return NOTHING
    p0 = Fraction(bm) / PERCENT
    if not 0 <= p0 <= 1:
        raise ValueError(f"a benchmark of {bm}%")
    estimate = Fraction(k, n) - p0
    null_var = p0 * (1 - p0) / n
    if null_var == 0:
        return _no_spread(estimate * PERCENT)
    z = float(estimate) / math.sqrt(null_var)
    return Change(
        estimate=float(estimate * PERCENT),
        se=math.sqrt(null_var) * PERCENT,
        p_value=float(min(1.0, 2 * ndtr(-abs(z)))),
        statistic=z,
    )


def against_benchmark(
    kind: str,
    n: int,
    bm: float,
    s1: Real | None = None,
    s2: Real | None = None,
    k_laag: int | None = None,
    k_hoog: int | None = None,
    scale: int = 1,
) -> Change:
    """The test of one figure of ``int_cell_figures`` against its BM, by its figuur_type."""
    if kind in MEANS:
        if s1 is None or s2 is None:
            return NOTHING
        return mean_against(n, s1, s2, bm, scale)
    if kind == NET_SCORE:
        if k_laag is None or k_hoog is None:
            return NOTHING
        return net_score_against(k_laag, k_hoog, n, bm)
    if kind == PROPORTION:
        if k_laag is None:
            return NOTHING
        return proportion_against(k_laag, n, bm)
    raise ValueError(f"no test for figuur_type {kind!r}")
