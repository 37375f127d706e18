"""What a BI user can work out from published figures by linear algebra.

Given figures in the long shape of tests/layers.py, the attacker knows every n, every
shown exact value (so its sum, exact x n), every interval, and every exact BM with its
method and the threshold. The unknowns are the sums of the figures with n > 0 whose exact
value is not shown. The equations a BI user can form:

- a year's sum is the sum of its quarters' sums (per municipality, channel, figure);
- a cell's totaaloordeel sum is the sum of its products' sums;
- a BM ``gemeenten`` times the number of municipalities with n >= threshold is the sum of
  their exact values (sum / n); a BM ``respondenten`` times all responses is the sum of
  all sums.

An unknown is recovered when it is fixed by those equations: its unit vector lies in the
row space of the system (its column of the null space is zero). Every linear combination
of published figures is covered that way. A hidden figure whose interval is shown counts
as recovered too (the midpoint of a t-interval is the mean).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from scipy.linalg import null_space

from tests.layers import Figures, Key


def _hidden(f: dict[str, Any]) -> bool:
    return f["n"] > 0 and f["exact"] is None


def recover(figures: Figures, drempel: int) -> dict[Key, float]:
    """Every hidden figure the equations fix, with the mean they give it."""
    unknowns = [k for k, f in figures.items() if _hidden(f)]
    index = {k: i for i, k in enumerate(unknowns)}
    equations: list[tuple[dict[int, float], float]] = []

    def add(terms: list[tuple[Key, float]], constant: float) -> None:
        """sum(coef x S_key) = constant, known sums moved to the right."""
        row: dict[int, float] = defaultdict(float)
        rhs = constant
        for key, coef in terms:
            f = figures[key]
            if key in index:
                row[index[key]] += coef
            elif f["exact"] is not None:
                rhs -= coef * f["exact"] * f["n"]
        if row:
            equations.append((dict(row), rhs))

    years: dict[tuple, list[Key]] = defaultdict(list)
    products: dict[tuple, list[Key]] = defaultdict(list)
    bms: dict[tuple, list[Key]] = defaultdict(list)
    for key, f in figures.items():
        gemeente, kanaal, periode, figuur_type, figuur = key
        years[(gemeente, kanaal, f["jaar"], figuur_type, figuur)].append(key)
        if figuur_type in ("product", "totaaloordeel"):
            products[(gemeente, kanaal, periode)].append(key)
        if figuur_type != "product":
            bms[(kanaal, periode, figuur_type, figuur)].append(key)
    for members in years.values():
        total = [k for k in members if figures[k]["kwartaal"] is None]
        if total:
            quarters = [k for k in members if figures[k]["kwartaal"] is not None]
            add([(total[0], 1.0)] + [(k, -1.0) for k in quarters], 0.0)
    for members in products.values():
        total = [k for k in members if k[3] == "totaaloordeel"]
        if total:
            add([(total[0], 1.0)] + [(k, -1.0) for k in members if k[3] == "product"], 0.0)
    for members in bms.values():
        shown = [figures[k] for k in members if figures[k]["bm_exact"] is not None]
        if not shown:
            continue
        bm, method = shown[0]["bm_exact"], shown[0]["bm_method"]
        if method == "gemeenten":
            inside = [k for k in members if figures[k]["n"] >= drempel]
            add([(k, 1.0 / figures[k]["n"]) for k in inside], bm * len(inside))
        else:
            inside = [k for k in members if figures[k]["n"] > 0]
            add([(k, 1.0) for k in inside], bm * sum(figures[k]["n"] for k in inside))

    found: dict[Key, float] = {}
    for key in unknowns:
        f = figures[key]
        if f["ci_low"] is not None and f["ci_high"] is not None:
            found[key] = (f["ci_low"] + f["ci_high"]) / 2
    # connected components of unknowns that share an equation, solved one by one
    parent = list(range(len(unknowns)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row, _ in equations:
        first, *rest = row
        for other in rest:
            parent[root(other)] = root(first)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(len(unknowns)):
        components[root(i)].append(i)
    by_component: dict[int, list[tuple[dict[int, float], float]]] = defaultdict(list)
    for eq in equations:
        by_component[root(next(iter(eq[0])))].append(eq)
    for comp, members in components.items():
        eqs = by_component.get(comp)
        if not eqs:
            continue
        col = {u: j for j, u in enumerate(members)}
        a = np.zeros((len(eqs), len(members)))
        b = np.zeros(len(eqs))
        for r, (row, rhs) in enumerate(eqs):
            for u, coef in row.items():
                a[r, col[u]] = coef
            b[r] = rhs
        free = null_space(a)
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        for u, j in col.items():
            if free.shape[1] == 0 or np.max(np.abs(free[j])) < 1e-9:
                key = unknowns[u]
                found.setdefault(key, x[j] / figures[key]["n"])
    return found
