{#- Answer labels of both tools mapped to the shared codes of the staging layer, from the
    code lists (var code_lists in dbt_project.yml, the readers' source too). Labels are
    already canonical in raw (the readers validated them); anything else maps to NULL. -#}

{% macro answer_code(list_name, column) -%}
    {%- set seen = [] -%}
    case {{ column }}
    {%- for entry in code_list(list_name) %}
        {%- for tool in ['one2ten', 'openforms'] %}
            {%- if entry[tool] is defined and entry[tool] not in seen %}
            {%- do seen.append(entry[tool]) %}
        when {{ sql_string(entry[tool]) }} then {{ sql_string(entry.code) }}
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
    end
{%- endmacro %}

{% macro moeite_code(column) -%}{{ answer_code('moeite', column) }}{%- endmacro %}

{% macro eens_code(column) -%}{{ answer_code('eens', column) }}{%- endmacro %}

{% macro ja_nee_code(column) -%}{{ answer_code('ja_nee', column) }}{%- endmacro %}
