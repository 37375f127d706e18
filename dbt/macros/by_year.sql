{#- Models built by year (docs/architecture.md, "Built by year"). The models whose rows
    belong to a year are incremental: a build deletes and rebuilds only the years whose inputs
    changed since the last complete build, one transaction per model.

    int_year_fingerprints hashes each year's inputs (its responses as staged and as
    int_responses sees them, its invitations). int_built_years, built after every
    incremental model, records those fingerprints with the build key: a hash of everything
    else the rows depend on (the dbt project, the Python UDFs, the settings;
    dagster_project/transform/by_year.py), handed in as the var build_key.

    A year is rebuilt when its fingerprint differs from the record's or it is gone from the
    data; every year is, when there is no record, when the record was made under another key,
    or when no key is given (dbt run by hand). The pipeline adds --full-refresh when the key
    changed, since other code may also mean other columns. -#}

{% macro dbt_build_key() -%}
    {{ return(var('build_key') or '') }}
{%- endmacro %}

{#- The record of the last complete build; none before the first. Not a ref(): the record is
    built after the models that read it. -#}
{% macro built_years_record() -%}
    {{ return(adapter.get_relation(database=this.database, schema='intermediate', identifier='int_built_years')) }}
{%- endmacro %}

{#- A condition on a year column: true for the rows of the years this build (re)builds. (The
    aliases are the macro's own, so that no alias of the model around it is taken.) -#}
{% macro in_years_to_build(year_column) -%}
    {%- set fingerprints = ref('int_year_fingerprints') -%}
    {%- set record = built_years_record() if is_incremental() else none -%}
    {%- if record is none or dbt_build_key() == '' -%}
        true
    {%- else -%}
        coalesce({{ year_column }}, -1) in (
            select coalesce(by_year_now.jaar, -1)
            from {{ fingerprints }} as by_year_now
            left join {{ record }} as by_year_built
                on by_year_now.jaar is not distinct from by_year_built.jaar
                and by_year_built.build_key = {{ sql_string(dbt_build_key()) }}
            where by_year_built.fingerprint is distinct from by_year_now.fingerprint
            union all
            select coalesce(by_year_built.jaar, -1)
            from {{ record }} as by_year_built
            where not exists (
                select 1 from {{ fingerprints }} as by_year_now
                where by_year_now.jaar is not distinct from by_year_built.jaar
            )
        )
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of a model built by year: out with the rows of the years it rebuilds (the
    insert follows in the same transaction). -#}
{% macro delete_years_to_build() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_years_to_build('jaar') }}
    {%- endif -%}
{%- endmacro %}
