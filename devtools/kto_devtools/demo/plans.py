"""From a handful of target figures to a complete :class:`CellPlan`.

The target figures (grades, CES, percentages) say where a cell should land;
this module adds the realistic rest: how many people skip a question or say
``Weet niet``, how responses split over products, how many write a review or
a tip, how people were invited.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from . import construct
from .cells import CellPlan, Figure, ProductPlan
from .model import (
    BALIE_ASPECTS,
    BALIE_PRODUCTS,
    DIGITAAL_PRODUCTS,
    OF_STATEMENTS,
    TELEFOON_ASPECTS,
    TELEFOON_SUBJECTS,
)

# How responses usually split over products (weights in code-list order).
PRODUCT_MIX = {
    "balie": dict(zip(BALIE_PRODUCTS, (0.70, 0.08, 0.03, 0.01, 0.02, 0.05, 0.11), strict=True)),
    "telefoon": dict(zip(TELEFOON_SUBJECTS, (0.28, 0.10, 0.14, 0.08, 0.22, 0.18), strict=True)),
    "digitaal": dict(
        zip(DIGITAAL_PRODUCTS, (0.03, 0.09, 0.04, 0.10, 0.03, 0.21, 0.50), strict=True)
    ),
}
# Products graded above or below the channel's average.
PRODUCT_OFFSET = {
    "balie": dict(zip(BALIE_PRODUCTS, (0.1, 0.0, -0.2, 0.4, 0.3, -0.4, -0.5), strict=True)),
    "telefoon": dict(zip(TELEFOON_SUBJECTS, (0.1, 0.0, -0.1, 0.2, 0.2, -0.4), strict=True)),
    "digitaal": dict(zip(DIGITAAL_PRODUCTS, (0.6, 0.3, 0.1, -0.1, -0.8, -0.2, 0.0), strict=True)),
}
# Share of people who give a valid answer (the rest: Weet niet, N.v.t., empty).
ANSWER_SHARE = {
    "Openingstijden": 0.93,
    "Wachtruimte": 0.91,
    "Wachttijd": 0.94,
    "Privacy aan de balie": 0.88,
    "Vriendelijkheid": 0.97,
    "Deskundigheid": 0.95,
    "Prijs van het product": 0.74,
    "Doorlooptijd": 0.8,
    "Bereikbaarheid": 0.95,
    "Duidelijkheid van de informatie": 0.93,
}
INVITED_BY = {
    ("balie", True): {
        "Inviter": 0.40, "Qmatic": 0.20, "JCC": 0.10, "Timeblockr": 0.05,
        "Kaartje": 0.15, "Enquêtezuil": 0.10,
    },
    ("balie", False): {"Qmatic": 0.40, "JCC": 0.20, "Kaartje": 0.25, "Enquêtezuil": 0.15},
    ("telefoon", True): {"Inviter": 0.85, "JCC": 0.15},
    ("telefoon", False): {"JCC": 0.7, "Qmatic": 0.3},
}  # fmt: skip


@dataclass
class Targets:
    """Where a cell's figures should land (exact values)."""

    totaal: Fraction
    ces: Fraction
    aspects: dict[str, Fraction] = field(default_factory=dict)  # incl. "Hostmanship"
    statements: dict[str, Fraction] = field(default_factory=dict)  # OF key -> % eens
    in_een_keer: Fraction = Fraction(75)
    review_share: float = 0.15
    blank_review_share: float = 0.004
    tip_share: float = 0.22
    pii_rate: float = 0.02


def aspect_names(kanaal: str) -> tuple[str, ...]:
    return BALIE_ASPECTS if kanaal == "balie" else TELEFOON_ASPECTS if kanaal == "telefoon" else ()


def product_counts(kanaal: str, respons: int) -> dict[str, int]:
    mix = PRODUCT_MIX[kanaal]
    return dict(zip(mix, construct.largest_remainder(respons, list(mix.values())), strict=True))


def _multiple(n: int, k: int) -> int:
    """n rounded down to a multiple of k (k = 1 leaves n alone)."""
    return n - n % k if n >= k else n


def plan_cell(
    rng: random.Random,
    gemeentecode: str,
    gemeente: str,
    kanaal: str,
    jaar: int,
    respons: int,
    targets: Targets,
    *,
    uses_inviter: bool = True,
    products: Mapping[str, int] | None = None,
    product_targets: Mapping[str, Fraction] | None = None,
    exact_total: bool = True,
    graded_multiple: int = 1,
    effort_multiple: int = 1,
    statement_multiple: Mapping[str, int] | None = None,
    aspect_multiple: Mapping[str, int] | None = None,
    seed_tips: tuple[str, ...] = (),
) -> CellPlan:
    """A plan whose figures land on ``targets``.

    ``*_multiple`` force a count to a multiple (e.g. 20 valid grades per
    block makes a mean of exactly 8.35 possible). With ``product_targets``
    each product's mean is planned and the overall mean follows from them
    (``exact_total=False``); otherwise products scatter around the overall
    target, which is then hit exactly.
    """
    counts = dict(products) if products is not None else product_counts(kanaal, respons)
    respons = sum(counts.values())
    graded_share = 1.0 if respons < 20 else rng.uniform(0.975, 0.995)
    graded = {p: min(c, round(c * graded_share)) for p, c in counts.items()}
    total_graded = sum(graded.values())
    wanted = _multiple(total_graded, graded_multiple)
    largest = max(graded, key=lambda p: graded[p])
    graded[largest] -= total_graded - wanted
    offsets = PRODUCT_OFFSET[kanaal]
    plans = {}
    for p, c in counts.items():
        if product_targets is not None:
            target = product_targets[p]
        else:
            target = targets.totaal + Fraction(offsets.get(p, 0.0)).limit_denominator(100)
        target = min(Fraction(98, 10), max(Fraction(3), target))
        plans[p] = ProductPlan(respons=c, graded=graded[p], target=target)

    effort_valid = _multiple(round(respons * rng.uniform(0.94, 0.97)), effort_multiple)
    effort_weet_niet = min(respons - effort_valid, round(respons * 0.03))
    plan = CellPlan(
        gemeentecode=gemeentecode,
        gemeente=gemeente,
        kanaal=kanaal,
        jaar=jaar,
        products=plans,
        totaal_target=targets.totaal if exact_total else None,
        reviews=round(respons * targets.review_share),
        blank_reviews=round(respons * targets.blank_review_share),
        tips_ja=round(respons * targets.tip_share),
        ces=Figure(effort_valid, targets.ces),
        effort_weet_niet=effort_weet_niet,
        pii_rate=targets.pii_rate,
        seed_tips=seed_tips,
    )
    plan.tips_nee = max(0, min(respons, round(respons * 0.97)) - plan.tips_ja)
    multiples = aspect_multiple or {}
    for a in aspect_names(kanaal):
        share = ANSWER_SHARE[a] * rng.uniform(0.98, 1.02)
        n = _multiple(min(respons, round(respons * share)), multiples.get(a, 1))
        plan.aspects[a] = Figure(n, targets.aspects[a])
    if kanaal != "digitaal":
        plan.hostmanship = Figure(round(respons * 0.92), targets.aspects["Hostmanship"])
        plan.incompleet = round(respons * rng.uniform(0.02, 0.05))
        plan.uitnodiging = INVITED_BY[(kanaal, uses_inviter)]
    if kanaal == "telefoon":
        plan.in_een_keer = Figure(round(respons * 0.9), targets.in_een_keer)
        plan.in_een_keer_weet_niet = round(respons * 0.06)
    if kanaal == "digitaal":
        smult = statement_multiple or {}
        for key in OF_STATEMENTS:
            n = round(respons * rng.uniform(0.9, 0.96))
            plan.statements[key] = Figure(_multiple(n, smult.get(key, 1)), targets.statements[key])
    return plan


def clamp_grade(value: Fraction) -> Fraction:
    return min(Fraction(97, 10), max(Fraction(45, 10), value))


def clamp_pct(value: Fraction, lo: int = 0, hi: int = 100) -> Fraction:
    return min(Fraction(hi), max(Fraction(lo), value))
