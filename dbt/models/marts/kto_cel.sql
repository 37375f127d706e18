-- One row per cell (gemeente x kanaal x periode): counts, totaaloordeel and CES with their
-- benchmark, interval, significance and publiceerbaar, and the response rate.
with cells as (
    select * from {{ ref('int_cells') }}
),

totaal as (
    select * from {{ ref('int_figures') }} where figuur_type = 'totaaloordeel'
),

ces as (
    select * from {{ ref('int_figures') }} where figuur_type = 'ces'
)

select
    cells.gemeentecode,
    cells.gemeente,
    cells.kanaal,
    cells.periode,
    cells.jaar,
    cells.kwartaal,
    cells.respons,
    cells.reviews,
    cells.verbetertips,
    cells.uitnodigingen,
    cells.respons_inviter,
    {{ grade_from_scaled('totaal.waarde_scaled') }} as totaaloordeel,
    totaal.exact as totaaloordeel_exact,
    totaal.n as totaaloordeel_n,
    {{ grade_from_scaled('totaal.bm_scaled') }} as totaaloordeel_bm,
    totaal.bm_exact as totaaloordeel_bm_exact,
    totaal.ci_low as totaaloordeel_ci_low,
    totaal.ci_high as totaaloordeel_ci_high,
    totaal.publiceerbaar as totaaloordeel_publiceerbaar,
    totaal.significant as totaaloordeel_significant,
    {{ whole_from_scaled('ces.waarde_scaled') }} as ces,
    ces.exact as ces_exact,
    ces.n as ces_n,
    {{ whole_from_scaled('ces.bm_scaled') }} as ces_bm,
    ces.bm_exact as ces_bm_exact,
    ces.ci_low as ces_ci_low,
    ces.ci_high as ces_ci_high,
    ces.publiceerbaar as ces_publiceerbaar,
    ces.significant as ces_significant,
    totaal.bm_method,
    case when cells.uitnodigingen > 0 then
        {{ whole_from_scaled(round_half_away_scaled('100 * cells.respons_inviter', 'cells.uitnodigingen', 0)) }}
    end as responspercentage,
    cells.respons >= {{ min_respondents() }} as respons_publiceerbaar
from cells
inner join totaal using (gemeentecode, kanaal, periode)
inner join ces using (gemeentecode, kanaal, periode)
