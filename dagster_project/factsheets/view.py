"""The factsheet view model: every figure of one factsheet, already in print.

One ``FactsheetView`` feeds both templates: ``to_json()`` goes into Typst
(render.py) and ``to_dict()`` into Jinja2, so the PDF and the HTML cannot
disagree. The view holds formatted strings only; a figure that may not be
shown (not ``publiceerbaar`` in the marts) carries a dash and a note, never
its value, so no template can leak it.

The view only formats. Every rule lives in the marts (dbt): which figures are
shown, significance and its direction (``richting``), the threshold the build
used (``drempel``), which cells get a factsheet (``respons_publiceerbaar``),
which tips they show, and every rounding: values, BMs, interval bounds and the
extra decimals of a significant figure that would print the same as its BM
(``verfijnd_decimalen``). The setting KTO_MIN_RESPONDENTS is never read here, so
factsheets rendered after the setting changed still follow the build. KTO_SIGNIFICANCE
only picks which of the marts' columns marks a figure: ``richting`` (bm), or ``richting``
where the BM q-value (``*_bm_q_waarde``) is below 0.05 (fdr). A q-value is never below its
p-value, and the p-value is below 0.05 exactly where ``richting`` is hoger or lager, so the
fdr marks are some of the bm marks, never another direction.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from dagster_project.domain import code_lists, periods
from dagster_project.domain.periods import Periode
from dagster_project.factsheets import dutch, texts
from dagster_project.factsheets.marts import PeriodData, Row, read_period
from dagster_project.settings import Settings

# at most four tips of at most 320 characters: they fit their box on page 1 (the var tips
# of dbt_project.yml; kto_tip holds at most that many)
_, MAX_TIP_CHARS = code_lists.tip_limits()
TREND_YEARS = 2

# How each kind of figure prints and how tall its bar is (value / axis maximum). The decimals
# of a kind are those the marts round its figures to (the var decimalen of dbt_project.yml),
# by the figuur_type that stands for it.
_DECIMALS = {
    soort: code_lists.decimals()[figuur_type]
    for soort, figuur_type in {"cijfer": "totaaloordeel", "ces": "ces", "pct": "stelling"}.items()
}
_SUFFIX = {"pct": "%"}
_AXIS_MAX = {"cijfer": 10.0, "pct": 100.0}
# Interval bounds print with one decimal more than the figure (the marts round them so),
# so that a BM just outside the interval does not look as if it were inside.
_CI_DECIMALS = {soort: decimals + 1 for soort, decimals in _DECIMALS.items()}


def _printed(soort: str, value: Any) -> str:
    """A figure of kind ``soort`` as the marts rounded it: ``8,4``, ``64``, ``62%``; a dash
    for None."""
    if value is None:
        return dutch.DASH
    return dutch.fixed(value, _DECIMALS[soort]) + _SUFFIX.get(soort, "")


_ARROWS = {"hoger": "▲", "lager": "▼"}  # the marts' richting; gelijk draws nothing
FDR = 0.05  # KTO_SIGNIFICANCE=fdr: a mark where the BM q-value is below this


def _mark(richting: Any, q: Any, fdr: bool) -> Any:
    """The marts' richting, or under fdr only where the BM q-value is below FDR."""
    if not fdr:
        return richting
    return richting if q is not None and q < FDR else None


MAX_AFWIJKINGEN = 4
THEMAS_TITEL = "Waar gaan de opmerkingen over"
MAX_THEMAS = 10  # the top themes by share; every theme is in kto_thema
# Unit of a difference between two percentages, after a no-break space (Toelichting: "pp")
PROCENTPUNT = "\u00a0pp"
# Differences are ranked on a common scale: a grade point (scale 1-10) weighs as ten
# percentage points; the CES is not in the table.
_SCALE = {"cijfer": 10.0, "pct": 1.0, "ces": 1.0}


@dataclass(frozen=True)
class GroepBM:
    """The BM of one of the municipality's comparison groups (KTO_VERGELIJKINGSGROEPEN)."""

    groep: str
    bm: str  # printed as the figure, a dash when the disclosure rules withhold it


@dataclass(frozen=True)
class Figuur:
    """One figure with its benchmark: a big number, a table row or a bar."""

    label: str
    soort: str  # "cijfer" (grade), "ces" or "pct"
    waarde: str  # "8,4", "64", "62%" or the dash
    getoond: bool
    opmerking: str  # "" when shown, else "n < 10" or "afgeschermd"
    bm: str
    bi: str  # "[8,31; 8,49]" or "" when unknown / not shown
    significant: str  # "hoger", "lager" or ""
    teken: str  # "▲", "▼" or ""
    fractie: float | None  # bar height relative to the axis maximum; None: no bar
    # True when waarde and bm carry extra decimals: rounded as usual they would print
    # the same next to a mark saying they differ.
    verfijnd: bool = False
    # the BM of the municipality's size class (KTO_SIZE_CLASSES), "" without size classes
    bm_klasse: str = ""
    # the BMs of its comparison groups (KTO_VERGELIJKINGSGROEPEN), by group name; none without
    bm_groepen: tuple[GroepBM, ...] = ()


@dataclass(frozen=True)
class Staaf:
    """A bar of the per-product chart: grade on top, N underneath."""

    label: str  # display name (texts.KORTE_NAAM)
    naam: str  # the full name
    waarde: str
    getoond: bool
    opmerking: str
    fractie: float | None
    n_tekst: str  # "N=2288"


@dataclass(frozen=True)
class TrendPunt:
    label: str  # "2019" or "K1 2019"
    waarde: str
    getoond: bool
    opmerking: str
    fractie: float | None
    huidig: bool


@dataclass(frozen=True)
class Kwartaal:
    """One quarter of a year's sheet: its totaaloordeel and CES (no marks, no BM)."""

    label: str  # "K1"
    totaaloordeel: Figuur
    ces: Figuur


@dataclass(frozen=True)
class Afwijking:
    """A table figure that differs significantly from its BM, with the difference."""

    label: str
    waarde: str
    bm: str
    verschil: str  # printed value minus printed BM: "+0,3", "−6 pp" (procentpunten)
    significant: str
    teken: str


@dataclass(frozen=True)
class Thema:
    """A bar of "Waar gaan de opmerkingen over": a theme's share against its BM."""

    label: str
    waarde: str  # "23%"
    bm: str  # "18%" or the dash
    fractie: float  # bar length on the chart's axis (THEMA_AS)
    bm_fractie: float | None  # where the BM mark stands; None: no BM shown
    verschil: str  # against the same period a year before: "+4 pp", "" when not shown
    significant: str = ""  # the marts' richting when significant: "hoger", "lager"
    teken: str = ""  # "▲", "▼" or ""


@dataclass(frozen=True)
class Kerncijfer:
    label: str
    waarde: str
    eenheid: str
    extra: str = ""


@dataclass(frozen=True)
class MatrixPunt:
    """One aspect in the priority matrix (kto_prioriteit)."""

    nummer: int  # its mark on the chart: the aspect's place in the table's order
    label: str
    belang: str  # "23%": its weight for the totaaloordeel in the channel and year
    waarde: str  # the printed score
    bm: str
    verschil: str  # score minus BM, two decimals: "+0,31", "−0,04"; "" when not placed
    kwadrant: str  # the mart's code; "" when not placed
    kwadrant_naam: str  # its short name, as in the chart's corner ("Aanpakken")
    kwadrant_tekst: str  # what it means ("belangrijk, onder de BM")
    prioriteit: int | None
    x: float | None  # 0..1 from the left (verschil); None when not placed
    y: float | None  # 0..1 from the bottom (belang)
    opmerking: str  # why it is not placed; "" when placed


@dataclass(frozen=True)
class Prioriteiten:
    """The priority matrix and the top three in words (docs/factsheets.md, "What to act on")."""

    titel: str
    inleiding: str
    punten: list[MatrixPunt]  # every aspect of the channel, in table order
    top: list[str]  # the priorities, one sentence each (empty: none below the BM)
    geen_top: str  # the sentence shown instead when there is no priority
    x_links: str  # axis labels: "−1,0", "+1,0" (grade points against the BM)
    x_rechts: str
    x_nul: float  # where verschil 0 is, 0..1 from the left
    y_boven: str  # "40%"
    y_lijn: float  # the mean weight, 0..1 from the bottom
    y_lijn_tekst: str  # "gemiddeld belang 11%"
    kwadranten: list[str]  # the quadrants' names: top left, top right, bottom left, bottom right
    beschrijving: str  # the chart in words (its text alternative)
    voetnoot: str


@dataclass(frozen=True)
class FactsheetView:
    gemeentecode: str
    gemeente: str
    kanaal: str
    periode: str
    jaar: int
    kwartaal: int | None
    titel: str
    ondertitel: str
    gegenereerd_op: str
    gegenereerd_iso: str
    drempel: int
    bm_methode: str
    kerncijfers: list[Kerncijfer]
    totaaloordeel: Figuur
    ces: Figuur
    trend_titel: str
    trend: list[TrendPunt]
    kwartalen_titel: str
    kwartalen: list[Kwartaal]
    afwijkingen_titel: str
    afwijkingen: list[Afwijking]
    producten_titel: str
    producten: list[Staaf]
    tabel_titel: str
    tabel_eenheid: str
    tabel: list[Figuur]
    tips: list[str]
    legenda: list[str]
    toelichting: list[dict[str, Any]]
    cijfers_getoond: int = field(default=0)
    cijfers_niet_getoond: int = field(default=0)
    grootteklasse: str = ""  # the size class whose BM the figures show too; "" without
    prioriteiten: Prioriteiten | None = None  # balie, telefoon with weights; else no section
    # "Waar gaan de opmerkingen over" (kto_thema): the top themes, what n they rest on, the
    # chart as one sentence (its text alternative), and why there are no bars when none
    themas_titel: str = THEMAS_TITEL
    themas: list[Thema] = field(default_factory=list)
    themas_basis: str = ""
    themas_tekst: str = ""
    themas_leeg: str = ""
    themas_uitleg: str = ""

    @property
    def stem(self) -> str:
        """File name without extension: ``GM0637_balie``."""
        return f"{self.gemeentecode}_{self.kanaal}"

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @property
    def pages_expected(self) -> int:
        """Page 1 holds every figure, the priority matrix and the themes have a page
        each (the themes always), the explanation comes last."""
        return 3 + (self.prioriteiten is not None)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` for the view's types, several times faster: it copies lists
    and dicts the same way but does not deep-copy the strings and numbers they hold."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    raise TypeError(f"not in a factsheet view: {type(value).__name__}")


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _shown(row: Row, value_column: str, flag_column: str) -> bool:
    # A mart without the flag (older build) still never shows a NULL value.
    flag = row.get(flag_column)
    return row.get(value_column) is not None and flag is not False


def _note(shown: bool, n: Any, drempel: int) -> str:
    if shown:
        return ""
    return f"n < {drempel}" if n is None or n < drempel else "afgeschermd"


def _figure(
    label: str,
    soort: str,
    *,
    value: Any,
    n: Any,
    bm: Any,
    ci_low: Any,
    ci_high: Any,
    shown: bool,
    richting: Any,
    drempel: int,
    verfijnd_decimalen: Any = None,
    waarde_verfijnd: Any = None,
    bm_verfijnd: Any = None,
    bm_klasse: Any = None,
    met_klasse: bool = False,
) -> Figuur:
    """One figure in print. Every number comes rounded from the marts: the value and BM,
    the interval bounds (``*_ci_*_afgerond``) and, where a significant value prints the same
    as its BM, both with the extra decimals the marts chose (``verfijnd_decimalen``)."""
    bi = ""
    teken = significant = ""
    fractie = None
    waarde = _printed(soort, value) if shown else dutch.DASH
    bm_tekst = _printed(soort, bm)
    verfijnd = False
    if shown:
        if ci_low is not None and ci_high is not None:
            bi = dutch.interval(ci_low, ci_high, _CI_DECIMALS[soort])
        # the marts' direction (exact value against the exact BM), never recomputed here
        if richting in _ARROWS:
            significant, teken = richting, _ARROWS[richting]
        if soort in _AXIS_MAX:
            fractie = max(0.0, min(1.0, float(value) / _AXIS_MAX[soort]))
        # A mark between two equal printed numbers would have no visible reason: the marts
        # give both with more decimals (the BM only when its exact value is public).
        if teken and verfijnd_decimalen is not None:
            suffix = _SUFFIX.get(soort, "")
            decimals = int(verfijnd_decimalen)
            waarde = dutch.fixed(waarde_verfijnd, decimals) + suffix
            if bm_verfijnd is not None:
                bm_tekst = dutch.fixed(bm_verfijnd, decimals) + suffix
            verfijnd = True
    return Figuur(
        label=label,
        soort=soort,
        waarde=waarde,
        getoond=shown,
        opmerking=_note(shown, n, drempel),
        bm=bm_tekst,
        bi=bi,
        significant=significant,
        teken=teken,
        fractie=fractie,
        verfijnd=verfijnd,
        bm_klasse=_printed(soort, bm_klasse) if met_klasse else "",
    )


def _cell_figure(
    cel: Row,
    name: str,
    label: str,
    soort: str,
    drempel: int,
    marks: bool = True,
    fdr: bool = False,
) -> Figuur:
    return _figure(
        label,
        soort,
        value=cel.get(name),
        n=cel.get(f"{name}_n"),
        bm=cel.get(f"{name}_bm"),
        ci_low=cel.get(f"{name}_ci_low_afgerond"),
        ci_high=cel.get(f"{name}_ci_high_afgerond"),
        shown=_shown(cel, name, f"{name}_publiceerbaar"),
        richting=_mark(cel.get(f"{name}_richting"), cel.get(f"{name}_bm_q_waarde"), fdr)
        if marks
        else None,
        drempel=drempel,
        verfijnd_decimalen=cel.get(f"{name}_verfijnd_decimalen"),
        waarde_verfijnd=cel.get(f"{name}_verfijnd"),
        bm_verfijnd=cel.get(f"{name}_bm_verfijnd"),
        bm_klasse=cel.get(f"{name}_bm_klasse"),
        met_klasse=bool(cel.get("grootteklasse")),
    )


def _group_bms(rows: list[Row], figuur_type: str, soort: str) -> tuple[GroepBM, ...]:
    """The comparison groups' BMs of one figure of a cell, by group name (kto_vergelijkingsgroep
    rows: a dash where the marts withhold the BM)."""
    found = [r for r in rows if r["figuur_type"] == figuur_type]
    return tuple(
        GroepBM(r["groep"], _printed(soort, r["bm_groep"]))
        for r in sorted(found, key=lambda r: r["groep"])
    )


def cell_figures(
    cel: Row, drempel: int, marks: bool = True, fdr: bool = False
) -> tuple[Figuur, Figuur]:
    """Totaaloordeel and CES of a kto_cel row as a factsheet prints them (also the portal's).

    ``marks=False``: without significance, so also without extra decimals (trends);
    ``fdr``: KTO_SIGNIFICANCE=fdr.
    """
    return (
        _cell_figure(cel, "totaaloordeel", "Totaaloordeel", "cijfer", drempel, marks, fdr),
        _cell_figure(cel, "ces", "CES score", "ces", drempel, marks, fdr),
    )


def _row_figure(
    row: Row, label: str, value: str, soort: str, drempel: int, fdr: bool = False
) -> Figuur:
    return _figure(
        label,
        soort,
        value=row.get(value),
        n=row.get("n"),
        bm=row.get("bm"),
        ci_low=row.get("ci_low_afgerond"),
        ci_high=row.get("ci_high_afgerond"),
        shown=_shown(row, value, "publiceerbaar"),
        richting=_mark(row.get("richting"), row.get("bm_q_waarde"), fdr),
        drempel=drempel,
        verfijnd_decimalen=row.get("verfijnd_decimalen"),
        waarde_verfijnd=row.get("waarde_verfijnd"),
        bm_verfijnd=row.get("bm_verfijnd"),
    )


def _kerncijfers(cel: Row) -> list[Kerncijfer]:
    tiles = [Kerncijfer("Respons", dutch.whole(cel["respons"]), "personen")]
    uitnodigingen = cel.get("uitnodigingen")
    # Invitations are known only from the Inviter log (balie, telefoon); zero means
    # "none sent through the Inviter", which says nothing about the response rate.
    if uitnodigingen:
        tiles.append(
            Kerncijfer(
                "Uitnodigingen",
                dutch.whole(uitnodigingen),
                "via de Inviter",
                texts.responspercentage(cel.get("responspercentage"), cel.get("respons_inviter")),
            )
        )
    tiles.append(Kerncijfer("Reviews", dutch.whole(cel.get("reviews") or 0), "personen"))
    tiles.append(Kerncijfer("Verbetertips", dutch.whole(cel.get("verbetertips") or 0), "personen"))
    return tiles


def _tip(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) <= MAX_TIP_CHARS:
        return text
    cut = text[:MAX_TIP_CHARS].rsplit(" ", 1)[0].rstrip(",;:.-")
    return f"{cut} …"


def _trend(cel: Row, periode: Periode, data: PeriodData, drempel: int) -> list[TrendPunt]:
    punten = []
    for years in range(TREND_YEARS, 0, -1):
        earlier = periode.earlier(years)
        row = data.earlier_cells.get((cel["gemeentecode"], cel["kanaal"], earlier.code))
        if row is None:
            continue
        fig = _cell_figure(row, "totaaloordeel", "", "cijfer", drempel)
        label = dutch.short_period_label(earlier.jaar, earlier.kwartaal)
        punten.append(TrendPunt(label, fig.waarde, fig.getoond, fig.opmerking, fig.fractie, False))
    if not punten:
        return []
    # The period itself at the trend's own precision: no mark here, so no extra decimals.
    nu = _cell_figure(cel, "totaaloordeel", "", "cijfer", drempel, marks=False)
    label = dutch.short_period_label(periode.jaar, periode.kwartaal)
    punten.append(TrendPunt(label, nu.waarde, nu.getoond, nu.opmerking, nu.fractie, True))
    return punten


def _kwartalen(cel: Row, periode: Periode, data: PeriodData, drempel: int) -> list[Kwartaal]:
    """The quarters of a year (a year's sheet only), each quarter that has responses."""
    if periode.kwartaal is not None:
        return []
    rijen = []
    for q in periods.QUARTERS:
        row = data.quarter_cells.get(
            (cel["gemeentecode"], cel["kanaal"], periods.code(periode.jaar, q))
        )
        if row is None:
            continue
        rijen.append(
            Kwartaal(
                f"K{q}",
                _cell_figure(row, "totaaloordeel", "Totaaloordeel", "cijfer", drempel, False),
                _cell_figure(row, "ces", "CES", "ces", drempel, False),
            )
        )
    # One quarter says nothing the year does not.
    return rijen if len(rijen) > 1 else []


def _afwijkingen(tabel: list[tuple[Figuur, float | None, float | None]]) -> list[Afwijking]:
    """The table's significant differences from the BM, largest first (on a common scale)."""
    kandidaten = []
    for fig, exact, bm in tabel:
        if not fig.teken or exact is None or bm is None:
            continue
        kandidaten.append((-abs(exact - bm) * _SCALE[fig.soort], fig))
    kandidaten.sort(key=lambda k: k[0])  # stable: equal differences keep table order
    return [
        Afwijking(
            fig.label,
            fig.waarde,
            fig.bm,
            # 54% against 60% is 6 procentpunten, not 6% (that would be 6% of 60, 3,6 points)
            dutch.signed_difference(fig.waarde, fig.bm)
            + (PROCENTPUNT if fig.soort == "pct" else ""),
            fig.significant,
            fig.teken,
        )
        for _, fig in kandidaten[:MAX_AFWIJKINGEN]
    ]


def _exact_pair(row: Row, value: str) -> tuple[float | None, float | None]:
    exact = row.get(f"{value}_exact")
    bm = row.get("bm_exact", row.get("bm"))
    return _num(exact if exact is not None else row.get(value)), _num(bm)


def _signed_fixed(value: Any, decimals: int) -> str:
    """``+0,04``, ``−0,12`` (U+2212), ``0,00``: a difference already rounded in the marts."""
    body = dutch.fixed(abs(value), decimals)
    return body if value == 0 else ("+" if value > 0 else dutch.MINUS) + body


def _axis_step(value: float, step: float) -> float:
    """``value`` rounded up to a whole number of ``step`` (at least one step)."""
    return max(step, math.ceil(round(value / step, 9)) * step)


def _prioriteiten(rows: list[Row], gemeente: str, jaar: int) -> Prioriteiten | None:
    """The priority matrix of one cell from its kto_prioriteit rows; None without weights
    (digitaal, or a channel and year with too few respondents)."""
    if not any(r.get("belang") is not None for r in rows):
        return None
    placed = [r for r in rows if r.get("kwadrant")]
    reach = _axis_step(max((abs(float(r["verschil"])) for r in placed), default=0.0), 0.5)
    top = _axis_step(max(float(r["belang"]) for r in rows if r.get("belang") is not None), 0.1)
    punten = []
    for nummer, r in enumerate(rows, start=1):
        waarde, bm = dutch.grade(r.get("score")), dutch.grade(r.get("bm"))
        kwadrant = r.get("kwadrant") or ""
        geplaatst = bool(kwadrant)
        punten.append(
            MatrixPunt(
                nummer=nummer,
                label=r["aspect"],
                belang=dutch.percent(r.get("belang_pct")),
                waarde=waarde,
                bm=bm,
                verschil=_signed_fixed(r["verschil_afgerond"], 2) if geplaatst else "",
                kwadrant=kwadrant,
                kwadrant_naam=texts.KWADRANT[kwadrant][0] if geplaatst else "",
                kwadrant_tekst=texts.KWADRANT[kwadrant][1] if geplaatst else "",
                prioriteit=r.get("prioriteit"),
                x=(float(r["verschil"]) + reach) / (2 * reach) if geplaatst else None,
                y=float(r["belang"]) / top if geplaatst else None,
                opmerking="" if geplaatst else texts.NIET_GEPLAATST.get(r.get("reden"), ""),
            )
        )
    eerst = sorted((p for p in punten if p.prioriteit), key=lambda p: p.prioriteit)
    zinnen = [
        f"{p.prioriteit}. {p.label}: {p.waarde} tegen BM {p.bm} ({p.verschil}), belang {p.belang}"
        for p in eerst
    ]
    in_woorden = "; ".join(
        f"{p.label}: belang {p.belang}, verschil met de BM {p.verschil}, {p.kwadrant_tekst}"
        if p.kwadrant
        else f"{p.label}: niet geplaatst ({p.opmerking})"
        for p in punten
    )
    gewogen = next(r for r in rows if r.get("belang") is not None)
    reach_text = dutch.fixed(reach, 1)
    return Prioriteiten(
        titel=texts.PRIORITEITEN_TITEL,
        inleiding=texts.prioriteiten_inleiding(gemeente, jaar),
        punten=punten,
        top=zinnen,
        geen_top=texts.geen_prioriteit(gemeente),
        x_links=dutch.MINUS + reach_text,
        x_rechts="+" + reach_text,
        x_nul=0.5,
        y_boven=f"{round(top * 100)}%",
        y_lijn=float(gewogen["belang_gemiddeld"]) / top,
        y_lijn_tekst=f"gemiddeld belang {dutch.percent(gewogen['belang_gemiddeld_pct'])}",
        kwadranten=[texts.KWADRANT[k][0] for k in texts.KWADRANT_VOLGORDE],
        beschrijving="Prioriteitenmatrix. " + in_woorden + ".",
        voetnoot=texts.prioriteiten_voetnoot(dutch.percent(gewogen["r2_pct"])),
    )


def _themas(rows: list[Row], periode: Periode, drempel: int) -> tuple[list[Thema], str, str, str]:
    """(bars, basis, text alternative, why empty) of "Waar gaan de opmerkingen over":
    the shown themes with at least one mention, largest share first (taxonomy order on a
    tie), at most MAX_THEMAS. A hidden share is never drawn: its place is taken by the next."""
    n = rows[0]["n"] if rows else 0
    shown = [r for r in rows if r["publiceerbaar"] and r.get("aandeel") is not None]
    top = sorted(
        (r for r in shown if (r.get("aantal") or 0) > 0),
        key=lambda r: (-r["aandeel_exact"], r["volgorde"]),
    )[:MAX_THEMAS]
    basis = f"{dutch.whole(n)} reacties met een toelichting of verbetertip" if n else ""
    if not top:
        if not n:
            leeg = "Geen reacties met een toelichting of verbetertip."
        elif n < drempel:
            leeg = f"Te weinig reacties met tekst om te tonen (n < {drempel})."
        elif shown:
            leeg = "Geen van de thema's komt in de reacties voor."
        else:
            leeg = "De thema's zijn afgeschermd."
        return [], basis, "", leeg
    # one axis for bars and BM marks, up to the next ten above the largest of them
    largest = max(max(r["aandeel"], r.get("bm") or 0) for r in top)
    axis = max(10, -(-largest // 10) * 10)
    earlier = dutch.short_period_label(periode.jaar - 1, periode.kwartaal)
    bars = []
    for r in top:
        verschil = ""
        if r.get("verschil_vorig_jaar") is not None:
            body = dutch.signed_difference(str(r["verschil_vorig_jaar"]), "0")
            verschil = f"{body}{PROCENTPUNT} t.o.v. {earlier}"
        bars.append(
            Thema(
                label=r["label"],
                waarde=dutch.percent(r["aandeel"]),
                bm=dutch.percent(r.get("bm")),
                fractie=r["aandeel"] / axis,
                bm_fractie=None if r.get("bm") is None else r["bm"] / axis,
                verschil=verschil,
                significant=r["richting"] if r.get("richting") in _ARROWS else "",
                teken=_ARROWS.get(r.get("richting"), ""),
            )
        )
    parts = [
        f"{b.label} {b.waarde}"
        + (f" ({b.significant} dan de BM)" if b.significant else "")
        + f" (BM {b.bm}{', ' + b.verschil if b.verschil else ''})"
        for b in bars
    ]
    tekst = f"Van de {basis} ging het vaakst over: " + "; ".join(parts) + "."
    return bars, basis, tekst, ""


def build_view(
    cel: Row, periode: Periode, data: PeriodData, settings: Settings, generated_on: dt.date
) -> FactsheetView:
    """The view of one cell; ``data`` holds the period's mart rows.

    ``settings`` is not consulted for any rule: the threshold is the one the marts were
    built with (``kto_cel.drempel``).
    """
    drempel = int(cel["drempel"])
    key = (cel["gemeentecode"], cel["kanaal"])
    kanaal = cel["kanaal"]
    fdr = settings.significance == "fdr"
    totaal, ces = cell_figures(cel, drempel, fdr=fdr)
    groepen = data.groepen.get(key, [])
    totaal = replace(totaal, bm_groepen=_group_bms(groepen, "totaaloordeel", "cijfer"))
    ces = replace(ces, bm_groepen=_group_bms(groepen, "ces", "ces"))
    rangschikking = [
        (_row_figure(r, r["aspect"], "score", "cijfer", drempel, fdr), *_exact_pair(r, "score"))
        for r in data.aspects.get(key, [])
    ]
    for r in data.stellingen.get(key, []):
        label = r["stelling"] if kanaal == "digitaal" else f"{r['stelling']} (% ja)"
        figure = _row_figure(r, label, "pct", "pct", drempel, fdr)
        rangschikking.append((figure, *_exact_pair(r, "pct")))
    tabel = [fig for fig, _, _ in rangschikking]
    producten = []
    for r in data.products.get(key, []):
        shown = _shown(r, "totaaloordeel", "publiceerbaar")
        fig = _figure(
            r["product"],
            "cijfer",
            value=r.get("totaaloordeel"),
            n=r.get("totaaloordeel_n"),
            bm=None,
            ci_low=None,
            ci_high=None,
            shown=shown,
            richting=None,
            drempel=drempel,
        )
        producten.append(
            Staaf(
                texts.korte_naam(fig.label),
                fig.label,
                fig.waarde,
                fig.getoond,
                fig.opmerking,
                fig.fractie,
                f"N={dutch.whole(r.get('respons') or 0)}",
            )
        )
    trend = _trend(cel, periode, data, drempel)
    kwartalen = _kwartalen(cel, periode, data, drempel)
    themas, themas_basis, themas_tekst, themas_leeg = _themas(
        data.themas.get(key, []), periode, drempel
    )
    afwijkingen = _afwijkingen(rangschikking)
    bm_methode = cel["bm_method"]
    figures = [totaal.getoond, ces.getoond]
    figures += [f.getoond for f in tabel]
    figures += [s.getoond for s in producten]
    figures += [t.getoond for t in trend if not t.huidig]
    figures += [f.getoond for k in kwartalen for f in (k.totaaloordeel, k.ces)]
    verfijnd = any(f.verfijnd for f in (totaal, ces, *tabel))
    trend_titel = "Totaaloordeel door de jaren heen"
    if periode.kwartaal is not None:
        trend_titel += f" ({periode.kwartaal}e kwartaal)"
    return FactsheetView(
        gemeentecode=cel["gemeentecode"],
        gemeente=cel["gemeente"],
        kanaal=kanaal,
        periode=periode.code,
        jaar=periode.jaar,
        kwartaal=periode.kwartaal,
        titel=texts.KANAAL_TITEL.get(kanaal, kanaal),
        ondertitel="Resultaten continu klantonderzoek "
        + dutch.quarter_label(periode.jaar, periode.kwartaal),
        gegenereerd_op=dutch.long_date(generated_on),
        gegenereerd_iso=generated_on.isoformat(),
        drempel=drempel,
        bm_methode=bm_methode,
        kerncijfers=_kerncijfers(cel),
        totaaloordeel=totaal,
        ces=ces,
        trend_titel=trend_titel,
        trend=trend,
        kwartalen_titel=f"Per kwartaal van {periode.jaar}",
        kwartalen=kwartalen,
        afwijkingen_titel="Grootste verschillen met de BM",
        afwijkingen=afwijkingen,
        producten_titel=texts.PRODUCT_TITEL.get(kanaal, "Totaaloordeel per product"),
        producten=producten,
        tabel_titel=texts.TABEL_TITEL.get(kanaal, "Oordeel"),
        tabel_eenheid=texts.TABEL_EENHEID.get(kanaal, ""),
        tabel=tabel,
        # kto_tip holds exactly the tips to show (at most four, chosen in dbt)
        tips=[_tip(r["tekst"]) for r in data.tips.get(key, []) if r.get("tekst")],
        legenda=texts.legenda(drempel, verfijnd, fdr),
        toelichting=texts.toelichting(kanaal, drempel, bm_methode),
        cijfers_getoond=sum(figures),
        cijfers_niet_getoond=len(figures) - sum(figures),
        grootteklasse=cel.get("grootteklasse") or "",
        prioriteiten=_prioriteiten(data.prioriteiten.get(key, []), cel["gemeente"], periode.jaar),
        themas=themas,
        themas_basis=themas_basis,
        themas_tekst=themas_tekst,
        themas_leeg=themas_leeg,
        themas_uitleg=texts.themas_uitleg(drempel),
    )


def today_amsterdam() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def _split(cells: list[Row]) -> tuple[list[Row], list[Row]]:
    """(cells that get a factsheet, cells that do not), as the marts decided."""
    return (
        [c for c in cells if c["respons_publiceerbaar"]],
        [c for c in cells if not c["respons_publiceerbaar"]],
    )


def build_view_models(
    conn, periode: str, settings: Settings, generated_on: dt.date | None = None
) -> list[FactsheetView]:
    """The views of every cell of ``periode`` that gets a factsheet (``respons_publiceerbaar``).

    ``conn`` is a DuckDB connection to the warehouse (read-only is enough);
    ``generated_on`` defaults to today in Europe/Amsterdam.
    """
    views, _ = build_period(conn, periode, settings, generated_on)
    return views


def build_period(
    conn, periode: str, settings: Settings, generated_on: dt.date | None = None
) -> tuple[list[FactsheetView], list[Row]]:
    """(views of the cells that get a factsheet, kto_cel rows of the cells that do not)."""
    p = Periode.parse(periode)
    data = read_period(conn, p, TREND_YEARS)
    day = generated_on or today_amsterdam()
    eligible, skipped = _split(data.cells)
    return [build_view(c, p, data, settings, day) for c in eligible], skipped
