-- One row per One2Ten response (balie, telefoon): the latest version of each
-- (kanaal, respondentnummer), typed and renamed, labels mapped to the shared codes, the
-- municipality named from the CBS code list, the product from the product code list, free
-- text redacted and sanitised (kto_free_text), the e-mail address dropped. Incomplete questionnaires stay here.
with versions as (
    select
        *,
        row_number() over (
            partition by kanaal, respondentnummer
            -- the content that arrived last wins (its arrival number, never a file time); a
            -- re-dropped copy of older content keeps its old number (docs/formats.md)
            order by source_arrival desc nulls last, source_file desc, source_row desc
        ) as versie_rang
    from {{ source('raw', 'one2ten_responses') }}
)

select
    lower(kanaal) || ':' || cast(respondentnummer as varchar) as response_id,
    cast(respondentnummer as bigint) as respondentnummer,
    lower(kanaal) as kanaal,
    gemeentecode,
    -- the list's name, never the export's; the code itself for a code never in the list
    -- (accepted under KTO_GEMEENTECODES=melden)
    coalesce(cbs_namen.naam, gemeentecode) as gemeente,
    cast(startdatum as timestamp) as gestart_op,
    cast(einddatum as timestamp) as beeindigd_op,
    status,
    status = 'Voltooid' as is_voltooid,
    -- when it counts (var voltooid_op); NULL: nowhere
    cast({{ var('voltooid_op')['one2ten_responses'] }} as timestamp) as voltooid_op,
    survey,
    uitnodiging,
    -- the code list's name when the export's matches it up to case and blanks
    coalesce(lijst_product, nullif(kto_free_text(product), '')) as product,
    cast(totaaloordeel as integer) as totaaloordeel,
    kto_free_text(toelichting_totaaloordeel) as toelichting,
    {{ moeite_code('moeite') }} as moeite,
    {%- for label, column in aspect_columns() %}
    cast({{ column }} as integer) as {{ column }},
    {%- endfor %}
    {%- for column in hostmanship_columns() %}
    cast({{ column }} as integer) as {{ column }},
    {%- endfor %}
    {{ ja_nee_code('in_een_keer_geholpen') }} as in_een_keer_geholpen,
    {{ ja_nee_code('verbetertip') }} as verbetertip,
    kto_free_text(verbetertip_toelichting) as verbetertip_toelichting,
    source_file,
    cast(source_row as bigint) as source_row,
    cast(source_modified_at as timestamp) as source_modified_at,
    cast(coalesce(source_version_at, source_modified_at) as timestamp) as source_version_at,
    cast(source_arrival as bigint) as source_arrival
from versions
left join {{ cbs_namen() }} as cbs_namen using (gemeentecode)
left join {{ product_list() }}
    on lijst_kanaal = lower(kanaal) and lijst_sleutel = {{ product_key('product') }}
where versie_rang = 1
