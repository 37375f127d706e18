"""An independent computation of every figure of docs/contract/metrics.md from ground truth.

Pure Python on exact fractions: no DuckDB, no dbt, no project code besides
the ground-truth dataclasses. The result has the shape of
tests/fixtures/samples/expected.json:

- ``cells``: ``"GM0637|balie|2020"`` -> respons, reviews, verbetertips,
  uitnodigingen, totaaloordeel / ces ({exact, n, value}), aspecten (with
  Hostmanship; balie and telefoon), stellingen (digitaal),
  in_een_keer_geholpen (telefoon), producten ({respons, n, exact, value}).
- ``benchmark``: ``"balie|2020"`` -> figure -> BM.

Rules, as read from docs/contract/metrics.md and the sample's expected.json:

- A response counts when completed (One2Ten ``Voltooid`` with an end date;
  every Open Formulieren submission), in the year and quarter of completion.
- A cell exists for every municipality x channel x period with a response.
- A figure with n < min_n keeps n and its exact value; its value is None.
  With n = 0 the exact value is None too.
- uitnodigingen: the ``Verzonden`` rows of the municipality, channel and
  period in the Inviter log; None for digitaal, and None when the log has
  no row at all for that municipality, channel and period.
- BM (method ``gemeenten``): mean of the exact values of the municipalities
  whose value is not suppressed, rounded like the figure; None when there
  is none. Method ``respondenten``: the figure computed over all responses of
  the channel and period together (pooled), when that pooled n >= min_n.
- Rounding: grades to one decimal, CES and percentages to whole numbers,
  halves away from zero, from the exact fraction.
- 95% intervals (``ci``: (low, high), None when suppressed or undefined):
  the t-interval on the answers for grade means (n >= 2), the normal
  approximation on the difference of two multinomial proportions for CES,
  Wilson for percentages; every bound clipped to the figure's domain and to
  its value (docs/metrics.md). The variance is exact (fractions); only the
  square root and the quantile are floating point.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from kto_devtools.demo.model import Dataset, Invitation, One2TenResponse, OpenFormsSubmission
from scipy.stats import t as student_t

BALIE_ASPECTS = (
    "Openingstijden",
    "Wachtruimte",
    "Wachttijd",
    "Privacy aan de balie",
    "Vriendelijkheid",
    "Deskundigheid",
    "Prijs van het product",
    "Doorlooptijd",
)
TELEFOON_ASPECTS = (
    "Bereikbaarheid",
    "Wachttijd",
    "Vriendelijkheid",
    "Deskundigheid",
    "Duidelijkheid van de informatie",
    "Doorlooptijd",
)
HOSTMANSHIP_ITEMS = (
    "Hostmanship - bereidheid om te helpen",
    "Hostmanship - deskundigheid",
    "Hostmanship - inleving",
    "Hostmanship - verantwoordelijkheid",
    "Hostmanship - oplossingen aandragen",
    "Hostmanship - vertegenwoordigt de gemeente",
)
STATEMENTS = {
    "aanvraagEenvoudig": "Aanvraag verliep eenvoudig",
    "loketGebruiksvriendelijk": "Digitaal loket is gebruiksvriendelijk",
    "loketVindbaar": "Digitaal loket is goed vindbaar",
    "infoDuidelijk": "Benodigde info van de aanvraag is duidelijk",
    "infoVindbaar": "Benodigde info is eenvoudig te vinden",
    "formulierMakkelijk": "Formulier makkelijk in te vullen",
    "taalDuidelijk": "Gebruikte taal in het formulier is duidelijk",
}
IN_EEN_KEER = "In één keer geholpen"
# Effort answers -> +1 (little effort), 0 (neutral), -1 (much effort).
EFFORT_ONE2TEN = {
    "Heel veel moeite": -1,
    "Veel moeite": -1,
    "Neutraal": 0,
    "Weinig moeite": 1,
    "Geen moeite": 1,
}
EFFORT_OPENFORMS = {
    "heelVeelMoeite": -1,
    "veelMoeite": -1,
    "neutraal": 0,
    "weinigMoeite": 1,
    "geenMoeite": 1,
}
AGREEMENT = {"helemaalOneens": 0, "oneens": 0, "neutraal": 0, "eens": 1, "helemaalEens": 1}


# --- exact arithmetic -------------------------------------------------------------


def round_half_away(value: Fraction, digits: int) -> Fraction:
    scale = 10**digits
    whole = math.floor(abs(value) * scale + Fraction(1, 2))
    return Fraction(whole if value >= 0 else -whole, scale)


def publish(value: Fraction | None, digits: int) -> float | int | None:
    if value is None:
        return None
    rounded = round_half_away(value, digits)
    return int(rounded) if digits == 0 else float(rounded)


def mean(values: list[Fraction] | list[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def figure(
    exact: Fraction | None,
    n: int,
    digits: int,
    min_n: int,
    ci: tuple[float, float] | None = None,
) -> dict[str, Any]:
    return {
        "exact": None if exact is None else float(exact),
        "n": n,
        "value": publish(exact, digits) if n >= min_n else None,
        "ci": ci if n >= min_n else None,
        "_exact": exact,  # kept for the benchmark; dropped from the output
    }


# --- 95% intervals ------------------------------------------------------------------

Z = 1.959963984540054  # the 0.975 quantile of the standard normal distribution


def clipped(low: float, high: float, value: Fraction, lo: int, hi: int) -> tuple[float, float]:
    """The bounds inside the domain [lo, hi] and around the value itself."""
    v = float(value)
    return max(float(lo), min(low, v)), min(float(hi), max(high, v))


def t_interval(values: list[Fraction] | list[int]) -> tuple[float, float] | None:
    n = len(values)
    if n < 2:
        return None
    m = Fraction(sum(values), n)
    variance = sum((Fraction(x) - m) ** 2 for x in values) / (n - 1)
    half = float(student_t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return clipped(float(m) - half, float(m) + half, m, 1, 10)


def ces_interval(scores: list[int]) -> tuple[float, float] | None:
    n = len(scores)
    if n == 0:
        return None
    p_low = Fraction(scores.count(1), n)
    p_high = Fraction(scores.count(-1), n)
    d = p_low - p_high
    variance = (p_low * (1 - p_low) + p_high * (1 - p_high) + 2 * p_low * p_high) / n
    half = Z * math.sqrt(variance)
    return clipped(100 * (float(d) - half), 100 * (float(d) + half), 100 * d, -100, 100)


def wilson_interval(yes: int, n: int) -> tuple[float, float] | None:
    if n == 0:
        return None
    p = Fraction(yes, n)
    centre = float(p) + Z * Z / (2 * n)
    half = Z * math.sqrt(float(p * (1 - p) / n) + Z * Z / (4 * n * n))
    scale = 1 + Z * Z / n
    low, high = 100 * (centre - half) / scale, 100 * (centre + half) / scale
    return clipped(low, high, 100 * p, 0, 100)


# --- answers ----------------------------------------------------------------------


def valid_grade(answer: object) -> int | None:
    if isinstance(answer, int) and not isinstance(answer, bool) and 1 <= answer <= 10:
        return answer
    return None


def has_text(value: str | None) -> bool:
    """Non-empty after trimming, and more than punctuation."""
    if value is None:
        return False
    return any(
        not (ch.isspace() or unicodedata.category(ch).startswith("P")) for ch in value.strip()
    )


def grade_figure(answers: Iterable[object], min_n: int) -> dict[str, Any]:
    grades = [g for g in map(valid_grade, answers) if g is not None]
    return figure(mean(grades), len(grades), 1, min_n, t_interval(grades))


def ces_figure(answers: Iterable[str | None], scale: dict[str, int], min_n: int):
    scores = [scale[a] for a in answers if a in scale]
    exact = None
    if scores:
        exact = Fraction(100 * sum(scores), len(scores))
    return figure(exact, len(scores), 0, min_n, ces_interval(scores))


def share_figure(answers: Iterable[str | None], yes: set[str], valid: set[str], min_n: int):
    counted = [a for a in answers if a in valid]
    exact = None
    k = sum(a in yes for a in counted)
    if counted:
        exact = Fraction(100 * k, len(counted))
    return figure(exact, len(counted), 0, min_n, wilson_interval(k, len(counted)))


def hostmanship_answer(items: dict[str, object]) -> Fraction | None:
    grades = [g for g in (valid_grade(items.get(i)) for i in HOSTMANSHIP_ITEMS) if g is not None]
    return Fraction(sum(grades), len(grades)) if len(grades) >= 3 else None


def hostmanship_figure(responses: list[One2TenResponse], min_n: int) -> dict[str, Any]:
    means = [m for m in (hostmanship_answer(r.hostmanship) for r in responses) if m is not None]
    return figure(mean(means), len(means), 1, min_n, t_interval(means))


# --- periods ----------------------------------------------------------------------


def periods(moment) -> tuple[str, str]:
    return str(moment.year), f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def counted_one2ten(responses: Iterable[One2TenResponse]):
    for r in responses:
        if r.status == "Voltooid" and r.einddatum is not None:
            yield r, r.einddatum


# --- cells ------------------------------------------------------------------------


def one2ten_cell(rs: list[One2TenResponse], kanaal: str, min_n: int) -> dict[str, Any]:
    aspects = BALIE_ASPECTS if kanaal == "balie" else TELEFOON_ASPECTS
    cell: dict[str, Any] = {
        "respons": len(rs),
        "reviews": sum(has_text(r.toelichting) for r in rs),
        "verbetertips": sum(r.verbetertip == "Ja" for r in rs),
        "totaaloordeel": grade_figure((r.totaaloordeel for r in rs), min_n),
        "ces": ces_figure((r.moeite for r in rs), EFFORT_ONE2TEN, min_n),
        "aspecten": {a: grade_figure((r.aspecten.get(a) for r in rs), min_n) for a in aspects},
    }
    cell["aspecten"]["Hostmanship"] = hostmanship_figure(rs, min_n)
    if kanaal == "telefoon":
        cell["in_een_keer_geholpen"] = share_figure(
            (r.in_een_keer_geholpen for r in rs), {"Ja"}, {"Ja", "Nee"}, min_n
        )
    cell["producten"] = products(rs, min_n)
    return cell


def openforms_cell(ss: list[OpenFormsSubmission], min_n: int) -> dict[str, Any]:
    return {
        "respons": len(ss),
        "reviews": sum(has_text(s.toelichting) for s in ss),
        "verbetertips": sum(s.verbetertip == "ja" for s in ss),
        "uitnodigingen": None,
        "totaaloordeel": grade_figure((s.totaaloordeel for s in ss), min_n),
        "ces": ces_figure((s.moeite for s in ss), EFFORT_OPENFORMS, min_n),
        "aspecten": {},
        "stellingen": {
            label: share_figure(
                (s.stellingen.get(key) for s in ss), {"eens", "helemaalEens"}, set(AGREEMENT), min_n
            )
            for key, label in STATEMENTS.items()
        },
        "producten": products(ss, min_n),
    }


def products(rows, min_n: int) -> dict[str, Any]:
    by_product: dict[str, list] = defaultdict(list)
    for row in rows:
        if row.product is not None:
            by_product[row.product].append(row)
    out = {}
    for product, group in sorted(by_product.items()):
        grade = grade_figure((r.totaaloordeel for r in group), min_n)
        out[product] = {
            "respons": len(group),
            "n": grade["n"],
            "exact": grade["exact"],
            "value": grade["value"],
        }
    return out


def invitation_counts(invitations: Iterable[Invitation]):
    """(gemeentecode, kanaal, periode) -> Verzonden rows; keys exist for any row."""
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for inv in invitations:
        for periode in periods(inv.verzonden_op):
            key = (inv.gemeentecode, inv.kanaal.lower(), periode)
            counts[key] += inv.status == "Verzonden"
    return counts


def cells(data: Dataset, min_n: int = 10) -> dict[str, dict[str, Any]]:
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for r, moment in counted_one2ten(data.responses):
        for periode in periods(moment):
            groups[(r.gemeentecode, r.kanaal.lower(), periode)].append(r)
    for s in data.submissions:
        for periode in periods(s.inzendingdatum):
            groups[(s.gemeentecode, "digitaal", periode)].append(s)
    invited = invitation_counts(data.invitations)
    out = {}
    for key in sorted(groups):
        code, kanaal, periode = key
        if kanaal == "digitaal":
            cell = openforms_cell(groups[key], min_n)
        else:
            cell = one2ten_cell(groups[key], kanaal, min_n)
            cell["uitnodigingen"] = invited.get(key)
        out[f"{code}|{kanaal}|{periode}"] = cell
    return out


# --- benchmark --------------------------------------------------------------------


def _figures_of(cell: dict[str, Any]) -> dict[str, tuple[dict[str, Any], int]]:
    """figure name -> (figure, decimals) for everything that has a BM."""
    out = {"totaaloordeel": (cell["totaaloordeel"], 1), "ces": (cell["ces"], 0)}
    out.update({a: (f, 1) for a, f in cell["aspecten"].items()})
    out.update({s: (f, 0) for s, f in cell.get("stellingen", {}).items()})
    if "in_een_keer_geholpen" in cell:
        out[IN_EEN_KEER] = (cell["in_een_keer_geholpen"], 0)
    return out


def benchmark_gemeenten(all_cells: dict[str, dict[str, Any]], min_n: int):
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, cell in all_cells.items():
        _, kanaal, periode = key.split("|")
        by_group[f"{kanaal}|{periode}"].append(cell)
    out = {}
    for group in sorted(by_group):
        values: dict[str, list[Fraction]] = defaultdict(list)
        digits: dict[str, int] = {}
        for cell in by_group[group]:
            for name, (fig, d) in _figures_of(cell).items():
                digits[name] = d
                if fig["n"] >= min_n and fig["_exact"] is not None:
                    values[name].append(fig["_exact"])
        out[group] = {name: publish(mean(values[name]), digits[name]) for name in sorted(digits)}
    return out


def benchmark_respondenten(data: Dataset, min_n: int):
    """BM pooled over all responses of a channel and period (method ``respondenten``)."""
    pooled: dict[str, list] = defaultdict(list)
    for r, moment in counted_one2ten(data.responses):
        for periode in periods(moment):
            pooled[f"{r.kanaal.lower()}|{periode}"].append(r)
    for s in data.submissions:
        for periode in periods(s.inzendingdatum):
            pooled[f"digitaal|{periode}"].append(s)
    out = {}
    for group in sorted(pooled):
        kanaal = group.split("|")[0]
        rows = pooled[group]
        cell = (
            openforms_cell(rows, min_n)
            if kanaal == "digitaal"
            else one2ten_cell(rows, kanaal, min_n)
        )
        out[group] = {name: fig["value"] for name, (fig, _) in sorted(_figures_of(cell).items())}
    return out


def _strip(obj: Any, drop: frozenset[str]) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v, drop) for k, v in obj.items() if k not in drop}
    return obj


def expected(
    data: Dataset,
    min_n: int = 10,
    method: str = "gemeenten",
    manifest: Any = None,
    intervals: bool = False,
) -> dict[str, Any]:
    """Every figure of every cell and every BM, shaped like samples/expected.json.

    With ``intervals`` every figure also has its 95% interval, ``ci``.

    With a landing manifest (from ``write_landing``) the file-level facts are
    added too: rows and quarantined rows per file, rejected files, the number
    of answer issues.
    """
    all_cells = cells(data, min_n)
    if method == "gemeenten":
        bm = benchmark_gemeenten(all_cells, min_n)
    elif method == "respondenten":
        bm = benchmark_respondenten(data, min_n)
    else:
        raise ValueError(f"unknown benchmark method {method!r}")
    out: dict[str, Any] = {
        "min_n": min_n,
        "cells": _strip(all_cells, frozenset({"_exact"} if intervals else {"_exact", "ci"})),
        "benchmark": bm,
        "pii": data.pii(),
    }
    if manifest is not None:
        out["files"] = {
            f.path: {"rows": f.rows, "quarantined": f.quarantined}
            for f in manifest.files
            if not f.rejected
        }
        out["rejected_files"] = sorted(f.path for f in manifest.files if f.rejected)
        out["answer_issues"] = len(manifest.answer_issues)
    return out
