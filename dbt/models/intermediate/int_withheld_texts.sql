-- One row per free text that still looked personal after redaction and is therefore shown
-- nowhere (dagster_project/text/sanitise.py, var withheld_text): which response and which
-- column. Its row count is the run report's "free texts withheld".
{%- set withheld = sql_string(var('withheld_text')) %}
{%- set sources = [
    ('stg_one2ten__responses', ['toelichting', 'verbetertip_toelichting', 'product', 'gemeente']),
    ('stg_openforms__submissions', ['toelichting', 'verbetertip_toelichting', 'product']),
] %}

{% for model, columns in sources %}
{%- for column in columns %}
select response_id, kanaal, '{{ column }}' as kolom
from {{ ref(model) }}
where {{ column }} = {{ withheld }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
