-- The one publication step: int_figures with everything a factsheet may not show set to
-- NULL. The public marts (marts.kto_*) read only this model; what they publish is what the
-- factsheets, the snapshot and the Parquet files show (docs/metrics.md, "Disclosure
-- control").
--
-- A hidden figure (int_disclosure: suppressed, or withheld by complementary suppression)
-- loses its value, exact value, interval, significance and direction; its n stays.
--
-- The BM of the channel and period (METRICS.md) can rest on withheld values: the mean of
-- the municipalities' exact values includes a quarter withheld only to protect another one,
-- and the pooled BM includes suppressed cells. Its exact value would then give their sum
-- away (BM x count minus the published values), so bm_exact is published only for a BM that
-- rests on published values alone. The rounded BM is shown unless the hidden part weighs a
-- third or more of it: gemeenten, at least three values per hidden value; respondenten, at
-- least three responses per hidden response. Rounding to 0.1 then leaves a hidden mean
-- uncertain by at least 0.15 either way (the BM's 0.05 times three), more than a printed digit.
with figures as (
    select
        *,
        case
            when bm_scaled is null then false
            when bm_verborgen_n = 0 then true
            when bm_method = 'gemeenten' then bm_aantal_gemeenten >= 3 * bm_verborgen_aantal
            else bm_n >= 3 * bm_verborgen_n
        end as bm_publiek
    from {{ ref('int_figures') }}
)

select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur_type,
    figuur,
    volgorde,
    respons,
    n,
    decimalen,
    drempel,
    publiceerbaar,
    case when publiceerbaar then waarde_scaled end as waarde_scaled,
    case when publiceerbaar then exact end as exact,
    case when publiceerbaar then ci_low end as ci_low,
    case when publiceerbaar then ci_high end as ci_high,
    case when bm_publiek then bm_scaled end as bm_scaled,
    case when bm_publiek and bm_verborgen_n = 0 then bm_exact end as bm_exact,
    bm_method,
    case when publiceerbaar and bm_publiek then significant end as significant,
    case when publiceerbaar and bm_publiek then richting end as richting
from figures
