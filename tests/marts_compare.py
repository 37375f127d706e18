"""Holding a built warehouse's marts to tests/oracle.py, figure by figure, to the digit.

``compare`` lists every difference as a readable line: cells, counts, values,
exact values, n, 95% intervals (when the oracle computed them) and BMs.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.dbt_commands import run_dbt
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests import oracle

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
    """Every difference between the marts and the oracle, as readable lines."""
    problems: list[str] = []
    min_n = want.get("min_n", MIN_N)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cel = {
            (r["gemeentecode"], r["kanaal"], r["periode"]): r
            for r in records(con, "select * from marts.kto_cel")
        }
        aspect = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["aspect"]): r
            for r in records(con, "select * from marts.kto_aspect")
        }
        stelling = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["stelling"]): r
            for r in records(con, "select * from marts.kto_stelling")
        }
        product = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["product"]): r
            for r in records(con, "select * from marts.kto_product")
        }
    wanted_cells = {tuple(k.split("|")) for k in want["cells"]}
    if set(cel) != wanted_cells:
        problems.append(f"cells: extra {sorted(set(cel) - wanted_cells)[:5]}, "
                        f"missing {sorted(wanted_cells - set(cel))[:5]}")  # fmt: skip
    bm_seen: dict[tuple[str, str], set] = {}
    for key, exp in want["cells"].items():
        k = tuple(key.split("|"))
        if k not in cel:
            continue
        row = cel[k]
        group = f"{k[1]}|{k[2]}"
        for f in ("respons", "reviews", "verbetertips", "uitnodigingen"):
            if row[f] != exp[f]:
                problems.append(f"{key} {f}: {row[f]} != {exp[f]}")
        for f in ("totaaloordeel", "ces"):
            check_figure(
                f"{key} {f}", exp[f], row[f], row[f"{f}_exact"], row[f"{f}_n"], problems,
                (row[f"{f}_ci_low"], row[f"{f}_ci_high"]), min_n,
            )  # fmt: skip
            bm_seen.setdefault((group, f), set()).add(row[f"{f}_bm"])
        for a, fig in exp["aspecten"].items():
            r = aspect.get((*k, a))
            if r is None:
                problems.append(f"{key} {a}: missing")
                continue
            check_figure(
                f"{key} {a}", fig, r["score"], r["score_exact"], r["n"], problems,
                (r["ci_low"], r["ci_high"]), min_n,
            )  # fmt: skip
            bm_seen.setdefault((group, a), set()).add(r["bm"])
        percentages = dict(exp.get("stellingen", {}))
        if "in_een_keer_geholpen" in exp:
            percentages[oracle.IN_EEN_KEER] = exp["in_een_keer_geholpen"]
        for s, fig in percentages.items():
            r = stelling.get((*k, s))
            if r is None:
                problems.append(f"{key} {s}: missing")
                continue
            check_figure(
                f"{key} {s}", fig, r["pct"], r["pct_exact"], r["n"], problems,
                (r["ci_low"], r["ci_high"]), min_n,
            )  # fmt: skip
            bm_seen.setdefault((group, s), set()).add(r["bm"])
        for p, fig in exp["producten"].items():
            r = product.get((*k, p))
            if r is None:
                problems.append(f"{key} product {p}: missing")
                continue
            if r["respons"] != fig["respons"]:
                problems.append(f"{key} product {p}: respons {r['respons']} != {fig['respons']}")
            check_figure(
                f"{key} product {p}", fig, r["totaaloordeel"], r["totaaloordeel_exact"],
                r["totaaloordeel_n"], problems, None, min_n,
            )  # fmt: skip
    for group, figures in want["benchmark"].items():
        for f, value in figures.items():
            seen = bm_seen.get((group, f))
            if seen is not None and seen != {published(value)}:
                problems.append(f"BM {group} {f}: {sorted(map(str, seen))} != {value}")
    return problems
