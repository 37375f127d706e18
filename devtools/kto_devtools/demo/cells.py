"""Build the people of one cell (municipality x channel x year) from its plan.

A :class:`CellPlan` fixes, for every figure of docs/contract/metrics.md, how many valid
answers there are and which exact value they must give. The builder turns
that into integer counts and sums (``construct``) and hands the answers out
to people at random, so every figure of the cell is exactly what the plan
asked for, whatever the random order.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from . import construct, text
from .model import (
    BALIE_ASPECTS,
    HOSTMANSHIP_ITEMS,
    MOEITE,
    NVT,
    OF_MOEITE,
    OF_STATEMENTS,
    OF_WEET_NIET,
    TELEFOON_ASPECTS,
    WEET_NIET,
    Grade,
    Invitation,
    One2TenResponse,
    OpenFormsSubmission,
)

MONTH_WEIGHTS = (1.0, 1.0, 1.1, 1.0, 1.1, 1.0, 0.7, 0.6, 1.0, 1.1, 1.0, 0.8)
# When people fill in the questionnaire (hour of the day, weight).
HOUR_WEIGHTS = (
    (7, 1), (8, 3), (9, 5), (10, 6), (11, 6), (12, 5), (13, 6), (14, 6), (15, 6),
    (16, 5), (17, 4), (18, 3), (19, 4), (20, 5), (21, 4), (22, 2), (23, 1),
)  # fmt: skip
EFFORT_KEYS = ("heel_veel", "veel", "neutraal", "weinig", "geen")


@dataclass
class Figure:
    """n valid answers whose exact value should be ``target``."""

    n: int
    target: Fraction


@dataclass
class ProductPlan:
    respons: int  # responses with this product
    graded: int  # of which gave a valid totaaloordeel
    target: Fraction  # their mean totaaloordeel


@dataclass
class CellPlan:
    gemeentecode: str
    gemeente: str
    kanaal: str  # "balie" | "telefoon" | "digitaal"
    jaar: int
    products: dict[str, ProductPlan]
    totaal_target: Fraction | None = None  # exact overall totaaloordeel (else free)
    reviews: int = 0
    blank_reviews: int = 0  # explanation boxes with only punctuation (not reviews)
    tips_ja: int = 0
    tips_nee: int = 0
    ces: Figure | None = None  # n = answers on the five-point effort scale
    effort_weet_niet: int = 0
    aspects: dict[str, Figure] = field(default_factory=dict)
    hostmanship: Figure | None = None  # n = people with at least 3 of 6 items
    statements: dict[str, Figure] = field(default_factory=dict)  # digitaal: % eens
    in_een_keer: Figure | None = None  # telefoon: n = Ja + Nee, target % Ja
    in_een_keer_weet_niet: int = 0
    incompleet: int = 0  # abandoned questionnaires (One2Ten only)
    uitnodiging: dict[str, float] = field(default_factory=dict)  # channel -> weight
    pii_rate: float = 0.02  # share of tips with personal data in them
    seed_tips: Sequence[str] = ()

    @property
    def respons(self) -> int:
        return sum(p.respons for p in self.products.values())


class People:
    """Hands out unique e-mail addresses for respondents and invitees."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def email(self) -> str:
        self.count += 1
        first = self.rng.choice(text.FIRST_NAMES)
        last = self.rng.choice(text.LAST_NAMES)
        domain = self.rng.choice(("example.org", "example.com", "example.net"))
        return f"{first}.{last}{self.count}@{domain}"


def _moment(rng: random.Random, jaar: int, with_seconds: bool) -> datetime:
    month = rng.choices(range(1, 13), MONTH_WEIGHTS)[0]
    start = datetime(jaar, month, 1)
    end = datetime(jaar + (month == 12), month % 12 + 1, 1)
    day = rng.randrange((end - start).days)
    hour = rng.choices([h for h, _ in HOUR_WEIGHTS], [w for _, w in HOUR_WEIGHTS])[0]
    second = rng.randrange(60) if with_seconds else 0
    return start + timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=second)


def _duration(rng: random.Random) -> timedelta:
    if rng.random() < 0.03:  # left the questionnaire open and came back later
        return timedelta(minutes=rng.randint(60, 30 * 60))
    return timedelta(minutes=rng.randint(2, 25))


def _non_answer(rng: random.Random, nvt_share: float = 0.2) -> Grade:
    roll = rng.random()
    return WEET_NIET if roll < 0.5 else NVT if roll < 0.5 + nvt_share else None


def _graded_answers(rng: random.Random, size: int, fig: Figure, nvt_share: float) -> list[Grade]:
    """size answers of which fig.n are valid grades with the planned mean."""
    total = construct.sum_for_mean(fig.target, fig.n)
    answers: list[Grade] = list(construct.grades_with_sum(rng, fig.n, total))
    answers += [_non_answer(rng, nvt_share) for _ in range(size - fig.n)]
    rng.shuffle(answers)
    return answers


def _totaaloordeel(
    rng: random.Random, plan: CellPlan, products: list[str], digitaal: bool
) -> list[Grade]:
    """Per person the totaaloordeel, with each product's and the overall sum as planned."""
    names = list(plan.products)
    groups = [(plan.products[p].graded, plan.products[p].target) for p in names]
    total = None
    if plan.totaal_target is not None:
        total = construct.sum_for_mean(plan.totaal_target, sum(n for n, _ in groups))
    sums = construct.allocate_sums(groups, total)
    pools: dict[str, list[Grade]] = {}
    for name, (n, _), s in zip(names, groups, sums, strict=True):
        pool: list[Grade] = list(construct.grades_with_sum(rng, n, s))
        missing = plan.products[name].respons - n
        pool += [None if digitaal or rng.random() < 0.6 else WEET_NIET for _ in range(missing)]
        rng.shuffle(pool)
        pools[name] = pool
    return [pools[p].pop() for p in products]


def _hostmanship(rng: random.Random, size: int, fig: Figure) -> list[dict[str, Grade]]:
    """Per person the six items; fig.n people answer at least three of them.

    The score is the mean of per-person means. People answering 3-5 items are
    drawn freely; the six-item answers then get the integer sum that brings
    the score to the planned value.
    """
    partial: list[list[int]] = []
    full = 0
    for _ in range(fig.n):
        if rng.random() < 0.85:
            full += 1
        else:
            k = rng.randint(3, 5)
            centre = float(fig.target)
            partial.append([min(10, max(1, round(rng.gauss(centre, 1.1)))) for _ in range(k)])
    contribution = sum((Fraction(sum(p), len(p)) for p in partial), Fraction(0))
    total = construct.nearest_int(6 * (fig.n * fig.target - contribution))
    total = min(60 * full, max(6 * full, total))
    flat = construct.grades_with_sum(rng, 6 * full, total, sd=1.1)
    answered: list[list[int]] = [flat[i * 6 : i * 6 + 6] for i in range(full)] + partial
    few = [
        [
            min(10, max(1, round(rng.gauss(float(fig.target), 1.2))))
            for _ in range(rng.randint(0, 2))
        ]
        for _ in range(size - fig.n)
    ]
    people = []
    for grades in answered + few:
        slots = list(HOSTMANSHIP_ITEMS)
        rng.shuffle(slots)
        person: dict[str, Grade] = {}
        for i, item in enumerate(slots):
            person[item] = grades[i] if i < len(grades) else _non_answer(rng, 0.1)
        people.append({item: person[item] for item in HOSTMANSHIP_ITEMS})
    rng.shuffle(people)
    return people


def _labels(counts: dict[object, int], size: int, rng: random.Random) -> list[object]:
    answers = construct.spread(counts, rng)
    answers += [None] * (size - len(answers))
    rng.shuffle(answers)
    return answers


def _effort(rng: random.Random, plan: CellPlan, size: int, codes: Sequence[str], weet_niet: str):
    counts: dict[object, int] = {}
    if plan.ces is not None:
        effort = construct.effort_counts(plan.ces.n, plan.ces.target)
        counts = {code: effort[key] for code, key in zip(codes, EFFORT_KEYS, strict=True)}
    counts[weet_niet] = plan.effort_weet_niet
    return _labels(counts, size, rng)


def _free_texts(rng: random.Random, plan: CellPlan, grades: list[Grade], pii: set[str]):
    """Per person (explanation, tip answer, tip text)."""
    size = len(grades)
    order = list(range(size))
    rng.shuffle(order)
    reviews: list[str | None] = [None] * size
    for i in order[: plan.reviews]:
        g = grades[i]
        reviews[i] = text.review(rng, g if isinstance(g, int) else None, plan.kanaal)
    for i in order[plan.reviews : plan.reviews + plan.blank_reviews]:
        reviews[i] = text.punctuation_only(rng)
    rng.shuffle(order)
    ja, nee = ("ja", "nee") if plan.kanaal == "digitaal" else ("Ja", "Nee")
    answers: list[str | None] = [None] * size
    tips: list[str | None] = [None] * size
    seed_tips = list(plan.seed_tips)
    for k, i in enumerate(order[: plan.tips_ja]):
        answers[i] = ja
        if k < len(seed_tips):
            tips[i] = seed_tips[k]
        elif rng.random() < 0.93:
            tip = text.tip(rng, plan.kanaal)
            if rng.random() < plan.pii_rate:
                tip, value = text.with_personal_data(rng, tip)
                pii.add(value)
            tips[i] = tip
    for i in order[plan.tips_ja : plan.tips_ja + plan.tips_nee]:
        answers[i] = nee
    return reviews, answers, tips


def build_one2ten(
    plan: CellPlan, rng: random.Random, people: People, pii: set[str]
) -> list[One2TenResponse]:
    """The completed and abandoned questionnaires of a balie or telefoon cell."""
    kanaal = plan.kanaal.capitalize()
    size = plan.respons
    products = construct.spread({p: plan.products[p].respons for p in plan.products}, rng)
    grades = _totaaloordeel(rng, plan, products, digitaal=False)
    effort = _effort(rng, plan, size, MOEITE, WEET_NIET)
    aspect_names = BALIE_ASPECTS if kanaal == "Balie" else TELEFOON_ASPECTS
    aspects = {
        a: _graded_answers(
            rng, size, plan.aspects[a], 0.5 if a.startswith(("Prijs", "Door")) else 0.2
        )
        for a in aspect_names
    }
    host = _hostmanship(rng, size, plan.hostmanship) if plan.hostmanship else [{}] * size
    once: list[object] = [None] * size
    if kanaal == "Telefoon" and plan.in_een_keer is not None:
        ja = construct.nearest_int(plan.in_een_keer.target * plan.in_een_keer.n / 100)
        once = _labels(
            {"Ja": ja, "Nee": plan.in_een_keer.n - ja, WEET_NIET: plan.in_een_keer_weet_niet},
            size,
            rng,
        )
    reviews, tip_answers, tips = _free_texts(rng, plan, grades, pii)
    channels = list(plan.uitnodiging)
    weights = [plan.uitnodiging[c] for c in channels]

    out: list[One2TenResponse] = []
    for i in range(size):
        end = _moment(rng, plan.jaar, with_seconds=False)
        invited = rng.choices(channels, weights)[0] if channels else None
        out.append(
            One2TenResponse(
                respondentnummer=0,  # numbered per survey once all cells exist
                kanaal=kanaal,
                gemeentecode=plan.gemeentecode,
                gemeente=plan.gemeente,
                startdatum=end - _duration(rng),
                einddatum=end,
                status="Voltooid",
                uitnodiging=invited,
                product=products[i],
                totaaloordeel=grades[i],
                toelichting=reviews[i],
                moeite=effort[i],  # type: ignore[arg-type]
                aspecten={a: aspects[a][i] for a in aspect_names},
                hostmanship=host[i],
                in_een_keer_geholpen=once[i],  # type: ignore[arg-type]
                verbetertip=tip_answers[i],
                verbetertip_toelichting=tips[i],
                email=people.email() if invited not in (None, "Kaartje", "Enquêtezuil") else None,
            )
        )
    for _ in range(plan.incompleet):
        out.append(_abandoned(rng, plan, kanaal, aspect_names, channels, weights, people))
    return out


def _abandoned(rng, plan, kanaal, aspect_names, channels, weights, people) -> One2TenResponse:
    """A questionnaire given up halfway: the first questions answered, the rest empty."""
    invited = rng.choices(channels, weights)[0] if channels else None
    reached = rng.randint(0, 3)  # 0: product, 1: + grade, 2: + effort, 3: + aspects
    start = _moment(rng, plan.jaar, with_seconds=False)
    grade = min(10, max(1, round(rng.gauss(7.5, 1.5))))
    return One2TenResponse(
        respondentnummer=0,
        kanaal=kanaal,
        gemeentecode=plan.gemeentecode,
        gemeente=plan.gemeente,
        startdatum=start,
        einddatum=None,
        status="Onvolledig",
        uitnodiging=invited,
        product=rng.choice(list(plan.products)),
        totaaloordeel=grade if reached >= 1 else None,
        moeite=rng.choice(MOEITE) if reached >= 2 else None,
        aspecten={
            a: (rng.randint(5, 10) if reached >= 3 and rng.random() < 0.7 else None)
            for a in aspect_names
        },
        hostmanship={item: None for item in HOSTMANSHIP_ITEMS},
        email=people.email() if invited not in (None, "Kaartje", "Enquêtezuil") else None,
    )


def build_openforms(
    plan: CellPlan, rng: random.Random, people: People, pii: set[str]
) -> list[OpenFormsSubmission]:
    """The submissions of a digitaal cell."""
    size = plan.respons
    products = construct.spread({p: plan.products[p].respons for p in plan.products}, rng)
    grades = _totaaloordeel(rng, plan, products, digitaal=True)
    effort = _effort(rng, plan, size, OF_MOEITE, OF_WEET_NIET)
    statements: dict[str, list[object]] = {}
    for key in OF_STATEMENTS:
        fig = plan.statements[key]
        counts: dict[object, int] = dict(construct.agreement_counts(fig.n, fig.target, rng))
        counts[OF_WEET_NIET] = round((size - fig.n) * 0.6)
        statements[key] = _labels(counts, size, rng)
    reviews, tip_answers, tips = _free_texts(rng, plan, grades, pii)
    out = []
    for i in range(size):
        out.append(
            OpenFormsSubmission(
                respondent_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                gemeentecode=plan.gemeentecode,
                inzendingdatum=_moment(rng, plan.jaar, with_seconds=True),
                product=products[i],
                totaaloordeel=grades[i],  # type: ignore[arg-type]
                toelichting=reviews[i],
                moeite=effort[i],  # type: ignore[arg-type]
                stellingen={k: statements[k][i] for k in OF_STATEMENTS},  # type: ignore[misc]
                verbetertip=tip_answers[i],
                verbetertip_toelichting=tips[i],
                email=people.email(),
            )
        )
    return out


def build_invitations(
    responses: Sequence[One2TenResponse],
    gemeentecode: str,
    kanaal: str,
    jaar: int,
    rate: float,
    rng: random.Random,
    people: People,
) -> list[Invitation]:
    """The Inviter log of one municipality, channel and year.

    Everyone who answered through an Inviter invitation got it shortly before
    starting; ``rate`` is the share of invitees who answered, so the others
    are added as invitations without a response. Some addresses bounce.
    Every quarter gets more sent invitations than completed responses (at
    least one), so the number of invitations of a quarter is never unknown
    for a municipality that uses the Inviter, and never below the respons.
    """
    out: list[Invitation] = []
    answered = [r for r in responses if r.uitnodiging == "Inviter" and r.email]
    for r in answered:
        sent = r.startdatum - timedelta(minutes=rng.randint(20, 72 * 60))
        out.append(Invitation(gemeentecode, kanaal, sent.replace(second=0), r.email, "Verzonden"))
    others = round(len(answered) * (1 / rate - 1))
    for _ in range(others):
        out.append(
            Invitation(gemeentecode, kanaal, _moment(rng, jaar, False), people.email(), "Verzonden")
        )

    # Top up each quarter to comfortably more invitations than responses: the
    # marts' checks demand uitnodigingen >= respons wherever invitations are known.
    def quarter(moment: datetime) -> int:
        return (moment.month - 1) // 3

    completed = Counter(
        quarter(r.einddatum)
        for r in responses
        if r.status == "Voltooid" and r.einddatum and r.einddatum.year == jaar
    )
    sent = Counter(quarter(i.verzonden_op) for i in out if i.verzonden_op.year == jaar)
    for q in range(4):
        for _ in range(max(1, math.ceil(completed[q] * 1.15)) - sent[q]):
            moment = datetime(jaar, 3 * q + 1, 1) + timedelta(
                days=rng.randrange(89), hours=rng.randint(8, 17), minutes=rng.randrange(60)
            )
            out.append(Invitation(gemeentecode, kanaal, moment, people.email(), "Verzonden"))
    for _ in range(round(len(out) * 0.02)):
        out.append(
            Invitation(gemeentecode, kanaal, _moment(rng, jaar, False), people.email(), "Bounce")
        )
    return out
