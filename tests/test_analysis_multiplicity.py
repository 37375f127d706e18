"""dagster_project/analysis/multiplicity.py against statsmodels' multipletests(fdr_bh)."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from dagster_project.analysis.multiplicity import add_qvalues, bh_qvalues

REL = 1e-9


@pytest.mark.parametrize("seed", range(30))
def test_qvalues_equal_statsmodels(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 400))
    # a mix of real effects (small p) and nulls (uniform p), with ties
    p = np.where(rng.random(m) < 0.3, rng.beta(0.3, 8, m), rng.random(m))
    p[rng.integers(0, m, m // 10)] = p[0]
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(bh_qvalues(p), expected, rtol=REL)


def test_missing_p_values_pass_through_and_do_not_count():
    p = [0.01, None, 0.04, float("nan"), 0.03, 0.5]
    q = bh_qvalues(p)
    assert np.isnan(q[1]) and np.isnan(q[3])
    present = [0, 2, 4, 5]
    expected = multipletests(np.array(p, dtype=float)[present], method="fdr_bh")[1]
    np.testing.assert_allclose(q[present], expected, rtol=REL)


def test_nothing_to_adjust():
    assert bh_qvalues([]).shape == (0,)
    assert np.isnan(bh_qvalues([None, None])).all()


def test_p_values_outside_0_1_are_refused():
    with pytest.raises(ValueError):
        bh_qvalues([0.2, 1.2])


def test_qvalues_per_family_of_a_frame():
    rng = np.random.default_rng(5)
    rows = [
        dict(periode=periode, kanaal=kanaal, figuur_type="aspect", figuur=figuur,
             gemeentecode=f"GM{g:04d}", p_value=None if g % 11 == 0 else rng.random() ** 3)
        for periode in ("2019", "2020")
        for kanaal in ("balie", "telefoon")
        for figuur in ("Wachttijd", "Vriendelijkheid")
        for g in range(40)
    ]  # fmt: skip
    frame = pd.DataFrame(rows).sample(frac=1, random_state=1)  # families interleaved
    out = add_qvalues(frame)
    assert out.index.equals(frame.index) and "q_value" not in frame
    for _, family in out.groupby(["periode", "kanaal", "figuur"]):
        present = family["p_value"].notna()
        expected = multipletests(family.loc[present, "p_value"].astype(float), method="fdr_bh")[1]
        np.testing.assert_allclose(family.loc[present, "q_value"], expected, rtol=REL)
        assert family.loc[~present, "q_value"].isna().all()


def test_a_null_key_is_a_family_of_its_own():
    frame = pd.DataFrame({"periode": ["2020", None, None], "p_value": [0.02, 0.02, 0.04]})
    out = add_qvalues(frame, by=["periode"])
    assert out["q_value"].tolist() == pytest.approx([0.02, 0.04, 0.04], rel=REL)


p_lists = st.lists(
    st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, 0.05, 1.0])), max_size=80
)


@settings(max_examples=500)
@given(p_lists)
def test_qvalues_are_monotone_at_least_p_and_at_most_1(p):
    q = bh_qvalues(p)
    pairs = [(pi, qi) for pi, qi in zip(p, q, strict=True) if pi is not None]
    assert all(math.isnan(qi) for pi, qi in zip(p, q, strict=True) if pi is None)
    for pi, qi in pairs:
        assert pi <= qi <= 1
    ordered = sorted(pairs)
    assert all(q1 <= q2 for (_, q1), (_, q2) in pairwise(ordered))
