{#- No personal data left in a text column: every value passes the rule that decides what
    may be shown (kto_is_publishable: the redaction finds nothing more, also with look-alike
    letters folded, and nothing that looks personal is left: an @, six digits in a run, a
    date, a name), or is the placeholder of a withheld text where allow_withheld. Fails with
    the offending values. -#}
{% test no_personal_data(model, column_name, allow_withheld=true) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and case
      when {{ column_name }} = {{ sql_string(var('withheld_text')) }} then not {{ allow_withheld }}
      else not kto_is_publishable({{ column_name }})
  end
{% endtest %}
