"""Drivers: how strongly each aspect goes with the overall grade, and what to act on.

**Method: LMG, the Shapley decomposition of R^2** (Lindeman, Merenda & Gold 1980; Grömping
2007, "Estimators of relative importance in linear regression based on variance
decomposition", The American Statistician 61(2)). Regress the overall grade on the
aspects; the R^2 of that regression is shared out among the aspects by averaging, over
every order in which they could enter the model, the R^2 each adds when it enters. An
aspect's share is non-negative, the shares add up to R^2 exactly, and two aspects that
carry the same information split what they explain.

Why not the others:

- Pearson correlation of each aspect with the grade ignores that the aspects overlap
  (Vriendelijkheid, Deskundigheid and Hostmanship go together): every one of a correlated
  group looks important, and the group is counted several times over;
- standardised regression weights (betas) do take the overlap into account, but under
  that collinearity they are unstable and can turn negative (suppression), which reads as
  "a worse score here gives a better grade";
- Johnson's relative weights (2000) approximate LMG by an orthogonal rotation and have been
  shown to deviate from it (Thomas et al. 2014); LMG is the exact decomposition, and with
  at most nine aspects a channel it costs 2^9 = 512 R^2 values of a 9 x 9 matrix at most.

Correlation r and beta are returned beside it for reference.

**Missing answers.** A respondent may skip an aspect (Prijs van het product and
Doorlooptijd do not apply to every product). Listwise deletion would keep only the
respondents who answered every aspect, a minority skewed to the products that have a price
and a lead time. Instead the correlations are pairwise: each pair of items over the
respondents who answered both (respondents without an overall grade are left out), and
every R^2 is computed from that correlation matrix. A matrix of pairwise correlations can
fail to be positive semi-definite; then its eigenvalues are raised to a small positive
floor and the matrix is scaled back to a unit diagonal (the result's ``attrs["repaired"]``
says so). An aspect answered by fewer than ``min_pairs`` respondents together with the
grade or with another aspect is left out of the model (importance NaN), the rarest first.

The analysis runs over all respondents of a channel and year, not per municipality: the
question is how the aspects drive the grade of a visit, which needs many respondents, and
one importance per channel keeps the municipalities' priorities comparable.

**Priorities** (``priority_matrix``): per cell (municipality x channel x period), per
aspect its importance (the channel and year's LMG share of R^2) and its gap, the
municipality's exact value minus the exact BM. The priorities are the aspects with a
value, a BM and an importance, whose gap is below 0 (optionally: and significantly, by a
boolean column such as the marts' ``significant`` or a q-value below 0.05), ordered by
importance (highest first), then gap (furthest below first), then name; the first three.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

MIN_PAIRS = 30
EIGEN_FLOOR = 1e-8
MAX_ASPECTS = 16  # 2^16 R^2 values: far above any channel (nine aspects at most)

OUTCOME = "Totaaloordeel"


def wide_answers(
    answers: pd.DataFrame, kinds: Sequence[str] = ("totaaloordeel", "aspect")
) -> pd.DataFrame:
    """One row per response, one column per item (the grade), NaN where it was not answered.

    ``answers`` is long like ``int_response_answers`` (response_id, vraag_type, vraag,
    cijfer) for one channel and year. Hostmanship is not an item there (its six items
    are): add it as a column from ``int_responses.hostmanship_60 / 60``.
    """
    graded = answers[answers["vraag_type"].isin(kinds)]
    wide = graded.pivot(index="response_id", columns="vraag", values="cijfer")
    wide.columns.name = None
    return wide.astype(float)


def pairwise_correlations(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of each pair of columns over the rows where both are present, and that n."""
    values = data.to_numpy(float)
    present = ~np.isnan(values)
    k = values.shape[1]
    r = np.eye(k)
    n = present.T.astype(np.int64) @ present.astype(np.int64)
    for i, j in combinations(range(k), 2):
        both = present[:, i] & present[:, j]
        x, y = values[both, i], values[both, j]
        if len(x) < 2:
            r[i, j] = r[j, i] = np.nan
            continue
        dx, dy = x - x.mean(), y - y.mean()
        denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
        r[i, j] = r[j, i] = float(dx @ dy) / denominator if denominator > 0 else np.nan
    return r, n


def _nearest_correlation(r: np.ndarray) -> tuple[np.ndarray, bool]:
    eigenvalues, vectors = np.linalg.eigh(r)
    if eigenvalues.min() >= EIGEN_FLOOR:
        return r, False
    fixed = (vectors * np.maximum(eigenvalues, EIGEN_FLOOR)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale), True


def lmg(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """LMG shares of R^2 from the predictors' correlations and theirs with the outcome."""
    p = len(r_xy)
    if p > MAX_ASPECTS:
        raise ValueError(f"{p} predictors: 2^{p} subsets is too many")
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        s = [i for i in range(p) if mask >> i & 1]
        r2[mask] = float(r_xy[s] @ np.linalg.solve(r_xx[np.ix_(s, s)], r_xy[s]))
    # Shapley weight of a subset of size s not holding j: s! (p - s - 1)! / p!
    weight = [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    shares = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        for mask in range(1 << p):
            if not mask & bit:
                shares[j] += weight[mask.bit_count()] * (r2[mask | bit] - r2[mask])
    return shares


def relative_importance(
    wide: pd.DataFrame,
    aspects: Sequence[str],
    outcome: str = OUTCOME,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Per aspect: ``n`` (answered with the grade), ``r``, ``beta``, ``lmg`` (its part of
    R^2) and ``importance`` (``lmg`` / R^2, adding up to 1 over the aspects in the model).

    ``attrs``: ``r2``, ``respondents`` (with a grade), ``complete`` (every item answered),
    ``repaired`` (the pairwise matrix was made positive definite).
    """
    aspects = list(aspects)
    data = wide.loc[wide[outcome].notna(), [outcome, *aspects]].astype(float)
    r, n = pairwise_correlations(data)
    return importance_from_correlations(
        r,
        n,
        aspects,
        respondents=len(data),
        complete=int(data.notna().all(axis=1).sum()),
        min_pairs=min_pairs,
    )


def importance_from_correlations(
    r: np.ndarray,
    n: np.ndarray,
    aspects: Sequence[str],
    *,
    respondents: int,
    complete: int | None = None,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """``relative_importance`` from the pairwise correlations and their n, the outcome
    first (row and column 0), then ``aspects``: for a caller that computed them elsewhere
    (the warehouse computes them in SQL over every respondent of a channel and year)."""
    aspects = list(aspects)
    out = pd.DataFrame(index=pd.Index(aspects, name="figuur"))
    out["n"] = n[0, 1:]
    out["r"] = r[0, 1:]
    kept = _usable(aspects, r, n, min_pairs)
    out["beta"] = out["lmg"] = out["importance"] = np.nan
    out.attrs.update(r2=np.nan, respondents=respondents, complete=complete, repaired=False)
    if not kept:
        return out
    index = [0] + [1 + aspects.index(a) for a in kept]
    matrix, repaired = _nearest_correlation(r[np.ix_(index, index)])
    r_xx, r_xy = matrix[1:, 1:], matrix[1:, 0]
    beta = np.linalg.solve(r_xx, r_xy)
    shares = lmg(r_xx, r_xy)
    r2 = float(r_xy @ beta)
    out.loc[kept, "beta"] = beta
    out.loc[kept, "lmg"] = shares
    out.loc[kept, "importance"] = shares / r2 if r2 > 0 else np.nan
    out.attrs.update(r2=r2, repaired=repaired)
    return out


def _usable(aspects: list[str], r: np.ndarray, n: np.ndarray, min_pairs: int) -> list[str]:
    """The aspects that can enter the model: enough answers beside the grade and beside
    each other, a correlation that exists (not a constant); the rarest dropped first."""
    kept = [
        i
        for i in range(1, len(aspects) + 1)
        if n[0, i] >= min_pairs and not np.isnan(r[0, i]) and n[i, i] >= min_pairs
    ]
    while True:
        bad = [i for i, j in combinations(kept, 2) if n[i, j] < min_pairs or np.isnan(r[i, j])]
        bad += [j for i, j in combinations(kept, 2) if n[i, j] < min_pairs or np.isnan(r[i, j])]
        if not bad:
            return [aspects[i - 1] for i in kept]
        kept.remove(min(set(bad), key=lambda i: (n[i, i], i)))


def priority_matrix(
    scores: pd.DataFrame,
    importance: pd.DataFrame,
    *,
    on: Sequence[str] = ("kanaal", "figuur"),
    cell: Sequence[str] = ("gemeentecode", "kanaal", "periode"),
    value: str = "waarde_exact",
    bm: str = "bm_exact",
    significant: str | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """``scores`` (one row per cell x aspect, e.g. ``marts.kto_aspect``) with ``importance``
    (joined on ``on``: a frame holding those columns and ``importance``, e.g. per kanaal
    and jaar), ``gap`` (value - BM), ``below_bm`` and ``priority`` (1..top, else NA).

    ``below_bm``: value and BM present, gap < 0, and the ``significant`` column True if one
    is named (NA where value or BM is missing). Priorities: per cell, the aspects below the
    BM with an importance, by importance descending, gap ascending, then name.
    """
    keys = list(on)
    out = scores.merge(importance[[*keys, "importance"]], on=keys, how="left", validate="m:1")
    out["gap"] = pd.to_numeric(out[value]) - pd.to_numeric(out[bm])
    below = out["gap"] < 0
    if significant is not None:
        below &= out[significant].fillna(False).astype(bool)
    out["below_bm"] = below.astype("boolean").mask(out["gap"].isna())
    candidates = out[below & out["importance"].notna()].sort_values(
        ["importance", "gap", "figuur"], ascending=[False, True, True], kind="stable"
    )
    rank = candidates.groupby(list(cell), dropna=False, sort=False).cumcount() + 1
    out["priority"] = rank[rank <= top].reindex(out.index).astype("Int64")
    return out
