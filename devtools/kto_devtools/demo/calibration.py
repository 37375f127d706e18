"""The demo: Zoetermeer 2018-2020 among eleven benchmark municipalities.

Calibrated so that a correct pipeline reproduces every figure of the seed
factsheet (tests/fixtures/zoetermeer_2020.json) after rounding. How:

- Zoetermeer's own 2020 figures are planned at the factsheet's values; a few
  sit exactly on a rounding half (8.35, 7.25, 62.5) so that only rounding
  from exact integer sums, halves away from zero, prints the factsheet.
- Each benchmark municipality gets a level (better or worse than average)
  plus a little noise per figure; for the figures whose BM the factsheet
  prints, the others are shifted together so that the mean of all twelve
  municipalities' exact values is the BM to the digit.
- Everything else (other years, telefoon, quarters) is plausible but free.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from . import construct
from .assemble import assemble
from .cells import CellPlan
from .model import BALIE_PRODUCTS, DIGITAAL_PRODUCTS, OF_STATEMENTS, Dataset
from .plans import Targets, aspect_names, clamp_grade, clamp_pct, plan_cell
from .text import SEED_TIPS_BALIE, SEED_TIPS_DIGITAAL

DEMO_SEED = 20201231
YEARS = (2018, 2019, 2020)
F = Fraction


def _f(value: str | int) -> Fraction:
    return Fraction(str(value))


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    balie: int  # responses per year (2020; earlier years a little fewer)
    digitaal: int
    telefoon: int  # 0: does not run the telefoon survey
    inviter: bool  # sends invitations through the Inviter
    level: float  # better (+) or worse (-) than the average municipality
    response_rate: float = 0.35


ZOETERMEER = Municipality("GM0637", "Zoetermeer", 3018, 2260, 590, True, 0.0, 0.32)
BENCHMARK = (
    Municipality("GM0518", "'s-Gravenhage", 460, 420, 260, True, 0.05, 0.30),
    Municipality("GM0599", "Rotterdam", 480, 440, 280, True, -0.10, 0.28),
    Municipality("GM0363", "Amsterdam", 450, 430, 0, False, -0.05),
    Municipality("GM0344", "Utrecht", 400, 380, 220, True, 0.10, 0.36),
    Municipality("GM0546", "Leiden", 300, 260, 150, True, 0.15, 0.38),
    Municipality("GM0503", "Delft", 260, 230, 140, True, 0.0, 0.33),
    Municipality("GM0513", "Gouda", 210, 180, 0, True, 0.20, 0.41),
    Municipality("GM1916", "Leidschendam-Voorburg", 230, 190, 120, True, -0.15, 0.31),
    Municipality("GM1621", "Lansingerland", 190, 170, 0, True, 0.25, 0.44),
    Municipality("GM1783", "Westland", 240, 200, 130, True, 0.10, 0.37),
    Municipality("GM0772", "Eindhoven", 350, 330, 200, False, -0.05),
)
MUNICIPALITIES = (ZOETERMEER, *BENCHMARK)

# --- the seed factsheet (tests/fixtures/zoetermeer_2020.json) -------------------
BALIE_2020_PRODUCTS = dict(zip(BALIE_PRODUCTS, (2288, 223, 68, 13, 35, 116, 275), strict=True))
DIGITAAL_2020_PRODUCTS = dict(
    zip(DIGITAAL_PRODUCTS, (52, 206, 90, 223, 69, 474, 1146), strict=True)
)
DIGITAAL_2020_PRODUCT_GRADES = dict(
    zip(DIGITAAL_PRODUCTS, map(_f, ("7.8", "7.5", "7.3", "7.1", "6.4", "7.0", "7.2")), strict=True)
)
# Zoetermeer's exact values; halves where the factsheet's rounding is the test.
Z_BALIE_2020 = {
    "totaal": _f("8.35"),  # prints 8,4 only when rounded from exact sums, half up
    "ces": _f(64),
    "Openingstijden": _f("8.2"),
    "Wachtruimte": _f("8.0"),
    "Wachttijd": _f("8.1"),
    "Privacy aan de balie": _f("8.0"),
    "Vriendelijkheid": _f("8.6"),
    "Deskundigheid": _f("8.7"),
    "Hostmanship": _f("8.9"),
    "Prijs van het product": _f("7.25"),  # half: 7,3 (half-to-even would print 7,2)
    "Doorlooptijd": _f("8.5"),
}
BM_BALIE_2020 = {
    "totaal": _f("8.4"),
    "ces": _f(70),
    "Openingstijden": _f("8.0"),
    "Wachtruimte": _f("8.1"),
    "Wachttijd": _f("8.2"),
    "Privacy aan de balie": _f("8.0"),
    "Vriendelijkheid": _f("8.6"),
    "Deskundigheid": _f("8.7"),
    "Hostmanship": _f("8.9"),
    "Prijs van het product": _f("7.2"),
    "Doorlooptijd": _f("8.5"),
}
Z_DIGITAAL_2020 = {
    "totaal": _f("7.2"),  # follows from the products' grades below
    "ces": _f(32),
    **dict(zip(OF_STATEMENTS, map(_f, ("62", "62.5", "62", "60", "54", "68", "74")), strict=True)),
}
BM_DIGITAAL_2020 = {
    "totaal": _f("8.3"),
    "ces": _f(42),
    **dict(zip(OF_STATEMENTS, map(_f, (68, 67, 68, 64, 60, 71, 76)), strict=True)),
}
Z_DIGITAAL_TREND = {2018: _f("7.55"), 2019: _f("7.25")}  # print 7,6 and 7,3
Z_COUNTS_2020 = {
    "balie": {"reviews": 0, "blank_reviews": 0, "tips_ja": 633},
    "digitaal": {"reviews": 382, "blank_reviews": 7, "tips_ja": 771},
}

# --- the rest: plausible, not in the seed ---------------------------------------
TELEFOON_LEVEL = {
    "totaal": _f("7.6"),
    "ces": _f(50),
    "Bereikbaarheid": _f("7.1"),
    "Wachttijd": _f("6.9"),
    "Vriendelijkheid": _f("8.2"),
    "Deskundigheid": _f("7.9"),
    "Duidelijkheid van de informatie": _f("7.7"),
    "Doorlooptijd": _f("7.4"),
    "Hostmanship": _f("8.0"),
    "in_een_keer": _f(76),
}
Z_TELEFOON_2020 = {
    "totaal": _f("7.6"),
    "ces": _f(46),
    "Bereikbaarheid": _f("7.0"),
    "Wachttijd": _f("6.7"),
    "Vriendelijkheid": _f("8.2"),
    "Deskundigheid": _f("7.8"),
    "Duidelijkheid van de informatie": _f("7.6"),
    "Doorlooptijd": _f("7.3"),
    "Hostmanship": _f("7.9"),
    "in_een_keer": _f(78),
}
# Change against 2020, per year (grades, CES points, percentage points).
YEAR_DRIFT = {2018: (F(-15, 100), -4, -3), 2019: (F(-5, 100), -2, -1), 2020: (F(0), 0, 0)}
Z_SIZE = {
    "balie": {2018: 2870, 2019: 2950, 2020: 3018},
    "digitaal": {2018: 1890, 2019: 2105, 2020: 2260},
    "telefoon": {2018: 610, 2019: 640, 2020: 590},
}


def _kind(figure: str) -> int:
    """0: grade, 1: CES, 2: percentage."""
    return 1 if figure == "ces" else 2 if figure in OF_STATEMENTS or figure == "in_een_keer" else 0


def _drift(values: dict[str, Fraction], jaar: int, sign: int = 1) -> dict[str, Fraction]:
    drift = YEAR_DRIFT[jaar]
    return {k: v + sign * drift[_kind(k)] for k, v in values.items()}


def _level(kanaal: str, jaar: int) -> dict[str, Fraction]:
    """The average municipality's figures."""
    if kanaal == "balie":
        base = dict(BM_BALIE_2020)
    elif kanaal == "digitaal":
        base = dict(BM_DIGITAAL_2020)
    else:
        base = dict(TELEFOON_LEVEL)
    return _drift(base, jaar)


def _zoetermeer(kanaal: str, jaar: int) -> dict[str, Fraction]:
    if kanaal == "balie":
        return _drift(Z_BALIE_2020, jaar) if jaar != 2020 else dict(Z_BALIE_2020)
    if kanaal == "telefoon":
        return _drift(Z_TELEFOON_2020, jaar)
    values = dict(Z_DIGITAAL_2020) if jaar == 2020 else _drift(Z_DIGITAAL_2020, jaar, -1)
    if jaar != 2020:
        values["totaal"] = Z_DIGITAAL_TREND[jaar]
    return values


def _noisy(rng: random.Random, base: dict[str, Fraction], level: float) -> dict[str, Fraction]:
    out = {}
    for k, v in base.items():
        kind = _kind(k)
        scale, noise = ((1, 0.08), (25, 3.0), (15, 2.5))[kind]
        value = v + Fraction(level * scale + rng.gauss(0, noise)).limit_denominator(100)
        out[k] = clamp_grade(value) if kind == 0 else clamp_pct(value, -100 if kind == 1 else 0)
    return out


def _zoetermeer_digitaal_2020_total(graded: dict[str, int], targets: dict[str, Fraction]):
    sums = construct.allocate_sums([(graded[p], targets[p]) for p in DIGITAAL_PRODUCTS], None)
    return Fraction(sum(sums), sum(graded.values()))


def _targets(kanaal: str, values: dict[str, Fraction]) -> Targets:
    t = Targets(totaal=values["totaal"], ces=values["ces"])
    for a in (*aspect_names(kanaal), "Hostmanship") if kanaal != "digitaal" else ():
        t.aspects[a] = values[a]
    if kanaal == "digitaal":
        t.statements = {k: values[k] for k in OF_STATEMENTS}
        t.review_share, t.tip_share = 0.16, 0.33
    if kanaal == "telefoon":
        t.in_een_keer = values["in_een_keer"]
        t.review_share, t.tip_share = 0.12, 0.2
    return t


def _size(m: Municipality, kanaal: str, jaar: int, rng: random.Random) -> int:
    if m is ZOETERMEER:
        return Z_SIZE[kanaal][jaar]
    base = getattr(m, kanaal)
    return round(base * {2018: 0.93, 2019: 0.97, 2020: 1.0}[jaar] * rng.uniform(0.97, 1.03))


def demo_plans() -> list[CellPlan]:
    rng = random.Random(f"{DEMO_SEED}:calibration")
    plans: list[CellPlan] = []
    for kanaal in ("balie", "telefoon", "digitaal"):
        for jaar in YEARS:
            members = [m for m in MUNICIPALITIES if getattr(m, kanaal)]
            values = {m.code: _noisy(rng, _level(kanaal, jaar), m.level) for m in members}
            values[ZOETERMEER.code] = _zoetermeer(kanaal, jaar)
            z_plan = _zoetermeer_plan(kanaal, jaar, values[ZOETERMEER.code])
            if jaar == 2020 and kanaal in ("balie", "digitaal"):
                z_exact = dict(values[ZOETERMEER.code])
                if kanaal == "digitaal":
                    z_exact["totaal"] = _zoetermeer_digitaal_2020_total(
                        {p: z_plan.products[p].graded for p in DIGITAAL_PRODUCTS},
                        {p: z_plan.products[p].target for p in DIGITAAL_PRODUCTS},
                    )
                bm = BM_BALIE_2020 if kanaal == "balie" else BM_DIGITAAL_2020
                others = [m.code for m in members if m is not ZOETERMEER]
                for figure, wanted in bm.items():
                    # Shift the others together: mean over all = the BM exactly.
                    total = wanted * len(members) - z_exact[figure]
                    shift = (total - sum(values[c][figure] for c in others)) / len(others)
                    for c in others:
                        values[c][figure] += shift
            for m in members:
                if m is ZOETERMEER:
                    plans.append(z_plan)
                    continue
                cell_rng = random.Random(f"{DEMO_SEED}:plan:{m.code}:{kanaal}:{jaar}")
                plan = plan_cell(
                    cell_rng,
                    m.code,
                    m.name,
                    kanaal,
                    jaar,
                    _size(m, kanaal, jaar, cell_rng),
                    _targets(kanaal, values[m.code]),
                    uses_inviter=m.inviter,
                    # A negative CES that ends exactly on a half: -12.5 prints -13.
                    effort_multiple=8 if (m.code, kanaal, jaar) == _NEGATIVE_CES else 1,
                )
                if (m.code, kanaal, jaar) == _NEGATIVE_CES:
                    plan.ces.target = _f("-12.5")  # type: ignore[union-attr]
                plans.append(plan)
    return plans


_NEGATIVE_CES = ("GM1916", "telefoon", 2018)


def _zoetermeer_plan(kanaal: str, jaar: int, values: dict[str, Fraction]) -> CellPlan:
    rng = random.Random(f"{DEMO_SEED}:plan:{ZOETERMEER.code}:{kanaal}:{jaar}")
    size = Z_SIZE[kanaal][jaar]
    targets = _targets(kanaal, values)
    kwargs: dict = {}
    if kanaal == "balie":
        targets.review_share = 0.0  # Zoetermeer's balie questionnaire has no explanation box
        targets.blank_review_share = 0.0
        targets.tip_share = 0.2
        if jaar == 2020:
            kwargs = {
                "products": BALIE_2020_PRODUCTS,
                "graded_multiple": 20,
                "aspect_multiple": {"Prijs van het product": 4},
                "seed_tips": SEED_TIPS_BALIE,
            }
    if kanaal == "digitaal":
        counts = {p: round(size * w) for p, w in _digitaal_mix().items()}
        if jaar == 2020:
            shift = _digitaal_product_shift()
            kwargs = {
                "products": DIGITAAL_2020_PRODUCTS,
                "product_targets": {p: g + shift for p, g in DIGITAAL_2020_PRODUCT_GRADES.items()},
                "exact_total": False,
                "statement_multiple": {"loketGebruiksvriendelijk": 8},
                "seed_tips": SEED_TIPS_DIGITAAL,
            }
        else:
            counts[DIGITAAL_PRODUCTS[-1]] += size - sum(counts.values())
            kwargs = {"products": counts, "graded_multiple": 20 if jaar == 2018 else 4}
    plan = plan_cell(
        rng, ZOETERMEER.code, ZOETERMEER.name, kanaal, jaar, size, targets,
        uses_inviter=True, **kwargs,
    )  # fmt: skip
    if jaar == 2020 and kanaal in Z_COUNTS_2020:
        for name, count in Z_COUNTS_2020[kanaal].items():
            setattr(plan, name, count)
        plan.tips_nee = round(size * 0.97) - plan.tips_ja
    return plan


def _digitaal_mix() -> dict[str, float]:
    total = sum(DIGITAAL_2020_PRODUCTS.values())
    return {p: n / total for p, n in DIGITAAL_2020_PRODUCTS.items()}


def _digitaal_product_shift() -> Fraction:
    """One shift for all 2020 digitaal products (within their rounding windows)
    that brings the overall mean near 7.2 rather than at the edge of 7.15."""
    n = sum(DIGITAAL_2020_PRODUCTS.values())
    mean = sum(DIGITAAL_2020_PRODUCTS[p] * g for p, g in DIGITAAL_2020_PRODUCT_GRADES.items()) / n
    return min(F(3, 100), max(F(-3, 100), _f("7.2") - mean))


def demo_dataset() -> Dataset:
    """The demo's ground truth (deterministic)."""
    plans = demo_plans()
    rates = {
        (m.code, kanaal): m.response_rate
        for m in MUNICIPALITIES
        if m.inviter
        for kanaal in ("Balie", "Telefoon")
    }
    return assemble(plans, {m.code: m.name for m in MUNICIPALITIES}, rates, DEMO_SEED)
