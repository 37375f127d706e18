"""The dbt models on input that broke them once, each with the case that would have caught it.

- a label with an apostrophe pasted into SQL ("'s-Hertogenbosch");
- a real product named Onbekend beside responses without a product;
- Inviter invitations without an e-mail address at the same moment;
- an Inviter status written in lower case ("verzonden");
- the BM's exact fractions paired in one list (two list() aggregates need not agree).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from dagster_project.transform.plugin import mean_of_ratios, mean_of_ratios_scaled

pytestmark = pytest.mark.slow
CELL = ("GM0637", "balie", "2020")


def test_a_label_with_an_apostrophe_is_a_sql_literal(built_sample_warehouse, tmp_path):
    """The macro every model pastes labels with, on the labels that used to end the literal."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    inline = (
        "select * from {{ order_values({'balie': [\"'s-Hertogenbosch\", \"Burger's kaart\"]}) }}"
        " as t(kanaal, label, volgorde) union all select 'x', {{ sql_string(\"it''s\") }}, 0"
    )
    run = run_dbt(
        ["show", "--inline", inline, "--output", "json", "--limit", "10"],
        Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}),
    )
    assert run.ok, run.output
    assert "'s-Hertogenbosch" in run.output and "Burger's kaart" in run.output
    assert "it''s" in run.output


@pytest.fixture(scope="module")
def fragile(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples plus the rows that broke the models, built by dbt."""
    warehouse = tmp_path_factory.mktemp("fragile") / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # GM0637 balie 2020: 3 responses with the product "Onbekend" (two spellings), 2 without
        con.execute(
            """
            insert into raw.one2ten_responses
            select * replace (
                respondentnummer + 900000 + rn as respondentnummer,
                case rn when 1 then 'Onbekend' when 2 then 'onbekend ' when 3 then 'Onbekend'
                    when 4 then null else '' end as product
            )
            from (
                select *, row_number() over (order by respondentnummer) as rn
                from raw.one2ten_responses
                where gemeentecode = 'GM0637' and kanaal = 'Balie' and status = 'Voltooid'
                    and year(einddatum) = 2020 and totaaloordeel is not null
            )
            where rn <= 5
            """.replace("select * replace", "select * exclude (rn) replace")
        )
        # two invitations of one file at one moment without an address, one lower-case
        # 'verzonden', in GM0637 balie 2020-Q2
        con.execute(
            """
            insert into raw.inviter_invitations
            select 'GM0637', 'Balie', timestamp '2020-05-04 10:00:00', null, status,
                'inviter/inviter_log.csv', 5000 + i, max_mtime, max_mtime, arrival
            from (
                select max(source_modified_at) as max_mtime, max(source_arrival) as arrival
                from raw.inviter_invitations
            ),
                (values (1, 'Verzonden'), (2, 'Verzonden'), (3, 'verzonden')) as t(i, status)
            """
        )
    run = run_dbt(["build"], Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}))
    assert run.ok, run.output
    return warehouse


def test_a_product_named_onbekend_shares_the_unknown_bucket(fragile, sample_warehouse):
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        (before,) = con.execute(
            "select count(*) from raw.one2ten_responses where gemeentecode = ? and kanaal ="
            " 'Balie' and status = 'Voltooid' and year(einddatum) = 2020 and"
            " (product is null or trim(product) = '' or lower(trim(product)) = 'onbekend')",
            [CELL[0]],
        ).fetchone()
    with duckdb.connect(str(fragile), read_only=True) as con:
        rows = con.execute(
            "select product, respons, volgorde from marts.kto_product where gemeentecode = ?"
            " and kanaal = ? and periode = ? and lower(product) = 'onbekend'",
            list(CELL),
        ).fetchall()
        (respons, total) = con.execute(
            "select respons, (select sum(respons) from marts.kto_product p where"
            " p.gemeentecode = c.gemeentecode and p.kanaal = c.kanaal and p.periode = c.periode)"
            " from marts.kto_cel c where gemeentecode = ? and kanaal = ? and periode = ?",
            list(CELL),
        ).fetchone()
    assert rows == [("Onbekend", before + 5, 999)]
    assert total == respons  # the products still add up to the cell


def test_invitations_without_address_and_lower_case_status_all_count(fragile, sample_warehouse):
    sql = (
        "select uitnodigingen from {} where gemeentecode = 'GM0637' and kanaal = 'balie'"
        " and periode = '2020-Q2'"
    )
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        (before,) = con.execute(
            "select count(*) from raw.inviter_invitations where gemeentecode = 'GM0637' and"
            " kanaal = 'Balie' and status = 'Verzonden' and year(verzonden_op) = 2020 and"
            " quarter(verzonden_op) = 2"
        ).fetchone()
    with duckdb.connect(str(fragile), read_only=True) as con:
        (after,) = con.execute(sql.format("marts.kto_cel")).fetchone()
        statuses = con.execute(
            "select status, is_verzonden, count(*) from staging.stg_inviter__invitations"
            " where verzonden_op = timestamp '2020-05-04 10:00:00' group by all"
        ).fetchall()
    assert statuses == [("verzonden", True, 3)]
    assert after == before + 3


def test_the_same_invitation_in_two_files_is_still_one(fragile, tmp_path):
    """The fix for address-less rows keeps the rule it refines: a repeated export counts once."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(fragile, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.inviter_invitations select * replace ('inviter/repeat.csv' as"
            " source_file) from raw.inviter_invitations where verzonden_op ="
            " timestamp '2020-05-04 10:00:00'"
        )
    run = run_dbt(
        ["run", "--select", "stg_inviter__invitations"],
        Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}),
    )
    assert run.ok, run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (n,) = con.execute(
            "select count(*) from staging.stg_inviter__invitations"
            " where verzonden_op = timestamp '2020-05-04 10:00:00'"
        ).fetchone()
    assert n == 3


def test_benchmark_fractions_travel_as_pairs():
    """One list of (teller, noemer) structs: a teller can only meet its own noemer."""
    fractions = [{"teller": 167, "noemer": 20}, {"teller": 83, "noemer": 10}]
    assert mean_of_ratios_scaled(fractions, 1) == 83  # (8.35 + 8.3) / 2 = 8.325
    assert mean_of_ratios(list(reversed(fractions))) == pytest.approx(8.325)
    # paired wrongly (167/10 and 83/20) the mean would be 12.425
    with duckdb.connect() as con:
        from dagster_project.transform.plugin import register_udfs

        register_udfs(con)
        con.execute("create table f as select * from (values (167, 20), (83, 10)) t(t, n)")
        # many threads, many rows: the aggregate keeps each pair whatever the order
        con.execute("create table g as select t, n, i from f, range(5000) r(i)")
        (scaled,) = con.execute(
            "select kto_mean_of_ratios_scaled(list({'teller': t, 'noemer': n}), 1) from g"
        ).fetchone()
    assert scaled == 83
