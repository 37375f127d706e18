-- The improvement tips a factsheet shows: for the cells that get a factsheet
-- (kto_cel.respons_publiceerbaar), at most four per cell (var tips) among the responses that answered
-- Verbetertip Ja with a non-empty text (already redacted in staging), leaving out the texts
-- that still looked personal after redaction (var withheld_text). Chosen
-- deterministically: the most recently completed first, ties broken by response id.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}
{%- set max_tips = var('tips')['max_tips'] %}

with tips as (
    select
        p.gemeentecode,
        p.kanaal,
        p.periode,
        r.verbetertip_toelichting as tekst,
        row_number() over (
            partition by p.gemeentecode, p.kanaal, p.periode
            order by r.voltooid_op desc, r.response_id
        ) as rang
    from {{ ref('int_response_periods') }} as p
    inner join {{ ref('int_responses') }} as r using (response_id, kanaal, gemeentecode)
    where r.heeft_tiptekst
        and r.verbetertip_toelichting <> {{ sql_string(var('withheld_text')) }}
        and {{ in_years_to_build('p.jaar') }}
)

select
    cells.gemeentecode,
    cells.gemeente,
    cells.kanaal,
    cells.periode,
    cells.jaar,
    cells.kwartaal,
    cast(tips.rang as integer) as rang,
    trim(tips.tekst) as tekst,
    cells.soort
from tips
inner join {{ ref('kto_cel') }} as cells using (gemeentecode, kanaal, periode)
where tips.rang <= {{ max_tips }}
    and cells.respons_publiceerbaar
