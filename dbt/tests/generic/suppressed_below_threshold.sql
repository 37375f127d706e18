{#- A figure below KTO_MIN_RESPONDENTS is suppressed: its value columns are NULL (n kept).
    Without flag_column (the internal int_figures) every figure at or above the threshold
    has its first value column set whenever n > 0. With flag_column (the public marts'
    publiceerbaar) that holds for the shown figures; a hidden one (withheld by
    complementary suppression) has every value column NULL, and no shown figure is below
    the threshold. -#}
{% test suppressed_below_threshold(model, n_column, value_columns, flag_column=none, column_name=none) %}
{%- set all_null -%}
    ({%- for c in value_columns %}{{ c }} is null{{ ' and ' if not loop.last }}{% endfor -%})
{%- endset -%}
{%- set shown = flag_column if flag_column else '(' ~ n_column ~ ' >= ' ~ min_respondents() ~ ')' %}
select *
from {{ model }}
where ({{ n_column }} < {{ min_respondents() }} and not {{ all_null }})
   or ({{ n_column }} < {{ min_respondents() }} and {{ shown }})
   or (not {{ shown }} and not {{ all_null }})
   or ({{ shown }} and {{ n_column }} >= {{ min_respondents() }} and {{ value_columns[0] }} is null)
{% endtest %}
