-- The BM of every group of int_comparison_groups (size classes, comparison groups) per
-- indeling x groep x kanaal x periode x figure: the national BM's method (macro
-- benchmark_aggregates, KTO_BENCHMARK_METHOD) over the group's municipalities only. The one
-- place a group BM is computed; empty without KTO_SIZE_CLASSES and KTO_VERGELIJKINGSGROEPEN.
-- Whether it may be published (enough municipalities, the hidden part small enough, a window
-- that closes no hidden member: bm_venster_sluit, as in int_benchmarks) is
-- decided in int_public_figures (size class) and int_public_group_benchmarks (comparison
-- groups), by the same macro group_bm_publiek.
{%- set method = benchmark_method() %}
{%- set threshold = min_respondents() %}

with figures as (
    select f.*, d.verborgen, d.vrijgegeven, g.indeling, g.groep
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_disclosure') }} as d
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    inner join {{ ref('int_comparison_groups') }} as g
        using (gemeentecode)
    where f.figuur_type <> 'product'
),

benchmarks as (
    select
        indeling,
        groep,
        kanaal,
        periode,
        figuur_type,
        figuur,
        {{ benchmark_aggregates(method, threshold) }}
    from figures
    group by indeling, groep, kanaal, periode, figuur_type, figuur
),

{{ bm_window_ctes('figures', 'benchmarks', ['indeling', 'groep', 'kanaal', 'periode', 'figuur_type', 'figuur'], method, threshold) }}

select b.*, coalesce(w.venster_sluit, false) as bm_venster_sluit
from benchmarks as b
left join bm_windows as w using (indeling, groep, kanaal, periode, figuur_type, figuur)
