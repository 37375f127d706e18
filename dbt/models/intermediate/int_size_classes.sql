-- The size class of each municipality, from the file KTO_SIZE_CLASSES (docs/formats.md,
-- "Size classes"): one row per municipality, with the number of municipalities of its class
-- in the file. Without the setting it is empty, and every size-class column of the marts is
-- NULL. A file that breaks the format fails the build with the reason: a wrong class would
-- silently put a municipality against the wrong group.
{%- set path = size_classes_path() %}
{%- if path %}

with gelezen as (
    select
        upper(trim(gemeentecode)) as gemeentecode,
        trim(grootteklasse) as grootteklasse,
        count(*) over (partition by upper(trim(gemeentecode))) as keer
    from read_csv(
        {{ sql_string(path) }}, delim = ';', header = true, all_varchar = true, quote = '"'
    )
),

geldig as (
    select gemeentecode, grootteklasse
    from gelezen
    where case
        when gemeentecode is null or not regexp_full_match(gemeentecode, {{ sql_string(var('gemeentecode_patroon')) }})
            then error('KTO_SIZE_CLASSES: gemeentecode ' || coalesce(gemeentecode, '(empty)')
                || ' is not a CBS code GMnnnn')
        when grootteklasse is null or grootteklasse = ''
            then error('KTO_SIZE_CLASSES: ' || gemeentecode || ' has no grootteklasse')
        when keer > 1
            then error('KTO_SIZE_CLASSES: ' || gemeentecode || ' is listed more than once')
        else true
    end
)

select
    gemeentecode,
    grootteklasse,
    cast(count(*) over (partition by grootteklasse) as integer) as grootteklasse_gemeenten
from geldig
{%- else %}

select
    cast(null as varchar) as gemeentecode,
    cast(null as varchar) as grootteklasse,
    cast(null as integer) as grootteklasse_gemeenten
where false
{%- endif %}
