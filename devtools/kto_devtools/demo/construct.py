"""Answer distributions with exactly chosen integer sums.

The demo is calibrated constructively: for each figure it first fixes the
integer counts and sums that give the wanted exact value (e.g. 24883 points
over 2980 grades is exactly 8.35), then spreads those answers over people in
a plausible shape. Nothing here searches at random for a fit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction


def round_half_away(value: Fraction, digits: int) -> Fraction:
    """Round an exact value to ``digits`` decimals, halves away from zero."""
    scale = 10**digits
    scaled = abs(value) * scale
    whole = math.floor(scaled + Fraction(1, 2))
    return Fraction(whole if value >= 0 else -whole, scale)


def nearest_int(value: Fraction) -> int:
    return int(round_half_away(value, 0))


def _shape(mu: float, sd: float, lo: int, hi: int) -> list[float]:
    weights = [math.exp(-((g - mu) ** 2) / (2 * sd * sd)) for g in range(lo, hi + 1)]
    total = sum(weights)
    return [w / total for w in weights]


def _mean(probs: Sequence[float], lo: int) -> float:
    return sum((lo + i) * p for i, p in enumerate(probs))


def largest_remainder(n: int, probs: Sequence[float]) -> list[int]:
    """Split n into integer counts proportional to probs (Hamilton's method)."""
    raw = [n * p for p in probs]
    counts = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def value_counts(n: int, total: int, sd: float = 1.25, lo: int = 1, hi: int = 10) -> list[int]:
    """Counts of each value lo..hi: n answers whose values add up to exactly ``total``.

    The shape is a discretised normal whose mean is solved for, so the counts
    look like real grade distributions (a peak near the mean, a tail below).
    """
    if n == 0:
        if total:
            raise ValueError("no answers cannot have a non-zero sum")
        return [0] * (hi - lo + 1)
    if not lo * n <= total <= hi * n:
        raise ValueError(f"sum {total} impossible for {n} answers in {lo}..{hi}")
    target = total / n
    low, high = lo - 20.0, hi + 20.0
    for _ in range(80):
        mid = (low + high) / 2
        if _mean(_shape(mid, sd, lo, hi), lo) < target:
            low = mid
        else:
            high = mid
    counts = largest_remainder(n, _shape((low + high) / 2, sd, lo, hi))
    # Discretisation leaves a small difference; move single answers one step
    # at the most populated value, which keeps the shape.
    diff = total - sum((lo + i) * c for i, c in enumerate(counts))
    while diff:
        step = 1 if diff > 0 else -1
        movable = [i for i in range(len(counts)) if counts[i] and 0 <= i + step < len(counts)]
        i = max(movable, key=lambda j: (counts[j], -abs(lo + j - target)))
        counts[i] -= 1
        counts[i + step] += 1
        diff -= step
    return counts


def grades_with_sum(
    rng: random.Random, n: int, total: int, sd: float = 1.25, lo: int = 1, hi: int = 10
) -> list[int]:
    """n grades (shuffled) whose sum is exactly ``total``."""
    counts = value_counts(n, total, sd, lo, hi)
    out = [lo + i for i, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(out)
    return out


def sum_for_mean(target: Fraction, n: int) -> int:
    """The integer sum over n answers whose mean is nearest to target."""
    return nearest_int(target * n)


def allocate_sums(groups: Sequence[tuple[int, Fraction]], total: int | None) -> list[int]:
    """Integer sums per group (n, target mean); when ``total`` is given they add up to it.

    The remainder goes to the largest groups one point each, so every group's
    mean moves by at most 1/n.
    """
    sums = [sum_for_mean(t, n) for n, t in groups]
    if total is None:
        return sums
    diff = total - sum(sums)
    order = sorted(range(len(groups)), key=lambda i: -groups[i][0])
    i = 0
    while diff:
        k = order[i % len(order)]
        n = groups[k][0]
        step = 1 if diff > 0 else -1
        if n and n <= sums[k] + step <= 10 * n:
            sums[k] += step
            diff -= step
        i += 1
        if i > 100 * len(order) + abs(diff) * len(order):
            raise ValueError("cannot allocate the total over these groups")
    return sums


def effort_counts(valid: int, ces: Fraction, neutral_share: float = 0.16) -> dict[str, int]:
    """Counts of the five effort answers (heel veel .. geen) with CES nearest ``ces``.

    CES = 100 x (low - high) / valid, so low - high = ces x valid / 100.
    """
    diff = nearest_int(ces * valid / 100)
    neutral = round(valid * neutral_share)
    if (valid - neutral + diff) % 2:
        neutral += 1 if neutral < valid else -1
    while valid - neutral < abs(diff):
        neutral -= 2
    low = (valid - neutral + diff) // 2
    high = valid - neutral - low
    geen = round(low * 0.55)
    veel = round(high * 0.7)
    return {
        "heel_veel": high - veel,
        "veel": veel,
        "neutraal": neutral,
        "weinig": low - geen,
        "geen": geen,
    }


def agreement_counts(valid: int, pct: Fraction, rng: random.Random) -> dict[str, int]:
    """Counts of the five agreement answers with % (eens + helemaal eens) nearest ``pct``."""
    agree = nearest_int(pct * valid / 100)
    rest = valid - agree
    helemaal = round(agree * rng.uniform(0.3, 0.45))
    neutraal = round(rest * rng.uniform(0.45, 0.6))
    oneens = round((rest - neutraal) * rng.uniform(0.6, 0.75))
    return {
        "helemaalOneens": rest - neutraal - oneens,
        "oneens": oneens,
        "neutraal": neutraal,
        "eens": agree - helemaal,
        "helemaalEens": helemaal,
    }


def spread(counts: dict[object, int], rng: random.Random) -> list[object]:
    """The answers of a count table, in random order."""
    out = [value for value, c in counts.items() for _ in range(c)]
    rng.shuffle(out)
    return out
