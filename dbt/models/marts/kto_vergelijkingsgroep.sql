-- One row per cell x figure (not products) x comparison group of the municipality
-- (KTO_VERGELIJKINGSGROEPEN): the group's BM beside the figure and the national BM, rounded
-- as kto_figuur rounds. Public: from int_public_group_benchmarks, whose figures and national
-- BM come from int_public_figures; a group BM over fewer than five municipalities, or whose
-- hidden part weighs a third or more, is NULL with bm_groep_reden. Empty without the setting.
select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    soort,
    figuur_type,
    figuur,
    volgorde,
    decimalen,
    groep,
    groep_gemeenten,
    case decimalen
        when 1 then cast({{ grade_from_scaled('waarde_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('waarde_scaled') }} as decimal(4, 1))
    end as waarde,
    case decimalen
        when 1 then cast({{ grade_from_scaled('bm_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('bm_scaled') }} as decimal(4, 1))
    end as bm,
    case decimalen
        when 1 then cast({{ grade_from_scaled('bm_groep_scaled') }} as decimal(4, 1))
        else cast({{ whole_from_scaled('bm_groep_scaled') }} as decimal(4, 1))
    end as bm_groep,
    bm_groep_exact,
    bm_method,
    bm_groep_reden
from {{ ref('int_public_group_benchmarks') }}
