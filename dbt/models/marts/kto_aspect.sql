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
    bm_exact,
    ci_low,
    ci_high,
    publiceerbaar,
    significant,
    bm_method
from {{ ref('int_figures') }}
where figuur_type = 'aspect'
