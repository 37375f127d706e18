{#- Models built by year (docs/architecture.md, "Built by year"). The models whose rows
    belong to a year are incremental: a build deletes and rebuilds only the years whose inputs
    changed since the last complete build, one transaction per model.

    int_year_fingerprints hashes each year's inputs (its responses as staged and as
    int_responses sees them, its invitations). int_built_years, built after every
    incremental model, records those fingerprints with the build key: a hash of everything
    else the rows depend on (the dbt project, the Python UDFs, the settings;
    dagster_project/dbt_build_key.py), handed in as KTO_DBT_BUILD_KEY.

    A year is rebuilt when its fingerprint differs from the record's or it is gone from the
    data; every year is, when there is no record, when the record was made under another key,
    or when no key is given (dbt run by hand). The pipeline adds --full-refresh when the key
    changed, since other code may also mean other columns. -#}

{% macro dbt_build_key() -%}
    {{ return(env_var('KTO_DBT_BUILD_KEY', '')) }}
{%- endmacro %}

{#- The record of the last complete build; none before the first. Not a ref(): the record is
    built after the models that read it. -#}
{% macro built_years_record() -%}
    {{ return(adapter.get_relation(database=this.database, schema='intermediate', identifier='int_built_years')) }}
{%- endmacro %}

{#- The years this build (re)builds, NULL as -1; none: every year (no record, another key, no
    key given, or dbt only parsing). Read once the fingerprints are built, so that the models
    get the years as constants: DuckDB then skips the other years' row groups by their zone
    maps, where a subquery in the filter made some models slower by year than whole. -#}
{% macro years_to_build() -%}
    {%- set fingerprints = ref('int_year_fingerprints') -%}
    {%- set record = built_years_record() if is_incremental() else none -%}
    {%- if record is none or dbt_build_key() == '' or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select distinct coalesce(by_year_now.jaar, -1) as jaar
        from {{ fingerprints }} as by_year_now
        left join {{ record }} as by_year_built
            on by_year_now.jaar is not distinct from by_year_built.jaar
            and by_year_built.build_key = {{ sql_string(dbt_build_key()) }}
        where by_year_built.fingerprint is distinct from by_year_now.fingerprint
        union
        select coalesce(by_year_built.jaar, -1)
        from {{ record }} as by_year_built
        where not exists (
            select 1 from {{ fingerprints }} as by_year_now
            where by_year_now.jaar is not distinct from by_year_built.jaar
        )
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | map('int') | list) }}
{%- endmacro %}

{#- A condition on a year column: true for the rows of the years this build (re)builds. -#}
{% macro in_years_to_build(year_column) -%}
    {%- set years = years_to_build() -%}
    {%- if years is none -%}
        true
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {%- set known = years | reject('equalto', -1) | list -%}
        ({{ year_column }} in ({{ (known or ['null']) | join(', ') }})
            {%- if -1 in years %} or {{ year_column }} is null{% endif %})
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of a model built by year: out with the rows of the years it rebuilds (the
    insert follows in the same transaction). -#}
{% macro delete_years_to_build() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_years_to_build('jaar') }}
    {%- endif -%}
{%- endmacro %}
