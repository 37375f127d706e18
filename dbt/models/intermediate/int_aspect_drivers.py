"""Drivers per channel and year (docs/metrics.md, "Drivers"): per aspect its LMG share of
the R^2 of the totaaloordeel's regression on the channel's aspects, over every respondent
of the channel and year: a national figure, the same for every municipality.

The pairwise correlations come from int_aspect_correlations (SQL, over all responses);
the decomposition is ``dagster_project.analysis.drivers``, the tested implementation. An
aspect answered by fewer than max(30, the suppression threshold) respondents beside the
totaaloordeel or beside another aspect gets no weight (NULL), so a small channel-year has
none at all.
"""

import numpy as np
import pandas as pd

from dagster_project.analysis.drivers import MIN_PAIRS, importance_from_correlations

COLUMNS = {
    "kanaal": "object",
    "jaar": "int32",
    "aspect": "object",
    "volgorde": "int32",
    "n": "int64",
    "r": "float64",
    "beta": "float64",
    "lmg": "float64",
    "belang": "float64",
    "r2": "float64",
    "respondenten": "int64",
    "hersteld": "bool",
}


def drivers(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per channel x year x aspect from int_aspect_correlations' rows."""
    rows = []
    for (kanaal, jaar), group in pairs.groupby(["kanaal", "jaar"], sort=True):
        items = (
            group[["item_a", "volgorde_a"]]
            .drop_duplicates()
            .sort_values("volgorde_a")["item_a"]
            .tolist()
        )
        position = {item: i for i, item in enumerate(items)}
        k = len(items)
        r, n = np.full((k, k), np.nan), np.zeros((k, k), dtype=np.int64)
        for a, b, count, value in group[["item_a", "item_b", "n", "r"]].itertuples(index=False):
            i, j = position[a], position[b]
            n[i, j] = n[j, i] = int(count)
            r[i, j] = r[j, i] = np.nan if pd.isna(value) else float(value)
        aspects = items[1:]
        result = importance_from_correlations(
            r,
            n,
            aspects,
            respondents=int(group["respondenten"].iloc[0]),
            min_pairs=max(MIN_PAIRS, int(group["drempel"].iloc[0])),
        )
        for volgorde, aspect in enumerate(aspects, start=1):
            line = result.loc[aspect]
            rows.append(
                {
                    "kanaal": kanaal,
                    "jaar": jaar,
                    "aspect": aspect,
                    "volgorde": volgorde,
                    "n": line["n"],
                    "r": line["r"],
                    "beta": line["beta"],
                    "lmg": line["lmg"],
                    "belang": line["importance"],
                    "r2": result.attrs["r2"],
                    "respondenten": result.attrs["respondents"],
                    "hersteld": result.attrs["repaired"],
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    pairs = dbt.ref("int_aspect_correlations").df()
    return drivers(pairs)
