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

{#- A double (an interval bound, an exact BM) rounded half away from zero to d decimals, as
    round_half_away_scaled: from its shortest decimal spelling (DuckDB writes a double as the
    shortest text that reads back to it, so 7.35 is 7.35, not 7.3499999999999996447), taken
    exactly at 15 decimals (the doubles here lie within -100..100). -#}
{% macro double_half_away_scaled(value, decimals) -%}
    {{ round_half_away_scaled(
        'cast(cast(cast(' ~ value ~ ' as varchar) as decimal(38, 15)) * 1000000000000000 as hugeint)',
        '1000000000000000', decimals) }}
{%- endmacro %}

{#- A scaled integer (value times 10^d, d = 0..4, a SQL expression) as a DECIMAL(18, 4), in
    exact decimal arithmetic: the factsheet prints it with d decimals and drops only zeros. -#}
{% macro decimal_from_scaled(column, decimals) -%}
    cast(cast(({{ column }}) * cast(10 ** (4 - ({{ decimals }})) as hugeint) as decimal(18, 0))
         * cast(0.0001 as decimal(5, 4)) as decimal(18, 4))
{%- endmacro %}
