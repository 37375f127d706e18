{{ config(meta={'dagster': {'ref': {'name': 'dim_gemeente'}}, 'description': 'Every gemeentecode of every public mart (kto_cel, kto_aspect, kto_stelling, kto_product, kto_tip, kto_figuur) is in dim_gemeente, so a BI join loses no row; fails with the missing codes and their mart. On failure (quality/gate) every factsheet is withheld, and the snapshot is not published while it fails (docs/quality.md).'}) }}
-- Every gemeentecode of every public mart is in dim_gemeente (kto_figuur has a relationships test;
-- this covers the wide marts, whose properties live in _marts.yml).
{%- set marts = ['kto_cel', 'kto_aspect', 'kto_stelling', 'kto_product', 'kto_tip', 'kto_figuur', 'kto_verandering', 'kto_vergelijkingsgroep'] %}
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
