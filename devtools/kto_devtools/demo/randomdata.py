"""Plausible ground truth of any size: landing folders the project never saw."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from dagster_project.domain.municipalities import valid_throughout as municipalities_valid

from .assemble import assemble
from .cells import CellPlan
from .model import OF_STATEMENTS, Dataset
from .plans import Targets, aspect_names, clamp_grade, clamp_pct, plan_cell

# Real CBS codes and names, drawn first (in this order, so that a drawing of up to 35
# municipalities is what it always was); beyond them every other code valid in the years
# generated, from the CBS code list (dagster_project/domain/municipalities.py).
GEMEENTEN = (
    ("GM0014", "Groningen"),
    ("GM0034", "Almere"),
    ("GM0080", "Leeuwarden"),
    ("GM0106", "Assen"),
    ("GM0153", "Enschede"),
    ("GM0193", "Zwolle"),
    ("GM0200", "Apeldoorn"),
    ("GM0202", "Arnhem"),
    ("GM0268", "Nijmegen"),
    ("GM0307", "Amersfoort"),
    ("GM0344", "Utrecht"),
    ("GM0363", "Amsterdam"),
    ("GM0392", "Haarlem"),
    ("GM0402", "Hilversum"),
    ("GM0439", "Purmerend"),
    ("GM0479", "Zaanstad"),
    ("GM0484", "Alphen aan den Rijn"),
    ("GM0503", "Delft"),
    ("GM0505", "Dordrecht"),
    ("GM0513", "Gouda"),
    ("GM0518", "'s-Gravenhage"),
    ("GM0546", "Leiden"),
    ("GM0599", "Rotterdam"),
    ("GM0603", "Rijswijk"),
    ("GM0637", "Zoetermeer"),
    ("GM0687", "Middelburg"),
    ("GM0758", "Breda"),
    ("GM0772", "Eindhoven"),
    ("GM0796", "'s-Hertogenbosch"),
    ("GM0855", "Tilburg"),
    ("GM0935", "Maastricht"),
    ("GM1621", "Lansingerland"),
    ("GM1783", "Westland"),
    ("GM1916", "Leidschendam-Voorburg"),
    ("GM1926", "Pijnacker-Nootdorp"),
)


def _frac(value: float) -> Fraction:
    return Fraction(round(value * 100), 100)


def _targets(rng: random.Random, kanaal: str) -> Targets:
    totaal = clamp_grade(_frac(rng.uniform(6.6, 8.9)))
    ces = _frac(rng.uniform(-35, 10) if rng.random() < 0.1 else rng.uniform(15, 80))
    t = Targets(totaal=totaal, ces=clamp_pct(ces, -100))
    for a in aspect_names(kanaal):
        t.aspects[a] = clamp_grade(totaal + _frac(rng.uniform(-0.9, 0.6)))
    t.aspects["Hostmanship"] = clamp_grade(totaal + _frac(rng.uniform(-0.2, 0.7)))
    t.statements = {k: clamp_pct(_frac(rng.uniform(40, 90))) for k in OF_STATEMENTS}
    t.in_een_keer = clamp_pct(_frac(rng.uniform(50, 92)))
    t.review_share = rng.uniform(0.03, 0.3)
    t.tip_share = rng.uniform(0.1, 0.4)
    t.pii_rate = 0.06
    return t


def draw_municipalities(
    rng: random.Random, count: int, years: Sequence[int]
) -> list[tuple[str, str]]:
    """``count`` real municipalities: drawn from the ones listed here, then (national scale)
    the other codes the CBS list has valid from the first year through the year after the
    last (a later drop of the same municipalities, bench/landing.py, stays valid), in code
    order. A code outside the list would make `kto run` exit 1 (KTO_GEMEENTECODES)."""
    chosen = sorted(rng.sample(GEMEENTEN, min(count, len(GEMEENTEN))))
    valid = municipalities_valid(date(min(years), 1, 1), date(max(years) + 1, 12, 31))
    spare = iter(m for m in valid if m[0] not in dict(GEMEENTEN))
    while len(chosen) < count:
        chosen.append(next(spare))
    return chosen


def random_dataset(
    seed: int | str,
    municipalities: int | Sequence[tuple[str, str]] = 4,
    years: Sequence[int] = (2019, 2020),
    size: int = 60,
) -> Dataset:
    """Plausible ground truth: every municipality runs the balie survey, most the
    others; most use the Inviter.

    ``municipalities`` is a number (drawn from real CBS codes: the 35 above, then every
    other code valid in the years, up to the 342 of 2023 on) or (code, name) pairs.
    ``size`` is the typical
    number of responses of a municipality, channel and year; sizes vary around
    it, and with three or more municipalities the last one is small (cells
    under 10 responses), so suppression and its benchmark rules get exercised.
    """
    rng = random.Random(f"random:{seed}")
    if isinstance(municipalities, int):
        chosen = draw_municipalities(rng, municipalities, years)
    else:
        chosen = list(municipalities)
    plans: list[CellPlan] = []
    rates: dict[tuple[str, str], float] = {}
    for k, (code, name) in enumerate(chosen):
        small = len(chosen) >= 3 and k == len(chosen) - 1
        scale = rng.uniform(0.05, 0.18) if small else rng.uniform(0.5, 1.5)
        channels = ["balie"]
        channels += ["telefoon"] if rng.random() < 0.75 else []
        channels += ["digitaal"] if rng.random() < 0.85 else []
        inviter = rng.random() < 0.75
        for kanaal in channels:
            if inviter and kanaal != "digitaal":
                rates[(code, kanaal.capitalize())] = rng.uniform(0.25, 0.45)
            for jaar in years:
                respons = max(1, round(size * scale * rng.uniform(0.8, 1.2)))
                cell_rng = random.Random(f"random:{seed}:{code}:{kanaal}:{jaar}")
                targets = _targets(cell_rng, kanaal)
                plans.append(
                    plan_cell(
                        cell_rng, code, name, kanaal, jaar, respons, targets, uses_inviter=inviter
                    )
                )
    return assemble(plans, dict(chosen), rates, f"random:{seed}")
