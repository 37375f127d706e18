{#- Every row rule of one model in one scan (one dbt test instead of one per column and rule:
    dbt pays about 50 ms per test, and Dagster one check event). A failing row is returned
    with the names of the rules it breaks in failed_rules; quality/dbt_breaches.py splits a
    failure into one breach per rule.
      not_null:        [column, ...]
      accepted_range:  {column: {min_value: x, max_value: y}}   (either bound optional)
      accepted_values: {column: [value, ...]}                   (NULL passes)
      expressions:     [SQL expression true for every row, ...] (NULL fails; an expression
                       that renders empty is no rule, as cbs_code_rule under melden) -#}
{% test row_rules(model, not_null=[], accepted_range={}, accepted_values={}, expressions=[]) %}
{%- set rules = [] -%}
{%- for column in not_null -%}
  {%- do rules.append(("not_null(" ~ column ~ ")", column ~ " is null")) -%}
{%- endfor -%}
{%- for column, bounds in accepted_range.items() -%}
  {%- set outside = [] -%}
  {%- if bounds.get('min_value') is not none %}{% do outside.append(column ~ " < " ~ bounds['min_value']) %}{% endif -%}
  {%- if bounds.get('max_value') is not none %}{% do outside.append(column ~ " > " ~ bounds['max_value']) %}{% endif -%}
  {%- do rules.append((
      "accepted_range(" ~ column ~ ", " ~ bounds.get('min_value') ~ ", " ~ bounds.get('max_value') ~ ")",
      column ~ " is not null and (" ~ outside | join(" or ") ~ ")")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
  {%- set listed = [] -%}
  {%- for value in values -%}
    {%- do listed.append(value if value is number else "'" ~ (value | string | replace("'", "''")) ~ "'") -%}
  {%- endfor -%}
  {%- do rules.append(("accepted_values(" ~ column ~ ")",
      column ~ " is not null and " ~ column ~ " not in (" ~ listed | join(", ") ~ ")")) -%}
{%- endfor -%}
{%- for expression in expressions if expression | trim -%}
  {%- do rules.append(("expression_is_true(" ~ expression ~ ")", "not coalesce((" ~ expression ~ "), false)")) -%}
{%- endfor %}
select *
from (
    select
        *,
        list_filter([
        {%- for name, fails in rules %}
            case when {{ fails }} then '{{ name | replace("'", "''") }}' end{{ "," if not loop.last }}
        {%- endfor %}
        ], lambda rule: rule is not null) as failed_rules
    from {{ model }}
) as judged
where len(failed_rules) > 0
{% endtest %}
