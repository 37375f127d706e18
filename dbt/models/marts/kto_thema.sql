-- One row per cell x theme of the reviews and tips (docs/themes.md): of the responses with a
-- review or a tip text (n), how many wrote about the theme (aantal) and their share, against
-- the BM, and the change against the same period a year before. Public: from
-- int_public_figures only (figuur_type thema), so a hidden share is NULL here exactly as in
-- kto_figuur, and so is its count (the count is the share times n).
with figures as (
    select
        f.*,
        -- the count behind a shown share: exact is 100 * aantal / n
        case when f.publiceerbaar then cast(round(f.exact * f.n / 100) as bigint) end as aantal
    from {{ ref('int_public_figures') }} as f
    where f.figuur_type = 'thema'
)

select
    f.gemeentecode,
    f.gemeente,
    f.kanaal,
    f.periode,
    f.jaar,
    f.kwartaal,
    f.figuur as thema,
    l.label,
    f.volgorde,
    f.n,
    cast(f.aantal as integer) as aantal,
    {{ whole_from_scaled('f.waarde_scaled') }} as aandeel,
    f.exact as aandeel_exact,
    {{ whole_from_scaled('f.bm_scaled') }} as bm,
    f.bm_exact,
    f.ci_low,
    f.ci_high,
    f.publiceerbaar,
    f.significant,
    f.richting,
    f.bm_method,
    {{ whole_from_scaled('v.waarde_scaled') }} as aandeel_vorig_jaar,
    -- in percentage points, from the two counts (integers), rounded half away from zero;
    -- only where both shares are shown, so it tells nothing the two do not
    cast({{ round_half_away_scaled('100 * (f.aantal * v.n - v.aantal * f.n)', 'f.n * v.n', 0) }}
        as integer) as verschil_vorig_jaar,
    f.soort,
    f.reden,
    f.bm_reden
from figures as f
inner join kto_thema_lijst as l on f.figuur = l.thema
left join figures as v
    on v.gemeentecode = f.gemeentecode
    and v.kanaal = f.kanaal
    and v.figuur = f.figuur
    and v.jaar = f.jaar - 1
    and v.kwartaal is not distinct from f.kwartaal
    and v.publiceerbaar
    and f.publiceerbaar
