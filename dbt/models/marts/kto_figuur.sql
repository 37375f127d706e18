-- One row per cell x figure, the long form of kto_cel (totaaloordeel, ces), kto_aspect,
-- kto_stelling and kto_product for BI tools: filter on figuur_type and figuur instead of
-- picking columns. Public: from int_public_figures only, so a hidden figure is NULL here
-- exactly as in the wide marts. waarde and bm are the rounded figures as the factsheet
-- prints them (one decimal for grades, whole numbers for CES and percentages). A product has
-- what kto_product publishes: its value, n and publiceerbaar (no BM, interval or direction).
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
    case when figuur_type <> 'product' then
        case decimalen
            when 1 then cast({{ grade_from_scaled('bm_scaled') }} as decimal(4, 1))
            else cast({{ whole_from_scaled('bm_scaled') }} as decimal(4, 1))
        end
    end as bm,
    case when figuur_type <> 'product' then bm_exact end as bm_exact,
    case when figuur_type <> 'product' then ci_low end as ci_low,
    case when figuur_type <> 'product' then ci_high end as ci_high,
    publiceerbaar,
    case when figuur_type <> 'product' then significant end as significant,
    case when figuur_type <> 'product' then richting end as richting,
    case when figuur_type <> 'product' then bm_method end as bm_method,
    soort,
    reden,
    bm_reden,
    t.bm_p as bm_p_waarde,
    t.bm_q as bm_q_waarde
from {{ ref('int_public_figures') }}
left join {{ ref('int_bm_tests') }} as t
    using (gemeentecode, kanaal, periode, figuur_type, figuur)
