-- One row per submission of the digital survey form: the latest version of each
-- respondent_id, renamed, labels mapped to the shared codes, the product named from the
-- product code list, free text redacted and sanitised (kto_free_text), the e-mail address
-- dropped. Every submission is a completed questionnaire.
with versions as (
    select
        *,
        row_number() over (
            partition by respondent_id
            -- the content that arrived last wins (its arrival number, never a file time); a
            -- re-dropped copy of older content keeps its old number (docs/formats.md)
            order by source_arrival desc nulls last, source_file desc, source_row desc
        ) as versie_rang
    from {{ source('raw', 'openforms_submissions') }}
)

select
    'digitaal:' || respondent_id as response_id,
    respondent_id,
    'digitaal' as kanaal,
    gemeentecode,
    formuliernaam,
    cast(inzendingdatum as timestamp) as ingezonden_op,
    -- when it counts (var voltooid_op)
    cast({{ var('voltooid_op')['openforms_submissions'] }} as timestamp) as voltooid_op,
    -- the code list's name when the export's matches it up to case and blanks
    coalesce(lijst_product, nullif(kto_free_text(product), '')) as product,
    cast(totaaloordeel as integer) as totaaloordeel,
    kto_free_text(toelichting) as toelichting,
    {{ moeite_code('moeite') }} as moeite,
    {%- for label, column in statement_columns() %}
    {{ eens_code(column) }} as {{ column }},
    {%- endfor %}
    {{ ja_nee_code('verbetertip') }} as verbetertip,
    kto_free_text(verbetertip_toelichting) as verbetertip_toelichting,
    source_file,
    cast(source_row as bigint) as source_row,
    cast(source_modified_at as timestamp) as source_modified_at,
    cast(coalesce(source_version_at, source_modified_at) as timestamp) as source_version_at,
    cast(source_arrival as bigint) as source_arrival
from versions
left join {{ product_list() }}
    on lijst_kanaal = 'digitaal' and lijst_sleutel = {{ product_key('product') }}
where versie_rang = 1
