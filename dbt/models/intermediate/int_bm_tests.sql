-- The test of every shown figure against its BM (docs/metrics.md, "Change, significance,
-- drivers, funnels"): its p-value (kto_bm_p, the test the figure's interval inverts, so
-- bm_p < 0.05 exactly when the interval excludes the exact BM) and its Benjamini-Hochberg
-- q-value over the municipalities of its period, channel and figure.
--
-- Only a figure that is shown against a BM whose exact value is shown is tested, and only
-- those tests form the family: a p-value against a withheld exact BM would give that BM
-- away (and with it the withheld figures it rests on), and a q-value over withheld figures'
-- p-values would give their ranks away. Rebuilt whole (not by year): it is small, and its
-- families are the whole period's.
{{ config(materialized='table') }}

with figures as (
    select
        f.gemeentecode,
        f.kanaal,
        f.periode,
        f.figuur_type,
        f.figuur,
        case when p.publiceerbaar and p.bm_exact is not null then
            kto_bm_p(
                f.figuur_type, cast(f.noemer // f.n as integer), f.n, f.teller, f.s2,
                f.k_laag, f.k_hoog, p.bm_exact
            )
        end as bm_p
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_public_figures') }} as p
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    -- products and themes have no test (docs/metrics.md, "Change, significance, drivers,
    -- funnels"): a theme's change against the year before is kto_thema's own
    where f.figuur_type not in ('product', 'thema')
),

ranked as (
    select
        *,
        {{ bh_ranks('bm_p', 'periode, kanaal, figuur_type, figuur', 'gemeentecode') }}
    from figures
)

select
    gemeentecode,
    kanaal,
    periode,
    figuur_type,
    figuur,
    bm_p,
    {{ bh_qvalue('bm_p', 'periode, kanaal, figuur_type, figuur', 'gemeentecode') }} as bm_q
from ranked
