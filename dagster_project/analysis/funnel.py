"""Funnel-plot control limits (Spiegelhalter 2005) and the units outside them.

A funnel plot sets each municipality's figure against its n, with limits around the target
(the BM) that narrow as n grows: a small municipality needs a larger distance from the BM
to be more than chance. The limits are those of a unit that is on target, so a unit
outside the 95% limits is one such a unit would be in 1 of 20 cases, outside the 99.8%
limits in 1 of 500. Two levels as in Spiegelhalter's paper ("2 and 3 standard
deviations"); this module uses the exact normal quantiles for them, z(0.975) =
1.959963984540054 and z(0.999) = 3.090232306167813, from scipy, not the rounded 1.96 / 3.09.

- A mean with a known spread (grades; CES as the mean of a score +1 / 0 / -1 per response):
  ``target +- z * sd / sqrt(n)``, with ``sd`` the spread of single responses around the
  target, taken as known: the standard deviation over all responses of the channel and
  period (for CES: 100 * sqrt(p+ + p- - (p+ - p-)^2) of the BM, ``change.net_score_variance``).
- A proportion (statements): the exact binomial limits with Spiegelhalter's interpolation
  (Appendix A.1.1): r_p the smallest count with P(R <= r_p) >= p for R ~ Bin(n, target),
  alpha = (P(R <= r_p) - p) / (P(R = r_p)), limit (r_p - alpha) / n, so the limits move
  smoothly with n. The normal approximation ``target +- z * sqrt(target (1 - target) / n)``
  fails where it matters here (agreement of 85-95% and small n: upper limits above 100%);
  it is available as ``method="normal"``. Limits are clipped to [0, 100], and to the
  target: at a target near 0% or 100% and very small n the interpolated line can pass the
  target (1% and n = 1: an upper limit of -1.5%), and a band that does not hold the target
  would mark an on-target unit as an outlier (the marts clip an interval to its value the
  same way).

  The binomial limits are for drawing. Counts are whole numbers, so they are not monotone
  in n everywhere: near 100% the upper limit at small n is 1 - alpha / n with alpha =
  tail / target^n, which rises towards 100% as n grows (97.4% at n = 1, 99.4% at n = 5 for
  a target of 95%), and elsewhere it wiggles by hundredths of a point. Nor do they classify:
  5 of 5 lies above the line at a target of 95%, though 77% of on-target units of n = 5
  answer 100%. So ``flag_units`` judges a percentage by its count k of n with the exact
  one-sided tails: ``hoger`` when P(R >= k) < (1 - level) / 2, ``lager`` when
  P(R <= k) < (1 - level) / 2. A unit so flagged always lies beyond the drawn line; one
  just beyond it need not be flagged (the line spreads a count's probability over the
  interval below it).

Percentages as in the marts: 0..100. Not modelled: overdispersion (Spiegelhalter 2005,
section 6): with 342 municipalities real differences between them put more units outside
than chance would; the limits here are those of pure sampling error.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = (0.95, 0.998)
PERCENT = 100.0

INSIDE, ABOVE, BELOW = "binnen", "hoger", "lager"


@functools.cache  # a handful of levels; scipy's call costs more than the quantile
def z_value(level: float) -> float:
    """The two-sided normal quantile of a level: 0.95 -> 1.95996..., 0.998 -> 3.09023..."""
    return float(stats.norm.ppf(0.5 + level / 2))


def suffix(level: float) -> str:
    """Column suffix of a level: 0.95 -> '95', 0.998 -> '99_8'."""
    return format(round(level * 100, 6), "g").replace(".", "_")


def mean_limits(target: float, sd: float, n, levels: Sequence[float] = LEVELS) -> pd.DataFrame:
    """Limits ``target +- z sd / sqrt(n)`` for each n: columns n, lower_95, upper_95, ..."""
    return pd.DataFrame(mean_limit_arrays(target, sd, _counts(n), levels))


def mean_limit_arrays(
    target, sd, n_values: np.ndarray, levels: Sequence[float] = LEVELS
) -> dict[str, np.ndarray]:
    """``mean_limits`` as plain arrays (whole ``n_values``), with ``target`` and ``sd``
    numbers or arrays beside ``n_values`` (one per n: many funnels in one call, since a
    DataFrame or a scipy call per funnel costs more than the numbers in it)."""
    if not np.all(np.asarray(sd) >= 0):
        raise ValueError(f"sd {sd}")
    columns = {"n": n_values}
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n_values > 0, sd / np.sqrt(n_values.astype(float)), np.nan)
    for level in levels:
        z = z_value(level)
        columns[f"lower_{suffix(level)}"] = target - z * se
        columns[f"upper_{suffix(level)}"] = target + z * se
    return columns


def proportion_limits(
    target: float, n, levels: Sequence[float] = LEVELS, method: str = "binomial"
) -> pd.DataFrame:
    """Limits for a percentage ``target`` (0..100) for each n, in percent."""
    return pd.DataFrame(proportion_limit_arrays(target, _counts(n), levels, method))


def proportion_limit_arrays(
    target, n_values: np.ndarray, levels: Sequence[float] = LEVELS, method: str = "binomial"
) -> dict[str, np.ndarray]:
    """``proportion_limits`` as plain arrays (whole ``n_values``); ``target`` a number or
    an array beside ``n_values``."""
    target = target if np.ndim(target) == 0 else np.asarray(target, dtype=float)
    if not np.all((np.asarray(target) >= 0) & (np.asarray(target) <= PERCENT)):
        raise ValueError(f"target {target} is not a percentage")
    theta = target / PERCENT
    columns = {"n": n_values}
    for level in levels:
        tail = (1 - level) / 2
        if method == "binomial":
            lower = _binomial_limit(tail, n_values, theta)
            upper = _binomial_limit(1 - tail, n_values, theta)
        elif method == "normal":
            with np.errstate(divide="ignore", invalid="ignore"):
                se = np.where(n_values > 0, np.sqrt(theta * (1 - theta) / n_values), np.nan)
            lower = theta - z_value(level) * se
            upper = theta + z_value(level) * se
        else:
            raise ValueError(f"method {method!r}: binomial or normal")
        columns[f"lower_{suffix(level)}"] = np.clip(lower, 0, theta) * PERCENT
        columns[f"upper_{suffix(level)}"] = np.clip(upper, theta, 1) * PERCENT
    return columns


def _binomial_limit(p: float, n: np.ndarray, theta) -> np.ndarray:
    limit = np.full(n.shape, np.nan)
    ok = n > 0
    n_ok = n[ok]
    theta = np.broadcast_to(theta, n.shape)[ok]
    r = stats.binom.ppf(p, n_ok, theta)
    at_r = stats.binom.cdf(r, n_ok, theta)
    below_r = stats.binom.cdf(r - 1, n_ok, theta)
    alpha = (at_r - p) / (at_r - below_r)
    limit[ok] = (r - alpha) / n_ok
    return limit


def _counts(n) -> np.ndarray:
    values = np.atleast_1d(np.asarray(n))
    if values.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(values, 1), 0)):
            raise ValueError("n must be whole numbers")
        values = values.astype(np.int64)
    if np.any(values < 0):
        raise ValueError("n below 0")
    return values


def flag_units(
    frame: pd.DataFrame,
    target: float,
    *,
    sd: float | None = None,
    kind: str = "mean",
    value: str = "waarde_exact",
    n: str = "n",
    levels: Sequence[float] = LEVELS,
    method: str = "binomial",
) -> pd.DataFrame:
    """A copy of ``frame`` (one period x channel x figure) with, per level, its limits at
    the row's n and ``funnel_<level>``: ``hoger`` above, ``lager`` below, ``binnen``
    otherwise (missing without a value or n).

    ``kind="mean"`` needs ``sd`` and compares the value with the limits; ``kind="proportion"``
    takes percentages (0..100): with ``method="binomial"`` by the exact tails of its count
    (module docstring), with ``method="normal"`` by the limits.
    """
    out = frame.copy()
    counts = pd.to_numeric(out[n]).fillna(0).to_numpy(np.int64)
    values = pd.to_numeric(out[value]).to_numpy(float)
    added = flag_arrays(values, counts, target, sd=sd, kind=kind, levels=levels, method=method)
    out = out.drop(columns=[c for c in added if c in out.columns])
    return pd.concat([out, pd.DataFrame(added, index=out.index)], axis=1)


def flag_arrays(
    values: np.ndarray,
    counts: np.ndarray,
    target,
    *,
    sd=None,
    kind: str = "mean",
    levels: Sequence[float] = LEVELS,
    method: str = "binomial",
) -> dict[str, np.ndarray]:
    """``flag_units``' added columns as plain arrays, from the values (float, NaN where
    missing) and the counts (int64, 0 where missing); ``target`` and ``sd`` numbers or
    arrays beside them (the units of many funnels in one call)."""
    if kind == "mean":
        if sd is None:
            raise ValueError("a mean's limits need the known sd")
        limits = mean_limit_arrays(target, sd, _counts(counts), levels)
    elif kind == "proportion":
        limits = proportion_limit_arrays(target, _counts(counts), levels, method)
    else:
        raise ValueError(f"kind {kind!r}: mean or proportion")
    missing = np.isnan(values) | (counts < 1)
    added = {}
    for level in levels:
        lower = limits[f"lower_{suffix(level)}"]
        upper = limits[f"upper_{suffix(level)}"]
        if kind == "proportion" and method == "binomial":
            above, below = _binomial_outside(values, counts, target / PERCENT, level)
        else:
            above, below = values > upper, values < lower
        flag = np.where(above, ABOVE, np.where(below, BELOW, INSIDE)).astype(object)
        flag[missing] = None
        added[f"lower_{suffix(level)}"] = lower
        added[f"upper_{suffix(level)}"] = upper
        added[f"funnel_{suffix(level)}"] = flag
    return added


def _binomial_outside(
    values: np.ndarray, n: np.ndarray, theta: float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        k = np.rint(np.nan_to_num(values) * n / PERCENT)
    at_least = stats.binom.sf(k - 1, n, theta)  # P(R >= k)
    at_most = stats.binom.cdf(k, n, theta)  # P(R <= k)
    return at_least < tail, at_most < tail
