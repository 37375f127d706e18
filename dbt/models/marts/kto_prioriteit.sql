-- What to act on (docs/metrics.md, "Drivers" and "Priorities"): one row per cell (balie,
-- telefoon) x graded aspect, with the aspect's weight in the channel and year (LMG share of
-- R^2 over every respondent: int_aspect_drivers, a national figure) beside the
-- municipality's published score and BM. Only published figures are placed: the score and
-- the BM are kto_aspect's (NULL where not shown), so an aspect withheld for a municipality
-- (or whose BM is withheld) has no verschil, kwadrant or prioriteit, and reden says why.
with aspects as (
    select
        a.gemeentecode, a.gemeente, a.kanaal, a.periode, a.jaar, a.kwartaal, a.soort,
        a.aspect, a.volgorde, a.score, a.score_exact, a.bm, a.bm_exact,
        d.belang,
        d.r2,
        -- the quadrant line: the mean weight of the aspects in the model (1 / their number)
        1.0 / nullif(count(d.belang) over (partition by a.gemeentecode, a.kanaal, a.periode), 0)
            as belang_gemiddeld
    from {{ ref('kto_aspect') }} as a
    left join {{ ref('int_aspect_drivers') }} as d
        on d.kanaal = a.kanaal and d.jaar = a.jaar and d.aspect = a.aspect
),

placed as (
    select
        *,
        case
            when score_exact is null then 'niet_getoond'
            when bm_exact is null then 'bm_niet_getoond'
            when belang is null then 'geen_belang'
        end as reden,
        case
            when score_exact is not null and bm_exact is not null and belang is not null
                then score_exact - bm_exact
        end as verschil
    from aspects
),

ranked as (
    select
        *,
        -- drivers.priority_matrix: below the BM, by weight (highest first), then the gap
        -- (furthest below first), then the name
        case when verschil < 0 then row_number() over (
            partition by gemeentecode, kanaal, periode, verschil < 0
            order by belang desc, verschil asc, aspect asc
        ) end as rang
    from placed
)

select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    soort,
    aspect,
    volgorde,
    score,
    score_exact,
    bm,
    bm_exact,
    cast(verschil as double) as verschil,
    -- as the factsheet prints it: two decimals, so a priority whose score and BM print the
    -- same (8,5 against 8,5) still shows how far below it is
    cast(round(verschil, 2) as decimal(4, 2)) as verschil_afgerond,
    cast(belang as double) as belang,
    -- whole percentages for the factsheet (round: half away from zero)
    cast(round(100 * belang) as integer) as belang_pct,
    cast(case when belang is not null then belang_gemiddeld end as double) as belang_gemiddeld,
    cast(case when belang is not null then round(100 * belang_gemiddeld) end as integer)
        as belang_gemiddeld_pct,
    cast(case when belang is not null then r2 end as double) as r2,
    cast(case when belang is not null then round(100 * r2) end as integer) as r2_pct,
    case
        when verschil is null then null
        when belang >= belang_gemiddeld and verschil < 0 then 'belangrijk_onder_bm'
        when belang >= belang_gemiddeld then 'belangrijk_niet_onder_bm'
        when verschil < 0 then 'minder_belangrijk_onder_bm'
        else 'minder_belangrijk_niet_onder_bm'
    end as kwadrant,
    cast(case when rang <= 3 then rang end as integer) as prioriteit,
    reden
from ranked
