-- One row per invitation of the Inviter logs. An invitation that appears in more than one
-- log file (an overlapping or repeated export) is one invitation: the key is municipality,
-- channel, moment and address, and its latest version wins. The address is used for that
-- key only and is not kept.
with versions as (
    select
        *,
        row_number() over (
            partition by gemeentecode, kanaal, verzonden_op, lower(trim(e_mailadres))
            -- the newest delivery wins; a re-dropped copy of older content keeps its old place
            order by coalesce(source_version_at, source_modified_at) desc,
                source_modified_at desc, source_file desc, source_row desc
        ) as versie_rang
    from {{ source('raw', 'inviter_invitations') }}
)

select
    gemeentecode,
    lower(kanaal) as kanaal,
    cast(verzonden_op as timestamp) as verzonden_op,
    lower(status) as status,
    status = 'Verzonden' as is_verzonden,
    source_file,
    cast(source_row as bigint) as source_row,
    cast(source_modified_at as timestamp) as source_modified_at,
    cast(coalesce(source_version_at, source_modified_at) as timestamp) as source_version_at
from versions
where versie_rang = 1
