-- Every grouping of municipalities a group BM is computed over, one row per group x member:
-- the size classes (indeling 'grootteklasse', int_size_classes: one class per municipality)
-- and the named comparison groups of KTO_VERGELIJKINGSGROEPEN (indeling 'vergelijkingsgroep',
-- docs/formats.md, "Comparison groups": a municipality may be in several). int_group_benchmarks
-- computes the BM of each. Without either setting it is empty.
--
-- The pipeline refuses a groups file that breaks the format before any work, naming its
-- row and column (dagster_project/domain/comparison_groups.py); the checks below fail a dbt
-- build run by hand on such a file rather than compare a municipality with the wrong group.
{%- set path = comparison_groups_path() %}

with klassen as (
    select
        'grootteklasse' as indeling,
        grootteklasse as groep,
        gemeentecode,
        grootteklasse_gemeenten as groep_gemeenten
    from {{ ref('int_size_classes') }}
)
{%- if path %},

gelezen as (
    select
        trim(groep) as groep,
        upper(trim(gemeentecode)) as gemeentecode,
        count(*) over (partition by trim(groep), upper(trim(gemeentecode))) as keer
    from read_csv(
        {{ sql_string(path) }}, delim = ';', header = true, all_varchar = true, quote = '"'
    )
    where coalesce(trim(groep), '') <> '' or coalesce(trim(gemeentecode), '') <> ''
),

geldig as (
    select groep, gemeentecode
    from gelezen
    where case
        when groep is null or groep = ''
            then error('KTO_VERGELIJKINGSGROEPEN: ' || coalesce(gemeentecode, '(empty)')
                || ' has an empty groep')
        when gemeentecode is null or not regexp_full_match(gemeentecode, {{ sql_string(var('gemeentecode_patroon')) }})
            then error('KTO_VERGELIJKINGSGROEPEN: gemeentecode ' || coalesce(gemeentecode, '(empty)')
                || ' is not a CBS code GMnnnn')
        when keer > 1
            then error('KTO_VERGELIJKINGSGROEPEN: ' || gemeentecode || ' is listed in ' || groep
                || ' more than once')
        else true
    end
),

groepen as (
    select
        'vergelijkingsgroep' as indeling,
        groep,
        gemeentecode,
        cast(count(*) over (partition by groep) as integer) as groep_gemeenten
    from geldig
)

select * from klassen
union all
select * from groepen
{%- else %}

select * from klassen
{%- endif %}
