{{ config(meta={'dagster': {'ref': {'name': 'dim_gemeente'}}}) }}
-- Every gemeentecode of every public mart is in dim_gemeente (kto_figuur has a relationships test;
-- this covers the wide marts, whose properties live in _marts.yml).
{%- set marts = ['kto_cel', 'kto_aspect', 'kto_stelling', 'kto_product', 'kto_tip', 'kto_figuur'] %}
with keys as (
    {%- for mart in marts %}
    select '{{ mart }}' as mart, gemeentecode from {{ ref(mart) }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
)

select keys.mart, keys.gemeentecode
from keys
left join {{ ref('dim_gemeente') }} as dim using (gemeentecode)
where dim.gemeentecode is null
