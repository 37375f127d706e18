-- One row per invitation of the Inviter logs. An invitation that appears in more than one
-- log file (an overlapping or repeated export) is one invitation, its latest version wins.
-- Its key is municipality, channel, moment and address, plus its occurrence among the rows
-- of one file with that same key: two rows of one file are two invitations even when they
-- share the moment and have no address (NULLs compare equal in a window's partition), while
-- the same row in two files is still one. The address is used for that key only and is not
-- kept. Status is compared without regard to case ('Verzonden', 'verzonden').
with occurrences as (
    select
        *,
        lower(trim(e_mailadres)) as adres_sleutel,
        row_number() over (
            partition by source_file, gemeentecode, kanaal, verzonden_op, lower(trim(e_mailadres))
            order by source_row
        ) as voorkomen
    from {{ source('raw', 'inviter_invitations') }}
),

versions as (
    select
        *,
        row_number() over (
            partition by gemeentecode, kanaal, verzonden_op, adres_sleutel, voorkomen
            -- the content that arrived last wins (its arrival number, never a file time); a
            -- re-dropped copy of older content keeps its old number (docs/formats.md)
            order by source_arrival desc nulls last, source_file desc, source_row desc
        ) as versie_rang
    from occurrences
)

select
    gemeentecode,
    lower(kanaal) as kanaal,
    cast(verzonden_op as timestamp) as verzonden_op,
    lower(trim(status)) as status,
    lower(trim(status)) = 'verzonden' as is_verzonden,
    source_file,
    cast(source_row as bigint) as source_row,
    cast(source_modified_at as timestamp) as source_modified_at,
    cast(coalesce(source_version_at, source_modified_at) as timestamp) as source_version_at,
    cast(source_arrival as bigint) as source_arrival
from versions
where versie_rang = 1
