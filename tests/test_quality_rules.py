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


# corruption -> (the GX rule that must fail, rules that may fail with it as a consequence).
# The GX suites hold the rules no dbt test on one model's rows states (docs/quality.md).
CASES = {
    products_not_summing_up: ("product_respons_sums_to_cell", set()),
    back_calculable_quarter: ("cel_quarter_back_calculation", set()),
    duplicate_response_key: ("one2ten_one_row_per_response", set()),
    completed_after_its_quarter: ("response_periods_completed_before_end", set()),
}

# corruption -> (the dbt test that must fail, the rule its failing row names, if row_rules)
DBT_CASES = {
    grade_of_11: ("row_rules_kto_cel", "accepted_range(totaaloordeel, 1, 10)"),
    published_value_with_n_9: ("suppressed_kto_aspect_score", None),
    negative_n: ("row_rules_kto_stelling", "accepted_range(n, 0, None)"),
    ci_not_containing_value: ("row_rules_kto_aspect", "expression_is_true(ci_low is null or"),
    invalid_gemeentecode: (
        "row_rules_int_responses",
        "matches(gemeentecode, GM[0-9]{4})",
    ),
    unknown_channel: ("row_rules_stg_one2ten__responses", "accepted_values(kanaal)"),
    uitnodigingen_below_respons: (
        "row_rules_kto_cel",
        "expression_is_true(respons_inviter <= respons and (uitnodigingen is null",
    ),
}


def test_corruptions_fail_their_dbt_tests(built_sample_warehouse, tmp_path):
    """The rules of single rows are dbt tests: every corruption at once, one dbt test run.

    Each corruption's test fails with a row naming its rule, and no other test fails.
    """
    from dagster_project.transform.commands import failing_tests, run_dbt

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    min_n = Settings.from_env({}).min_respondents
    with duckdb.connect(str(warehouse)) as con:
        for corruption in DBT_CASES:
            corruption(con, min_n)
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})

    run = run_dbt(["test", "--exclude-resource-type", "unit_test"], settings)

    failures = {f.test.split(".")[2]: f for f in failing_tests(run, settings, limit=1000)}
    for corruption, (test, rule) in DBT_CASES.items():
        found = [f for name, f in failures.items() if name.startswith(test)]
        assert found, f"{corruption.__name__}: {test} did not fail"
        assert all(f.status == "fail" and f.rows for f in found), corruption.__name__
        if rule is not None:
            named = {r for f in found for row in f.rows for r in row["failed_rules"]}
            assert any(r.startswith(rule) for r in named), (corruption.__name__, named)
    expected = {test for test, _ in DBT_CASES.values()}
    assert {n for n in failures if not any(n.startswith(t) for t in expected)} == set()


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
    """Three cells whose products no longer add up: three failing rows, each with its cell."""
    path, min_n, con = corrupt
    rows = con.execute(
        "select min(rowid), gemeentecode, kanaal, periode from marts.kto_product "
        "group by all order by all limit 3"
    ).fetchall()
    for rowid, *_ in rows:
        con.execute(f"update marts.kto_product set respons = respons + 1 where rowid = {rowid}")
    con.close()

    (failure,) = [f for r in run_all(path, min_n) for f in r.failures]

    assert failure.failing_rows == 3
    shown = {
        (s["gemeentecode"], s["kanaal"], s["periode"], s["product_respons"] - s["respons"])
        for s in failure.sample
    }
    assert shown == {(*cell, 1) for _, *cell in rows}


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
    data = json.loads((EXPECTATIONS_DIR / "marts.json").read_text())
    for e in data["expectations"]:
        if e["meta"]["rule"] == "product_respons_sums_to_cell":
            # the products must now add up to more than the cell: every cell with products fails
            e["type"] = "expect_column_pair_values_a_to_be_greater_than_b"
            e["kwargs"]["or_equal"] = False
    (tmp_path / "marts.json").write_text(json.dumps(data))
    suites = load_suites(tmp_path)
    with duckdb.connect(str(path), read_only=True) as con:
        result = run_suite(con, suites["marts"], ("marts", "kto_product"), suite_parameters(min_n))
        (cells,) = con.execute("select count(*) from marts.kto_cel").fetchone()
    assert [(f.rule, f.failing_rows, f.error) for f in result.failures] == [
        ("product_respons_sums_to_cell", cells, None)
    ]
    # and the original still holds in the same process
    with duckdb.connect(str(path), read_only=True) as con:
        again = run_suite(
            con, load_suites()["marts"], ("marts", "kto_product"), suite_parameters(min_n)
        )
    assert again.success


def test_expectations_dir_is_the_repository_folder():
    assert Path(__file__).resolve().parents[1] / "expectations" == EXPECTATIONS_DIR
