-- Which figures the public marts may show (docs/metrics.md, "Disclosure control"): one row
-- per cell x figure with onderdrukt (n below the threshold) and verborgen (not shown: the
-- suppressed figures and those withheld by complementary suppression).
--
-- The published figures are tied by two additive relations, each a group with a total:
--   jaar:    a year's sum (exact x n) is the sum of its quarters' sums, per figure;
--   product: a cell's totaaloordeel sum is the sum of its products' sums.
-- A group with exactly one hidden figure (n > 0) gives that figure away: total minus the
-- others. Each round below finds those groups and also hides the group's shown member with
-- the smallest n (the earliest quarter / first product on a tie; the total only when no
-- member is left). Hiding one figure can leave another group with one hidden figure, so
-- the rounds repeat; the test disclosure_no_single_hidden fails the build should the last
-- round not have reached the point where no group has exactly one hidden figure.
--
-- Every publication counts (docs/metrics.md, "Disclosure control"): a figure released before
-- with the same data (the ledger, macros/ledger.sql) is known to every BI user, hidden now or
-- not; one hidden before with the same data stays hidden. It does not count as hidden in a group, and withholding it now would protect nothing,
-- so complementary suppression picks among the members not yet released (a year whose
-- quarters were all shown before is withheld when its new quarter is suppressed).
-- The disclosure audit (dagster_project/disclosure) withholds what this rule does not see
-- (ledger.withheld_figures, macros/ledger.sql); those figures start hidden here.
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}
{%- set threshold = min_respondents() %}
{%- set rounds = 6 %}

with elements as (
    select
        row_number() over (order by gemeentecode, kanaal, periode, figuur_type, figuur) as id,
        gemeentecode,
        kanaal,
        periode,
        jaar,
        kwartaal,
        figuur_type,
        figuur,
        volgorde,
        n,
        n < {{ threshold }} as onderdrukt,
        vrijgegeven,
        eerder_verborgen,
        door_audit,
        herzien
    from (
        select
            c.*,
            coalesce(r.getoond, false) as vrijgegeven,
            coalesce(not r.getoond, false) as eerder_verborgen,
            w.fingerprint is not null as door_audit,
            -- a version of this figure with fewer than the threshold responses more or less
            -- was shown: the two sums differ by those few responses (a late response to a
            -- closed quarter, a year filled by a small quarter); shown now, that difference
            -- would be released (docs/metrics.md, "Revisions")
            exists (
                select 1
                from {{ released_figures() }} as v
                where v.getoond
                    and v.gemeentecode = c.gemeentecode
                    and v.kanaal = c.kanaal
                    and v.periode = c.periode
                    and v.figuur_type = c.figuur_type
                    and v.figuur = c.figuur
                    and v.n <> c.n
                    and abs(v.n - c.n) < {{ threshold }}
            ) as herzien
        from {{ ref('int_cell_figures') }} as c
        left join {{ released_figures() }} as r
            on c.gemeentecode = r.gemeentecode
            and c.kanaal = r.kanaal
            and c.periode = r.periode
            and c.figuur_type = r.figuur_type
            and c.figuur = r.figuur
            and c.n = r.n
            and r.fingerprint = cast(c.teller as varchar) || '/' || cast(c.noemer as varchar)
        left join {{ audit_withheld() }} as w
            on c.gemeentecode = w.gemeentecode
            and c.kanaal = w.kanaal
            and c.periode = w.periode
            and c.figuur_type = w.figuur_type
            and c.figuur = w.figuur
            and c.n = w.n
            and w.fingerprint = cast(c.teller as varchar) || '/' || cast(c.noemer as varchar)
        where {{ in_years_to_build('c.jaar') }}
    )
),

memberships as (
    -- quarters add up to the year, per figure
    select
        id, n, vrijgegeven,
        'jaar|' || gemeentecode || '|' || kanaal || '|' || jaar || '|' || figuur_type || '|' || figuur
            as groep,
        kwartaal is null as is_totaal,
        coalesce(kwartaal, 0) as positie
    from elements
    union all
    -- products add up to the cell's totaaloordeel
    select
        id, n, vrijgegeven,
        'product|' || gemeentecode || '|' || kanaal || '|' || periode as groep,
        figuur_type = 'totaaloordeel' as is_totaal,
        volgorde as positie
    from elements
    where figuur_type in ('product', 'totaaloordeel')
),

-- the suppressed figures; those hidden in every earlier publication with the same data (a
-- relation of that publication still holds them: shown now, its other hidden member would
-- follow); those the disclosure audit withheld for the same data; and those a version of
-- which was shown with fewer than the threshold responses more or less
ronde_0 as (
    select
        id,
        (onderdrukt and n > 0)
        or eerder_verborgen
        or ((door_audit or herzien) and not vrijgegeven and n > 0) as verborgen
    from elements
),
{%- for r in range(1, rounds + 1) %}

groepen_{{ r }} as (
    -- a released member is known, hidden now or not
    select m.groep, count(*) filter (where h.verborgen and not m.vrijgegeven) as verborgen_aantal
    from memberships as m
    inner join ronde_{{ r - 1 }} as h using (id)
    group by m.groep
),

extra_{{ r }} as (
    select distinct id
    from (
        select
            m.id,
            row_number() over (
                partition by m.groep order by m.is_totaal, m.n, m.positie, m.id
            ) as rang
        from memberships as m
        inner join ronde_{{ r - 1 }} as h using (id)
        inner join groepen_{{ r }} as g using (groep)
        where g.verborgen_aantal = 1 and not h.verborgen and m.n > 0 and not m.vrijgegeven
    )
    where rang = 1
),

ronde_{{ r }} as (
    select h.id, h.verborgen or x.id is not null as verborgen
    from ronde_{{ r - 1 }} as h
    left join extra_{{ r }} as x using (id)
),
{%- endfor %}

final as (
    select * from ronde_{{ rounds }}
)

select
    e.gemeentecode,
    e.kanaal,
    e.periode,
    e.jaar,
    e.kwartaal,
    e.figuur_type,
    e.figuur,
    e.n,
    e.onderdrukt,
    -- hidden: suppressed (also n = 0: no value at all) or withheld
    e.onderdrukt or f.verborgen as verborgen,
    not e.onderdrukt and f.verborgen as afgeschermd,
    e.vrijgegeven,
    {{ threshold }} as drempel
from elements as e
inner join final as f using (id)
