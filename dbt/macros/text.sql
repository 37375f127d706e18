{#- A free-text answer counts as given when, after trimming, it holds at least one letter or
    digit: empty text and text of only punctuation or symbols ('-', '...', '?!') do not. -#}
{% macro is_meaningful_text(column) -%}
    coalesce(regexp_matches(trim({{ column }}), '[\p{L}\p{N}]'), false)
{%- endmacro %}

{#- A Jinja string as a SQL string literal: quotes doubled, so a label such as
    "'s-Hertogenbosch" or "Burger's kaart" cannot end the literal early. Every label the
    models paste into SQL goes through this. -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
