"""Hypothesis strategies: small, adversarial ground truths for the whole pipeline.

A drawn :class:`Case` is a ground truth (``Dataset``) built to sit on the edges of
docs/contract/metrics.md: proportions of 0 and 1, CES of -100 and +100, every grade the same,
n = 1, n = threshold - 1 and threshold, all answers "Weet niet", a product with
one respondent, a quarter without responses, a municipality with one channel,
exact ties at x.x5 (the grade mean 167/20, the percentage 1/8), answers on a
quarter's first and last minute. Hypothesis draws the shape of every cell (its
size per quarter and the small pool of answers its responses choose from, so
degenerate cells are common); a seeded ``random.Random`` fills in the
responses from those pools, which keeps an example cheap to draw.

One landing folder holds several independent scenarios, each in a year of its
own: benchmarks, complementary suppression and Inviter periods never reach
across years, so every scenario is judged as if alone, and one dbt build (the
expensive part, a fixed cost of several seconds) judges them all.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import strategies as st
from kto_devtools.demo.model import (
    BALIE_ASPECTS,
    BALIE_PRODUCTS,
    DIGITAAL_PRODUCTS,
    HOSTMANSHIP_ITEMS,
    MOEITE,
    NVT,
    OF_AGREEMENT,
    OF_MOEITE,
    OF_STATEMENTS,
    OF_WEET_NIET,
    TELEFOON_ASPECTS,
    TELEFOON_SUBJECTS,
    WEET_NIET,
    Dataset,
    Invitation,
    One2TenResponse,
    OpenFormsSubmission,
)

GEMEENTEN = (
    ("GM0014", "Groningen"),
    ("GM0344", "Utrecht"),
    ("GM0637", "Zoetermeer"),
    ("GM1621", "Lansingerland"),
)
FIRST_YEAR = 2011  # the readers quarantine survey dates before 2010 (docs/formats.md)
CHANNELS = ("balie", "telefoon", "digitaal")
REVIEWS = (
    None,
    "",
    "  ",
    "-",
    "...",
    "?!",
    "Prima geholpen",
    "Snel en vriendelijk",
    "Eén keer geholpen – top",
)
TIPS = (None, "", "Langer open op zaterdag", "-")
UNKNOWN_PRODUCT = "Parkeervergunning"  # outside the code list: ordered after it


@dataclass(frozen=True)
class CellShape:
    """What hypothesis decides about one municipality x channel x year."""

    sizes: tuple[int, int, int, int]  # responses per quarter
    grades: tuple[object, ...]  # the answers every grade question draws from
    tie: int | None  # odd k: totaaloordeel of k nines and 20 - k eights (mean 8 + k/20)
    moeite: tuple[str | None, ...]
    agreement: tuple[str | None, ...]
    ja_nee: tuple[str | None, ...]
    products: tuple[str | None, ...]
    incomplete: int  # One2Ten questionnaires left unfinished in the year
    inviter: bool  # the municipality sends this channel's invitations through Inviter
    extra_invitations: int
    bounces: int
    edges: bool  # put answers on the quarter's first and last minute


@dataclass
class Scenario:
    year: int
    min_n: int
    cells: dict[tuple[str, str], CellShape]  # (gemeentecode, kanaal) -> shape
    seed: int


@dataclass
class Case:
    scenarios: list[Scenario]
    min_n: int
    format_seed: int  # write_landing's rotation of formats, encodings and spellings

    @property
    def dataset(self) -> Dataset:
        return build_dataset(self)


def _pool(values, max_size: int = 3):
    return st.lists(st.sampled_from(values), min_size=1, max_size=max_size).map(tuple)


@st.composite
def cell_shapes(draw, kanaal: str, min_n: int) -> CellShape:
    size = st.one_of(
        st.sampled_from(sorted({0, 1, max(min_n - 1, 0), min_n})), st.integers(0, min_n + 2)
    )
    grades = (
        (*range(1, 11), None, WEET_NIET, NVT) if kanaal != "digitaal" else (*range(1, 11), None)
    )
    products = {
        "balie": BALIE_PRODUCTS,
        "telefoon": TELEFOON_SUBJECTS,
        "digitaal": DIGITAAL_PRODUCTS,
    }[kanaal]
    one2ten = kanaal != "digitaal"
    return CellShape(
        sizes=tuple(draw(size) for _ in range(4)),
        grades=draw(_pool(grades)),
        tie=draw(st.one_of(st.none(), st.sampled_from((1, 7, 13, 19)))),
        moeite=draw(
            _pool((*MOEITE, WEET_NIET, None) if one2ten else (*OF_MOEITE, OF_WEET_NIET, None))
        ),
        agreement=draw(_pool((*OF_AGREEMENT, OF_WEET_NIET, None))),
        ja_nee=draw(_pool(("Ja", "Nee", WEET_NIET, None))),
        products=draw(_pool((*products[:3], UNKNOWN_PRODUCT, None))),
        incomplete=draw(st.integers(0, 2)) if one2ten else 0,
        inviter=one2ten and draw(st.booleans()),
        extra_invitations=draw(st.integers(0, 3)),
        bounces=draw(st.integers(0, 2)),
        edges=draw(st.booleans()),
    )


@st.composite
def scenarios(draw, year: int, min_n: int) -> Scenario:
    chosen = draw(
        st.lists(st.sampled_from(GEMEENTEN), min_size=1, max_size=3, unique=True).map(sorted)
    )
    cells = {}
    for code, _ in chosen:
        channels = draw(
            st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True).map(sorted)
        )
        for kanaal in channels:
            cells[(code, kanaal)] = draw(cell_shapes(kanaal, min_n))
    return Scenario(year, min_n, cells, draw(st.integers(0, 2**32 - 1)))


@st.composite
def cases(draw, max_scenarios: int = 6) -> Case:
    min_n = draw(st.sampled_from((1, 2, 3, 10)))
    count = draw(st.integers(1, max_scenarios))
    found = [draw(scenarios(FIRST_YEAR + i, min_n)) for i in range(count)]
    return Case(found, min_n, draw(st.integers(0, 10_000)))


# --- from shapes to ground truth ----------------------------------------------------


def _quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    start = datetime(year, 3 * quarter - 2, 1)
    end = datetime(year + 1, 1, 1) if quarter == 4 else datetime(year, 3 * quarter + 1, 1)
    return start, end


def _moment(rng: random.Random, year: int, quarter: int, edges: bool, i: int) -> datetime:
    """A completion moment in the quarter; with ``edges`` the first ones sit on its bounds."""
    start, end = _quarter_bounds(year, quarter)
    if edges and i == 0:
        return start + timedelta(minutes=15)  # room for start and invitation before it
    if edges and i == 1:
        return end - timedelta(minutes=1)
    span = int((end - start).total_seconds() // 60) - 30
    return start + timedelta(minutes=15 + rng.randrange(span))


class _Builder:
    def __init__(self) -> None:
        self.data = Dataset(gemeenten={})
        self.respondent = 100000

    def one2ten(self, rng, code, name, kanaal, shape: CellShape, moment, grade) -> None:
        self.respondent += 1
        aspects = BALIE_ASPECTS if kanaal == "balie" else TELEFOON_ASPECTS
        tip = rng.choice(("Ja", "Nee", None))
        invited = (
            "Inviter"
            if shape.inviter and rng.random() < 0.7
            else rng.choice((None, "Kaartje", "Qmatic"))
        )
        r = One2TenResponse(
            respondentnummer=self.respondent,
            kanaal=kanaal.capitalize(),
            gemeentecode=code,
            gemeente=name,
            startdatum=moment - timedelta(minutes=6),
            einddatum=moment,
            status="Voltooid",
            uitnodiging=invited,
            product=rng.choice(shape.products),
            totaaloordeel=grade,
            toelichting=rng.choice(REVIEWS),
            moeite=rng.choice(shape.moeite),
            aspecten={a: rng.choice(shape.grades) for a in aspects},
            hostmanship={h: rng.choice(shape.grades) for h in HOSTMANSHIP_ITEMS},
            in_een_keer_geholpen=rng.choice(shape.ja_nee) if kanaal == "telefoon" else None,
            verbetertip=tip,
            verbetertip_toelichting=rng.choice(TIPS) if tip == "Ja" else None,
            email=f"r{self.respondent}@example.nl" if rng.random() < 0.3 else None,
        )
        self.data.responses.append(r)
        if invited == "Inviter":
            self.invite(code, kanaal, r.startdatum - timedelta(minutes=1), "Verzonden")

    def openforms(self, rng, code, shape: CellShape, moment, grade) -> None:
        tip = rng.choice(("ja", "nee", None))
        grade = grade if isinstance(grade, int) else None
        self.data.submissions.append(
            OpenFormsSubmission(
                respondent_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                gemeentecode=code,
                inzendingdatum=moment,
                product=rng.choice(shape.products),
                totaaloordeel=grade,
                toelichting=rng.choice(REVIEWS),
                moeite=rng.choice(shape.moeite),
                stellingen={s: rng.choice(shape.agreement) for s in OF_STATEMENTS},
                verbetertip=tip,
                verbetertip_toelichting=rng.choice(TIPS) if tip == "ja" else None,
                email=f"f{rng.getrandbits(32)}@example.nl" if rng.random() < 0.3 else None,
            )
        )

    def invite(self, code, kanaal, moment, status) -> None:
        n = len(self.data.invitations)
        self.data.invitations.append(
            Invitation(code, kanaal.capitalize(), moment, f"i{n}@example.nl", status)
        )


def _grades(rng: random.Random, shape: CellShape, n: int, quarter: int) -> list[object]:
    if shape.tie is not None and quarter == 1:
        return [9] * shape.tie + [8] * (20 - shape.tie)
    return [rng.choice(shape.grades) for _ in range(n)]


def build_dataset(case: Case) -> Dataset:
    b = _Builder()
    names = dict(GEMEENTEN)
    for sc in case.scenarios:
        rng = random.Random(sc.seed)
        for (code, kanaal), shape in sorted(sc.cells.items()):
            b.data.gemeenten[code] = names[code]
            for quarter, size in enumerate(shape.sizes, start=1):
                grades = _grades(rng, shape, size, quarter)
                for i, grade in enumerate(grades):
                    moment = _moment(rng, sc.year, quarter, shape.edges, i)
                    if kanaal == "digitaal":
                        b.openforms(rng, code, shape, moment, grade)
                    else:
                        b.one2ten(rng, code, names[code], kanaal, shape, moment, grade)
                if shape.inviter:
                    start, _ = _quarter_bounds(sc.year, quarter)
                    for k in range(shape.extra_invitations + shape.bounces):
                        status = "Verzonden" if k < shape.extra_invitations else "Bounce"
                        moment = start + timedelta(days=3, minutes=k)
                        b.invite(code, kanaal, moment, status)
            for k in range(shape.incomplete):
                b.respondent += 1
                b.data.responses.append(
                    One2TenResponse(
                        respondentnummer=b.respondent,
                        kanaal=kanaal.capitalize(),
                        gemeentecode=code,
                        gemeente=names[code],
                        startdatum=datetime(sc.year, 5, 2 + k, 10, 0),
                        einddatum=None,
                        status="Onvolledig",
                        totaaloordeel=7,
                    )
                )
    return b.data
