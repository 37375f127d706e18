-- One row per municipality with a cell in the marts: the code the marts join on
-- (gemeentecode) and the name they show (one name per code, int_responses: the CBS code
-- list's). in_cbs_codelijst is kept for BI: the readers accept only codes in the list.
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
