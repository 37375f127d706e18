-- Each counted response in its year and in its quarter, by the moment it was completed
-- (naive local time, Europe/Amsterdam, as the exports give it). Only completed
-- questionnaires count: One2Ten Status Voltooid, and every Open Formulieren submission.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}

with counted as (
    select response_id, kanaal, gemeentecode, gemeente, voltooid_op
    from {{ ref('int_responses') }}
    where voltooid_op is not null  -- counts: the moment of var voltooid_op (status included)
        and {{ in_years_to_build('cast(year(voltooid_op) as integer)') }}
)

select
    response_id,
    kanaal,
    gemeentecode,
    gemeente,
    cast(year(voltooid_op) as integer) as jaar,
    cast(null as integer) as kwartaal,
    {{ periode_code('year(voltooid_op)') }} as periode,
    voltooid_op
from counted
union all
select
    response_id,
    kanaal,
    gemeentecode,
    gemeente,
    cast(year(voltooid_op) as integer) as jaar,
    cast(quarter(voltooid_op) as integer) as kwartaal,
    {{ periode_code('year(voltooid_op)', 'quarter(voltooid_op)') }} as periode,
    voltooid_op
from counted
