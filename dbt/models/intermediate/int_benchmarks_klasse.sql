-- The size-class benchmark per grootteklasse x kanaal x periode x figure: the national BM's
-- method (macro benchmark_aggregates, KTO_BENCHMARK_METHOD) over the municipalities of one
-- size class only (int_size_classes). Empty without KTO_SIZE_CLASSES. Whether a class BM may
-- be published (enough municipalities, the hidden part small enough, a window that closes no
-- hidden member: bm_venster_sluit, as in int_benchmarks) is decided in int_public_figures.
{%- set method = benchmark_method() %}
{%- set threshold = min_respondents() %}

with figures as (
    select f.*, d.verborgen, d.vrijgegeven, k.grootteklasse
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_disclosure') }} as d
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    inner join {{ ref('int_size_classes') }} as k
        using (gemeentecode)
    where f.figuur_type <> 'product'
),

benchmarks as (
    select
        grootteklasse,
        kanaal,
        periode,
        figuur_type,
        figuur,
        {{ benchmark_aggregates(method, threshold) }}
    from figures
    group by grootteklasse, kanaal, periode, figuur_type, figuur
),

{{ bm_window_ctes('figures', 'benchmarks', ['grootteklasse', 'kanaal', 'periode', 'figuur_type', 'figuur'], method, threshold) }}

select b.*, coalesce(w.venster_sluit, false) as bm_venster_sluit
from benchmarks as b
left join bm_windows as w using (grootteklasse, kanaal, periode, figuur_type, figuur)
