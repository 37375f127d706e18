-- Every year and quarter from the first to the last year with a cell: the periods the marts
-- join on (periode), with their first and last day, for a BI tool's time axis. Complete
-- years, so a quarter without responses is still on the axis.
with jaren as (
    select cast(unnest(generate_series(min(jaar), max(jaar))) as integer) as jaar
    from {{ ref('int_cells') }}
),

periodes as (
    select jaar, cast(null as integer) as kwartaal from jaren
    union all
    select jaren.jaar, cast(q.kwartaal as integer)
    from jaren cross join (values (1), (2), (3), (4)) as q(kwartaal)
)

select
    case
        when kwartaal is null then {{ periode_code('jaar') }}
        else {{ periode_code('jaar', 'kwartaal') }}
    end as periode,
    case when kwartaal is null then 'jaar' else 'kwartaal' end as soort,
    jaar,
    kwartaal,
    -- the factsheet's name of the period (dutch.quarter_label)
    case
        when kwartaal is null then cast(jaar as varchar)
        else cast(kwartaal as varchar) || 'e kwartaal ' || cast(jaar as varchar)
    end as omschrijving,
    make_date(jaar, coalesce(3 * kwartaal - 2, 1), 1) as begindatum,
    last_day(make_date(jaar, coalesce(3 * kwartaal, 12), 1)) as einddatum,
    -- chronological, a year before its quarters (dagster_project/domain/periods.py)
    jaar * 10 + coalesce(kwartaal, 0) as volgorde
from periodes
