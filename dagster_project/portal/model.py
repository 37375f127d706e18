"""What the portal shows: every cell of the marts with its factsheet files, if any.

A cell's figures are printed exactly as on its factsheet (``view.cell_figures``:
the same rounding, dash, reason and mark). Links come from the reports: a cell
links to its PDF and HTML only when its period's ``report.json`` lists them and
both files exist, so the portal never links to a missing file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.domain import code_lists
from dagster_project.domain.periods import Periode, sort_periods
from dagster_project.factsheets import dutch
from dagster_project.factsheets.marts import Row
from dagster_project.factsheets.output import REPORT_NAME
from dagster_project.factsheets.view import Figuur, cell_figures

KANALEN = code_lists.channels()  # the factsheets' order


@dataclass(frozen=True)
class Cel:
    """One gemeente × kanaal × periode as the portal lists it."""

    gemeentecode: str
    gemeente: str
    kanaal: str
    periode: str
    respons: str  # printed; a dash for a cell without a factsheet
    totaaloordeel: Figuur | None  # None: no factsheet, nothing of the cell is shown
    ces: Figuur | None
    pdf: str | None  # path relative to the factsheets folder, only when the file exists
    html: str | None
    reden: str  # why there is no factsheet ("" when there is one)
    trend: Figuur | None = None  # the totaaloordeel unmarked, at its own precision

    @property
    def heeft_factsheet(self) -> bool:
        return self.pdf is not None


@dataclass
class Portal:
    periodes: list[str]  # chronological
    gemeenten: dict[str, str]  # gemeentecode -> name, by name
    cellen: list[Cel]
    drempel: int
    factsheets: set[str] = field(default_factory=set)  # every linked file, relative
    # per period: its funnel plots and its signals (portal/funnels.py, portal/signalen.py);
    # empty in a portal of one municipality (KTO_PUBLICATIE=eigen: docs/factsheets.md)
    trechters: dict[str, list] = field(default_factory=dict)
    signalen: dict[str, list[dict]] = field(default_factory=dict)

    def van_periode(self, periode: str) -> list[Cel]:
        return [c for c in self.cellen if c.periode == periode]

    def getoonde_cellen(self) -> set[tuple[str, str, str]]:
        """(gemeentecode, kanaal, periode) of every cell whose figures the portal shows: the
        cells with a factsheet."""
        return {(c.gemeentecode, c.kanaal, c.periode) for c in self.cellen if c.heeft_factsheet}

    def van_gemeente(self, code: str) -> list[Cel]:
        return [c for c in self.cellen if c.gemeentecode == code]

    def alleen(self, code: str) -> Portal:
        """The portal of one municipality (``KTO_PUBLICATIE=eigen``): its cells, its name,
        the periods it has a cell in and its factsheets; no other municipality's."""
        cellen = self.van_gemeente(code)
        periodes = [p for p in self.periodes if any(c.periode == p for c in cellen)]
        linked = {p for c in cellen if c.pdf for p in (c.pdf, c.html)}
        return Portal(periodes, {code: self.gemeenten[code]}, cellen, self.drempel, linked)


def _report(folder: Path, periode: str) -> dict[str, Any]:
    path = folder / periode / REPORT_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error


def _files(folder: Path, periode: str, report: dict[str, Any]) -> dict[tuple[str, str], tuple]:
    """(gemeentecode, kanaal) -> (pdf, html) relative paths, for files that exist."""
    found = {}
    for entry in report.get("factsheets", []):
        pdf, html = f"{periode}/{entry['pdf']}", f"{periode}/{entry['html']}"
        if (folder / pdf).is_file() and (folder / html).is_file():
            found[(entry["gemeentecode"], entry["kanaal"])] = (pdf, html)
    return found


def _reasons(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (s["gemeentecode"], s["kanaal"]): str(s.get("reden") or "geen factsheet")
        for s in report.get("overgeslagen", [])
    }


def collect(conn, factsheets_dir: Path, drempel: int, fdr: bool = False) -> Portal:
    """Every cell of ``marts.kto_cel`` with the files its period's report lists."""
    cursor = conn.execute("SELECT * FROM marts.kto_cel")
    columns = [d[0] for d in cursor.description]
    rows: list[Row] = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    periodes = sort_periods({r["periode"] for r in rows})
    files: dict[tuple[str, str, str], tuple] = {}
    reasons: dict[tuple[str, str, str], str] = {}
    for periode in periodes:
        Periode.parse(periode)  # a malformed period in the marts fails here, by name
        report = _report(factsheets_dir, periode)
        files |= {(*k, periode): v for k, v in _files(factsheets_dir, periode, report).items()}
        reasons |= {(*k, periode): v for k, v in _reasons(report).items()}
    order = {p: i for i, p in enumerate(periodes)}
    rows.sort(
        key=lambda r: (
            order[r["periode"]],
            r["gemeente"],
            KANALEN.index(r["kanaal"]) if r["kanaal"] in KANALEN else 9,
        )
    )
    cellen = []
    for r in rows:
        key = (r["gemeentecode"], r["kanaal"], r["periode"])
        pdf_html = files.get(key)
        if pdf_html:
            totaal, ces = cell_figures(r, drempel, fdr=fdr)  # the factsheet's marks
            kaal, _ = cell_figures(r, drempel, marks=False)
            cellen.append(
                Cel(
                    *key[:1],
                    r["gemeente"],
                    *key[1:],
                    dutch.whole(r["respons"]),
                    totaal,
                    ces,
                    *pdf_html,
                    "",
                    kaal,
                )
            )
        else:
            reden = reasons.get(key, "nog geen factsheet gemaakt")
            cellen.append(
                Cel(*key[:1], r["gemeente"], *key[1:], dutch.DASH, None, None, None, None, reden)
            )
    gemeenten = dict(
        sorted(
            {r["gemeentecode"]: r["gemeente"] for r in rows}.items(), key=lambda kv: (kv[1], kv[0])
        )
    )
    linked = {p for c in cellen if c.pdf for p in (c.pdf, c.html)}
    return Portal(periodes, gemeenten, cellen, drempel, linked)
