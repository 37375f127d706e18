"""The marts built by dbt from the sample landing folder, held to samples/expected.json.

The samples as ``dbt build`` (models and dbt tests) makes them, built once per test
process (conftest's built_sample_warehouse); every figure of every cell is compared to
expected.json: n, the exact value where it is published, and the published value (or
NULL), the benchmarks, and the 8.35 -> 8.4 tie. Then privacy: no personal data from
expected["pii"] anywhere outside raw.
"""

from __future__ import annotations

import math
import shutil
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt

pytestmark = pytest.mark.slow

MIN_N = 10
STELLING_IKG = "In één keer geholpen"


def _settings(warehouse: Path, **env: str) -> Settings:
    return Settings.from_env({"KTO_WAREHOUSE": str(warehouse), **env})


@pytest.fixture(scope="module")
def marts(built_sample_warehouse: Path) -> Path:
    """The samples as dbt builds them (shared, read only: tests that write copy it)."""
    return built_sample_warehouse


@pytest.fixture(scope="module")
def con(marts: Path):
    with duckdb.connect(str(marts), read_only=True) as connection:
        yield connection


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def by_cell(records: list[dict], *extra: str) -> dict:
    return {
        (r["gemeentecode"], r["kanaal"], r["periode"], *(r[e] for e in extra)): r for r in records
    }


def cell_key(key: str) -> tuple[str, str, str]:
    gemeentecode, kanaal, periode = key.split("|")
    return gemeentecode, kanaal, periode


def published(value) -> Decimal | int | None:
    """expected.json's published value in the mart's type: grades DECIMAL(3,1), else INTEGER."""
    if value is None:
        return None
    return Decimal(str(value)) if isinstance(value, float) else value


def assert_figure(where: str, exp: dict, value, exact, n) -> None:
    assert n == exp["n"], f"{where}: n {n} != {exp['n']}"
    if exp["n"] >= MIN_N:
        assert exact == pytest.approx(exp["exact"], rel=1e-12, abs=1e-12), f"{where}: exact"
    else:
        assert exact is None, f"{where}: exact must be NULL below the threshold"
    expected_value = published(exp["value"])
    assert value == expected_value, f"{where}: value {value!r} != {expected_value!r}"
    if value is not None:
        assert type(value) is type(expected_value), f"{where}: type"


def test_the_cells_are_the_expected_ones(con, expected):
    got = {
        (r[0], r[1], r[2])
        for r in con.execute("select gemeentecode, kanaal, periode from marts.kto_cel").fetchall()
    }
    assert got == {cell_key(k) for k in expected["cells"]}


def test_counts_per_cell(con, expected):
    cells = by_cell(rows(con, "select * from marts.kto_cel"))
    for key, exp in expected["cells"].items():
        cell = cells[cell_key(key)]
        for figure in ("respons", "reviews", "verbetertips", "uitnodigingen"):
            assert cell[figure] == exp[figure], f"{key} {figure}: {cell[figure]} != {exp[figure]}"


def test_totaaloordeel_and_ces_per_cell(con, expected):
    cells = by_cell(rows(con, "select * from marts.kto_cel"))
    for key, exp in expected["cells"].items():
        cell = cells[cell_key(key)]
        for figure in ("totaaloordeel", "ces"):
            assert_figure(
                f"{key} {figure}",
                exp[figure],
                cell[figure],
                cell[f"{figure}_exact"],
                cell[f"{figure}_n"],
            )


def test_aspects_per_cell_including_hostmanship(con, expected):
    aspects = by_cell(rows(con, "select * from marts.kto_aspect"), "aspect")
    seen = 0
    for key, exp in expected["cells"].items():
        got = {a for (g, k, p, a) in aspects if (g, k, p) == cell_key(key)}
        assert got == set(exp["aspecten"]), key
        for aspect, fig in exp["aspecten"].items():
            row = aspects[(*cell_key(key), aspect)]
            assert_figure(f"{key} {aspect}", fig, row["score"], row["score_exact"], row["n"])
            seen += aspect == "Hostmanship"
    assert seen > 0


def test_percentages_per_cell(con, expected):
    stellingen = by_cell(rows(con, "select * from marts.kto_stelling"), "stelling")
    for key, exp in expected["cells"].items():
        want = dict(exp.get("stellingen", {}))
        if "in_een_keer_geholpen" in exp:
            want[STELLING_IKG] = exp["in_een_keer_geholpen"]
        got = {s for (g, k, p, s) in stellingen if (g, k, p) == cell_key(key)}
        assert got == set(want), key
        for stelling, fig in want.items():
            row = stellingen[(*cell_key(key), stelling)]
            assert_figure(f"{key} {stelling}", fig, row["pct"], row["pct_exact"], row["n"])


def test_products_per_cell(con, expected):
    products = by_cell(rows(con, "select * from marts.kto_product"), "product")
    for key, exp in expected["cells"].items():
        got = {p for (g, k, per, p) in products if (g, k, per) == cell_key(key)}
        assert got == set(exp["producten"]), key
        for product, fig in exp["producten"].items():
            row = products[(*cell_key(key), product)]
            assert row["respons"] == fig["respons"], f"{key} {product} respons"
            assert_figure(
                f"{key} {product}",
                fig,
                row["totaaloordeel"],
                row["totaaloordeel_exact"],
                row["totaaloordeel_n"],
            )


def test_benchmarks(con, expected):
    cel = rows(
        con, "select kanaal, periode, totaaloordeel_bm, ces_bm, bm_method from marts.kto_cel"
    )
    aspect = rows(con, "select kanaal, periode, aspect, bm, bm_method from marts.kto_aspect")
    stelling = rows(con, "select kanaal, periode, stelling, bm, bm_method from marts.kto_stelling")
    found: dict[tuple[str, str], set] = defaultdict(set)
    for r in cel:
        found[(f"{r['kanaal']}|{r['periode']}", "totaaloordeel")].add(r["totaaloordeel_bm"])
        found[(f"{r['kanaal']}|{r['periode']}", "ces")].add(r["ces_bm"])
    for r in aspect:
        found[(f"{r['kanaal']}|{r['periode']}", r["aspect"])].add(r["bm"])
    for r in stelling:
        found[(f"{r['kanaal']}|{r['periode']}", r["stelling"])].add(r["bm"])
    assert {r["bm_method"] for r in cel + aspect + stelling} == {"gemeenten"}
    checked = 0
    for kanaal_periode, bms in expected["benchmark"].items():
        for figure, value in bms.items():
            assert found[(kanaal_periode, figure)] == {published(value)}, (kanaal_periode, figure)
            checked += 1
    assert checked > 100


def test_the_half_rounds_away_from_zero(con):
    """GM0627 telefoon 2020: the exact mean is 8.35 (167/20); a double rounds it to 8.3."""
    ((value, exact, n),) = con.execute(
        "select totaaloordeel, totaaloordeel_exact, totaaloordeel_n from marts.kto_cel "
        "where gemeentecode = 'GM0627' and kanaal = 'telefoon' and periode = '2020'"
    ).fetchall()
    assert (value, n) == (Decimal("8.4"), 20)
    assert Fraction(exact).limit_denominator(1000) == Fraction(167, 20)
    assert con.execute("select round(8.35::double, 1)").fetchone()[0] == 8.3  # the trap
    # the only published value of telefoon 2020-Q4 is this cell's, so its BM is the same tie
    (bm,) = con.execute(
        "select distinct totaaloordeel_bm from marts.kto_cel "
        "where kanaal = 'telefoon' and periode = '2020-Q4'"
    ).fetchone()
    assert bm == Decimal("8.4")


def check_complementary_suppression(con: duckdb.DuckDBPyConnection, min_n: int) -> int:
    """publiceerbaar in the public marts, checked from n alone: a figure below min_n is never
    shown; no relation (a year and its quarters per figure; a cell's totaaloordeel and its
    products) has exactly one hidden figure with n > 0, or the others would give it away;
    and every figure withheld at or above min_n sits in a relation with another hidden
    one (it is there to protect it). Returns how many were withheld."""
    figures = rows(
        con,
        """
        select gemeentecode, kanaal, periode, jaar, kwartaal, 'totaaloordeel' as f,
               totaaloordeel_n as n, totaaloordeel_publiceerbaar as pub from marts.kto_cel
        union all
        select gemeentecode, kanaal, periode, jaar, kwartaal, 'ces', ces_n, ces_publiceerbaar
        from marts.kto_cel
        union all
        select gemeentecode, kanaal, periode, jaar, kwartaal, aspect, n, publiceerbaar
        from marts.kto_aspect
        union all
        select gemeentecode, kanaal, periode, jaar, kwartaal, stelling, n, publiceerbaar
        from marts.kto_stelling
        union all
        select gemeentecode, kanaal, periode, jaar, kwartaal, 'product ' || product,
               totaaloordeel_n, publiceerbaar from marts.kto_product
        """,
    )
    relations: dict[tuple, list[dict]] = defaultdict(list)
    for r in figures:
        if r["n"] == 0:
            continue  # no value: nothing to protect or to give away
        assert r["n"] >= min_n or not r["pub"], r
        relations[("jaar", r["gemeentecode"], r["kanaal"], r["jaar"], r["f"])].append(r)
        if r["f"] == "totaaloordeel" or r["f"].startswith("product "):
            relations[("product", r["gemeentecode"], r["kanaal"], r["periode"])].append(r)
    protected_by: dict[int, int] = defaultdict(int)
    for key, members in relations.items():
        hidden = [r for r in members if not r["pub"]]
        assert len(hidden) != 1, (key, hidden)
        for r in hidden:
            protected_by[id(r)] = max(protected_by[id(r)], len(hidden))
    withheld = [r for r in figures if r["n"] >= min_n and not r["pub"]]
    for r in withheld:
        assert protected_by[id(r)] >= 2, r
    return len(withheld)


def test_complementary_suppression(con):
    check_complementary_suppression(con, MIN_N)


def test_confidence_intervals(con):
    """Spot checks against independent formulas: t-interval, CES difference of proportions,
    Wilson."""
    from scipy import stats

    grades = [
        r[0]
        for r in con.execute(
            "select r.totaaloordeel from intermediate.int_response_periods p "
            "join intermediate.int_responses r using (response_id) "
            "where p.gemeentecode = 'GM0637' and p.kanaal = 'balie' and p.periode = '2019' "
            "and r.totaaloordeel is not null"
        ).fetchall()
    ]
    n, mean, sd = len(grades), sum(grades) / len(grades), stats.tstd(grades)
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    ((low, high),) = con.execute(
        "select totaaloordeel_ci_low, totaaloordeel_ci_high from marts.kto_cel "
        "where gemeentecode = 'GM0637' and kanaal = 'balie' and periode = '2019'"
    ).fetchall()
    assert (low, high) == (pytest.approx(mean - half), pytest.approx(mean + half))

    codes = [
        r[0]
        for r in con.execute(
            "select r.moeite from intermediate.int_response_periods p "
            "join intermediate.int_responses r using (response_id) "
            "where p.gemeentecode = 'GM0637' and p.kanaal = 'balie' and p.periode = '2019' "
            "and r.moeite is not null and r.moeite <> 'weet_niet'"
        ).fetchall()
    ]
    z = stats.norm.ppf(0.975)
    p_low = sum(c in ("weinig_moeite", "geen_moeite") for c in codes) / len(codes)
    p_high = sum(c in ("veel_moeite", "heel_veel_moeite") for c in codes) / len(codes)
    se = math.sqrt((p_low * (1 - p_low) + p_high * (1 - p_high) + 2 * p_low * p_high) / len(codes))
    ((low, high),) = con.execute(
        "select ces_ci_low, ces_ci_high from marts.kto_cel "
        "where gemeentecode = 'GM0637' and kanaal = 'balie' and periode = '2019'"
    ).fetchall()
    diff = p_low - p_high
    assert low == pytest.approx(max(-100, 100 * (diff - z * se)))
    assert high == pytest.approx(min(100, 100 * (diff + z * se)))

    for stelling_row in rows(con, "select * from marts.kto_stelling where ci_low is not null"):
        k = round(stelling_row["pct_exact"] * stelling_row["n"] / 100)
        n = stelling_row["n"]
        centre = (k / n + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * math.sqrt(k / n * (1 - k / n) / n + z**2 / (4 * n**2))
        assert stelling_row["ci_low"] == pytest.approx(100 * (centre - half))
        assert stelling_row["ci_high"] == pytest.approx(100 * (centre + half))


def test_significance_and_direction_compare_the_interval_with_the_exact_benchmark(con):
    """Every figure, internal and public: significant exactly when the interval excludes the
    exact BM, richting the side the exact value is on. No row is skipped, however close the
    BM is to a bound."""
    checked = 0
    for r in rows(con, "select * from intermediate.int_figures where figuur_type <> 'product'"):
        if r["exact"] is None or r["ci_low"] is None or r["bm_exact"] is None:
            assert r["significant"] is None and r["richting"] is None, r
            continue
        outside = not (r["ci_low"] <= r["bm_exact"] <= r["ci_high"])
        assert r["significant"] == outside, r
        side = "hoger" if r["exact"] > r["bm_exact"] else "lager"
        assert r["richting"] == (side if outside else "gelijk"), r
        checked += 1
    assert checked > 200
    public = rows(con, "select * from marts.kto_aspect where bm_exact is not null")
    for r in public:
        if r["publiceerbaar"] and r["ci_low"] is not None:
            outside = not (r["ci_low"] <= r["bm_exact"] <= r["ci_high"])
            assert r["significant"] == outside, r
    assert {r["richting"] for r in public} >= {"hoger", "lager", "gelijk"}


# Completed responses invited through Inviter per cell, straight from raw (latest version of
# each response by file time, name and row; period by completion time).
INVITER_RESPONSES = """
with latest as (
    select gemeentecode, lower(kanaal) as kanaal, einddatum, uitnodiging
    from raw.one2ten_responses
    where status = 'Voltooid'
    qualify row_number() over (partition by kanaal, respondentnummer
        order by source_modified_at desc, source_file desc, source_row desc) = 1
)
select gemeentecode, kanaal, year(einddatum)::varchar as periode, count(*) as n
from latest where uitnodiging = 'Inviter' group by all
union all
select gemeentecode, kanaal, year(einddatum)::varchar || '-Q' || quarter(einddatum)::varchar,
    count(*)
from latest where uitnodiging = 'Inviter' group by all
"""


def test_responspercentage_sets_inviter_responses_against_inviter_invitations(con):
    via_inviter = {
        (r["gemeentecode"], r["kanaal"], r["periode"]): r["n"] for r in rows(con, INVITER_RESPONSES)
    }
    assert via_inviter, "the samples have responses invited through Inviter"
    for r in rows(con, "select * from marts.kto_cel"):
        want = via_inviter.get((r["gemeentecode"], r["kanaal"], r["periode"]), 0)
        assert r["respons_inviter"] == want, r
        if not r["uitnodigingen"]:
            assert r["responspercentage"] is None
        else:
            exact = Fraction(100 * want, r["uitnodigingen"])
            assert r["responspercentage"] == math.floor(exact + Fraction(1, 2))


def test_tips(con):
    """At most four per cell, only for cells with respons >= threshold, most recent first."""
    tips = rows(con, "select * from marts.kto_tip order by gemeentecode, kanaal, periode, rang")
    assert tips
    cells = by_cell(rows(con, "select * from marts.kto_cel"))
    per_cell: dict[tuple, list[int]] = defaultdict(list)
    for tip in tips:
        per_cell[(tip["gemeentecode"], tip["kanaal"], tip["periode"])].append(tip["rang"])
        assert tip["tekst"].strip() == tip["tekst"] and any(c.isalnum() for c in tip["tekst"])
    for key, ranks in per_cell.items():
        assert cells[key]["respons"] >= MIN_N
        assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 4
    # a cell with fewer than 4 tips holds all of its Ja-with-text responses
    candidates = rows(
        con,
        "select p.gemeentecode, p.kanaal, p.periode, count(*) as tips "
        "from intermediate.int_response_periods p join intermediate.int_responses r "
        "using (response_id) where r.heeft_tiptekst group by all",
    )
    for c in candidates:
        key = (c["gemeentecode"], c["kanaal"], c["periode"])
        if cells[key]["respons"] >= MIN_N:
            assert len(per_cell[key]) == min(4, c["tips"]), key
        else:
            assert key not in per_cell


# --- privacy ------------------------------------------------------------------------------


def text_columns(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in {schemas!r} and data_type = 'VARCHAR' order by all"
    ).fetchall()


def test_no_personal_data_outside_raw(con, expected):
    pii = expected["pii"]
    # the samples do carry it in raw, so the scan below means something
    raw_text = " ".join(
        str(v)
        for schema, table, column in text_columns(con, ("raw",))
        for (v,) in con.execute(
            f'select "{column}" from {schema}.{table} where "{column}" is not null'
        ).fetchall()
    )
    assert sum(p in raw_text for p in pii) > len(pii) * 0.9
    columns = text_columns(con, ("staging", "intermediate", "marts"))
    assert len(columns) > 20
    for schema, table, column in columns:
        values = [
            v
            for (v,) in con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()
            if v
        ]
        for value in values:
            leaked = [p for p in pii if p in value]
            assert not leaked, f"{schema}.{table}.{column}: {leaked}"


def test_no_email_column_outside_raw(con):
    columns = con.execute(
        "select table_schema || '.' || table_name || '.' || column_name "
        "from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts') and column_name ilike '%mail%'"
    ).fetchall()
    assert columns == []


def test_redaction_left_its_tags(con):
    tags = con.execute(
        "select string_agg(verbetertip_toelichting, ' ') from staging.stg_one2ten__responses"
    ).fetchone()[0]
    for tag in ("[BSN]", "[E-MAIL]", "[TELEFOON]", "[IBAN]"):
        assert tag in tags


# --- settings -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def respondenten(marts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same warehouse rebuilt from intermediate on with the other benchmark method and a
    threshold of 5."""
    warehouse = tmp_path_factory.mktemp("dbt_respondenten") / "warehouse.duckdb"
    shutil.copy(marts, warehouse)
    settings = _settings(warehouse, KTO_BENCHMARK_METHOD="respondenten", KTO_MIN_RESPONDENTS="5")
    run = run_dbt(["run", "--select", "int_disclosure+"], settings)
    assert run.ok, run.output
    return warehouse


def test_respondenten_benchmark_is_pooled_over_all_responses(respondenten):
    with duckdb.connect(str(respondenten), read_only=True) as c:
        grades: dict[tuple[str, str], list[int]] = defaultdict(list)
        for kanaal, periode, grade in c.execute(
            "select p.kanaal, p.periode, r.totaaloordeel from intermediate.int_response_periods p "
            "join intermediate.int_responses r using (response_id) "
            "where r.totaaloordeel is not null"
        ).fetchall():
            grades[(kanaal, periode)].append(grade)
        bms = c.execute(
            "select distinct kanaal, periode, bm_scaled, bm_method from intermediate.int_figures"
            " where figuur_type = 'totaaloordeel'"
        ).fetchall()
        public = dict(
            ((k, p), bm)
            for k, p, bm in c.execute(
                "select distinct kanaal, periode, totaaloordeel_bm from marts.kto_cel"
            ).fetchall()
        )
    assert {b[3] for b in bms} == {"respondenten"}
    assert len(bms) == len(grades)
    for kanaal, periode, bm_scaled, _ in bms:
        values = grades[(kanaal, periode)]
        mean = Fraction(sum(values), len(values))
        want = Decimal(math.floor(mean * 10 + Fraction(1, 2))) / 10 if len(values) >= 5 else None
        bm = None if bm_scaled is None else Decimal(int(bm_scaled)) / 10
        assert bm == want, (kanaal, periode)
        # public: the same BM, or none where it would give hidden figures away
        assert public[(kanaal, periode)] in (want, None), (kanaal, periode)


def test_the_threshold_is_a_setting(respondenten):
    with duckdb.connect(str(respondenten), read_only=True) as c:
        shown = c.execute(
            "select count(*) from marts.kto_cel where totaaloordeel_n between 5 and 9 "
            "and totaaloordeel is not null"
        ).fetchone()[0]
        hidden = c.execute(
            "select count(*) from marts.kto_cel "
            "where totaaloordeel_n < 5 and totaaloordeel is not null"
        ).fetchone()[0]
    assert shown > 0 and hidden == 0


def test_complementary_suppression_at_another_threshold(respondenten):
    """At threshold 5 the samples have years with exactly one suppressed quarter."""
    with duckdb.connect(str(respondenten), read_only=True) as c:
        assert check_complementary_suppression(c, 5) > 0


def test_every_hidden_value_says_why(respondenten):
    """reden: onder_drempel for n below the threshold, afgeschermd for a figure withheld at
    n >= the threshold, NULL when shown; bm_reden: bm_afgeschermd for a BM hidden by the BM
    rule, onder_drempel where there is none. At threshold 5 with the pooled BM the samples
    have all three; the marts' dbt tests (row_rules) hold there too."""
    with duckdb.connect(str(respondenten), read_only=True) as c:
        figures = rows(
            c,
            "select f.figuur_type, f.n, f.publiceerbaar, f.reden, f.bm_reden, f.bm, f.bm_exact,"
            " i.bm_scaled as bm_intern, f.soort, f.periode"
            " from marts.kto_figuur as f join intermediate.int_figures as i"
            " using (gemeentecode, kanaal, periode, figuur_type, figuur)",
        )
        wide = rows(
            c,
            "select totaaloordeel, totaaloordeel_n, totaaloordeel_reden, ces_bm_exact,"
            " ces_bm_reden,"
            " soort, kwartaal from marts.kto_cel",
        )
    for f in figures:
        want = None if f["publiceerbaar"] else "onder_drempel" if f["n"] < 5 else "afgeschermd"
        assert f["reden"] == want, f
        if f["figuur_type"] == "product" or f["bm_exact"] is not None:
            assert f["bm_reden"] is None, f
        else:
            assert f["bm_reden"] == (
                "onder_drempel" if f["bm_intern"] is None else "bm_afgeschermd"
            )
        assert f["soort"] == ("jaar" if len(f["periode"]) == 4 else "kwartaal"), f
    assert {f["reden"] for f in figures} == {None, "onder_drempel", "afgeschermd"}
    assert "bm_afgeschermd" in {f["bm_reden"] for f in figures}
    for r in wide:
        assert (r["totaaloordeel_reden"] is None) == (r["totaaloordeel"] is not None), r
        assert (r["ces_bm_reden"] is None) == (r["ces_bm_exact"] is not None), r
        assert r["soort"] == ("jaar" if r["kwartaal"] is None else "kwartaal"), r
    settings = _settings(respondenten, KTO_BENCHMARK_METHOD="respondenten", KTO_MIN_RESPONDENTS="5")
    run = run_dbt(["test", "--select", "marts", "--exclude-resource-type", "unit_test"], settings)
    assert run.ok, run.output


def test_soort_separates_years_from_quarters(con):
    """Summing respons over soort = 'jaar' counts each response once; without the filter the
    quarters count it again."""
    (per_year, everything) = con.execute(
        "select sum(respons) filter (where soort = 'jaar'), sum(respons) from marts.kto_cel"
    ).fetchone()
    (responses,) = con.execute(
        "select count(distinct response_id) from intermediate.int_response_periods"
    ).fetchone()
    assert per_year == responses
    assert everything > per_year


# --- dbt tests as quality rules -------------------------------------------------------------


def test_failing_dbt_tests_name_the_rule_and_the_rows(marts: Path, tmp_path: Path):
    """What `kto check` reports: a corrupted mart fails its dbt tests, with offending rows."""
    from dagster_project.transform.commands import failing_tests

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(marts, warehouse)
    with duckdb.connect(str(warehouse)) as c:
        c.execute(
            "update marts.kto_cel set ces = 101 "
            "where gemeentecode = 'GM0637' and kanaal = 'balie' and periode = '2019'"
        )
    settings = _settings(warehouse)
    run = run_dbt(["test", "--select", "kto_cel"], settings)
    assert not run.ok
    failures = failing_tests(run, settings)
    (failed,) = [f for f in failures if f.test.startswith("test.kto.row_rules_kto_cel.")]
    assert failed.status == "fail" and failed.failures == 1
    assert [(r["gemeentecode"], r["periode"], r["ces"]) for r in failed.rows] == [
        ("GM0637", "2019", 101)
    ]
    # the row names the rules it breaks: the range, and the rounding against ces_exact
    assert "accepted_range(ces, -100, 100)" in failed.rows[0]["failed_rules"]
    assert all(f.test.startswith("test.kto.") for f in failures)
