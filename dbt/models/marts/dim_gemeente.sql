-- One row per municipality with a cell in the marts: the code the marts join on
-- (gemeentecode) and the name they show (one name per code, int_responses: the CBS code
-- list's, the code itself for a code never in it). in_cbs_codelijst: the code is in the list
-- (false only for such a code, accepted under KTO_GEMEENTECODES=melden).
with cbs as (
    select distinct gemeentecode from {{ cbs_gemeenten() }}
)

select
    cells.gemeentecode,
    any_value(cells.gemeente) as gemeente,
    bool_or(cbs.gemeentecode is not null) as in_cbs_codelijst
from {{ ref('int_cells') }} as cells
left join cbs using (gemeentecode)
group by cells.gemeentecode
