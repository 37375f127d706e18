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
    {%- set record = built_years_record() if by_year_incremental() else none -%}
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
    {%- if by_year_incremental() -%}
        delete from {{ this }} where {{ in_years_to_build('jaar') }}
    {%- endif -%}
{%- endmacro %}

{#- Whether this build keeps the model's table and rebuilds years in it (else it builds the
    table whole: the first build, --full-refresh). -#}
{% macro by_year_incremental() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(relation is not none and relation.type == 'table' and not should_full_refresh()) }}
{%- endmacro %}

{#- The materialization of the models built by year. Whole, it is dbt-duckdb's table (built
    under another name, then swapped in). By year, the pre-hook deletes the years to rebuild
    and their rows are inserted straight from the model's query; dbt's incremental
    materialization would first write them to a temporary table and then copy them, which
    made a rebuild of one year of two cost as much as building both. A change of columns
    needs a build whole (the pipeline's --full-refresh under a new build key): refused here
    rather than inserted into the old columns. -#}
{% materialization by_year, adapter='duckdb' -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- set in_place = by_year_incremental() -%}
    {%- set intermediate = make_intermediate_relation(target) -%}
    {%- set backup = make_backup_relation(target, 'table') -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if in_place %}
        {%- set built = adapter.get_columns_in_relation(target) | map(attribute='name') | map('lower') | list %}
        {%- set columns = get_columns_in_query(compiled_code) | map('lower') | list %}
        {%- if built != columns %}
            {{ exceptions.raise_compiler_error(
                'the columns of ' ~ target ~ ' changed (' ~ built | join(', ') ~ ' -> '
                ~ columns | join(', ') ~ '): build it with --full-refresh') }}
        {%- endif %}
        {% call statement('main') -%}
            insert into {{ target }} ({{ columns | map('tojson') | join(', ') }})
            {{ compiled_code }}
        {%- endcall %}
    {%- else %}
        {% call statement('main') -%}
            {{ create_table_as(False, intermediate, compiled_code) }}
        {%- endcall %}
        {%- if existing is not none %}
            {{ adapter.rename_relation(existing, backup) }}
        {%- endif %}
        {{ adapter.rename_relation(intermediate, target) }}
    {%- endif %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target, model) %}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{%- endmaterialization %}
