-- The benchmark (BM) per kanaal x periode x figure (products have none), by the method of
-- the setting KTO_BENCHMARK_METHOD, recorded in bm_method:
--
-- gemeenten: the mean of the municipalities' exact values, each municipality with an
--   unsuppressed value (n >= KTO_MIN_RESPONDENTS) counting once. The mean of the fractions
--   teller/noemer is computed in exact rational arithmetic (kto_mean_of_ratios_scaled, a
--   Python UDF on fractions.Fraction) and rounded half away from zero from that exact
--   value, so a BM that is exactly halfway (e.g. 8.35) never rounds down through a double.
-- respondenten: pooled over all responses of the channel and period (suppressed cells
--   included): sum(teller) / sum(noemer), rounded by the same integer macro as the cells.
--   NULL when the pooled n is below the threshold.
{%- set method = benchmark_method() %}
{%- set threshold = min_respondents() %}

with figures as (
    select *
    from {{ ref('int_cell_figures') }}
    where figuur_type <> 'product'
)

select
    kanaal,
    periode,
    any_value(jaar) as jaar,
    any_value(kwartaal) as kwartaal,
    figuur_type,
    figuur,
    any_value(decimalen) as decimalen,
{%- if method == 'gemeenten' %}
    kto_mean_of_ratios_scaled(
        list(teller) filter (where n >= {{ threshold }}),
        list(noemer) filter (where n >= {{ threshold }}),
        any_value(decimalen)
    ) as bm_scaled,
    kto_mean_of_ratios(
        list(teller) filter (where n >= {{ threshold }}),
        list(noemer) filter (where n >= {{ threshold }})
    ) as bm_exact,
    cast(count(*) filter (where n >= {{ threshold }}) as integer) as bm_aantal_gemeenten,
{%- else %}
    case when sum(n) >= {{ threshold }} then
        {{ round_half_away_scaled('sum(teller)', 'sum(noemer)', 'any_value(decimalen)') }}
    end as bm_scaled,
    case when sum(n) >= {{ threshold }} then
        cast(sum(teller) as double) / cast(sum(noemer) as double)
    end as bm_exact,
    cast(count(*) filter (where n > 0) as integer) as bm_aantal_gemeenten,
{%- endif %}
    '{{ method }}' as bm_method
from figures
group by kanaal, periode, figuur_type, figuur
