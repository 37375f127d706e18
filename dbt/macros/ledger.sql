{#- The ledger of released figures (dagster_project/disclosure/ledger.py): every figure of
    every publication, written by the publish step, so none before the first publication. Not a
    source: dbt neither creates nor tests it. -#}
{% macro released_ledger() -%}
    {{ return(adapter.get_relation(database=this.database, schema='ledger', identifier='released_figures')) }}
{%- endmacro %}

{#- The figures already released with the same data (key, n and the exact fraction as its
    fingerprint): one row each. Empty before the first publication. -#}
{% macro released_figures() -%}
    {%- set ledger = released_ledger() -%}
    {%- if ledger is none -%}
        (select null::varchar as gemeentecode, null::varchar as kanaal, null::varchar as periode,
            null::varchar as figuur_type, null::varchar as figuur, null::integer as n,
            null::integer as jaar, null::varchar as fingerprint
         where false)
    {%- else -%}
        (select distinct gemeentecode, kanaal, periode, figuur_type, figuur, n, jaar, fingerprint
         from {{ ledger }} where fingerprint is not null)
    {%- endif -%}
{%- endmacro %}
