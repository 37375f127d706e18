{#
  Sample standard deviation from exact integer sums: n, sum(x) and sum(x * x).
  stddev_samp() on doubles adds in whatever order DuckDB's threads deliver the rows, so its
  last bits (and the intervals built on it) could differ between two builds of the same
  data; n * sum(x^2) - sum(x)^2 is an exact integer, so this is the same on every build.
#}
{% macro sd_from_sums(x) -%}
    case when count({{ x }}) > 1 then
        sqrt(
            cast(count({{ x }}) * sum(cast({{ x }} as hugeint) * {{ x }})
                 - sum(cast({{ x }} as hugeint)) * sum(cast({{ x }} as hugeint)) as double)
            / cast(count({{ x }}) * (count({{ x }}) - 1) as double)
        )
    end
{%- endmacro %}
