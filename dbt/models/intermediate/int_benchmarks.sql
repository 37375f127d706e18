-- The benchmark (BM) per kanaal x periode x figure (products have none), by the method of
-- the setting KTO_BENCHMARK_METHOD, recorded in bm_method:
--
-- gemeenten: the mean of the municipalities' exact values, each municipality with an
--   unsuppressed value (n >= KTO_MIN_RESPONDENTS) counting once. The mean of the fractions
--   teller/noemer is computed in exact rational arithmetic (kto_mean_of_ratios_scaled, a
--   Python UDF on fractions.Fraction) and rounded half away from zero from that exact
--   value, so a BM that is exactly halfway (e.g. 8.35) never rounds down through a double.
--   The fractions go in as one list of (teller, noemer) structs: two separate list()
--   aggregates need not keep their elements in the same order.
-- respondenten: pooled over all responses of the channel and period (suppressed cells
--   included): sum(teller) / sum(noemer), rounded by the same integer macro as the cells.
--   NULL when the pooled n is below the threshold.
--
-- bm_verborgen_aantal / bm_verborgen_n: how many of the values (gemeenten) or responses
-- (respondenten) in the BM belong to figures the public marts hide (int_disclosure); the
-- public layer decides from them whether the BM can be shown (int_public_figures).
{%- set method = benchmark_method() %}
{%- set threshold = min_respondents() %}

with figures as (
    select f.*, d.verborgen
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_disclosure') }} as d
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    where f.figuur_type <> 'product'
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
        list({'teller': teller, 'noemer': noemer}) filter (where n >= {{ threshold }}),
        any_value(decimalen)
    ) as bm_scaled,
    kto_mean_of_ratios(
        list({'teller': teller, 'noemer': noemer}) filter (where n >= {{ threshold }})
    ) as bm_exact,
    cast(count(*) filter (where n >= {{ threshold }}) as integer) as bm_aantal_gemeenten,
    cast(count(*) filter (where n >= {{ threshold }} and verborgen) as integer)
        as bm_verborgen_aantal,
    cast(coalesce(sum(n) filter (where n >= {{ threshold }}), 0) as integer) as bm_n,
    cast(coalesce(sum(n) filter (where n >= {{ threshold }} and verborgen), 0) as integer)
        as bm_verborgen_n,
{%- else %}
    case when sum(n) >= {{ threshold }} then
        {{ round_half_away_scaled('sum(teller)', 'sum(noemer)', 'any_value(decimalen)') }}
    end as bm_scaled,
    case when sum(n) >= {{ threshold }} then
        cast(sum(teller) as double) / cast(sum(noemer) as double)
    end as bm_exact,
    cast(count(*) filter (where n > 0) as integer) as bm_aantal_gemeenten,
    cast(count(*) filter (where n > 0 and verborgen) as integer) as bm_verborgen_aantal,
    cast(coalesce(sum(n), 0) as integer) as bm_n,
    cast(coalesce(sum(n) filter (where verborgen), 0) as integer) as bm_verborgen_n,
{%- endif %}
    {{ sql_string(method) }} as bm_method
from figures
group by kanaal, periode, figuur_type, figuur
