"""What a failing rule withholds: the cells it concerns, the periods it touches, or everything.

Every quality rule (a dbt test, a GX expectation, the disclosure audit) that fails becomes a
:class:`Breach`: the rule, the model it judges, how many rows fail, a few of
them, and its *scope*:

- ``cel``: the rule judges a cell's own figures (its value, interval, n,
  publiceerbaar) on a mart or a per-cell intermediate model, and every failing
  row names its cell (gemeentecode, kanaal, periode): those cells are
  withheld, the other cells of the period are published.
- ``periode``: the rule judges what the cells of a period share (the
  benchmark, responses placed in a period): every cell of the periods its
  failing rows belong to is withheld.
- ``alles``: the rule judges raw or staging rows, or rows that name no period,
  or could not be evaluated at all (a model missing): every period is withheld.

The :class:`Gate` collects the breaches of one run and answers, per period and
cell, which rules withhold it. Dagster-free: the Dagster layer hands the gate
the breaches its checks found (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.periods import year_and_quarters
from ..transform.commands import models_meta
from .warehouse import CELL_KEYS

CEL = "cel"
PERIODE = "periode"
ALLES = "alles"
BREACHES = "breaches"  # the metadata entry of a check result that lists its breaches

# Models whose rows are the figures of one cell each (a rule on them concerns those cells),
# and models whose rows belong to a period that every cell of it shares: the dbt models'
# meta gate_scope (dbt_project.yml), by asset path.
_SCOPES = {path: meta.get("gate_scope") for path, meta in models_meta().items()}
CELL_MODELS = frozenset(path for path, scope in _SCOPES.items() if scope == CEL)
PERIOD_MODELS = frozenset(path for path, scope in _SCOPES.items() if scope == PERIODE)
SAMPLE_ROWS = 5

Cell = tuple[str, str, str]  # (gemeentecode, kanaal, periode)


def is_benchmark_column(column: str) -> bool:
    """A benchmark column (``bm``, ``bm_exact``, ``totaaloordeel_bm``, ``bm_method``, ...)."""
    parts = column.replace(",", " ").replace("-", " ").split()
    return any(p == "bm" or p.startswith("bm_") or p.endswith("_bm") for p in parts)


def year_cells(code: str, kanaal: str, jaar: Any) -> list[Cell]:
    """A year and its four quarters: what a rule across a year's quarters concerns."""
    return [(code, kanaal, periode) for periode in year_and_quarters(int(jaar))]


def scope_of(model: str, columns: Iterable[str], rule_columns: str = "") -> str:
    """The scope of a failing rule on ``model`` whose failing rows have ``columns``."""
    columns = set(columns)
    if is_benchmark_column(rule_columns) or model == "intermediate/int_benchmarks":
        return PERIODE if "periode" in columns else ALLES
    if model in CELL_MODELS and (
        set(CELL_KEYS) <= columns or {"gemeentecode", "kanaal", "jaar"} <= columns
    ):
        return CEL
    if model in PERIOD_MODELS and "periode" in columns:
        return PERIODE
    return ALLES


def cells_of_rows(rows: Iterable[Mapping[str, Any]]) -> list[Cell]:
    """The cells named by failing rows: (gemeentecode, kanaal, periode), or a year's cells."""
    found: dict[Cell, None] = {}
    for row in rows:
        if row.get("periode") is not None:
            found[(str(row["gemeentecode"]), str(row["kanaal"]), str(row["periode"]))] = None
        elif row.get("jaar") is not None:
            for cell in year_cells(str(row["gemeentecode"]), str(row["kanaal"]), row["jaar"]):
                found[cell] = None
    return sorted(found)


@dataclass(frozen=True)
class Breach:
    """One failing rule and what it withholds."""

    rule: str  # "dbt <test name>" or "gx <suite>/<rule>"
    model: str  # the asset path of the model it judges, e.g. "marts/kto_stelling"
    scope: str  # CEL | PERIODE | ALLES
    failing_rows: int
    description: str = ""
    cells: tuple[Cell, ...] = ()  # scope CEL: the cells withheld
    periods: tuple[str, ...] = ()  # scope PERIODE: the periods withheld
    sample: tuple[dict[str, Any], ...] = ()

    def withholds(self, periode: str, cell: Cell | None = None) -> bool:
        if self.scope == ALLES:
            return True
        if self.scope == PERIODE:
            return periode in self.periods
        return cell in self.cells if cell is not None else False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "model": self.model,
            "scope": self.scope,
            "failing_rows": self.failing_rows,
            "description": self.description,
            "cells": [list(c) for c in self.cells],
            "periods": list(self.periods),
            "sample": [{k: _plain(v) for k, v in row.items()} for row in self.sample],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Breach:
        return cls(
            rule=d["rule"],
            model=d["model"],
            scope=d["scope"],
            failing_rows=int(d.get("failing_rows") or 0),
            description=d.get("description", ""),
            cells=tuple(tuple(c) for c in d.get("cells", [])),
            periods=tuple(d.get("periods", [])),
            sample=tuple(d.get("sample", [])),
        )

    def withheld(self) -> str:
        """What the breach withholds, for people."""
        if self.scope == CEL:
            shown = ", ".join("/".join(c) for c in self.cells[:10])
            more = f" and {len(self.cells) - 10} more" if len(self.cells) > 10 else ""
            return f"withholds {len(self.cells)} cell(s): {shown}{more}"
        if self.scope == PERIODE:
            return f"withholds every cell of period(s) {', '.join(self.periods)}"
        return "withholds every period (it judges rows every cell shares)"

    def text(self) -> list[str]:
        """The breach for people: the rule, its rows, and what it withholds."""
        lines = [f"FAIL {self.rule} on {self.model}: {self.failing_rows} rows; {self.withheld()}"]
        if self.description:
            lines.append(f"     {self.description}")
        lines += [
            "     - " + ", ".join(f"{k}={_plain(v)}" for k, v in row.items())
            for row in self.sample[:SAMPLE_ROWS]
        ]
        return lines


def breach(
    rule: str,
    model: str,
    rows: list[Mapping[str, Any]],
    failing_rows: int,
    *,
    description: str = "",
    rule_columns: str = "",
    evaluated: bool = True,
) -> Breach:
    """A breach from the failing rows of a rule (all of them, or at least their keys)."""
    columns = set().union(*(r.keys() for r in rows)) if rows else set()
    scope = scope_of(model, columns, rule_columns) if evaluated and rows else ALLES
    cells = tuple(cells_of_rows(rows)) if scope == CEL else ()
    periods = (
        tuple(sorted({str(r["periode"]) for r in rows if r.get("periode") is not None}))
        if scope == PERIODE
        else ()
    )
    return Breach(
        rule=rule,
        model=model,
        scope=scope,
        failing_rows=failing_rows,
        description=description,
        cells=cells,
        periods=periods,
        sample=tuple(dict(r) for r in rows[:SAMPLE_ROWS]),
    )


@dataclass
class Gate:
    """The breaches of one run: what may be published and what is withheld, and why."""

    breaches: list[Breach] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Nothing withheld: every rule holds."""
        return not self.breaches

    def rules_withholding(self, periode: str, cell: Cell | None = None) -> list[str]:
        """The rules that withhold ``cell`` (or, without a cell, the whole ``periode``)."""
        return [b.rule for b in self.breaches if b.withholds(periode, cell)]

    def period_withheld(self, periode: str) -> list[str]:
        return [b.rule for b in self.breaches if b.scope != CEL and b.withholds(periode)]

    def text(self) -> str:
        return "\n".join(line for b in self.breaches for line in b.text())


def gate_of_checks(checks: Iterable[tuple[str, str, bool, Any]]) -> Gate:
    """The gate from the latest evaluation of every check: (check, model path, passed,
    the breaches it listed or None). A failed check that lists none (it could not say what
    it concerns) withholds everything."""
    gate = Gate()
    for check, model, passed, listed in checks:
        if passed:
            continue
        if listed:
            gate.breaches.extend(Breach.from_dict(b) for b in listed)
        else:
            gate.breaches.append(Breach(rule=check, model=model, scope=ALLES, failing_rows=0))
    return gate


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
