{#- Every row rule of one model in one scan (one dbt test instead of one per column and rule:
    a dbt test costs about 0.3 s of a build, docs/quality.md "Measured cost"). A failing row
    is returned with the names of the rules it breaks in failed_rules and, in the same order,
    the column each judges in failed_rule_columns (the expression, for an expression), so
    quality/dbt_breaches.py makes one breach per rule from the data alone; it lists every
    rule of the test by the same names (row_rules_of), with its failing row count.
      not_null:        [column, ...]
      accepted_range:  {column: {min_value: x, max_value: y}}   (either bound optional; a
                       bound "var.key" is that entry of a var, e.g. tips.max_tips)
      accepted_values: {column: [value, ...]}                   (NULL passes; a code list's
                       name instead of the list: its codes, vars.code_lists)
      matches:         {column: var}                            (NULL fails; the var holds the
                       regular expression the whole value matches, e.g. gemeentecode_patroon)
      expressions:     [SQL expression true for every row, ...] (NULL fails)
      cbs_codes:       {column: SQL of the row's day}            (KTO_GEMEENTECODES=strikt: the
                       code valid that day by the CBS code list; melden: no rule, macro
                       cbs_code_rule) -#}
{% test row_rules(model, not_null=[], accepted_range={}, accepted_values={}, matches={}, expressions=[], cbs_codes={}) %}
{%- set rules = [] -%}
{%- for column in not_null -%}
  {%- do rules.append(("not_null(" ~ column ~ ")", column, column ~ " is null")) -%}
{%- endfor -%}
{%- for column, bounds in accepted_range.items() -%}
  {%- set low, high = bounds.get('min_value'), bounds.get('max_value') -%}
  {%- if low is string %}{% set name, key = low.split('.') %}{% set low = var(name)[key] %}{% endif -%}
  {%- if high is string %}{% set name, key = high.split('.') %}{% set high = var(name)[key] %}{% endif -%}
  {%- set outside = [] -%}
  {%- if low is not none %}{% do outside.append(column ~ " < " ~ low) %}{% endif -%}
  {%- if high is not none %}{% do outside.append(column ~ " > " ~ high) %}{% endif -%}
  {%- do rules.append((
      "accepted_range(" ~ column ~ ", " ~ low ~ ", " ~ high ~ ")",
      column, column ~ " is not null and (" ~ outside | join(" or ") ~ ")")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
  {%- if values is string -%}{%- set values = code_list(values) | map(attribute='code') | list -%}{%- endif -%}
  {%- set listed = [] -%}
  {%- for value in values -%}
    {%- do listed.append(value if value is number else "'" ~ (value | string | replace("'", "''")) ~ "'") -%}
  {%- endfor -%}
  {%- do rules.append(("accepted_values(" ~ column ~ ")", column,
      column ~ " is not null and " ~ column ~ " not in (" ~ listed | join(", ") ~ ")")) -%}
{%- endfor -%}
{%- for column, pattern_var in matches.items() -%}
  {%- set pattern = var(pattern_var) -%}
  {%- do rules.append(("matches(" ~ column ~ ", " ~ pattern ~ ")", column,
      "not coalesce(regexp_full_match(" ~ column ~ ", " ~ sql_string(pattern) ~ "), false)")) -%}
{%- endfor -%}
{%- for expression in expressions -%}
  {%- do rules.append(("expression_is_true(" ~ expression ~ ")", expression,
      "not coalesce((" ~ expression ~ "), false)")) -%}
{%- endfor -%}
{%- for column, day in cbs_codes.items() -%}
  {%- set valid = cbs_code_rule(column, day) -%}
  {%- if valid | trim -%}
    {%- do rules.append(("cbs_code(" ~ column ~ ")", column, "not coalesce((" ~ valid ~ "), false)")) -%}
  {%- endif -%}
{%- endfor %}
{#- the lambdas' parameter is named as no column is: DuckDB binds a column of that name first -#}
select * exclude (kto_failed),
    list_transform(kto_failed, lambda kto_rule: kto_rule.regel) as failed_rules,
    list_transform(kto_failed, lambda kto_rule: kto_rule.kolom) as failed_rule_columns
from (
    select
        *,
        list_filter([
        {%- for name, column, fails in rules %}
            case when {{ fails }} then {'regel': '{{ name | replace("'", "''") }}', 'kolom': '{{ column | replace("'", "''") }}'} end{{ "," if not loop.last }}
        {%- endfor %}
        ], lambda kto_rule: kto_rule is not null) as kto_failed
    from {{ model }}
) as judged
where len(kto_failed) > 0
{% endtest %}
