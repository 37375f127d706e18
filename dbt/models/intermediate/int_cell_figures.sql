-- One row per cell x figure of docs/contract/metrics.md, before suppression: its n, the exact value as
-- an integer fraction teller / noemer (rounded later from those integers), and its 95%
-- confidence interval.
--
--   totaaloordeel, aspect, product: teller = sum of grades, noemer = n.
--   aspect Hostmanship: per-response means in 60ths, teller = sum, noemer = 60 * n.
--   ces: teller = 100 * (low - high), noemer = n (valid moeite answers).
--   stelling: teller = 100 * (eens + helemaal eens | ja), noemer = n (valid answers).
--   thema: teller = 100 * responses whose review or tip is about the theme
--     (int_response_themes), noemer = n (responses with a review or a tip text).
--
-- Intervals (docs/metrics.md): t-interval on the responses for grade means (hostmanship on
-- the per-response means); normal approximation on the difference of two proportions from
-- one multinomial sample for CES; Wilson score interval for percentages (themes too).
-- Aspects and statements have a row in every cell of their channel, also with n = 0;
-- products only where the cell has responses for them.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}
{%- set z = 1.959963984540054 %}

with periods as (
    select p.periode, r.*
    from {{ ref('int_response_periods') }} as p
    inner join {{ ref('int_responses') }} as r using (response_id, kanaal, gemeentecode)
    where {{ in_years_to_build('p.jaar') }}
),

-- Each answer once, in its response's quarter: a year's answer figures are summed from its
-- quarters below (counts, sums and sums of squares add up exactly), so the largest table
-- joins one period per response instead of two.
answers as (
    select p.gemeentecode, p.kanaal, p.jaar, p.kwartaal, a.vraag_type, a.vraag, a.cijfer, a.code
    from {{ ref('int_response_periods') }} as p
    inner join {{ ref('int_response_answers') }} as a using (response_id, kanaal, gemeentecode)
    -- (the answers' own year too: the largest table is then scanned for those years only)
    where p.kwartaal is not null and {{ in_years_to_build('p.jaar') }}
        and {{ in_years_to_build('a.jaar') }}
),

figure_list as (
    select * from (values
        ('balie', 'totaaloordeel', 'Totaaloordeel', 1),
        ('telefoon', 'totaaloordeel', 'Totaaloordeel', 1),
        ('digitaal', 'totaaloordeel', 'Totaaloordeel', 1),
        ('balie', 'ces', 'CES', 1),
        ('telefoon', 'ces', 'CES', 1),
        ('digitaal', 'ces', 'CES', 1),
        {%- for label, column in statement_columns() %}
        ('digitaal', 'stelling', {{ sql_string(label) }}, {{ loop.index }}),
        {%- endfor %}
        ('telefoon', 'stelling', {{ sql_string(in_een_keer_geholpen_label()) }}, 1)
    ) as t(kanaal, figuur_type, figuur, volgorde)
    union all
    select kanaal, 'aspect' as figuur_type, label as figuur, volgorde
    from {{ order_values(aspect_order()) }} as t(kanaal, label, volgorde)
    union all
    -- every theme of the taxonomy in every channel (kto_thema_lijst: transform/plugin.py)
    select k.kanaal, 'thema' as figuur_type, t.thema as figuur, t.volgorde
    from (values
        {%- for k in code_list('kanalen') %} ({{ sql_string(k.code) }}){{ ',' if not loop.last }}
        {%- endfor %}) as k(kanaal)
    cross join kto_thema_lijst as t
),

-- Per quarter: n, the sums of the grades and of their squares (grades), the answers at
-- either end (ces: k_laag little or no effort, k_hoog much; stelling: k_laag agrees).
answer_sums_per_quarter as (
    select
        gemeentecode, kanaal, jaar, kwartaal,
        case when vraag_type = 'totaaloordeel' then 'totaaloordeel' else 'aspect' end as figuur_type,
        vraag as figuur,
        count(*) as n,
        sum(cast(cijfer as hugeint)) as s1,
        sum(cast(cijfer as hugeint) * cijfer) as s2,
        null::bigint as k_laag,
        null::bigint as k_hoog
    from answers
    where vraag_type in ('totaaloordeel', 'aspect')
    group by all
    union all
    select
        gemeentecode, kanaal, jaar, kwartaal,
        'ces' as figuur_type,
        'CES' as figuur,
        count(*) as n,
        null::hugeint as s1,
        null::hugeint as s2,
        count(*) filter (where code in ('weinig_moeite', 'geen_moeite')) as k_laag,
        count(*) filter (where code in ('veel_moeite', 'heel_veel_moeite')) as k_hoog
    from answers
    where vraag_type = 'moeite' and code <> 'weet_niet'
    group by all
    union all
    select
        gemeentecode, kanaal, jaar, kwartaal,
        'stelling' as figuur_type,
        vraag as figuur,
        count(*) as n,
        null::hugeint as s1,
        null::hugeint as s2,
        count(*) filter (where code in ('eens', 'helemaal_eens', 'ja')) as k_laag,
        null::bigint as k_hoog
    from answers
    where (vraag_type = 'stelling' and code <> 'weet_niet')
        or (vraag_type = 'in_een_keer_geholpen' and code in ('ja', 'nee'))
    group by all
),

answer_sums as (
    select
        gemeentecode, kanaal,
        {{ periode_code('jaar', 'kwartaal') }} as periode,
        figuur_type, figuur, n, s1, s2, k_laag, k_hoog
    from answer_sums_per_quarter
    union all
    select
        gemeentecode, kanaal, cast(jaar as varchar) as periode, figuur_type, figuur,
        cast(sum(n) as bigint) as n,
        sum(s1) as s1,
        sum(s2) as s2,
        cast(sum(k_laag) as bigint) as k_laag,
        cast(sum(k_hoog) as bigint) as k_hoog
    from answer_sums_per_quarter
    group by all
),

answer_stats as (
    select
        gemeentecode, kanaal, periode, figuur_type, figuur, n,
        case figuur_type
            when 'ces' then 100 * (k_laag - k_hoog)
            when 'stelling' then 100 * k_laag
            else s1
        end as teller,
        n as noemer,
        case when figuur_type in ('totaaloordeel', 'aspect') then
            {{ sd_from_totals('n', 's1', 's2') }}
        end as sd,
        s2,
        k_laag,
        k_hoog
    from answer_sums
),

hostmanship as (
    select
        gemeentecode, kanaal, periode,
        'aspect' as figuur_type,
        'Hostmanship' as figuur,
        count(*) as n,
        sum(hostmanship_60) as teller,
        60 * count(*) as noemer,
        {{ sd_from_sums('hostmanship_60') }} / 60.0 as sd,
        sum(cast(hostmanship_60 as hugeint) * hostmanship_60) as s2,
        null::bigint as k_laag,
        null::bigint as k_hoog
    from periods
    where hostmanship_60 is not null
    group by all
),

-- Themes: per cell the responses with a text (review or tip) and, per theme, those whose
-- review or tip is about it; a response with both counts once (docs/themes.md).
theme_texts as (
    select gemeentecode, kanaal, periode, count(*) as n
    from periods
    where heeft_review or heeft_tiptekst
    group by all
),

theme_hits as (
    select p.gemeentecode, p.kanaal, p.periode, t.thema, count(distinct p.response_id) as k
    from periods as p
    inner join {{ ref('int_response_themes') }} as t using (response_id)
    group by all
),

themes as (
    select
        x.gemeentecode, x.kanaal, x.periode,
        'thema' as figuur_type,
        l.thema as figuur,
        x.n,
        100 * coalesce(h.k, 0) as teller,
        x.n as noemer,
        null::double as sd,
        null::hugeint as s2,
        coalesce(h.k, 0) as k_laag,
        null::bigint as k_hoog
    from theme_texts as x
    cross join kto_thema_lijst as l
    left join theme_hits as h
        on x.gemeentecode = h.gemeentecode
        and x.kanaal = h.kanaal
        and x.periode = h.periode
        and l.thema = h.thema
),

stats as (
    select * from answer_stats
    union all select * from hostmanship
    union all select * from themes
),

cell_figures as (
    select
        c.gemeentecode, c.gemeente, c.kanaal, c.periode, c.jaar, c.kwartaal,
        f.figuur_type, f.figuur, f.volgorde,
        cast(null as integer) as respons,
        coalesce(s.n, 0) as n, s.teller, s.noemer, s.sd, s.s2, s.k_laag, s.k_hoog
    from {{ ref('int_cells') }} as c
    inner join figure_list as f on c.kanaal = f.kanaal and {{ in_years_to_build('c.jaar') }}
    left join stats as s
        on c.gemeentecode = s.gemeentecode
        and c.kanaal = s.kanaal
        and c.periode = s.periode
        and f.figuur_type = s.figuur_type
        and f.figuur = s.figuur
),

products as (
    select
        gemeentecode, kanaal, periode,
        -- every response has one product row: one without a product counts under Onbekend,
        -- and so does one whose product is given as Onbekend (in any case): both say the
        -- product is not known, and one cell cannot hold two products of that name
        case
            when nullif(trim(product), '') is null or lower(trim(product)) = 'onbekend'
                then 'Onbekend'
            else trim(product)
        end as product,
        nullif(trim(product), '') is null or lower(trim(product)) = 'onbekend' as zonder_product,
        count(*) as respons,
        count(totaaloordeel) as n,
        sum(totaaloordeel) as teller,
        count(totaaloordeel) as noemer,
        {{ sd_from_sums('totaaloordeel') }} as sd,
        sum(cast(totaaloordeel as hugeint) * totaaloordeel) as s2
    from periods
    group by all
),

product_order as (
    select * from {{ order_values(product_order()) }} as t(kanaal, product, volgorde)
),

product_figures as (
    select
        c.gemeentecode, c.gemeente, c.kanaal, c.periode, c.jaar, c.kwartaal,
        'product' as figuur_type,
        p.product as figuur,
        -- code-list order, products outside the list after it by name (from 101), responses
        -- without a product last (999)
        cast(case
            when p.zonder_product then 999
            when o.volgorde is not null then o.volgorde
            else 100 + dense_rank() over (
                partition by c.gemeentecode, c.kanaal, c.periode, o.volgorde is null or p.zonder_product
                order by p.product
            )
        end as integer) as volgorde,
        cast(p.respons as integer) as respons,
        p.n, p.teller, p.noemer, p.sd, p.s2,
        null::bigint as k_laag,
        null::bigint as k_hoog
    from {{ ref('int_cells') }} as c
    inner join products as p using (gemeentecode, kanaal, periode)
    left join product_order as o on p.kanaal = o.kanaal and p.product = o.product
),

all_figures as (
    select * from cell_figures
    union all
    select * from product_figures
),

intervals as (
    select
        *,
        case when n > 0 then cast(teller as double) / cast(noemer as double) end as exact,
        case
            when n = 0 then null
            when figuur_type in ('totaaloordeel', 'aspect', 'product') then
                case when n >= 2 then
                    cast(teller as double) / cast(noemer as double)
                    - kto_t_quantile(0.975, n - 1) * sd / sqrt(n)
                end
            when figuur_type = 'ces' then
                100.0 * (
                    (k_laag - k_hoog) / n
                    - {{ z }} * sqrt(greatest(0.0, (k_laag + k_hoog) / n - power((k_laag - k_hoog) / n, 2)) / n)
                )
            when figuur_type in ('stelling', 'thema') then
                100.0 * (
                    (k_laag / n + power({{ z }}, 2) / (2 * n))
                    - {{ z }} * sqrt((k_laag / n) * (1 - k_laag / n) / n + power({{ z }}, 2) / (4 * n * n))
                ) / (1 + power({{ z }}, 2) / n)
        end as raw_ci_low,
        case
            when n = 0 then null
            when figuur_type in ('totaaloordeel', 'aspect', 'product') then
                case when n >= 2 then
                    cast(teller as double) / cast(noemer as double)
                    + kto_t_quantile(0.975, n - 1) * sd / sqrt(n)
                end
            when figuur_type = 'ces' then
                100.0 * (
                    (k_laag - k_hoog) / n
                    + {{ z }} * sqrt(greatest(0.0, (k_laag + k_hoog) / n - power((k_laag - k_hoog) / n, 2)) / n)
                )
            when figuur_type in ('stelling', 'thema') then
                100.0 * (
                    (k_laag / n + power({{ z }}, 2) / (2 * n))
                    + {{ z }} * sqrt((k_laag / n) * (1 - k_laag / n) / n + power({{ z }}, 2) / (4 * n * n))
                ) / (1 + power({{ z }}, 2) / n)
        end as raw_ci_high,
        -- the figure's domain: a grade 1..10, a CES -100..100, a percentage 0..100
        case figuur_type when 'ces' then -100.0 when 'stelling' then 0.0 when 'thema' then 0.0
            else 1.0 end as domein_min,
        case figuur_type when 'ces' then 100.0 when 'stelling' then 100.0 when 'thema' then 100.0
            else 10.0 end as domein_max
    from all_figures
)

-- Every bound is clipped to the figure's domain and made to contain its exact value:
-- a t-interval on few, spread grades reaches below 1 or above 10, the CES normal
-- approximation beyond +-100, and Wilson's bounds at p = 0 or 1 land a rounding error
-- outside [0, 100] (100.00000000000001) or beside the value (docs/metrics.md).
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur_type,
    figuur,
    cast(volgorde as integer) as volgorde,
    respons,
    cast(n as integer) as n,
    cast(teller as hugeint) as teller,
    cast(noemer as hugeint) as noemer,
    cast(case figuur_type{% for kind, decimals in var('decimalen').items() %} when '{{ kind }}' then {{ decimals }}{% endfor %} end as integer) as decimalen,
    exact,
    -- (least/greatest skip NULLs: a missing bound must stay missing)
    case when raw_ci_low is not null then greatest(domein_min, least(raw_ci_low, exact)) end
        as ci_low,
    case when raw_ci_high is not null then least(domein_max, greatest(raw_ci_high, exact)) end
        as ci_high,
    -- What the tests of a change need (dagster_project/analysis/change.py), internal: the
    -- sum of the squared values for a mean (in sixtieths for Hostmanship, as teller), the
    -- answers at either end for CES (k_laag - k_hoog) and a percentage (k_laag agrees).
    -- A shown interval implies them, so they add nothing to what a published figure gives.
    cast(s2 as hugeint) as s2,
    cast(k_laag as bigint) as k_laag,
    cast(k_hoog as bigint) as k_hoog
from intervals
