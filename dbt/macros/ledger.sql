{#- The ledger of released figures (dagster_project/disclosure/ledger.py): every figure of
    every publication, written by the publish step, so none before the first publication. Not a
    source: dbt neither creates nor tests it. -#}
{% macro released_ledger() -%}
    {{ return(adapter.get_relation(database=this.database, schema='ledger', identifier='released_figures')) }}
{%- endmacro %}

{#- Every figure of an earlier publication by its data (key, n and the exact fraction as its
    fingerprint), one row each: getoond when any publication showed it, else it was hidden
    in every one. Empty before the first publication. -#}
{% macro released_figures() -%}
    {%- set ledger = released_ledger() -%}
    {%- if ledger is none -%}
        (select null::varchar as gemeentecode, null::varchar as kanaal, null::varchar as periode,
            null::varchar as figuur_type, null::varchar as figuur, null::integer as n,
            null::integer as jaar, null::varchar as fingerprint, null::boolean as getoond
         where false)
    {%- else -%}
        (select gemeentecode, kanaal, periode, figuur_type, figuur, n, jaar, fingerprint,
            bool_or(exact is not null) as getoond
         from {{ ledger }} where fingerprint is not null
         group by all)
    {%- endif -%}
{%- endmacro %}

{#- The figures the disclosure audit withheld on top of int_disclosure's rule (a pattern the
    rule does not see, such as a bridge), with the data they were withheld for: when that
    data changes, the figure is judged afresh. Empty until the audit first withholds. -#}
{% macro audit_withheld() -%}
    {%- set table = adapter.get_relation(database=this.database, schema='ledger', identifier='withheld_figures') -%}
    {%- if table is none -%}
        (select null::varchar as gemeentecode, null::varchar as kanaal, null::varchar as periode,
            null::varchar as figuur_type, null::varchar as figuur, null::integer as n,
            null::integer as jaar, null::varchar as fingerprint
         where false)
    {%- else -%}
        (select distinct gemeentecode, kanaal, periode, figuur_type, figuur, n, jaar, fingerprint
         from {{ table }})
    {%- endif -%}
{%- endmacro %}
