{#- The CBS code list ("Gemeentelijke indeling") with validity dates, and the herindelingen:
    dbt/codelists/cbs_gemeenten.csv and cbs_herindelingen.csv, the files the readers judge a
    Gemeentecode by (dagster_project/municipalities.py). The dbt plugin loads them into every
    connection as the temporary tables named here. A code is valid on a day when a row has
    geldig_vanaf <= day <= coalesce(geldig_tot_en_met, day). -#}
{% macro cbs_gemeenten() -%}
    temp.main.kto_cbs_gemeenten
{%- endmacro %}

{#- One name per code: its latest name in the list (what the marts and factsheets show). -#}
{% macro cbs_namen() -%}
    (select gemeentecode, arg_max(naam, geldig_vanaf) as naam
     from {{ cbs_gemeenten() }} group by gemeentecode)
{%- endmacro %}
