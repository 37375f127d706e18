"""Benjamini-Hochberg q-values: the false discovery rate over a family of tests.

A period's comparisons are many: every municipality x channel x figure. At p < 0.05 one
in twenty unchanged figures would be called changed. Benjamini & Hochberg (1995) control
the expected share of false discoveries among the figures called significant instead: a
figure is a discovery at rate Q when its q-value is at most Q.

For the m p-values of a family sorted p(1) <= ... <= p(m):

    q(i) = min over j >= i of  min(1, m / j * p(j))

so q-values are monotone in p, at least p, and at most 1. A missing p-value (None or NaN:
no test was possible, ``change.py``) is not a test: it does not count in m and its q-value
is missing too (NaN).

The family is one period x channel x figure: the comparisons of every municipality for
one figure, which is how a reader scans them (one figure across the country). Wider
families (all figures of a period) give larger q-values; the key is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

FAMILY = ("periode", "kanaal", "figuur_type", "figuur")


def bh_qvalues(p_values) -> np.ndarray:
    """The q-value of each p-value (float array; NaN where the p-value is None or NaN)."""
    p = pd.to_numeric(pd.Series(p_values, dtype=object), errors="raise").to_numpy(float)
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError("a p-value outside [0, 1]")
    q = np.full(p.shape, np.nan)
    m = int(present.sum())
    if m == 0:
        return q
    order = np.argsort(p[present], kind="stable")
    # m / j >= 1 first, so that q >= p holds in floating point too (p * m / m can round below p)
    ranked = p[present][order] * (m / np.arange(1, m + 1))
    # the running minimum from the largest p down makes q monotone in p
    adjusted = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    q_present = np.empty(m)
    q_present[order] = adjusted
    q[present] = q_present
    return q


def add_qvalues(
    frame: pd.DataFrame,
    by: Sequence[str] = FAMILY,
    p_column: str = "p_value",
    q_column: str = "q_value",
) -> pd.DataFrame:
    """A copy of ``frame`` with ``q_column``: BH q-values within each group of ``by``.

    Rows whose key holds a NULL form a family of their own (they are not dropped).
    """
    out = frame.copy()
    if out.empty:
        out[q_column] = pd.Series(dtype=float)
        return out
    groups = out.groupby(list(by), dropna=False, sort=False)[p_column]
    out[q_column] = groups.transform(lambda p: bh_qvalues(p.to_numpy(object)))
    return out
