{#- Benjamini-Hochberg q-values, as dagster_project/analysis/multiplicity.py computes them:
    for the m p-values of a family ranked ascending, q(i) = min over j >= i of
    min(1, m / j * p(j)). A NULL p-value is no test: it does not count in m and its q-value
    is NULL. Two steps (a window function cannot take another's result):

    bh_ranks(p, family, tiebreak): the columns bh_m (m) and bh_j (the rank), in one CTE;
    bh_qvalue(p, family, tiebreak): the q-value, in the next, from those columns.

    `family` is a comma-separated column list; `tiebreak` orders equal p-values (their
    q-values come out equal either way). m / j is taken first, as there, so that q >= p holds
    in floating point too. -#}
{% macro bh_ranks(p, family, tiebreak) -%}
    count({{ p }}) over (partition by {{ family }}) as bh_m,
    case when {{ p }} is not null then
        row_number() over (partition by {{ family }}, {{ p }} is null order by {{ p }}, {{ tiebreak }})
    end as bh_j
{%- endmacro %}

{% macro bh_qvalue(p, family, tiebreak) -%}
    case when {{ p }} is not null then
        least(1.0, min({{ p }} * (cast(bh_m as double) / bh_j)) over (
            partition by {{ family }}, {{ p }} is null
            order by {{ p }} desc, {{ tiebreak }} desc
            rows between unbounded preceding and current row
        ))
    end
{%- endmacro %}
