{{ config(meta={'dagster': {'ref': {'name': 'dim_periode'}}, 'description': 'Every periode of every public mart is in dim_periode, so a BI join loses no row; fails with the missing periods and their mart. On failure (quality/gate) every factsheet is withheld, and the snapshot is not published while it fails (docs/quality.md).'}) }}
-- Every periode of every public mart is in dim_periode (kto_figuur has a relationships test;
-- this covers the wide marts, whose properties live in _marts.yml).
{%- set marts = ['kto_cel', 'kto_aspect', 'kto_stelling', 'kto_product', 'kto_tip', 'kto_figuur', 'kto_verandering', 'kto_vergelijkingsgroep'] %}
with keys as (
    {%- for mart in marts %}
    select '{{ mart }}' as mart, periode from {{ ref(mart) }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
)

select keys.mart, keys.periode
from keys
left join {{ ref('dim_periode') }} as dim using (periode)
where dim.periode is null
