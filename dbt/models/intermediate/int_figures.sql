-- Every figure of every cell with everything the checks need (internal: never published;
-- the public marts read int_public_figures). Suppression (n below KTO_MIN_RESPONDENTS: value,
-- exact value and interval NULL, n kept), the value rounded half away from zero from the
-- exact integers, the benchmark, significance and its direction, and publiceerbaar (not
-- hidden by int_disclosure: not suppressed and not withheld by complementary suppression).
--
-- significant: the 95% interval excludes the exact (unrounded) BM. richting: hoger or lager
-- when significant (the exact value lies on that side of the exact BM), gelijk when not; the
-- factsheet's arrow is this column, never a comparison of its own.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}

with figures as (
    select
        f.*,
        d.onderdrukt,
        d.afgeschermd,
        d.verborgen,
        d.drempel
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_disclosure') }} as d
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    where {{ in_years_to_build('f.jaar') }}
),

judged as (
    select
        f.*,
        b.bm_scaled,
        b.bm_exact,
        b.bm_method,
        b.bm_aantal_gemeenten,
        b.bm_verborgen_aantal,
        b.bm_n,
        b.bm_verborgen_n,
        b.bm_venster_sluit,
        case
            when not f.onderdrukt and b.bm_exact is not null and f.ci_low is not null
                then b.bm_exact < f.ci_low or b.bm_exact > f.ci_high
        end as significant
    from figures as f
    left join {{ ref('int_benchmarks') }} as b
        on f.kanaal = b.kanaal
        and f.periode = b.periode
        and f.figuur_type = b.figuur_type
        and f.figuur = b.figuur
)

select
    f.gemeentecode,
    f.gemeente,
    f.kanaal,
    f.periode,
    f.jaar,
    f.kwartaal,
    f.figuur_type,
    f.figuur,
    f.volgorde,
    f.respons,
    f.n,
    f.decimalen,
    f.drempel,
    f.onderdrukt,
    f.afgeschermd,
    case when not f.onderdrukt then {{ round_half_away_scaled('f.teller', 'f.noemer', 'f.decimalen') }} end
        as waarde_scaled,
    case when not f.onderdrukt then f.exact end as exact,
    case when not f.onderdrukt then f.ci_low end as ci_low,
    case when not f.onderdrukt then f.ci_high end as ci_high,
    f.bm_scaled,
    f.bm_exact,
    coalesce(f.bm_method, {{ sql_string(benchmark_method()) }}) as bm_method,
    coalesce(f.bm_aantal_gemeenten, 0) as bm_aantal_gemeenten,
    coalesce(f.bm_verborgen_aantal, 0) as bm_verborgen_aantal,
    coalesce(f.bm_n, 0) as bm_n,
    coalesce(f.bm_verborgen_n, 0) as bm_verborgen_n,
    coalesce(f.bm_venster_sluit, false) as bm_venster_sluit,
    not f.verborgen as publiceerbaar,
    f.significant,
    case
        when f.significant is null then null
        when not f.significant then 'gelijk'
        when f.exact > f.bm_exact then 'hoger'
        else 'lager'
    end as richting
from judged as f
