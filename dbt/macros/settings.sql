{#- The pipeline's settings as dbt sees them: --vars first, then the environment, then the
    defaults of the public contract (README). -#}

{% macro min_respondents() -%}
    {%- set value = var('min_respondents', none) -%}
    {%- if value is none -%}{%- set value = env_var('KTO_MIN_RESPONDENTS', '10') -%}{%- endif -%}
    {%- set n = value | int(-1) -%}
    {%- if n < 1 or (value | string | trim) != (n | string) -%}
        {{ exceptions.raise_compiler_error("KTO_MIN_RESPONDENTS=" ~ value ~ ": expected a whole number of at least 1") }}
    {%- endif -%}
    {{ return(n) }}
{%- endmacro %}

{% macro benchmark_method() -%}
    {%- set value = var('benchmark_method', none) -%}
    {%- if value is none -%}{%- set value = env_var('KTO_BENCHMARK_METHOD', 'gemeenten') -%}{%- endif -%}
    {%- if value not in ['gemeenten', 'respondenten'] -%}
        {{ exceptions.raise_compiler_error("KTO_BENCHMARK_METHOD=" ~ value ~ ": expected gemeenten or respondenten") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- KTO_GEMEENTECODES: what a well-formed Gemeentecode that the CBS code list does not have
    valid on its row's day does: melden (the default; accepted, as the format specification
    defines a valid code by its form, and reported by the ingest) or strikt (quarantined by
    the readers, refused by the staging rules). docs/formats.md, "Municipality codes and the
    CBS code list". -#}
{% macro gemeentecodes() -%}
    {%- set value = var('gemeentecodes', none) -%}
    {%- if value is none -%}{%- set value = env_var('KTO_GEMEENTECODES', 'melden') -%}{%- endif -%}
    {%- if value not in ['melden', 'strikt'] -%}
        {{ exceptions.raise_compiler_error("KTO_GEMEENTECODES=" ~ value ~ ": expected melden or strikt") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- KTO_SIZE_CLASSES: the path of the municipalities' size classes (docs/formats.md, "Size
    classes"), or none when not set (or empty): then every BM is the national one only. -#}
{% macro size_classes_path() -%}
    {%- set value = var('size_classes', none) -%}
    {%- if value is none -%}{%- set value = env_var('KTO_SIZE_CLASSES', '') -%}{%- endif -%}
    {%- set value = value | string | trim -%}
    {{ return(value if value else none) }}
{%- endmacro %}

{#- A size-class BM is published only when at least this many municipalities take part in
    it: a municipality that knows its own figure and the class BM learns the mean of the
    others, which must be a mean of several (docs/metrics.md, "Size-class benchmark"). -#}
{% macro size_class_min_gemeenten() -%}
    {{ return(5) }}
{%- endmacro %}
