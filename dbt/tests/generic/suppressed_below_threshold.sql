{#- A figure is suppressed exactly when its n is below KTO_MIN_RESPONDENTS: then its value
    columns are NULL (n kept); at or above the threshold the first value column is set
    whenever n > 0. -#}
{% test suppressed_below_threshold(model, n_column, value_columns, column_name=none) %}
select *
from {{ model }}
where ({{ n_column }} < {{ min_respondents() }} and not (
        {%- for c in value_columns %}{{ c }} is null{{ ' and ' if not loop.last }}{% endfor -%}
    ))
   or ({{ n_column }} >= {{ min_respondents() }} and {{ value_columns[0] }} is null)
{% endtest %}
