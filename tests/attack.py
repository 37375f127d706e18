"""What a BI user can work out from published figures by linear algebra.

Given figures in the long shape of tests/layers.py, the attacker knows every n, every
shown exact value (so its sum, exact x n), every interval, and every exact BM with its
method and the threshold. The unknowns are the sums of the figures with n > 0 whose exact
value is not shown. The equations a BI user can form:

- a year's sum is the sum of its quarters' sums (per municipality, channel, figure);
- a cell's totaaloordeel sum is the sum of its products' sums;
- a BM ``gemeenten`` times the number of municipalities with n >= threshold is the sum of
  their exact values (sum / n); a BM ``respondenten`` times all responses is the sum of
  all sums. So is a comparison group's BM (``groepen``: groep -> exact BM) over the
  group's municipalities.

- a published change (kto_verandering) of a figure since an earlier period is the
  difference of their exact values (sum_b / n_b - sum_a / n_a); so is the midpoint of its
  interval (Welch, Wald and the CES interval are symmetric about the difference).
A theme's share is a percentage of the responses with a text, so its sum is 100 x the count
of those that wrote about it: a published count (kto_thema.aantal) is a known sum as much as
a shown exact value is. Its change against the same period a year before
(kto_thema.verschil_vorig_jaar, in whole percentage points) published beside a hidden share
gives that share to within half a point from the other one: counted as recovered, as an
interval is.

An unknown is recovered when it is fixed by those equations: its unit vector lies in the
row space of the system (its column of the null space is zero). Every linear combination
of published figures is covered that way. A hidden figure whose interval is shown counts
as recovered too (the midpoint of a t-interval is the mean).

``recover_union`` attacks several publications at once (every version a BI user ever
downloaded): each version's relations hold among that version's figures, and a figure
with the same key and n in two versions is taken for the same quantity (what an attacker
assumes of a period that did not change), so a value shown once is known in every version.

``recover_earlier`` does the same for the hidden figures of every version, not only the
last (a figure of an earlier version that the last one shows with another n).

``recover_revisions`` takes two versions of a figure whose n differs by fewer responses
than the threshold (a late re-delivery, a period being filled) for the same responses plus
or minus a few, as an attacker would: where both versions' sums are determined, their
difference is the sum of those few responses.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from scipy.linalg import null_space

from tests.layers import Changes, Figures, Key


def _hidden(f: dict[str, Any]) -> bool:
    return f["n"] > 0 and f["exact"] is None


def _known_sum(f: dict[str, Any]) -> float | None:
    """The figure's sum when something published gives it: exact x n, or a theme's count."""
    if f["n"] > 0 and f["exact"] is not None:
        return f["exact"] * f["n"]
    if f["n"] > 0 and f.get("aantal") is not None:
        return 100.0 * f["aantal"]
    return None


def recover(figures: Figures, drempel: int, changes: Changes = ()) -> dict[Key, float]:
    """Every hidden figure the equations fix, with the mean they give it; ``changes`` are the
    publication's changes (tests/layers.py, ``public_changes``)."""
    return recover_union([figures], drempel, [changes])


def recover_union(
    publications: list[Figures], drempel: int, changes: list[Changes] | None = None
) -> dict[Key, float]:
    """Every figure hidden in the last publication that the relations of all of them fix
    (``changes``: each publication's changes, in the same order)."""
    known, unknowns, equations = _system(publications, drempel, changes)
    found = _solve(unknowns, equations, publications[-1])
    last = publications[-1]
    for key, f in last.items():
        if _hidden(f) and (key, f["n"]) in known:
            found[key] = known[(key, f["n"])] / f["n"]
    return {k: v for k, v in found.items() if _hidden(last[k])}


def recover_earlier(publications: list[Figures], drempel: int) -> dict[tuple[Key, int], float]:
    """(key, n) -> the mean, for every quantity hidden in some publication (not only the
    last) that the relations of all of them fix: a new publication can give away a figure
    of an earlier one that it shows with another n (its new year and new quarter give the
    sum of the unchanged hidden quarters, which the old year turns into the old quarter)."""
    known, unknowns, equations = _system(publications, drempel)
    found = {}
    for figures in publications:
        for key, mean in _solve(unknowns, equations, figures).items():
            q = (key, figures[key]["n"])
            if _hidden(figures[key]) and q not in known:
                found[q] = mean
    return found


def recover_revisions(
    publications: list[Figures], drempel: int
) -> dict[tuple[Key, int, int], float]:
    """(key, smaller n, larger n) -> the mean of the responses between two versions of a
    figure, for every pair fewer than ``drempel`` responses apart whose sums are fixed."""
    known, unknowns, equations = _system(publications, drempel)
    sums = dict(known)
    for figures in publications:
        for key, mean in _solve(unknowns, equations, figures).items():
            sums[(key, figures[key]["n"])] = mean * figures[key]["n"]
    sizes: dict[Key, set[int]] = defaultdict(set)
    for key, n in sums:
        sizes[key].add(n)
    found = {}
    for key, ns in sizes.items():
        ordered = sorted(ns)
        for i, small in enumerate(ordered):
            for large in ordered[i + 1 :]:
                if large - small < drempel:
                    difference = sums[(key, large)] - sums[(key, small)]
                    found[(key, small, large)] = difference / (large - small)
    return found


def _system(
    publications: list[Figures], drempel: int, changes: list[Changes] | None = None
) -> tuple[dict, list, list]:
    """(known sums by (key, n), the unknown (key, n), the equations of every version)."""
    known: dict[tuple, float] = {}  # (key, n) -> sum, from any version that showed it
    for figures in publications:
        for key, f in figures.items():
            if (total := _known_sum(f)) is not None:
                known.setdefault((key, f["n"]), total)
    unknowns = sorted(
        {(k, f["n"]) for figures in publications for k, f in figures.items() if _hidden(f)}
        - set(known)
    )
    index = {q: i for i, q in enumerate(unknowns)}
    equations: list[tuple[dict[int, float], float]] = []
    for i, figures in enumerate(publications):
        _equations(figures, drempel, index, known, equations, changes[i] if changes else ())
    return known, unknowns, equations


def _equations(
    figures: Figures, drempel: int, index: dict, known: dict, equations: list, changes: Changes
) -> None:
    """The relations of one publication over the unknowns ``index``."""

    def add(terms: list[tuple[Key, float]], constant: float) -> None:
        """sum(coef x S_key) = constant, known sums moved to the right."""
        row: dict[int, float] = defaultdict(float)
        rhs = constant
        for key, coef in terms:
            f = figures[key]
            q = (key, f["n"])
            if q in index:
                row[index[q]] += coef
            elif q in known:
                rhs -= coef * known[q]
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
            bms[(kanaal, periode, figuur_type, figuur, None)].append(key)
            for groep in f.get("groepen", {}):
                bms[(kanaal, periode, figuur_type, figuur, groep)].append(key)
    for members in years.values():
        total = [k for k in members if figures[k]["kwartaal"] is None]
        if total:
            quarters = [k for k in members if figures[k]["kwartaal"] is not None]
            add([(total[0], 1.0)] + [(k, -1.0) for k in quarters], 0.0)
    for members in products.values():
        total = [k for k in members if k[3] == "totaaloordeel"]
        if total:
            add([(total[0], 1.0)] + [(k, -1.0) for k in members if k[3] == "product"], 0.0)
    for (*_, groep), members in bms.items():

        def exact_bm(f: dict[str, Any], groep: str | None = groep) -> float | None:
            return f["bm_exact"] if groep is None else f["groepen"][groep]

        shown = [figures[k] for k in members if exact_bm(figures[k]) is not None]
        if not shown:
            continue
        bm, method = exact_bm(shown[0]), shown[0]["bm_method"]
        if method == "gemeenten":
            inside = [k for k in members if figures[k]["n"] >= drempel]
            add([(k, 1.0 / figures[k]["n"]) for k in inside], bm * len(inside))
        else:
            inside = [k for k in members if figures[k]["n"] > 0]
            add([(k, 1.0) for k in inside], bm * sum(figures[k]["n"] for k in inside))
    for change in changes:
        after, before = figures.get(change["key"]), figures.get(change["key_vorig"])
        difference = change["verschil_exact"]
        if difference is None and change["ci_low"] is not None and change["ci_high"] is not None:
            difference = (change["ci_low"] + change["ci_high"]) / 2
        if difference is None or not after or not before or not (after["n"] and before["n"]):
            continue
        add(
            [(change["key"], 1.0 / after["n"]), (change["key_vorig"], -1.0 / before["n"])],
            difference,
        )


def _solve(unknowns: list[tuple], equations: list, figures: Figures) -> dict[Key, float]:
    # versions repeat most relations word for word
    unique = {(tuple(sorted(r.items())), round(b, 9)): (r, b) for r, b in equations}
    equations = list(unique.values())
    found: dict[Key, float] = {}
    for key, f in figures.items():
        if _hidden(f) and f["ci_low"] is not None and f["ci_high"] is not None:
            found[key] = (f["ci_low"] + f["ci_high"]) / 2
    for key, f in figures.items():
        if f.get("verschil_vorig_jaar") is None:
            continue
        gemeente, kanaal, periode, figuur_type, figuur = key
        earlier = (gemeente, kanaal, str(int(periode[:4]) - 1) + periode[4:], figuur_type, figuur)
        other = figures.get(earlier)
        if _hidden(f) and other is not None and other["exact"] is not None:
            found[key] = other["exact"] + f["verschil_vorig_jaar"]
        elif other is not None and _hidden(other) and f["exact"] is not None:
            found[earlier] = f["exact"] - f["verschil_vorig_jaar"]
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
                key, n = unknowns[u]
                if key in figures and figures[key]["n"] == n:
                    found.setdefault(key, x[j] / n)
    return found
