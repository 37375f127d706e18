-- The comparison groups' BMs as they may be published: one row per cell x figure (not
-- products) x comparison group of the cell's municipality (KTO_VERGELIJKINGSGROEPEN; a
-- municipality in two groups has two rows per figure). The size class's BM stays a column
-- of int_public_figures; both come from int_group_benchmarks and are judged by the same
-- macros: the national BM's rule on the group's own counts, and at least
-- size_class_min_gemeenten() municipalities (docs/metrics.md, "Comparison-group benchmark").
-- The keys, the figure and the national BM come from int_public_figures, the one
-- publication step, so nothing hidden there is shown here. Empty without the setting.
with figures as (
    select
        p.gemeentecode,
        p.gemeente,
        p.kanaal,
        p.periode,
        p.jaar,
        p.kwartaal,
        p.soort,
        p.figuur_type,
        p.figuur,
        p.volgorde,
        p.decimalen,
        p.waarde_scaled,
        p.bm_scaled,
        p.bm_method,
        g.groep,
        g.groep_gemeenten,
        b.bm_scaled as bm_groep_scaled,
        b.bm_exact as bm_groep_exact,
        b.bm_aantal_gemeenten as bm_groep_aantal_gemeenten,
        b.bm_verborgen_aantal as bm_groep_verborgen_aantal,
        b.bm_n as bm_groep_n,
        b.bm_verborgen_n as bm_groep_verborgen_n,
        b.bm_venster_sluit as bm_groep_venster_sluit
    from {{ ref('int_public_figures') }} as p
    inner join {{ ref('int_comparison_groups') }} as g
        on g.indeling = 'vergelijkingsgroep'
        and p.gemeentecode = g.gemeentecode
    left join {{ ref('int_group_benchmarks') }} as b
        on b.indeling = g.indeling
        and b.groep = g.groep
        and p.kanaal = b.kanaal
        and p.periode = b.periode
        and p.figuur_type = b.figuur_type
        and p.figuur = b.figuur
    -- products have no BM; themes publish no group BM, as no size-class BM (docs/themes.md)
    where p.figuur_type not in ('product', 'thema')
),

judged as (
    select *, {{ group_bm_publiek('bm_groep_') }} as bm_groep_publiek
    from figures
),

reasoned as (
    select *, {{ group_bm_reden('bm_groep_') }} as bm_groep_reden
    from judged
)

select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    soort,
    figuur_type,
    figuur,
    volgorde,
    decimalen,
    groep,
    groep_gemeenten,
    waarde_scaled,
    bm_scaled,
    bm_method,
    case when bm_groep_publiek then bm_groep_scaled end as bm_groep_scaled,
    case when bm_groep_publiek and bm_groep_verborgen_n = 0 then bm_groep_exact end
        as bm_groep_exact,
    bm_groep_aantal_gemeenten,
    bm_groep_reden
from reasoned
