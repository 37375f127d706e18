{#- Rounding half away from zero, derived from an exact integer numerator and a positive
    integer denominator, never from a double (DuckDB's round(8.35::double, 1) is 8.3).

    round_half_away_scaled(t, n, d) = the fraction t/n rounded half away from zero to d
    decimals, times 10^d, as an integer:
        sign(t) * floor((2*|t|*10^d + n) / (2*n))
    which is floor(|t|/n * 10^d + 1/2) in integer arithmetic. NULL when n is 0 or NULL. -#}

{% macro round_half_away_scaled(numerator, denominator, decimals=0) -%}
    {%- if decimals is number -%}
        {%- set scale = 10 ** decimals -%}
    {%- else -%}
        {#- decimals given as a SQL expression (a column) -#}
        {%- set scale = 'cast(10 ** (' ~ decimals ~ ') as hugeint)' -%}
    {%- endif -%}
    (sign(({{ numerator }})::hugeint)
        * ((2 * abs(({{ numerator }})::hugeint) * {{ scale }} + ({{ denominator }})::hugeint)
           // nullif(2 * ({{ denominator }})::hugeint, 0)))
{%- endmacro %}

{#- The same as a DECIMAL(18, d): 8.35 -> 8.4, 8.25 -> 8.3, -12.5 -> -13. -#}
{% macro round_half_away(numerator, denominator, decimals=0) -%}
    {%- if decimals == 0 -%}
    cast({{ round_half_away_scaled(numerator, denominator, 0) }} as decimal(18, 0))
    {%- else -%}
    cast(cast({{ round_half_away_scaled(numerator, denominator, decimals) }} as decimal(18, 0))
         * cast({{ '0.' ~ '0' * (decimals - 1) ~ '1' }} as decimal({{ decimals + 1 }}, {{ decimals }}))
         as decimal(18, {{ decimals }}))
    {%- endif -%}
{%- endmacro %}

{#- A value rounded by round_half_away_scaled back to its scale: a grade as DECIMAL(3,1)
    (exact decimal arithmetic, no double in between), a CES or percentage as INTEGER. -#}
{% macro grade_from_scaled(column) -%}
    cast(cast({{ column }} as decimal(18, 0)) * 0.1 as decimal(3, 1))
{%- endmacro %}

{% macro whole_from_scaled(column) -%}
    cast({{ column }} as integer)
{%- endmacro %}
