{#
  Sample standard deviation from exact integer sums: n, sum(x) and sum(x * x).
  stddev_samp() on doubles adds in whatever order DuckDB's threads deliver the rows, so its
  last bits (and the intervals built on it) could differ between two builds of the same
  data; n * sum(x^2) - sum(x)^2 is an exact integer, so this is the same on every build.
#}
{% macro sd_from_sums(x) -%}
    {{ sd_from_totals('count(' ~ x ~ ')', 'sum(cast(' ~ x ~ ' as hugeint))', 'sum(cast(' ~ x ~ ' as hugeint) * ' ~ x ~ ')') }}
{%- endmacro %}

{#- The same from the totals themselves (n, sum(x), sum(x * x)): for figures summed from
    smaller groups, such as a year from its quarters. -#}
{% macro sd_from_totals(n, s1, s2) -%}
    case when {{ n }} > 1 then
        sqrt(
            cast({{ n }} * {{ s2 }} - {{ s1 }} * {{ s1 }} as double)
            / cast({{ n }} * ({{ n }} - 1) as double)
        )
    end
{%- endmacro %}
