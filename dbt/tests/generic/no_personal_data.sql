{#- No personal data left in a text column: redacting it again (kto_redact) changes nothing,
    and no e-mail address of any shape is left. Fails with the offending values. -#}
{% test no_personal_data(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (kto_redact({{ column_name }}) <> {{ column_name }}
       or regexp_matches({{ column_name }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]'))
{% endtest %}
