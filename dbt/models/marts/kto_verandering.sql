-- One row per cell x figure (not products) x earlier period it is compared with: the
-- change since that period, its 95% interval, p-value and Benjamini-Hochberg q-value
-- (int_changes). Public: a change is shown only where both figures are shown; otherwise its
-- values are NULL and reden says why (the reason of the figure, else of the earlier one).
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    case when kwartaal is null then 'jaar' else 'kwartaal' end as soort,
    vergelijking,
    periode_vorig,
    figuur_type,
    figuur,
    volgorde,
    decimalen,
    n,
    n_vorig,
    case decimalen
        when 1 then cast({{ grade_from_scaled('verschil_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('verschil_scaled') }} as decimal(4, 1))
    end as verschil,
    verschil_exact,
    ci_low,
    ci_high,
    p as p_waarde,
    q as q_waarde,
    -- a discovery at a false discovery rate of 5% over the municipalities (docs/metrics.md)
    case when q is not null then q < 0.05 end as significant,
    case
        when q is null then null
        when q >= 0.05 then 'gelijk'
        when verschil_exact > 0 then 'hoger'
        else 'lager'
    end as richting,
    publiceerbaar,
    reden
from {{ ref('int_changes') }}
