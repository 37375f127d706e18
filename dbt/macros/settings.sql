{#- The pipeline's settings as dbt sees them: its vars. The pipeline passes each one as
    --vars, validated by dagster_project/settings (the one place of their rules); dbt run by
    hand takes the defaults in dbt_project.yml's vars, or its own --vars. -#}

{% macro min_respondents() -%}
    {{ return(var('min_respondents') | int) }}
{%- endmacro %}

{% macro benchmark_method() -%}
    {{ return(var('benchmark_method')) }}
{%- endmacro %}

{#- KTO_GEMEENTECODES: what a well-formed Gemeentecode that the CBS code list does not have
    valid on its row's day does: melden (the default; accepted, as the format specification
    defines a valid code by its form, and reported by the ingest) or strikt (quarantined by
    the readers, refused by the staging rules). docs/formats.md, "Municipality codes and the
    CBS code list". -#}
{% macro gemeentecodes() -%}
    {{ return(var('gemeentecodes')) }}
{%- endmacro %}

{#- KTO_SIZE_CLASSES: the path of the municipalities' size classes (docs/formats.md, "Size
    classes"), or none when empty: then every BM is the national one only. -#}
{% macro size_classes_path() -%}
    {%- set value = (var('size_classes') or '') | string | trim -%}
    {{ return(value if value else none) }}
{%- endmacro %}

{#- A group BM (size class, comparison group) is published only when at least this many
    municipalities take part in it: a municipality that knows its own figure and the group
    BM learns the mean of the others, which must be a mean of several (docs/metrics.md,
    "Size-class benchmark"). -#}
{% macro size_class_min_gemeenten() -%}
    {{ return(5) }}
{%- endmacro %}

{#- KTO_VERGELIJKINGSGROEPEN: the path of the named comparison groups (docs/formats.md,
    "Comparison groups"), or none when empty: then there is no group BM. -#}
{% macro comparison_groups_path() -%}
    {%- set value = (var('vergelijkingsgroepen') or '') | string | trim -%}
    {{ return(value if value else none) }}
{%- endmacro %}
