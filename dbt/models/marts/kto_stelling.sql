-- One row per cell x percentage item: the seven digitaal statements (percentage eens or
-- helemaal eens) and telefoon's In één keer geholpen (percentage Ja of Ja + Nee).
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur as stelling,
    volgorde,
    {{ whole_from_scaled('waarde_scaled') }} as pct,
    exact as pct_exact,
    n,
    {{ whole_from_scaled('bm_scaled') }} as bm,
    ci_low,
    ci_high,
    ci_low_afgerond,
    ci_high_afgerond,
    verfijnd_decimalen,
    waarde_verfijnd,
    bm_verfijnd,
    publiceerbaar,
    significant,
    bm_exact,
    richting,
    bm_method,
    {{ whole_from_scaled('bm_klasse_scaled') }} as bm_klasse,
    bm_klasse_exact,
    soort,
    reden,
    bm_reden,
    bm_klasse_reden,
    t.bm_p as bm_p_waarde,
    t.bm_q as bm_q_waarde
from {{ ref('int_public_figures') }}
left join {{ ref('int_bm_tests') }} as t
    using (gemeentecode, kanaal, periode, figuur_type, figuur)
where figuur_type = 'stelling'
