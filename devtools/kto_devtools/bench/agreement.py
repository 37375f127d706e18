"""Do the bench's references and the published marts agree, cell by cell?

Compared per gemeente x kanaal x periode, between a reference's cells (Parquet from
``floor.sql`` or the pandas script) and ``kto_cel`` in the published snapshot
(``KTO_OUTPUT_DIR/marts.duckdb``), using only kto_cel's public columns (README):

- the set of cells: a cell in one and not the other is a disagreement;
- exactly: respons, reviews, verbetertips, uitnodigingen (NULL when unknown), the rounded
  totaaloordeel and CES (NULL when suppressed), their n, and their rounded BM;
- within 1e-9: the unrounded totaaloordeel_exact and ces_exact (DOUBLEs computed along
  different paths may differ in the last bits).

A figure the public marts withhold (NULL by disclosure control while the reference, which
applies only the threshold, has it) cannot be compared; it is counted apart (``withheld``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

KEYS = ("gemeentecode", "kanaal", "periode")
EXACT = (
    "respons",
    "reviews",
    "verbetertips",
    "uitnodigingen",
    "totaaloordeel",
    "totaaloordeel_n",
    "totaaloordeel_bm",
    "ces",
    "ces_n",
    "ces_bm",
)
CLOSE = ("totaaloordeel_exact", "ces_exact")
# Figures the public layer may withhold beyond the threshold (docs/metrics.md).
WITHHOLDABLE = {"totaaloordeel", "totaaloordeel_bm", "ces", "ces_bm", *CLOSE}
TOLERANCE = 1e-9
SHOWN = 10  # disagreements listed in a report


@dataclass
class Agreement:
    reference: str
    cells: int  # cells in both
    values: int  # values compared
    only_reference: list[tuple[str, ...]] = field(default_factory=list)
    only_marts: list[tuple[str, ...]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    withheld: int = 0  # values the public marts withhold: not compared

    @property
    def agrees(self) -> bool:
        return self.cells > 0 and not (self.only_reference or self.only_marts or self.differences)

    def summary(self) -> str:
        if self.agrees:
            return f"{self.reference} = marts: {self.cells} cells, {self.values} values, all equal"
        problems = [
            f"{len(self.differences)} values differ" if self.differences else "",
            f"{len(self.only_reference)} cells only in {self.reference}"
            if self.only_reference
            else "",
            f"{len(self.only_marts)} cells only in the marts" if self.only_marts else "",
            "no cells" if not self.cells else "",
        ]
        shown = "; ".join(p for p in problems if p)
        examples = "; ".join(self.differences[:SHOWN])
        return f"{self.reference} != marts: {shown}" + (f" (e.g. {examples})" if examples else "")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[tuple[str, ...], dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    out = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        out[tuple(row[k] for k in KEYS)] = row
    return out


def _number(value):
    """Integers, DECIMALs and whole DOUBLEs compare by value (1 == 1.0 == Decimal('1.0'))."""
    return Decimal(str(value)) if value is not None else None


def compare(reference: str, cells: Path, snapshot: Path) -> Agreement:
    """``cells`` (Parquet) against kto_cel of the published ``snapshot``."""
    columns = ", ".join((*KEYS, *EXACT, *CLOSE))
    with duckdb.connect(str(snapshot), read_only=True) as con:
        marts = _rows(con, f"SELECT {columns} FROM kto_cel")
        ours = _rows(con, f"SELECT {columns} FROM read_parquet('{cells}')")
    both = sorted(marts.keys() & ours.keys())
    result = Agreement(
        reference,
        cells=len(both),
        values=len(both) * (len(EXACT) + len(CLOSE)),
        only_reference=sorted(ours.keys() - marts.keys()),
        only_marts=sorted(marts.keys() - ours.keys()),
    )
    for key in both:
        mine, theirs = ours[key], marts[key]
        cell = "|".join(key)
        for column in (*EXACT, *CLOSE):
            if column in WITHHOLDABLE and theirs[column] is None and mine[column] is not None:
                result.withheld += 1
                continue
            if column in CLOSE:
                continue
            if _number(mine[column]) != _number(theirs[column]):
                result.differences.append(
                    f"{cell} {column}: {reference} {mine[column]}, marts {theirs[column]}"
                )
        for column in CLOSE:
            a, b = mine[column], theirs[column]
            if b is None and a is not None:
                continue  # withheld, counted above
            if (a is None) != (b is None) or (a is not None and abs(a - b) > TOLERANCE):
                result.differences.append(f"{cell} {column}: {reference} {a}, marts {b}")
    return result
