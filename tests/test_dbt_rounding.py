"""Rounding half away from zero from exact integers: the dbt macros and the BM's Python UDF.

The macros are compiled by dbt itself (``dbt compile --inline``) and run in DuckDB; the
expected values come from Python's decimal module (ROUND_HALF_UP rounds halves away from
zero) on the exact quotient, a different road to the same definition.
"""

from __future__ import annotations

import random
import subprocess
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import Settings
from dagster_project.transform.by_year import dbt_vars
from dagster_project.transform.commands import (
    DBT_PROJECT_DIR,
    dbt_env,
    dbt_executable,
    with_vars,
)
from dagster_project.transform.plugin import mean_of_ratios, mean_of_ratios_scaled, round_half_away

TIES = [  # (numerator, denominator, decimals, expected)
    (167, 20, 1, Decimal("8.4")),  # 8.35
    (165, 20, 1, Decimal("8.3")),  # 8.25
    (-167, 20, 1, Decimal("-8.4")),  # -8.35
    (-25, 2, 0, Decimal("-13")),  # -12.5
    (25, 2, 0, Decimal("13")),  # 12.5
    (-5, 2, 0, Decimal("-3")),  # -2.5
    (1, 2, 0, Decimal("1")),  # 0.5
    (-1, 2, 0, Decimal("-1")),  # -0.5
    (501, 60, 1, Decimal("8.4")),  # 8.35 in 60ths (hostmanship)
    (8349999, 1000000, 1, Decimal("8.3")),  # just below the half
    (0, 7, 1, Decimal("0.0")),
    (100, 3, 0, Decimal("33")),
    (-200, 3, 0, Decimal("-67")),
]


def half_away(numerator: int, denominator: int, decimals: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal(numerator) / Decimal(denominator)
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def compile_inline(sql: str, warehouse: Path) -> str:
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    args = with_vars(["compile", "--quiet", "--inline", sql], dbt_vars(settings))
    proc = subprocess.run(
        [dbt_executable(), *args,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=dbt_env(),
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def cases() -> list[tuple[int, int, int, Decimal]]:
    rng = random.Random(20201231)
    drawn = []
    for _ in range(400):
        denominator = rng.choice([2, 4, 8, 20, 40, 60, 120, rng.randint(1, 5000)])
        numerator = rng.randint(-99 * denominator, 99 * denominator)
        decimals = rng.choice([0, 1])
        drawn.append(
            (numerator, denominator, decimals, half_away(numerator, denominator, decimals))
        )
    return [*TIES, *drawn]


@pytest.fixture(scope="module")
def macro_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    warehouse = tmp_path_factory.mktemp("rounding") / "warehouse.duckdb"
    return compile_inline(
        "select t, n, d,"
        " case d when 0 then {{ round_half_away('t', 'n', 0) }}"
        " else {{ round_half_away('t', 'n', 1) }} end as fixed,"
        " {{ round_half_away_scaled('t', 'n', 'd') }} as scaled,"
        " {{ grade_from_scaled(round_half_away_scaled('t', 'n', 1)) }} as grade"
        " from cases",
        warehouse,
    )


def test_expected_values_are_half_away_from_zero():
    for numerator, denominator, decimals, want in TIES:
        assert half_away(numerator, denominator, decimals) == want


def test_the_macros_round_half_away_from_zero(macro_sql, cases):
    with duckdb.connect() as con:
        con.execute("create table cases (t hugeint, n hugeint, d integer)")
        con.executemany("insert into cases values (?, ?, ?)", [c[:3] for c in cases])
        got = con.execute(macro_sql).fetchall()
    assert len(got) == len(cases)
    for (t, n, d, fixed, scaled, grade), (_, _, _, want) in zip(got, cases, strict=True):
        assert Decimal(fixed) == want, (t, n, d)
        assert Decimal(scaled).scaleb(-d) == want, (t, n, d)
        if d == 1 and abs(want) < 100:  # grades are DECIMAL(3,1)
            assert isinstance(grade, Decimal) and grade == want, (t, n, d)


def test_a_double_would_get_it_wrong():
    """Why the macros exist: DuckDB's round() on the double 8.35 gives 8.3."""
    with duckdb.connect() as con:
        assert con.execute("select round(167 / 20, 1)").fetchone()[0] == 8.3


def pairs(tellers: list[int], noemers: list[int]) -> list[dict[str, int]]:
    return [{"teller": t, "noemer": n} for t, n in zip(tellers, noemers, strict=True)]


def test_benchmark_mean_of_exact_fractions():
    # two municipalities at 8.3 and 8.4 (as fractions with unlike denominators): mean 8.35
    fractions = pairs([249, 168], [30, 20])
    assert mean_of_ratios_scaled(fractions, 1) == 84
    assert mean_of_ratios(fractions) == pytest.approx(8.35)
    # -12.5 as the mean of -12 and -13 (CES): away from zero
    assert mean_of_ratios_scaled(pairs([-1200, -1300], [100, 100]), 0) == -13
    # thirds that sum to a half exactly: 1/3 + 2/3 + 1/2 over 3 = 0.5 -> 1
    assert mean_of_ratios_scaled(pairs([1, 2, 1], [3, 3, 2]), 0) == 1
    assert mean_of_ratios_scaled([], 1) is None
    assert mean_of_ratios_scaled(None, 1) is None


def test_benchmark_rounding_matches_the_macro_definition():
    rng = random.Random(7)
    for _ in range(300):
        drawn = [(rng.randint(-5000, 5000), rng.randint(1, 400)) for _ in range(rng.randint(1, 9))]
        fractions = pairs([p[0] for p in drawn], [p[1] for p in drawn])
        mean = sum((Fraction(t, n) for t, n in drawn), Fraction(0)) / len(drawn)
        for decimals in (0, 1):
            want = half_away(mean.numerator, mean.denominator, decimals).scaleb(decimals)
            assert mean_of_ratios_scaled(fractions, decimals) == int(want)
            assert round_half_away(mean, decimals) == int(want)


# Doubles at the half of the printed precision: Python's round() gets each of them wrong
# (7.25 is exact and rounds to even, 7.35 is stored as 7.34999...); the marts round the
# decimal the double spells, half away from zero.
DOUBLE_TIES = [  # (double, decimals, as the marts must hold it)
    (7.25, 1, Decimal("7.3")),
    (7.35, 1, Decimal("7.4")),
    (-7.25, 1, Decimal("-7.3")),
    (8.345, 2, Decimal("8.35")),
    (8.335, 2, Decimal("8.34")),
    (-12.5, 0, Decimal("-13")),
    (2.5, 0, Decimal("3")),
    (0.05, 1, Decimal("0.1")),
    (8.3449999, 2, Decimal("8.34")),
]


@pytest.fixture(scope="module")
def double_macro_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    warehouse = tmp_path_factory.mktemp("rounding_doubles") / "warehouse.duckdb"
    return compile_inline(
        "select x, d, {{ decimal_from_scaled(double_half_away_scaled('x', 'd'), 'd') }} as r"
        " from doubles",
        warehouse,
    )


def test_doubles_round_half_away_on_their_decimal_in_the_macro(double_macro_sql):
    assert [round(x, d) for x, d, _ in DOUBLE_TIES[:2]] == [7.2, 7.3]  # the trap
    with duckdb.connect() as con:
        con.execute("create table doubles (x double, d integer)")
        con.executemany("insert into doubles values (?, ?)", [t[:2] for t in DOUBLE_TIES])
        got = {(x, d): r for x, d, r in con.execute(double_macro_sql).fetchall()}
    for x, d, want in DOUBLE_TIES:
        assert got[x, d] == want, (x, d)


def test_the_view_prints_the_marts_rounding_of_a_half(double_macro_sql):
    """Interval bounds at .x5 go through the macro into a kto_cel row; the factsheet prints
    exactly the macro's result and never Python's own rounding of the double."""
    from dagster_project.factsheets import dutch
    from dagster_project.factsheets.view import cell_figures

    with duckdb.connect() as con:
        con.execute("create table doubles (x double, d integer)")
        con.executemany("insert into doubles values (?, ?)", [(7.25, 1), (7.35, 1)])
        rounded = dict((x, r) for x, _, r in con.execute(double_macro_sql).fetchall())
    cel = {
        "ces": 7,
        "ces_n": 40,
        "ces_bm": 5,
        "ces_publiceerbaar": True,
        "ces_richting": "gelijk",
        "ces_ci_low": 7.25,
        "ces_ci_high": 7.35,
        "ces_ci_low_afgerond": rounded[7.25],
        "ces_ci_high_afgerond": rounded[7.35],
    }
    _, ces = cell_figures(cel, drempel=10)
    assert ces.bi == f"[{dutch.fixed(rounded[7.25], 1)}; {dutch.fixed(rounded[7.35], 1)}]"
    assert ces.bi == "[7,3; 7,4]"
    python = [f"{round(x, 1):.1f}".replace(".", ",") for x in (7.25, 7.35)]
    assert ces.bi != f"[{python[0]}; {python[1]}]"
    # the double itself is refused: the formatter does not round
    with pytest.raises(dutch.NotRounded):
        cell_figures({**cel, "ces_ci_low_afgerond": 7.25}, drempel=10)


def test_the_t_quantile_is_scipy_stats_own():
    """The UDF takes scipy.special.stdtrit (cheap to import); it must be what
    scipy.stats.t.ppf gives, bit for bit, for every p the marts use and any df."""
    from scipy.stats import t as student_t

    from dagster_project.transform.plugin import t_quantile

    for p in (0.95, 0.975, 0.995):
        for df in [*range(1, 2001), 10_000, 99_999, 1_000_003]:
            assert t_quantile(p, df) == float(student_t.ppf(p, df)), (p, df)
    assert t_quantile(0.975, 0) is None
