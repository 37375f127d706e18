-- One row per cell x figure, the long form of kto_cel (totaaloordeel, ces), kto_aspect,
-- kto_stelling and kto_product for BI tools: filter on figuur_type and figuur instead of
-- picking columns. Public: from int_public_figures only, so a hidden figure is NULL here
-- exactly as in the wide marts. waarde and bm are the rounded figures as the factsheet
-- prints them (one decimal for grades, whole numbers for CES and percentages).
select
    gemeentecode,
    kanaal,
    periode,
    figuur_type,
    figuur,
    volgorde,
    decimalen,
    case decimalen
        when 1 then cast({{ grade_from_scaled('waarde_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('waarde_scaled') }} as decimal(4, 1))
    end as waarde,
    exact as waarde_exact,
    n,
    case decimalen
        when 1 then cast({{ grade_from_scaled('bm_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('bm_scaled') }} as decimal(4, 1))
    end as bm,
    bm_exact,
    ci_low,
    ci_high,
    publiceerbaar,
    significant,
    richting,
    bm_method
from {{ ref('int_public_figures') }}
