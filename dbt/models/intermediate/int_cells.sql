-- One row per cell (gemeente x kanaal x periode with at least one counted response): the
-- counts of docs/contract/metrics.md that are never suppressed.
--
-- uitnodigingen: the Verzonden rows of the Inviter log for the cell's municipality, channel
-- and period. It is known only when the log has at least one row (Verzonden or Bounce) for
-- that municipality and channel within the period; otherwise NULL (unknown, not zero): a
-- municipality that does not use Inviter for a channel, a period the log does not cover,
-- and digitaal, which has no invitation log.
--
-- respons_inviter: responses whose invitation came through Inviter (Uitnodiging = Inviter).
-- The log counts only those invitations (cards, Qmatic, JCC, Timeblockr and the kiosk are
-- not in it), so the response rate is respons_inviter / uitnodigingen, not respons /
-- uitnodigingen, which can exceed 100%.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}

with cells as (
    select
        gemeentecode,
        any_value(p.gemeente) as gemeente,
        kanaal,
        periode,
        jaar,
        kwartaal,
        count(*) as respons,
        count(*) filter (where r.heeft_review) as reviews,
        count(*) filter (where r.heeft_verbetertip) as verbetertips,
        count(*) filter (where r.via_inviter) as respons_inviter
    from {{ ref('int_response_periods') }} as p
    inner join {{ ref('int_responses') }} as r using (response_id, kanaal, gemeentecode)
    where {{ in_years_to_build('p.jaar') }}
    group by gemeentecode, kanaal, periode, jaar, kwartaal
),

invitations_to_build as (
    select gemeentecode, kanaal, is_verzonden, verzonden_op
    from {{ ref('stg_inviter__invitations') }}
    where {{ in_years_to_build('cast(year(verzonden_op) as integer)') }}
),

invitation_periods as (
    select gemeentecode, kanaal, is_verzonden,
        cast(year(verzonden_op) as integer) as jaar, cast(null as integer) as kwartaal
    from invitations_to_build
    union all
    select gemeentecode, kanaal, is_verzonden,
        cast(year(verzonden_op) as integer) as jaar,
        cast(quarter(verzonden_op) as integer) as kwartaal
    from invitations_to_build
),

invitations as (
    select
        gemeentecode,
        kanaal,
        jaar,
        kwartaal,
        count(*) filter (where is_verzonden) as uitnodigingen
    from invitation_periods
    group by gemeentecode, kanaal, jaar, kwartaal
)

select
    cells.gemeentecode,
    cells.gemeente,
    cells.kanaal,
    cells.periode,
    cells.jaar,
    cells.kwartaal,
    cast(cells.respons as integer) as respons,
    cast(cells.reviews as integer) as reviews,
    cast(cells.verbetertips as integer) as verbetertips,
    cast(cells.respons_inviter as integer) as respons_inviter,
    cast(invitations.uitnodigingen as integer) as uitnodigingen
from cells
left join invitations
    on cells.gemeentecode = invitations.gemeentecode
    and cells.kanaal = invitations.kanaal
    and cells.jaar = invitations.jaar
    and cells.kwartaal is not distinct from invitations.kwartaal
