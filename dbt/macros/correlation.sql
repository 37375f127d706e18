{#- Pearson's r of a pair from its exact integer sums (DuckDB's corr() sums doubles in the
    order its threads meet the rows, so a rebuild could differ in the last bit and publish a
    new version with the same data); NULL without spread. The arguments are the pair's
    count, sums, sums of squares and sum of products, over the responses with both. -#}
{% macro corr_from_sums(n, sx, sy, sxx, syy, sxy) -%}
    cast({{ n }} * {{ sxy }} - {{ sx }} * {{ sy }} as double)
        / nullif(sqrt(cast({{ n }} * {{ sxx }} - {{ sx }} * {{ sx }} as double))
            * sqrt(cast({{ n }} * {{ syy }} - {{ sy }} * {{ sy }} as double)), 0)
{%- endmacro %}
