{{ config(meta={'description': 'No year-and-quarters or cell-and-products relation of int_disclosure has exactly one hidden figure with n > 0 (the total minus the others would give it away; docs/metrics.md "Disclosure control"); fails with the relations. On failure (quality/gate) every factsheet is withheld, and the snapshot is not published while it fails (docs/quality.md).'}) }}
-- No additive group of published figures has exactly one hidden figure with n > 0: the
-- total minus the others would give it away (int_disclosure; docs/metrics.md). Groups:
-- a figure's year and its quarters; a cell's totaaloordeel and its products. A member
-- released before with the same data (vrijgegeven) is known, hidden now or not.
with d as (
    select * from {{ ref('int_disclosure') }} where n > 0
),

groups as (
    select 'jaar' as relatie, gemeentecode, kanaal, cast(jaar as varchar) as sleutel,
        figuur_type, figuur, verborgen and not vrijgegeven as verborgen
    from d
    union all
    select 'product', gemeentecode, kanaal, periode, '', '', verborgen and not vrijgegeven
    from d
    where figuur_type in ('product', 'totaaloordeel')
)

select relatie, gemeentecode, kanaal, sleutel, figuur_type, figuur, count(*) as leden
from groups
group by all
having count(*) filter (where verborgen) = 1
