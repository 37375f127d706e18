-- One row per response x text (bron: review, tip) x theme the text is about
-- (docs/themes.md). The texts are matched here, as they were written: the version of each
-- response that staging kept, read back from raw by its lineage (file, row, arrival), and
-- only the theme codes leave. Staging's texts are redacted, and its placeholders are words
-- the taxonomy knows ("[AFGESCHERMD]" reads as privacy), so they are not matched.
-- A text counts only where int_responses counts it as a review or a tip text.
with staged as (
    select response_id, kanaal, gemeentecode, source_file, source_row, source_arrival
    from {{ ref('stg_one2ten__responses') }}
    union all
    select response_id, kanaal, gemeentecode, source_file, source_row, source_arrival
    from {{ ref('stg_openforms__submissions') }}
),

originals as (
    select
        lower(kanaal) || ':' || cast(respondentnummer as varchar) as response_id,
        source_file,
        cast(source_row as bigint) as source_row,
        cast(source_arrival as bigint) as source_arrival,
        toelichting_totaaloordeel as review,
        verbetertip_toelichting as tip
    from {{ source('raw', 'one2ten_responses') }}
    union all
    select
        'digitaal:' || respondent_id as response_id,
        source_file,
        cast(source_row as bigint) as source_row,
        cast(source_arrival as bigint) as source_arrival,
        toelichting as review,
        verbetertip_toelichting as tip
    from {{ source('raw', 'openforms_submissions') }}
),

versions as (
    -- each response's kept version with its original texts: one join for both texts
    select
        s.response_id, s.kanaal, s.gemeentecode, o.review, o.tip, r.heeft_review,
        r.heeft_tiptekst
    from staged as s
    inner join originals as o
        on o.response_id = s.response_id
        and o.source_file = s.source_file
        and o.source_row = s.source_row
        and o.source_arrival is not distinct from s.source_arrival
    inner join {{ ref('int_responses') }} as r on r.response_id = s.response_id
    where r.heeft_review or r.heeft_tiptekst
),

texts as (
    select response_id, kanaal, gemeentecode, 'review' as bron, review as tekst
    from versions
    where heeft_review
    union all
    select response_id, kanaal, gemeentecode, 'tip' as bron, tip as tekst
    from versions
    where heeft_tiptekst
)

select response_id, kanaal, gemeentecode, bron, thema
from (select response_id, kanaal, gemeentecode, bron, unnest(kto_themes(tekst)) as thema from texts)
