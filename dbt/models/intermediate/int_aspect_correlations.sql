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
    where r.is_voltooid and r.voltooid_op is not null and r.totaaloordeel is not null
),

per_channel_year as (
    select
        kanaal,
        jaar,
        count(*) as respondenten,
        [
        {%- for a in range(items | length) %}
        {%- for b in range(a, items | length) %}
            {%- set both = 'item_' ~ a ~ ' is not null and item_' ~ b ~ ' is not null' %}
            {'a': {{ a }}, 'b': {{ b }}, 'n': count(*) filter (where {{ both }}),
             'r': {{ '1.0' if a == b else exact_corr('item_' ~ a, 'item_' ~ b, both) }}}{{ ',' if not (loop.last and a == (items | length) - 1) }}
        {%- endfor %}
        {%- endfor %}
        ] as paren
    from graded
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
