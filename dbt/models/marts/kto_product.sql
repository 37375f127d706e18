-- One row per cell x product (telefoon: subject of the call) with responses: the number of
-- responses and the mean totaaloordeel of the product.
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur as product,
    volgorde,
    respons,
    {{ grade_from_scaled('waarde_scaled') }} as totaaloordeel,
    exact as totaaloordeel_exact,
    n as totaaloordeel_n,
    publiceerbaar,
    soort,
    reden
from {{ ref('int_public_figures') }}
where figuur_type = 'product'
