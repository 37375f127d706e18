{#- Pearson's r of a pair from its exact integer sums (DuckDB's corr() sums doubles in the
    order its threads meet the rows, so a rebuild could differ in the last bit and publish a
    new version with the same data); NULL without spread. -#}
{% macro exact_corr(x, y, both) -%}
    {%- set n = 'count(*) filter (where ' ~ both ~ ')' -%}
    {%- set sx = 'sum(' ~ x ~ ') filter (where ' ~ both ~ ')' -%}
    {%- set sy = 'sum(' ~ y ~ ') filter (where ' ~ both ~ ')' -%}
    {%- set sxx = 'sum(' ~ x ~ ' * ' ~ x ~ ') filter (where ' ~ both ~ ')' -%}
    {%- set syy = 'sum(' ~ y ~ ' * ' ~ y ~ ') filter (where ' ~ both ~ ')' -%}
    {%- set sxy = 'sum(' ~ x ~ ' * ' ~ y ~ ') filter (where ' ~ both ~ ')' -%}
    cast({{ n }} * {{ sxy }} - {{ sx }} * {{ sy }} as double)
        / nullif(sqrt(cast({{ n }} * {{ sxx }} - {{ sx }} * {{ sx }} as double))
            * sqrt(cast({{ n }} * {{ syy }} - {{ sy }} * {{ sy }} as double)), 0)
{%- endmacro %}
