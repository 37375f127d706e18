"""Signals: what changed for the worse, and who lies outside the funnel (docs/metrics.md,
"Funnel plots and signals").

A signal is news for a team lead, not a failure of the pipeline:

- ``daling``: a significant drop, a row of ``marts.kto_verandering`` with q < 0.05 and a
  negative change (the mart's ``richting = 'lager'``);
- ``buiten_trechter``: a municipality whose figure lies outside the 99.8% funnel limits
  around the BM (``funnel.flag_units``), above or below.

Everything here is computed from published columns only (``kto_figuur``: the value, its
exact value, n, the exact BM and the 95% interval; ``kto_verandering``), so a funnel or a
signal adds no figure the marts do not already publish. The limits of a grade or CES need
the spread of single responses around the BM: it is worked out from the shown figures'
own intervals (``spread``), which fix each figure's standard deviation, never from the
responses.

Pure functions on DataFrames; ``read_figures`` and ``read_changes`` take a connection to a
database with the marts (the warehouse or a published snapshot) and only run a query on
it, so the module is free of Dagster and opens nothing itself.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from dagster_project.analysis import funnel

ALPHA = 0.05  # a change is a discovery at q < 0.05 (kto_verandering.significant)
LEVEL = 0.998  # outside these limits is a signal; 0.95 is drawn beside it
DALING, BUITEN = "daling", "buiten_trechter"
GROUP = ["periode", "kanaal", "figuur_type", "figuur"]
FIGURE_TYPES = ("totaaloordeel", "ces", "aspect", "stelling")  # the factsheet's order

# The columns of the figures and changes read (the frames' columns, with or without rows)
FIGURE_COLUMNS = (
    "periode", "soort", "kanaal", "gemeentecode", "gemeente", "figuur_type", "figuur",
    "volgorde", "decimalen", "waarde", "waarde_exact", "n", "bm", "bm_exact", "ci_low",
    "ci_high",
)  # fmt: skip
CHANGE_COLUMNS = (
    "periode", "kanaal", "gemeentecode", "gemeente", "figuur_type", "figuur", "volgorde",
    "decimalen", "vergelijking", "periode_vorig", "n", "n_vorig", "verschil",
    "verschil_exact", "ci_low", "ci_high", "p_waarde", "q_waarde",
)  # fmt: skip
# Only the factsheet's KPI figures: products have no BM; a theme's share (how many texts
# mention it) describes what citizens write about and is no performance to hold to a BM.
FIGURES_SQL = f"""
    SELECT {", ".join("g.gemeente" if c == "gemeente" else f"f.{c}" for c in FIGURE_COLUMNS)}
    FROM marts.kto_figuur AS f
    JOIN marts.dim_gemeente AS g USING (gemeentecode)
    WHERE f.figuur_type IN {FIGURE_TYPES} AND f.publiceerbaar AND f.waarde_exact IS NOT NULL
    ORDER BY f.periode, f.kanaal, f.figuur_type, f.volgorde, f.figuur, g.gemeente,
             f.gemeentecode
"""
CHANGES_SQL = f"""
    SELECT {", ".join(CHANGE_COLUMNS)}
    FROM marts.kto_verandering
    WHERE publiceerbaar
    ORDER BY periode, kanaal, figuur_type, volgorde, figuur, gemeente, gemeentecode, vergelijking
"""

# signalen.csv and the portal's list: one row per signal, in this order
COLUMNS = [
    "periode",
    "kanaal",
    "gemeentecode",
    "gemeente",
    "signaal",
    "figuur_type",
    "figuur",
    "decimalen",
    "richting",
    "waarde",
    "n",
    "bm",
    "ondergrens_99_8",
    "bovengrens_99_8",
    "vergelijking",
    "periode_vorig",
    "verschil",
    "q_waarde",
]


def read_figures(conn) -> pd.DataFrame:
    """Every shown figure of ``marts.kto_figuur`` that a funnel can hold (not products)."""
    return conn.execute(FIGURES_SQL).df()


def read_changes(conn) -> pd.DataFrame:
    """Every shown change of ``marts.kto_verandering``."""
    return conn.execute(CHANGES_SQL).df()


def empty_figures() -> pd.DataFrame:
    """``read_figures``' frame without rows."""
    return pd.DataFrame(columns=list(FIGURE_COLUMNS))


def empty_changes() -> pd.DataFrame:
    """``read_changes``' frame without rows."""
    return pd.DataFrame(columns=list(CHANGE_COLUMNS))


def is_proportion(figuur_type: str) -> bool:
    return figuur_type == "stelling"


def target_of(group: pd.DataFrame) -> float | None:
    """The group's exact BM: the one value of ``bm_exact`` (None when it is not shown,
    as where it rests on a hidden figure: then the group gets no funnel)."""
    values = pd.to_numeric(group["bm_exact"]).dropna().unique()
    if len(values) == 0:
        return None
    if len(values) > 1:
        raise ValueError(f"{len(values)} exact BMs in one period x channel x figure: {values}")
    return float(values[0])


def spread(group: pd.DataFrame, target: float) -> float:
    """The standard deviation of single responses around ``target`` over the responses
    behind the group's shown figures, from their published values alone.

    A grade's 95% interval is ``mean +- t(0.975, n-1) s / sqrt(n)`` (s: the responses'
    sample standard deviation), CES's ``ces +- z(0.975) s / sqrt(n)`` (s: the spread of the
    +100 / 0 / -100 scores, divisor n): so ``s`` is the half-width times ``sqrt(n)`` over
    the quantile. The half-width is the wider side, since the marts clip an interval to
    the scale (1..10, -100..100); both sides are clipped only where a small n has answers
    at both ends of the scale (n = 5, half 1 and half 10), and s comes out too small
    there. The sum of squares around the target
    is then, per figure, ``(n-1) s^2`` (grades; ``n s^2`` for CES) ``+ n (mean - target)^2``,
    and the spread the root of their total over the total n.
    """
    if group.empty:
        raise ValueError("no figures to take the spread of")
    n = pd.to_numeric(group["n"]).to_numpy(float)
    ces = (group["figuur_type"] == "ces").to_numpy()
    return _spread(
        n,
        pd.to_numeric(group["waarde_exact"]).to_numpy(float),
        pd.to_numeric(group["ci_low"]).to_numpy(float),
        pd.to_numeric(group["ci_high"]).to_numpy(float),
        _quantiles(n, ces),
        ces,
        target,
    )


def _quantiles(n: np.ndarray, ces: np.ndarray) -> np.ndarray:
    """The quantile of each figure's 95% interval: t(0.975, n-1) for a grade, z for CES."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ces, funnel.z_value(0.95), stats.t.ppf(0.975, n - 1))


def _spread(
    n: np.ndarray,
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    quantile: np.ndarray,
    ces: np.ndarray,
    target: float,
) -> float:
    half = np.fmax(high - mean, mean - low)  # NaN only where the figure has no interval
    with np.errstate(invalid="ignore", divide="ignore"):
        s = half * np.sqrt(n) / quantile
        within = np.where(ces, n, n - 1) * s**2
    # no interval: n < 2 for a grade (one response: no spread within it)
    within = np.where(np.isnan(within), 0.0, within)
    total = float(np.sum(within + n * (mean - target) ** 2))
    return math.sqrt(total / float(np.sum(n)))


@dataclass(frozen=True)
class Funnel:
    """One period x channel x figure: its target, spread, points with their limits and
    flags (``funnel.flag_units``' columns), and the limit lines to draw."""

    periode: str
    kanaal: str
    figuur_type: str
    figuur: str
    decimalen: int
    target: float
    bm: float  # the BM as the factsheet prints it
    sd: float | None  # None for a percentage (binomial limits)
    records: list[dict]  # the points: the figure's columns, its limits and flags
    lines: dict[str, np.ndarray]  # n, lower_95, upper_95, lower_99_8, upper_99_8

    @functools.cached_property
    def points(self) -> pd.DataFrame:
        """The points as a DataFrame."""
        return pd.DataFrame(self.records)

    @functools.cached_property
    def outside(self) -> list[dict]:
        """The points outside the 99.8% limits."""
        flag = f"funnel_{funnel.suffix(LEVEL)}"
        return [p for p in self.records if p[flag] in (funnel.ABOVE, funnel.BELOW)]


def records(frame: pd.DataFrame) -> list[dict]:
    """``frame``'s rows as dicts, column by column."""
    columns = {c: frame[c].tolist() for c in frame.columns}
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def line_counts(n_min: int, n_max: int, steps: int = 24) -> np.ndarray:
    """Whole n from ``n_min`` to ``n_max``, spaced evenly on a square-root scale (where the
    limits bend most), every n when there are few."""
    lo, hi = max(1, int(n_min)), max(1, int(n_max))
    if hi - lo <= steps:
        return np.arange(lo, hi + 1)
    grid = np.linspace(math.sqrt(lo), math.sqrt(hi), steps) ** 2
    return np.unique(np.concatenate([[lo], np.rint(grid).astype(np.int64), [hi]]))


def funnel_of(group: pd.DataFrame) -> Funnel | None:
    """The funnel of one period x channel x figure's shown figures; None without an exact
    BM (no target) or without a figure."""
    made = funnels(group)
    if len(made) > 1:
        raise ValueError("more than one period x channel x figure")
    return made[0] if made else None


def funnels(figures: pd.DataFrame) -> list[Funnel]:
    """Every funnel of ``read_figures``' frame, in its order (period, channel, figure).

    All funnels at once: numpy on the frame's columns, one scipy call per quantity for all
    of them (a DataFrame or a scipy call per funnel cost more than the funnel; 450 on the
    demo). The numbers are those of one funnel at a time: every operation is elementwise,
    and the spread is summed per funnel.
    """
    if figures.empty:
        return []
    # the groups in order of first appearance, each its rows in the frame's order
    codes = figures.groupby(GROUP, sort=False, dropna=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2)).tolist()
    col = {c: figures[c].to_numpy()[order] for c in figures.columns}
    n = col["n"].astype(float)
    counts = col["n"].astype(np.int64)
    values = col["waarde_exact"].astype(float)
    bm_exact = col["bm_exact"].astype(float)
    low, high = col["ci_low"].astype(float), col["ci_high"].astype(float)
    ces = col["figuur_type"] == "ces"
    proportion = np.array([is_proportion(t) for t in col["figuur_type"]], dtype=bool)
    quantile = _quantiles(n, ces)

    groups = []  # (begin, end, target, sd) of the groups with a target
    for begin, end in itertools.pairwise(bounds):
        part = slice(begin, end)
        targets = pd.unique(bm_exact[part][~np.isnan(bm_exact[part])])
        if len(targets) == 0:
            continue  # the exact BM is not shown (it rests on a hidden figure): no funnel
        if len(targets) > 1:
            raise ValueError(
                f"{len(targets)} exact BMs in one period x channel x figure: {targets}"
            )
        target = float(targets[0])
        sd = None
        if not proportion[begin]:
            sd = _spread(
                n[part], values[part], low[part], high[part], quantile[part], ces[part], target
            )
        groups.append((begin, end, target, sd))

    # the points' limits and flags, and the lines' grids, per kind in one call each
    rows = np.concatenate([np.arange(b, e) for b, e, _, _ in groups] or [np.array([], int)])
    target_of_row = np.concatenate([np.full(e - b, t) for b, e, t, _ in groups] or [[]])
    sd_of_row = np.concatenate(
        [np.full(e - b, np.nan if s is None else s) for b, e, _, s in groups] or [[]]
    )
    grids = [line_counts(counts[b:e].min() * 0.8, counts[b:e].max() * 1.1) for b, e, _, _ in groups]
    grid_group = np.repeat(np.arange(len(groups)), [len(g) for g in grids])
    grid = np.concatenate(grids or [np.array([], np.int64)])
    grid_target = np.array([t for _, _, t, _ in groups])[grid_group] if groups else grid * 0.0
    grid_sd = (
        np.array([np.nan if s is None else s for *_, s in groups])[grid_group]
        if groups
        else grid * 0.0
    )
    is_prop_row = proportion[rows]
    is_prop_grid = proportion[[b for b, *_ in groups]][grid_group] if groups else grid > 0
    flags: dict[str, np.ndarray] = {}
    lines: dict[str, np.ndarray] = {"n": grid}
    for kind, on_rows, on_grid in (
        ("mean", ~is_prop_row, ~is_prop_grid),
        ("proportion", is_prop_row, is_prop_grid),
    ):
        if not on_rows.any():
            continue
        r = rows[on_rows]
        sd = sd_of_row[on_rows] if kind == "mean" else None
        part = funnel.flag_arrays(values[r], counts[r], target_of_row[on_rows], sd=sd, kind=kind)
        if kind == "mean":
            drawn = funnel.mean_limit_arrays(grid_target[on_grid], grid_sd[on_grid], grid[on_grid])
        else:
            drawn = funnel.proportion_limit_arrays(grid_target[on_grid], grid[on_grid])
        for name, array in part.items():
            flags.setdefault(name, np.empty(len(rows), dtype=array.dtype))[on_rows] = array
        for name, array in drawn.items():
            if name != "n":
                lines.setdefault(name, np.full(len(grid), np.nan))[on_grid] = array

    out, at, line_at = [], 0, 0
    names = [*col, *(c for c in flags if c not in col)]
    for (begin, end, target, sd), g in zip(groups, grids, strict=True):
        size = end - begin
        merged = {c: col[c][begin:end] for c in col} | {
            c: v[at : at + size] for c, v in flags.items()
        }
        lists = [merged[c].tolist() for c in names]
        points = [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
        drawn = {c: v[line_at : line_at + len(g)] for c, v in lines.items()}
        at, line_at = at + size, line_at + len(g)
        bm = col["bm"][begin:end].astype(float)
        bm = bm[~np.isnan(bm)]
        decimalen = int(col["decimalen"][begin])
        out.append(
            Funnel(
                periode=str(col["periode"][begin]),
                kanaal=str(col["kanaal"][begin]),
                figuur_type=str(col["figuur_type"][begin]),
                figuur=str(col["figuur"][begin]),
                decimalen=decimalen,
                target=target,
                bm=float(bm[0]) if len(bm) else round(target, decimalen),
                sd=sd,
                records=points,
                lines=drawn,
            )
        )
    return out


def drops(changes: pd.DataFrame) -> pd.DataFrame:
    """The significant drops of ``read_changes``' frame: q < 0.05 and a negative change."""
    q = pd.to_numeric(changes["q_waarde"])
    change = pd.to_numeric(changes["verschil_exact"])
    return changes[(q < ALPHA) & (change < 0)]


def signals(
    figures: pd.DataFrame, changes: pd.DataFrame, made: list[Funnel] | None = None
) -> pd.DataFrame:
    """Every signal (``COLUMNS``): per period, channel and municipality the drops, then the
    points outside the 99.8% limits, in the factsheet's order of figures. ``made``: the
    funnels of ``figures``, when they are already there."""
    rows = []
    for r in records(drops(changes)):
        rows.append(
            {
                "periode": r["periode"],
                "kanaal": r["kanaal"],
                "gemeentecode": r["gemeentecode"],
                "gemeente": r["gemeente"],
                "signaal": DALING,
                "figuur_type": r["figuur_type"],
                "figuur": r["figuur"],
                "decimalen": int(r["decimalen"]),
                "richting": "lager",
                "n": int(r["n"]),
                "vergelijking": r["vergelijking"],
                "periode_vorig": r["periode_vorig"],
                "verschil": r["verschil"],
                "q_waarde": float(r["q_waarde"]),
                "_volgorde": r["volgorde"],
            }
        )
    for one in funnels(figures) if made is None else made:
        for p in one.outside:
            rows.append(
                {
                    "periode": one.periode,
                    "kanaal": one.kanaal,
                    "gemeentecode": p["gemeentecode"],
                    "gemeente": p["gemeente"],
                    "signaal": BUITEN,
                    "figuur_type": one.figuur_type,
                    "figuur": one.figuur,
                    "decimalen": one.decimalen,
                    "richting": p[f"funnel_{funnel.suffix(LEVEL)}"],
                    "waarde": p["waarde"],
                    "n": int(p["n"]),
                    "bm": one.bm,
                    "ondergrens_99_8": float(p[f"lower_{funnel.suffix(LEVEL)}"]),
                    "bovengrens_99_8": float(p[f"upper_{funnel.suffix(LEVEL)}"]),
                    "_volgorde": p["volgorde"],
                }
            )
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "_volgorde"])
    if frame.empty:
        return frame.drop(columns="_volgorde")
    frame = (
        frame.assign(
            _soort=frame["signaal"].map({DALING: 0, BUITEN: 1}),
            _type=frame["figuur_type"].map({t: i for i, t in enumerate(FIGURE_TYPES)}),
        )
        .sort_values(
            ["periode", "kanaal", "gemeente", "gemeentecode", "_soort", "_type", "_volgorde"],
            kind="stable",
        )
        .drop(columns=["_soort", "_type", "_volgorde"])
        .reset_index(drop=True)
    )
    return frame


def summary(found: pd.DataFrame) -> dict[str, int]:
    """Counts for the run summary and the asset check."""
    return {
        "signals": len(found),
        "drops": int((found["signaal"] == DALING).sum()) if len(found) else 0,
        "outside_funnel": int((found["signaal"] == BUITEN).sum()) if len(found) else 0,
        "periods": int(found["periode"].nunique()) if len(found) else 0,
    }
