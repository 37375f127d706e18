"""Holding a built warehouse's internal layer to tests/oracle.py, figure by figure, to the digit.

``compare`` lists every difference as a readable line: cells, counts, values,
exact values, n, 95% intervals (when the oracle computed them) and BMs.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from tests import oracle
from tests.layers import internal_figures

MIN_N = 10


def build(landing: Path, root: Path) -> Path:
    warehouse = root / "warehouse.duckdb"
    load_landing(landing, warehouse)
    run = run_dbt(["build"], Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}))
    assert run.ok, run.output
    return warehouse


def records(con, sql: str, *params) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def published(value):
    if value is None:
        return None
    return Decimal(str(value)) if isinstance(value, float) else value


def check_figure(
    where: str,
    want: dict,
    value,
    exact,
    n,
    problems: list[str],
    ci: tuple | None = None,
    min_n: int = MIN_N,
) -> None:
    """One figure against the oracle; its interval too when the oracle has one (``ci``)."""
    if n != want["n"]:
        problems.append(f"{where}: n {n} != {want['n']}")
        return
    if value != published(want["value"]):
        problems.append(f"{where}: value {value!r} != {want['value']!r}")
    if want["n"] >= min_n and (exact is None or abs(exact - want["exact"]) > 1e-9):
        problems.append(f"{where}: exact {exact!r} != {want['exact']!r}")
    if "ci" not in want or ci is None:
        return
    expected_ci = want["ci"] or (None, None)
    for side, got, wanted in zip(("ci_low", "ci_high"), ci, expected_ci, strict=True):
        if (got is None) != (wanted is None) or (
            got is not None and abs(got - wanted) > 1e-9 * max(1.0, abs(wanted))
        ):
            problems.append(f"{where}: {side} {got!r} != {wanted!r}")


def compare(warehouse: Path, want: dict) -> list[str]:
    """Every difference between the internal layer and the oracle, as readable lines.

    The internal layer (int_cells, int_figures) keeps every figure docs/contract/metrics.md defines,
    withheld ones included; test_disclosure.py holds the public marts to it.
    """
    problems: list[str] = []
    min_n = want.get("min_n", MIN_N)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cel = {
            (r["gemeentecode"], r["kanaal"], r["periode"]): r
            for r in records(con, "select * from intermediate.int_cells")
        }
        figures = internal_figures(con)
        product_respons = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur"]): r["respons"]
            for r in records(
                con, "select * from intermediate.int_figures where figuur_type = 'product'"
            )
        }
    wanted_cells = {tuple(k.split("|")) for k in want["cells"]}
    if set(cel) != wanted_cells:
        problems.append(f"cells: extra {sorted(set(cel) - wanted_cells)[:5]}, "
                        f"missing {sorted(wanted_cells - set(cel))[:5]}")  # fmt: skip
    bm_seen: dict[tuple[str, str], set] = {}

    def check(key: str, figuur_type: str, figuur: str, fig: dict, bm_name: str | None) -> None:
        f = figures.get((*key.split("|"), figuur_type, figuur))
        if f is None:
            problems.append(f"{key} {figuur}: missing")
            return
        ci = None if figuur_type == "product" else (f["ci_low"], f["ci_high"])
        check_figure(f"{key} {figuur}", fig, f["value"], f["exact"], f["n"], problems, ci, min_n)
        if bm_name:
            group = "|".join(key.split("|")[1:])
            bm_seen.setdefault((group, bm_name), set()).add(f["bm"])

    for key, exp in want["cells"].items():
        k = tuple(key.split("|"))
        if k not in cel:
            continue
        row = cel[k]
        for f in ("respons", "reviews", "verbetertips", "uitnodigingen"):
            if row[f] != exp[f]:
                problems.append(f"{key} {f}: {row[f]} != {exp[f]}")
        check(key, "totaaloordeel", "Totaaloordeel", exp["totaaloordeel"], "totaaloordeel")
        check(key, "ces", "CES", exp["ces"], "ces")
        for a, fig in exp["aspecten"].items():
            check(key, "aspect", a, fig, a)
        percentages = dict(exp.get("stellingen", {}))
        if "in_een_keer_geholpen" in exp:
            percentages[oracle.IN_EEN_KEER] = exp["in_een_keer_geholpen"]
        for s, fig in percentages.items():
            check(key, "stelling", s, fig, s)
        for p, fig in exp["producten"].items():
            got = product_respons.get((*k, p))
            if got != fig["respons"]:
                problems.append(f"{key} product {p}: respons {got} != {fig['respons']}")
            check(key, "product", p, fig, None)
    for group, figures_bm in want["benchmark"].items():
        for f, value in figures_bm.items():
            seen = bm_seen.get((group, f))
            if seen is not None and seen != {published(value)}:
                problems.append(f"BM {group} {f}: {sorted(map(str, seen))} != {value}")
    return problems
