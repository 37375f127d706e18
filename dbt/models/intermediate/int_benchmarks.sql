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
-- The aggregates are the macro benchmark_aggregates, shared with the BMs of the size classes
-- and comparison groups (int_group_benchmarks).
--
-- bm_verborgen_aantal / bm_verborgen_n: how many of the values (gemeenten) or responses
-- (respondenten) in the BM belong to figures the public marts hide (int_disclosure); the
-- public layer decides from them whether the BM can be shown (int_public_figures).
-- bm_venster_sluit: the rounded BM's window, with the years, leaves a hidden member one whole
-- count at most (macro bm_window_ctes); the public layer then does not show it.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}
{%- set method = benchmark_method() %}
{%- set threshold = min_respondents() %}

with figures as (
    select f.*, d.verborgen, d.vrijgegeven
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_disclosure') }} as d
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    where f.figuur_type <> 'product' and {{ in_years_to_build('f.jaar') }}
),

benchmarks as (
    select
        kanaal,
        periode,
        any_value(jaar) as jaar,
        any_value(kwartaal) as kwartaal,
        figuur_type,
        figuur,
        any_value(decimalen) as decimalen,
        {{ benchmark_aggregates(method, threshold) }}
    from figures
    group by kanaal, periode, figuur_type, figuur
),

{{ bm_window_ctes('figures', 'benchmarks', ['kanaal', 'periode', 'figuur_type', 'figuur'], method, threshold) }}

select b.*, coalesce(w.venster_sluit, false) as bm_venster_sluit
from benchmarks as b
left join bm_windows as w using (kanaal, periode, figuur_type, figuur)
