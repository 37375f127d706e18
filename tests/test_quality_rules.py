"""Each quality rule catches what it names: corrupt a valid warehouse one rule at a time.

The corruptions touch contract columns only (docs/architecture.md, and the
staging names of dagster_project/quality/warehouse.py), so they apply to the
synthetic warehouse and to a real one given by KTO_QUALITY_WAREHOUSE alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.quality import warehouse as names
from dagster_project.quality.runner import run_all, run_suite, suite_parameters
from dagster_project.quality.suites import EXPECTATIONS_DIR, load_suites
from dagster_project.settings import Settings
from tests.test_quality_warehouse import warehouse_copy


@pytest.fixture(scope="module", params=["synthetic", "samples built by dbt"])
def clean(request, tmp_path_factory):
    """A valid warehouse: the synthetic one (every case on purpose), and the samples as the
    pipeline builds them."""
    if request.param == "synthetic":
        return warehouse_copy(tmp_path_factory.mktemp("clean"))
    built = request.getfixturevalue("built_sample_warehouse")
    target = tmp_path_factory.mktemp("clean_built") / "warehouse.duckdb"
    shutil.copyfile(built, target)
    return target, Settings.from_env({}).min_respondents  # built with the default threshold


@pytest.fixture
def corrupt(clean, tmp_path):
    """A fresh copy of the clean warehouse and a connection that writes it."""
    path, min_n = clean
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(path, target)
    con = duckdb.connect(str(target))
    yield target, min_n, con
    con.close()


def _one(con, sql: str) -> tuple:
    row = con.execute(sql).fetchone()
    assert row is not None, f"the warehouse has no row to corrupt: {sql}"
    return row


def grade_of_11(con, min_n):
    (rowid,) = _one(con, "select rowid from marts.kto_cel where totaaloordeel is not null limit 1")
    con.execute(f"update marts.kto_cel set totaaloordeel = 11 where rowid = {rowid}")


def published_value_with_n_9(con, min_n):
    (rowid,) = _one(
        con,
        "select rowid from marts.kto_aspect where score is not null and publiceerbaar "
        "order by n limit 1",
    )
    con.execute(f"update marts.kto_aspect set n = {min_n - 1} where rowid = {rowid}")


def negative_n(con, min_n):
    # a suppressed year value: n is the only thing that changes meaning
    (rowid,) = _one(
        con,
        "select rowid from marts.kto_stelling where pct is null "
        "order by kwartaal is not null, n limit 1",
    )
    con.execute(f"update marts.kto_stelling set n = -1 where rowid = {rowid}")


def products_not_summing_up(con, min_n):
    (rowid,) = _one(con, "select rowid from marts.kto_product limit 1")
    con.execute(f"update marts.kto_product set respons = respons + 1 where rowid = {rowid}")


def back_calculable_quarter(con, min_n):
    """Undo complementary suppression where it was applied, else hide one quarter alone."""
    years = """
        select y.gemeentecode, y.kanaal, y.jaar,
               count(*) filter (where q.totaaloordeel_n > 0
                                and not q.totaaloordeel_publiceerbaar) as hidden
        from marts.kto_cel y join marts.kto_cel q using (gemeentecode, kanaal, jaar)
        where y.kwartaal is null and y.totaaloordeel_publiceerbaar and q.kwartaal is not null
        group by all
    """
    complementary = con.execute(
        f"""select q.rowid from ({years}) g join marts.kto_cel q using (gemeentecode, kanaal, jaar)
            where g.hidden = 2 and q.kwartaal is not null and not q.totaaloordeel_publiceerbaar
              and q.totaaloordeel_n >= {min_n} limit 1"""
    ).fetchone()
    if complementary:
        con.execute(
            "update marts.kto_cel set totaaloordeel_publiceerbaar = true "
            f"where rowid = {complementary[0]}"
        )
        return
    (rowid,) = _one(
        con,
        f"""select q.rowid from ({years}) g join marts.kto_cel q using (gemeentecode, kanaal, jaar)
            where g.hidden = 0 and q.kwartaal is not null and q.totaaloordeel_n > 0 limit 1""",
    )
    con.execute(
        f"update marts.kto_cel set totaaloordeel_publiceerbaar = false where rowid = {rowid}"
    )


def duplicate_response_key(con, min_n):
    table = names.STG_ONE2TEN["table"]
    con.execute(f"insert into {table} select * from {table} limit 1")


def ci_not_containing_value(con, min_n):
    (rowid,) = _one(con, "select rowid from marts.kto_aspect where score_exact is not null limit 1")
    con.execute(f"update marts.kto_aspect set ci_high = score_exact - 0.5 where rowid = {rowid}")


def invalid_gemeentecode(con, min_n):
    t = names.INT_RESPONSES
    (key,) = _one(con, f"select {t['response_key']} from {t['table']} limit 1")
    con.execute(
        f"update {t['table']} set {t['gemeentecode']} = 'GM637' where {t['response_key']} = ?",
        [key],
    )


def unknown_channel(con, min_n):
    t = names.STG_ONE2TEN
    (rowid,) = _one(con, f"select rowid from {t['table']} limit 1")
    con.execute(f"update {t['table']} set {t['kanaal']} = 'Balie' where rowid = {rowid}")


def completed_after_its_quarter(con, min_n):
    """A quarter row's completion moment moved 100 days on: out of its quarter."""
    p = names.INT_RESPONSE_PERIODS
    c = p["completed_at"]
    (rowid,) = _one(con, f"select rowid from {p['table']} where {p['periode']} like '%-Q%' limit 1")
    con.execute(f"update {p['table']} set {c} = {c} + interval 100 day where rowid = {rowid}")


def uitnodigingen_below_respons(con, min_n):
    (rowid,) = _one(
        con,
        "select rowid from marts.kto_cel where uitnodigingen is not null and respons_inviter > 0"
        " limit 1",
    )
    con.execute(
        f"update marts.kto_cel set uitnodigingen = respons_inviter - 1 where rowid = {rowid}"
    )


# corruption -> (the rule that must fail, rules that may fail with it as a consequence)
CASES = {
    grade_of_11: ("cel_totaaloordeel_1_10", set()),
    published_value_with_n_9: (
        "aspect_min_n",
        {"aspect_ci_min_n", "aspect_publiceerbaar_min_n"},
    ),
    negative_n: ("stelling_n_not_negative", {"stelling_quarter_back_calculation"}),
    products_not_summing_up: ("product_respons_sums_to_cell", set()),
    back_calculable_quarter: ("cel_quarter_back_calculation", set()),
    duplicate_response_key: ("one2ten_one_row_per_response", set()),
    ci_not_containing_value: ("aspect_score_exact_below_ci_high", set()),
    invalid_gemeentecode: ("responses_gemeentecode_format", set()),
    unknown_channel: ("one2ten_kanaal_known", set()),
    completed_after_its_quarter: ("response_periods_completed_before_end", set()),
    uitnodigingen_below_respons: ("cel_uitnodigingen_cover_respons", set()),
}


@pytest.mark.parametrize("corruption", list(CASES), ids=[c.__name__ for c in CASES])
def test_corruption_fails_its_rule(corrupt, corruption):
    path, min_n, con = corrupt
    corruption(con, min_n)
    con.close()
    rule, consequences = CASES[corruption]

    failures = [f for r in run_all(path, min_n) for f in r.failures]

    failed = {f.rule for f in failures}
    assert rule in failed
    assert failed - {rule} <= consequences, f"unrelated rules fail too: {failed - {rule}}"
    named = next(f for f in failures if f.rule == rule)
    assert named.failing_rows >= 1 and named.error is None
    assert named.description and named.expectation_type.startswith("expect_")
    assert 1 <= len(named.sample) <= named.failing_rows
    # a failure sample identifies the row: the frame's key columns are in it
    assert set(names.FRAMES[named.frame].keys) <= set(named.sample[0])


def test_failing_rows_are_counted_and_shown(corrupt):
    """Three grades of 11: three failing rows, each shown with its cell."""
    path, min_n, con = corrupt
    rows = con.execute(
        "select rowid, gemeentecode, kanaal, periode from marts.kto_cel "
        "where totaaloordeel is not null order by rowid limit 3"
    ).fetchall()
    for rowid, *_ in rows:
        con.execute(f"update marts.kto_cel set totaaloordeel = 11 where rowid = {rowid}")
    con.close()

    (failure,) = [f for r in run_all(path, min_n) for f in r.failures]

    assert failure.failing_rows == 3
    shown = {
        (s["gemeentecode"], s["kanaal"], s["periode"], s["totaaloordeel"]) for s in failure.sample
    }
    assert shown == {(*cell, 11.0) for _, *cell in rows}


def test_threshold_is_a_parameter(clean):
    """The same warehouse against a higher threshold: every published value below it fails."""
    path, min_n = clean
    higher = 3 * min_n
    suite = load_suites()["min_respondents"]
    with duckdb.connect(str(path), read_only=True) as con:
        result = run_suite(con, suite, ("marts", "kto_cel"), suite_parameters(higher))
        (expected,) = con.execute(
            "select count(*) from marts.kto_cel where (totaaloordeel is not null "
            f"or totaaloordeel_exact is not null) and totaaloordeel_n < {higher}"
        ).fetchone()
    assert expected > 0
    by_rule = {f.rule: f.failing_rows for f in result.failures}
    assert by_rule["cel_totaaloordeel_min_n"] == expected


def test_threshold_is_never_a_literal():
    """Every rule on n compares with the suite parameter, never with a number."""
    data = json.loads((EXPECTATIONS_DIR / "min_respondents.json").read_text())
    on_n = [e for e in data["expectations"] if e["meta"]["rule"].endswith("min_n")]
    assert len(on_n) == 15
    for e in on_n:
        assert e["kwargs"]["min_value"] == {"$PARAMETER": "min_respondents"}, e["meta"]["rule"]


def test_every_expectation_is_described():
    for suite in load_suites().values():
        for e in suite.expectations:
            assert len(e["meta"]["description"]) > 20, e["meta"]["rule"]


def test_missing_model_fails_its_rules_with_the_reason(corrupt):
    path, min_n, con = corrupt
    con.execute(f"drop table {names.INT_RESPONSE_PERIODS['table']}")
    con.close()

    results = {r.asset: r for r in run_all(path, min_n)}

    asset = tuple(names.INT_RESPONSE_PERIODS["table"].split("."))
    broken = results[asset]
    assert not broken.success
    assert all("could not be read" in (f.error or "") for f in broken.failures)
    staging = load_suites()["staging"]
    assert {f.rule for f in broken.failures} == {
        e["meta"]["rule"]
        for frame in staging.frames_of_asset(asset)
        for e in staging.for_frame(frame)
    }
    assert all(r.success for a, r in results.items() if a != asset)


def test_a_changed_suite_file_is_picked_up(clean, tmp_path):
    """Suites are read from their folder; a stricter copy there judges the same data anew."""
    path, min_n = clean
    data = json.loads((EXPECTATIONS_DIR / "ranges.json").read_text())
    for e in data["expectations"]:
        if e["meta"]["rule"] == "cel_totaaloordeel_1_10":
            e["kwargs"]["max_value"] = 5
    (tmp_path / "ranges.json").write_text(json.dumps(data))
    suites = load_suites(tmp_path)
    with duckdb.connect(str(path), read_only=True) as con:
        result = run_suite(con, suites["ranges"], ("marts", "kto_cel"), suite_parameters(min_n))
        (above,) = con.execute(
            "select count(*) from marts.kto_cel where totaaloordeel > 5"
        ).fetchone()
    assert [(f.rule, f.failing_rows) for f in result.failures] == [
        ("cel_totaaloordeel_1_10", above)
    ]
    # and the original still holds in the same process
    with duckdb.connect(str(path), read_only=True) as con:
        again = run_suite(
            con, load_suites()["ranges"], ("marts", "kto_cel"), suite_parameters(min_n)
        )
    assert again.success


def test_expectations_dir_is_the_repository_folder():
    assert Path(__file__).resolve().parents[1] / "expectations" == EXPECTATIONS_DIR
