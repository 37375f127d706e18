-- One row per cell (gemeente x kanaal x periode): counts, totaaloordeel and CES with their
-- benchmark, interval, significance, direction and publiceerbaar, the response rate, and
-- the threshold the build used. Public: figures from int_public_figures only.
with cells as (
    select * from {{ ref('int_cells') }}
),

totaal as (
    select * from {{ ref('int_public_figures') }} where figuur_type = 'totaaloordeel'
),

ces as (
    select * from {{ ref('int_public_figures') }} where figuur_type = 'ces'
),

tests as (
    select * from {{ ref('int_bm_tests') }}
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
    totaal.ci_low as totaaloordeel_ci_low,
    totaal.ci_high as totaaloordeel_ci_high,
    totaal.ci_low_afgerond as totaaloordeel_ci_low_afgerond,
    totaal.ci_high_afgerond as totaaloordeel_ci_high_afgerond,
    totaal.verfijnd_decimalen as totaaloordeel_verfijnd_decimalen,
    totaal.waarde_verfijnd as totaaloordeel_verfijnd,
    totaal.bm_verfijnd as totaaloordeel_bm_verfijnd,
    totaal.publiceerbaar as totaaloordeel_publiceerbaar,
    totaal.significant as totaaloordeel_significant,
    totaal.bm_exact as totaaloordeel_bm_exact,
    totaal.richting as totaaloordeel_richting,
    {{ whole_from_scaled('ces.waarde_scaled') }} as ces,
    ces.exact as ces_exact,
    ces.n as ces_n,
    {{ whole_from_scaled('ces.bm_scaled') }} as ces_bm,
    ces.ci_low as ces_ci_low,
    ces.ci_high as ces_ci_high,
    ces.ci_low_afgerond as ces_ci_low_afgerond,
    ces.ci_high_afgerond as ces_ci_high_afgerond,
    ces.verfijnd_decimalen as ces_verfijnd_decimalen,
    ces.waarde_verfijnd as ces_verfijnd,
    ces.bm_verfijnd as ces_bm_verfijnd,
    ces.publiceerbaar as ces_publiceerbaar,
    ces.significant as ces_significant,
    ces.bm_exact as ces_bm_exact,
    ces.richting as ces_richting,
    totaal.bm_method,
    case when cells.uitnodigingen > 0 then
        {{ whole_from_scaled(round_half_away_scaled('100 * cells.respons_inviter', 'cells.uitnodigingen', 0)) }}
    end as responspercentage,
    -- the cell gets a factsheet (kto_tip and the factsheets follow this column)
    cells.respons >= totaal.drempel as respons_publiceerbaar,
    totaal.drempel,
    totaal.grootteklasse,
    totaal.grootteklasse_gemeenten,
    {{ grade_from_scaled('totaal.bm_klasse_scaled') }} as totaaloordeel_bm_klasse,
    totaal.bm_klasse_exact as totaaloordeel_bm_klasse_exact,
    {{ whole_from_scaled('ces.bm_klasse_scaled') }} as ces_bm_klasse,
    ces.bm_klasse_exact as ces_bm_klasse_exact,
    totaal.soort,
    totaal.reden as totaaloordeel_reden,
    totaal.bm_reden as totaaloordeel_bm_reden,
    totaal.bm_klasse_reden as totaaloordeel_bm_klasse_reden,
    ces.reden as ces_reden,
    ces.bm_reden as ces_bm_reden,
    ces.bm_klasse_reden as ces_bm_klasse_reden,
    totaal_test.bm_p as totaaloordeel_bm_p_waarde,
    totaal_test.bm_q as totaaloordeel_bm_q_waarde,
    ces_test.bm_p as ces_bm_p_waarde,
    ces_test.bm_q as ces_bm_q_waarde
from cells
inner join totaal using (gemeentecode, kanaal, periode)
inner join ces using (gemeentecode, kanaal, periode)
left join tests as totaal_test
    on totaal.gemeentecode = totaal_test.gemeentecode
    and totaal.kanaal = totaal_test.kanaal
    and totaal.periode = totaal_test.periode
    and totaal_test.figuur_type = 'totaaloordeel'
left join tests as ces_test
    on ces.gemeentecode = ces_test.gemeentecode
    and ces.kanaal = ces_test.kanaal
    and ces.periode = ces_test.periode
    and ces_test.figuur_type = 'ces'
