-- One row per response x answered item: grades (totaaloordeel, aspects, hostmanship items)
-- in cijfer, labels (moeite, statements, in één keer geholpen) in code. Unanswered items
-- have no row; 'weet_niet' is an answer and has one (the figures leave it out). Built by
-- year (macros/by_year.sql): jaar is the year the response counts in, NULL for one that
-- counts nowhere (not completed).
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}

{%- set parts = [] %}
{%- do parts.append(("'totaaloordeel'", "'Totaaloordeel'", 'totaaloordeel', 'null', 'r')) %}
{%- do parts.append(("'moeite'", "'Moeite'", 'null', 'moeite', 'r')) %}
{%- do parts.append(("'in_een_keer_geholpen'", sql_string(in_een_keer_geholpen_label()), 'null', 'in_een_keer_geholpen', 'r')) %}
{%- for label, column in aspect_columns() %}
{%- do parts.append(("'aspect'", sql_string(label), column, 'null', 'o')) %}
{%- endfor %}
{%- for column in hostmanship_columns() %}
{%- do parts.append(("'hostmanship_item'", sql_string(column), column, 'null', 'o')) %}
{%- endfor %}
{%- for label, column in statement_columns() %}
{%- do parts.append(("'stelling'", sql_string(label), 'null', column, 'f')) %}
{%- endfor %}

with answers as (
{%- for vraag_type, vraag, cijfer, code, src in parts %}
    select
        {{ src }}.response_id,
        {{ vraag_type }} as vraag_type,
        {{ vraag }} as vraag,
        cast({{ src ~ '.' ~ cijfer if cijfer != 'null' else 'null' }} as integer) as cijfer,
        cast({{ src ~ '.' ~ code if code != 'null' else 'null' }} as varchar) as code
    from {{ {'r': ref('int_responses'), 'o': ref('stg_one2ten__responses'), 'f': ref('stg_openforms__submissions')}[src] }} as {{ src }}
    {{ 'union all' if not loop.last }}
{%- endfor %}
)

select
    answers.response_id,
    responses.kanaal,
    responses.gemeentecode,
    answers.vraag_type,
    answers.vraag,
    answers.cijfer,
    answers.code,
    cast(year(responses.voltooid_op) as integer) as jaar
from answers
inner join {{ ref('int_responses') }} as responses using (response_id)
where (answers.cijfer is not null or answers.code is not null)
    and {{ in_years_to_build('cast(year(responses.voltooid_op) as integer)') }}
