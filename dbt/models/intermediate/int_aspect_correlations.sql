-- The input of the driver analysis (int_aspect_drivers, docs/metrics.md "Drivers"): per
-- channel and year, over every counted response with a totaaloordeel, for each pair of
-- graded items (the totaaloordeel and the channel's aspects) the number of responses that
-- answered both and their Pearson correlation over those responses. Pairwise, so a
-- respondent who skipped an aspect (Prijs van het product) still counts for the others.
-- Hostmanship enters as the response's mean of its items (int_responses.hostmanship_60 / 60).
-- The grades are those int_response_answers holds: int_responses for the totaaloordeel,
-- staging's One2Ten columns for the aspects (digitaal has no graded aspects). Aggregates
-- only: a few rows per channel and year, whatever the number of responses.
{%- set items = [('Totaaloordeel', 'r.totaaloordeel')] %}
{%- for label, column in aspect_columns() %}
{%- do items.append((label, 'o.' ~ column)) %}
{%- endfor %}
{#- in sixtieths: a correlation does not change with the scale, and whole numbers sum exactly #}
{%- do items.append(('Hostmanship', 'r.hostmanship_60')) %}

with graded as (
    select
        r.kanaal,
        cast(year(r.voltooid_op) as integer) as jaar,
        {%- for label, expression in items %}
        cast({{ expression }} as hugeint) as item_{{ loop.index0 }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_responses') }} as r
    inner join {{ ref('stg_one2ten__responses') }} as o using (response_id)
    where r.voltooid_op is not null and r.totaaloordeel is not null  -- counts (var voltooid_op)
),

-- The sums each pair needs, once per pattern of answered items: a response adds to a pair's
-- sums exactly when it answered both, so a pair's sums are those of the patterns holding both
-- (a few hundred patterns; one pass over the responses instead of a filtered pass per pair).
moments as (
    select
        kanaal,
        jaar,
        [{% for label, expression in items %}item_{{ loop.index0 }} is not null{{ ', ' if not loop.last }}{% endfor %}] as beantwoord,
        count(*) as n,
        {%- for a in range(items | length) %}
        sum(item_{{ a }}) as s_{{ a }},
        {%- for b in range(a, items | length) %}
        sum(item_{{ a }} * item_{{ b }}) as p_{{ a }}_{{ b }}{{ ',' if not (loop.last and a == (items | length) - 1) }}
        {%- endfor %}
        {%- endfor %}
    from graded
    group by kanaal, jaar, beantwoord
),

per_channel_year as (
    select
        kanaal,
        jaar,
        cast(sum(n) as bigint) as respondenten,
        [
        {%- for a in range(items | length) %}
        {%- for b in range(a, items | length) %}
            {%- set both = 'beantwoord[' ~ (a + 1) ~ '] and beantwoord[' ~ (b + 1) ~ ']' %}
            {%- set n = 'coalesce(sum(n) filter (where ' ~ both ~ '), 0)' %}
            {%- set sums = [] %}
            {%- for term in ['s_' ~ a, 's_' ~ b, 'p_' ~ a ~ '_' ~ a, 'p_' ~ b ~ '_' ~ b, 'p_' ~ a ~ '_' ~ b] %}
            {%- do sums.append('sum(' ~ term ~ ') filter (where ' ~ both ~ ')') %}
            {%- endfor %}
            {'a': {{ a }}, 'b': {{ b }}, 'n': cast({{ n }} as bigint),
             'r': {{ '1.0' if a == b else corr_from_sums(n, sums[0], sums[1], sums[2], sums[3], sums[4]) }}}{{ ',' if not (loop.last and a == (items | length) - 1) }}
        {%- endfor %}
        {%- endfor %}
        ] as paren
    from moments
    group by kanaal, jaar
),

pairs as (
    select kanaal, jaar, respondenten, unnest(paren, recursive := true)
    from per_channel_year
),

labels as (
    select * from (values
        {%- for label, expression in items %}
        ({{ loop.index0 }}, {{ sql_string(label) }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as t(item, label)
),

-- The channel's items in factsheet order, the totaaloordeel first (volgorde 0).
channel_items as (
    select kanaal, 'Totaaloordeel' as label, 0 as volgorde
    from (select distinct kanaal from {{ order_values(aspect_order()) }} as t(kanaal, label, volgorde))
    union all
    select kanaal, label, volgorde
    from {{ order_values(aspect_order()) }} as t(kanaal, label, volgorde)
)

select
    p.kanaal,
    p.jaar,
    p.respondenten,
    -- the build's suppression threshold: no weight rests on fewer pairs (int_aspect_drivers)
    {{ min_respondents() }} as drempel,
    la.label as item_a,
    ia.volgorde as volgorde_a,
    lb.label as item_b,
    ib.volgorde as volgorde_b,
    p.n,
    -- no spread (one grade throughout) or too few pairs: no correlation
    case when p.n >= 2 then p.r end as r
from pairs as p
inner join labels as la on la.item = p.a
inner join labels as lb on lb.item = p.b
inner join channel_items as ia on ia.kanaal = p.kanaal and ia.label = la.label
inner join channel_items as ib on ib.kanaal = p.kanaal and ib.label = lb.label
