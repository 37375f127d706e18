{#- The CBS code list ("Gemeentelijke indeling") with validity dates, and the herindelingen:
    dbt/codelists/cbs_gemeenten.csv and cbs_herindelingen.csv, the files the readers judge a
    Gemeentecode by (dagster_project/domain/municipalities.py). The dbt plugin loads them into every
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

{#- The staging rule on a Gemeentecode (row_rules cbs_codes, models/staging/_staging.yml):
    under KTO_GEMEENTECODES=strikt the code must be valid in the CBS code list on the row's
    day (the readers quarantine every other row); under melden (the default) the readers
    accept a well-formed code outside the list, as the format specification does, and so
    does this rule: it is empty there (row_rules then has no rule cbs_code), the form alone
    (the regexp beside it) is the rule. One definition of a valid row under either
    setting. -#}
{% macro cbs_code_rule(code, day) -%}
    {%- if gemeentecodes() == 'strikt' -%}
    {{ code }} in (select lijst.gemeentecode from {{ cbs_gemeenten() }} as lijst
        where lijst.geldig_vanaf <= cast({{ day }} as date)
        and cast({{ day }} as date) <= coalesce(lijst.geldig_tot_en_met, date '9999-12-31'))
    {%- endif -%}
{%- endmacro %}
