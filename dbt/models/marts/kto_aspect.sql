-- One row per cell x graded aspect of the channel (balie, telefoon; Hostmanship included),
-- in factsheet order.
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur as aspect,
    volgorde,
    {{ grade_from_scaled('waarde_scaled') }} as score,
    exact as score_exact,
    n,
    {{ grade_from_scaled('bm_scaled') }} as bm,
    ci_low,
    ci_high,
    publiceerbaar,
    significant,
    bm_exact,
    richting,
    bm_method,
    {{ grade_from_scaled('bm_klasse_scaled') }} as bm_klasse,
    bm_klasse_exact
from {{ ref('int_public_figures') }}
where figuur_type = 'aspect'
