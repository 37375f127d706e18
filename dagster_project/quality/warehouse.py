"""The frames the quality suites judge, and the one place that names warehouse tables and columns.

A frame is a DataFrame read through a read-only DuckDB connection: a mart as it
is, or a small derived frame where a rule spans rows (per-product sums, the
quarters of a year). The suites (expectations/*.json) name frames, never
tables, so when a dbt model renames a column only this module changes.

The marts are small and read whole (with the distances of each confidence
interval added). Staging-size tables are grouped in SQL first, so a million
responses reach pandas as a few thousand groups: rows per value combination,
keys that repeat, completion moments per period and day.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ..domain.code_lists import period_pattern

# --- names in the warehouse -------------------------------------------------------------------

MART_SCHEMA = "marts"
STAGING_SCHEMA = "staging"
# dbt builds int_* models into this schema (dbt_project.yml, +schema of models/intermediate).
INTERMEDIATE_SCHEMA = "intermediate"

CELL_KEYS = ("gemeentecode", "kanaal", "periode")

# Staging and intermediate columns as the dbt models name them: the suites see the keys.
STG_ONE2TEN = {
    "table": f"{STAGING_SCHEMA}.stg_one2ten__responses",
    "respondentnummer": "respondentnummer",
    "gemeentecode": "gemeentecode",
    "kanaal": "kanaal",
}
STG_OPENFORMS = {
    "table": f"{STAGING_SCHEMA}.stg_openforms__submissions",
    "respondent_id": "respondent_id",
    "gemeentecode": "gemeentecode",
}
INT_RESPONSES = {
    "table": f"{INTERMEDIATE_SCHEMA}.int_responses",
    "response_key": "response_id",
    "gemeentecode": "gemeentecode",
    "kanaal": "kanaal",
    "completed_at": "voltooid_op",  # local time; NULL for an incomplete questionnaire
}
INT_RESPONSE_PERIODS = {
    "table": f"{INTERMEDIATE_SCHEMA}.int_response_periods",
    "response_key": "response_id",
    "periode": "periode",
    "completed_at": "voltooid_op",
}

# Confidence intervals per mart: (exact value, lower bound, upper bound, and the names of the
# two distances the suites judge). The bounds are computed in floating point, so a bound can
# sit an ulp beside an exact value it equals; the suites allow 1e-9 for that.
MART_INTERVALS = {
    "kto_cel": [
        (
            "totaaloordeel_exact",
            "totaaloordeel_ci_low",
            "totaaloordeel_ci_high",
            "totaaloordeel_exact_minus_ci_low",
            "totaaloordeel_ci_high_minus_exact",
        ),
        (
            "ces_exact",
            "ces_ci_low",
            "ces_ci_high",
            "ces_exact_minus_ci_low",
            "ces_ci_high_minus_exact",
        ),
    ],
    "kto_aspect": [
        (
            "score_exact",
            "ci_low",
            "ci_high",
            "score_exact_minus_ci_low",
            "ci_high_minus_score_exact",
        )
    ],
    "kto_stelling": [
        ("pct_exact", "ci_low", "ci_high", "pct_exact_minus_ci_low", "ci_high_minus_pct_exact")
    ],
}

# Per mart: the figures with an n and a publiceerbaar flag, for the quarter back-calculation
# frames. (figure label or column naming it, n column, publiceerbaar column)
MART_FIGURES = {
    "kto_cel": [
        ("'totaaloordeel'", "totaaloordeel_n", "totaaloordeel_publiceerbaar"),
        ("'ces'", "ces_n", "ces_publiceerbaar"),
    ],
    "kto_aspect": [("aspect", "n", "publiceerbaar")],
    "kto_stelling": [("stelling", "n", "publiceerbaar")],
    "kto_product": [("product", "totaaloordeel_n", "publiceerbaar")],
}


@dataclass(frozen=True)
class Frame:
    """A DataFrame a suite judges: how to read it and which asset it guards."""

    name: str
    sql: str
    asset: tuple[str, ...]  # the Dagster asset key path of the model it guards
    keys: tuple[str, ...]  # columns that identify a row in a failure sample
    # In a frame of groups: the column counting the rows of each group, so that a failing
    # rule reports the warehouse rows behind its failing groups.
    weight: str | None = None


def _mart(name: str, extra_keys: tuple[str, ...] = ()) -> Frame:
    distances = "".join(
        f", {exact} - {low} as {below}, {high} - {exact} as {above}"
        for exact, low, high, below, above in MART_INTERVALS.get(name, [])
    )
    return Frame(
        name=name,
        sql=f"select *{distances} from {MART_SCHEMA}.{name} order by all",
        asset=(MART_SCHEMA, name),
        keys=(*CELL_KEYS, *extra_keys),
    )


def _quarters(mart: str) -> Frame:
    """Per year value of each figure: how many of its quarters with n > 0 are not publiceerbaar.

    Exactly one would let a suppressed quarter be computed from the year and the others.
    """
    selects = []
    for figure, n_col, pub_col in MART_FIGURES[mart]:
        selects.append(f"""
        select gemeentecode, kanaal, jaar, {figure} as figuur, kwartaal, periode,
               {n_col} as n, coalesce({pub_col}, false) as publiceerbaar
        from {MART_SCHEMA}.{mart}""")
    figures = " union all ".join(selects)
    sql = f"""
    with f as ({figures}),
    y as (select * from f where kwartaal is null),
    q as (
        select gemeentecode, kanaal, jaar, figuur,
               count(*) filter (where n > 0) as kwartalen_met_n,
               count(*) filter (where n > 0 and not publiceerbaar) as kwartalen_niet_publiceerbaar,
               string_agg(periode || ' n=' || coalesce(n, 0)
                          || case when publiceerbaar then '' else ' niet publiceerbaar' end,
                          '; ' order by kwartaal) as kwartalen
        from f where kwartaal is not null group by all
    )
    select y.gemeentecode, y.kanaal, y.jaar, y.figuur, y.n as jaar_n,
           y.publiceerbaar as jaar_publiceerbaar,
           coalesce(q.kwartalen_met_n, 0) as kwartalen_met_n,
           coalesce(q.kwartalen_niet_publiceerbaar, 0) as kwartalen_niet_publiceerbaar,
           q.kwartalen
    from y left join q using (gemeentecode, kanaal, jaar, figuur)
    order by all
    """
    return Frame(
        name=f"{mart}_kwartalen",
        sql=sql,
        asset=(MART_SCHEMA, mart),
        keys=("gemeentecode", "kanaal", "jaar", "figuur"),
    )


# Per cell: the cell's respons beside the sum of its products' respons (cells on either side).
_PRODUCT_TOTALS_SQL = f"""
with p as (
    select gemeentecode, kanaal, periode, sum(respons) as product_respons, count(*) as producten
    from {MART_SCHEMA}.kto_product group by all
)
select gemeentecode, kanaal, periode,
       coalesce(c.respons, 0) as respons,
       coalesce(p.product_respons, 0) as product_respons,
       coalesce(p.producten, 0) as producten
from {MART_SCHEMA}.kto_cel c full outer join p using (gemeentecode, kanaal, periode)
order by all
"""


def _values(name: str, table: str, columns: dict[str, str], example: str) -> Frame:
    """Rows grouped by the values the rules judge, with their number and an example key."""
    selected = ", ".join(f"{source} as {alias}" for alias, source in columns.items())
    return Frame(
        name=name,
        sql=f"""select {selected}, count(*) as rijen, min({example}) as voorbeeld
                from {table} group by all order by all""",
        asset=tuple(table.split(".")),
        keys=(*columns, "voorbeeld"),
        weight="rijen",
    )


def _repeated_keys(name: str, table: str, key: dict[str, str]) -> Frame:
    """Keys that are missing or on more than one row (a clean model gives an empty frame)."""
    selected = ", ".join(f"{source} as {alias}" for alias, source in key.items())
    missing = " or ".join(f"{source} is null" for source in key.values())
    return Frame(
        name=name,
        sql=f"""select {selected}, count(*) as versies from {table}
                group by all having count(*) > 1 or {missing} order by all""",
        asset=tuple(table.split(".")),
        keys=tuple(key),
        weight="versies",
    )


def _staging_frames() -> list[Frame]:
    """Staging-size tables reach pandas grouped in SQL: the suites judge the groups."""
    o, f, r, p = STG_ONE2TEN, STG_OPENFORMS, INT_RESPONSES, INT_RESPONSE_PERIODS
    # Period bounds from the periode text: a year, or a quarter of three months.
    start = """make_timestamp(cast(left(periode, 4) as integer),
                   case when periode like '%-Q_' then 3 * cast(right(periode, 1) as integer) - 2
                        else 1 end, 1, 0, 0, 0)"""
    length = "case when periode like '%-Q_' then interval 3 month else interval 1 year end"
    one2ten_key = {"kanaal": o["kanaal"], "respondentnummer": o["respondentnummer"]}
    periods_sql = f"""
        with t as (
            select {p["periode"]} as periode, {p["completed_at"]} as completed_at,
                   {p["response_key"]} as response_key
            from {p["table"]}
        ), g as (
            -- per periode and completion day: days never straddle a period's bounds
            select periode, cast(completed_at as date) as dag, count(*) as rijen,
                   min(completed_at) as eerste, max(completed_at) as laatste,
                   min(response_key) as voorbeeld,
                   regexp_full_match(periode, '{period_pattern()}') as geldig
            from t group by all
        )
        select periode, dag, rijen, eerste, laatste, voorbeeld,
               case when geldig then {start} end as periode_start,
               case when geldig then {start} + {length} end as periode_einde
        from g order by all"""
    return [
        _values(
            "stg_one2ten__responses",
            o["table"],
            {"gemeentecode": o["gemeentecode"], "kanaal": o["kanaal"]},
            f"{o['kanaal']} || ':' || {o['respondentnummer']}",
        ),
        _repeated_keys("stg_one2ten__responses_sleutels", o["table"], one2ten_key),
        _values(
            "stg_openforms__submissions",
            f["table"],
            {"gemeentecode": f["gemeentecode"]},
            f["respondent_id"],
        ),
        _repeated_keys(
            "stg_openforms__submissions_sleutels",
            f["table"],
            {"respondent_id": f["respondent_id"]},
        ),
        _values(
            "int_responses",
            r["table"],
            {"gemeentecode": r["gemeentecode"], "kanaal": r["kanaal"]},
            r["response_key"],
        ),
        _repeated_keys("int_responses_sleutels", r["table"], {"response_key": r["response_key"]}),
        Frame(
            name="int_response_periods",
            sql=periods_sql,
            asset=tuple(p["table"].split(".")),
            keys=("periode", "dag", "voorbeeld"),
            weight="rijen",
        ),
        _repeated_keys(
            "int_response_periods_sleutels",
            p["table"],
            {"response_key": p["response_key"], "periode": p["periode"]},
        ),
    ]


FRAMES: dict[str, Frame] = {
    frame.name: frame
    for frame in [
        _mart("kto_cel"),
        _mart("kto_aspect", ("aspect",)),
        _mart("kto_stelling", ("stelling",)),
        _mart("kto_product", ("product",)),
        *(_quarters(mart) for mart in MART_FIGURES),
        Frame(
            name="kto_product_totalen",
            sql=_PRODUCT_TOTALS_SQL,
            asset=(MART_SCHEMA, "kto_product"),
            keys=CELL_KEYS,
        ),
        *_staging_frames(),
    ]
}


def read_frame(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """The frame as a DataFrame with a plain 0..n-1 index (failure samples refer to it)."""
    return con.sql(FRAMES[name].sql).df().reset_index(drop=True)
