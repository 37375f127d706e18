{#- Models built by year (docs/architecture.md, "Built by year"). The models whose rows
    belong to a year are materialized by_year (below): a build deletes and rebuilds only the
    years whose inputs changed since the last complete build, one transaction per model. The
    two largest, int_response_answers and int_response_periods, whose rows each belong to the
    quarter of a response, are rebuilt by quarter.

    int_year_fingerprints hashes each quarter's inputs (its responses as staged and as
    int_responses sees them, its invitations) and each year's releases. int_built_years,
    built after every model built by year, records those fingerprints with the build key: a
    hash of everything else the rows depend on (the dbt project, the Python UDFs, the
    settings; dagster_project/transform/build_key.py), handed in as KTO_DBT_BUILD_KEY.

    A year (quarter) is rebuilt when one of its fingerprints differs from the record's or is
    gone from the data; every year is, when there is no record, when the record was made
    under another key, or when no key is given (dbt run by hand). The pipeline adds
    --full-refresh when the key changed, since other code may also mean other columns.

    The tables keep a year's (quarter's) rows together (order by): deleting them then drops
    whole row groups; rows of all years in every row group made the checkpoint after a
    rebuild rewrite the whole table. -#}

{% macro dbt_build_key() -%}
    {{ return(env_var('KTO_DBT_BUILD_KEY', '')) }}
{%- endmacro %}

{#- The record of the last complete build; none before the first. Not a ref(): the record is
    built after the models that read it. -#}
{% macro built_years_record() -%}
    {{ return(adapter.get_relation(database=this.database, schema='intermediate', identifier='int_built_years')) }}
{%- endmacro %}

{#- The fingerprints (jaar, kwartaal) whose rows this build (re)builds: changed since the
    record, or gone from the data; none: every one (no record, another key, no key given, or
    dbt only parsing). Read once the fingerprints are built, so that the models get them as
    constants: DuckDB then skips the row groups of the others by their zone maps (a subquery
    in the filter made some models slower by year than whole). -#}
{% macro fingerprints_to_build() -%}
    {%- set fingerprints = ref('int_year_fingerprints') -%}
    {%- set record = built_years_record() if by_year_incremental() else none -%}
    {%- if record is none or dbt_build_key() == '' or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select by_year_now.jaar, by_year_now.kwartaal
        from {{ fingerprints }} as by_year_now
        left join {{ record }} as by_year_built
            on by_year_now.jaar is not distinct from by_year_built.jaar
            and by_year_now.kwartaal is not distinct from by_year_built.kwartaal
            and by_year_built.build_key = {{ sql_string(dbt_build_key()) }}
        where by_year_built.fingerprint is distinct from by_year_now.fingerprint
        union
        select by_year_built.jaar, by_year_built.kwartaal
        from {{ record }} as by_year_built
        where not exists (
            select 1 from {{ fingerprints }} as by_year_now
            where by_year_now.jaar is not distinct from by_year_built.jaar
                and by_year_now.kwartaal is not distinct from by_year_built.kwartaal
        )
        order by 1 nulls first, 2 nulls first
    {%- endset -%}
    {%- set keys = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do keys.append((none if row[0] is none else row[0] | int, none if row[1] is none else row[1] | int)) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- A condition on a year column: true for the rows of the years this build (re)builds (a
    year with any fingerprint changed). -#}
{% macro in_years_to_build(year_column) -%}
    {%- set keys = fingerprints_to_build() -%}
    {%- if keys is none -%}
        true
    {%- else -%}
        {%- set years = keys | map(attribute=0) | unique | list -%}
        {%- set known = years | reject('none') | sort | list -%}
        {%- if not years -%}
            false
        {%- else -%}
            ({{ year_column }} in ({{ (known or ['null']) | join(', ') }})
                {%- if none in years %} or {{ year_column }} is null{% endif %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The same by quarter, for a model whose rows each belong to one quarter (the quarter of a
    response): a December drop then rebuilds the fourth quarter, not the year. -#}
{% macro in_quarters_to_build(year_column, quarter_column) -%}
    {%- set keys = fingerprints_to_build() -%}
    {%- if keys is none -%}
        true
    {%- elif not keys -%}
        false
    {%- else -%}
        (
        {%- for jaar, kwartaal in keys %}
            {{ 'or ' if not loop.first }}({{ year_column }} {{ 'is null' if jaar is none else '= ' ~ jaar }}
                and {{ quarter_column }} {{ 'is null' if kwartaal is none else '= ' ~ kwartaal }})
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of a model built by year (by quarter: quarter is the expression of its
    rows' quarter): out with the rows it rebuilds (the insert follows in the same
    transaction). -#}
{% macro delete_years_to_build(quarter=none) -%}
    {%- if by_year_incremental() -%}
        delete from {{ this }}
        where {{ in_years_to_build('jaar') if quarter is none else in_quarters_to_build('jaar', quarter) }}
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
    {%- if in_place %}
        {#- checked before the pre-hook deletes anything -#}
        {%- set built = adapter.get_columns_in_relation(target) | map(attribute='name') | map('lower') | list %}
        {%- set columns = get_columns_in_query(compiled_code) | map('lower') | list %}
        {%- if built != columns %}
            {{ exceptions.raise_compiler_error(
                'the columns of ' ~ target ~ ' changed (' ~ built | join(', ') ~ ' -> '
                ~ columns | join(', ') ~ '): build it with --full-refresh') }}
        {%- endif %}
    {%- endif %}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if in_place %}
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
