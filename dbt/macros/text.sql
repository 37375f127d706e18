{#- A free-text answer counts as given when, after trimming, it holds at least one letter or
    digit: empty text and text of only punctuation or symbols ('-', '...', '?!') do not. -#}
{% macro is_meaningful_text(column) -%}
    coalesce(regexp_matches(trim({{ column }}), '[\p{L}\p{N}]'), false)
{%- endmacro %}
