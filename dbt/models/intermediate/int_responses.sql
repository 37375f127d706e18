-- One row per response of every channel (latest version), with what the marts need per
-- response: when it was completed, whether it counts, its review/tip flags, and its
-- hostmanship answer (the mean of its valid items when at least 3 of the 6 are answered).
--
-- hostmanship_60 is that mean times 60, an exact integer: a response answers k of the six
-- items (k = 3..6), 60 is a multiple of every such k, so sum * (60 / k) is whole. The mart
-- score is sum(hostmanship_60) / (60 * n): integer arithmetic to the last digit.
with one2ten as (
    select
        response_id,
        kanaal,
        gemeentecode,
        is_voltooid,
        -- a Voltooid row without an Einddatum has no completion moment: it counts nowhere
        voltooid_op,
        product,
        uitnodiging,
        totaaloordeel,
        toelichting,
        moeite,
        in_een_keer_geholpen,
        verbetertip,
        verbetertip_toelichting,
        {%- set items = hostmanship_columns() %}
        ({% for c in items %}cast({{ c }} is not null as integer){{ ' + ' if not loop.last }}{% endfor %})
            as hostmanship_items,
        ({% for c in items %}coalesce({{ c }}, 0){{ ' + ' if not loop.last }}{% endfor %})
            as hostmanship_som,
        source_file,
        source_row
    from {{ ref('stg_one2ten__responses') }}
),

openforms as (
    select
        response_id,
        kanaal,
        gemeentecode,
        true as is_voltooid,
        voltooid_op,
        product,
        cast(null as varchar) as uitnodiging,
        totaaloordeel,
        toelichting,
        moeite,
        cast(null as varchar) as in_een_keer_geholpen,
        verbetertip,
        verbetertip_toelichting,
        0 as hostmanship_items,
        0 as hostmanship_som,
        source_file,
        source_row
    from {{ ref('stg_openforms__submissions') }}
),

responses as (
    select * from one2ten
    union all
    select * from openforms
)

select
    r.response_id,
    r.kanaal,
    r.gemeentecode,
    -- the CBS code list names every code it has (also one used outside its validity); a
    -- code never in it (accepted under KTO_GEMEENTECODES=melden) is named by itself, never
    -- by the export
    coalesce(cbs_namen.naam, r.gemeentecode) as gemeente,
    r.is_voltooid,
    r.voltooid_op,
    r.product,
    r.totaaloordeel,
    r.moeite,
    r.in_een_keer_geholpen,
    -- invited through Inviter: the only route the invitation log counts
    coalesce(r.uitnodiging = 'Inviter', false) as via_inviter,
    {{ is_meaningful_text('r.toelichting') }} as heeft_review,
    r.verbetertip = 'ja' as heeft_verbetertip,
    r.verbetertip_toelichting,
    r.verbetertip = 'ja' and {{ is_meaningful_text('r.verbetertip_toelichting') }} as heeft_tiptekst,
    cast(r.hostmanship_items as integer) as hostmanship_items,
    case
        when r.hostmanship_items >= 3
            then cast(r.hostmanship_som * (60 // r.hostmanship_items) as integer)
    end as hostmanship_60,
    r.source_file,
    r.source_row
from responses as r
left join {{ cbs_namen() }} as cbs_namen using (gemeentecode)
