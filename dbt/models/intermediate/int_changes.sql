-- The change of every figure of every cell (not products) against an earlier period
-- (docs/metrics.md, "Change, significance, drivers, funnels"), b - a:
--
--   vorig_jaar                  a year against the year before;
--   zelfde_kwartaal_vorig_jaar  a quarter against the same quarter a year before;
--   vorig_kwartaal              a quarter against the quarter before (Q1 against the
--                               previous year's Q4).
--
-- Both periods share no response, so the test of two independent samples applies (kto_change:
-- Welch for means, two proportions for percentages, the net score's variance for CES). One
-- row per pair of cells that both exist; a change is computed and published only where both
-- figures are shown (publiceerbaar): a change between a shown and a withheld figure gives the
-- withheld one away. The q-value is Benjamini-Hochberg over the published changes of one
-- period, channel, figure and comparison (every municipality); a q-value over withheld pairs
-- would give their ranks away.
--
-- Rebuilt whole (not by year): a change reaches into the year before.
{{ config(materialized='table') }}

with figures as (
    select
        f.gemeentecode,
        f.gemeente,
        f.kanaal,
        f.periode,
        f.jaar,
        f.kwartaal,
        f.figuur_type,
        f.figuur,
        f.volgorde,
        f.decimalen,
        f.n,
        f.teller,
        f.noemer,
        f.s2,
        f.k_laag,
        f.k_hoog,
        -- Hostmanship's sums are in sixtieths
        cast(f.noemer // nullif(f.n, 0) as integer) as schaal,
        p.publiceerbaar,
        p.reden,
        -- quarters numbered on from year 0, so the quarter before is one less
        f.jaar * 4 + f.kwartaal - 1 as kwartaalnummer
    from {{ ref('int_cell_figures') }} as f
    inner join {{ ref('int_public_figures') }} as p
        using (gemeentecode, kanaal, periode, figuur_type, figuur)
    -- products and themes have no test (docs/metrics.md, "Change, significance, drivers,
    -- funnels"): a theme's change against the year before is kto_thema's own
    where f.figuur_type not in ('product', 'thema')
),

pairs as (
    select
        case
            when b.kwartaal is null then 'vorig_jaar'
            when a.jaar = b.jaar - 1 and a.kwartaal = b.kwartaal then 'zelfde_kwartaal_vorig_jaar'
            else 'vorig_kwartaal'
        end as vergelijking,
        b.*,
        a.periode as periode_vorig,
        a.n as n_vorig,
        a.teller as teller_vorig,
        a.noemer as noemer_vorig,
        a.s2 as s2_vorig,
        a.k_laag as k_laag_vorig,
        a.k_hoog as k_hoog_vorig,
        a.publiceerbaar as publiceerbaar_vorig,
        a.reden as reden_vorig
    from figures as b
    inner join figures as a
        on a.gemeentecode = b.gemeentecode
        and a.kanaal = b.kanaal
        and a.figuur_type = b.figuur_type
        and a.figuur = b.figuur
        and (
            (b.kwartaal is null and a.kwartaal is null and a.jaar = b.jaar - 1)
            or (b.kwartaal is not null and a.kwartaal is not null and (
                (a.jaar = b.jaar - 1 and a.kwartaal = b.kwartaal)
                or a.kwartaalnummer = b.kwartaalnummer - 1
            ))
        )
),

tested as (
    select
        *,
        publiceerbaar and publiceerbaar_vorig as verandering_publiceerbaar,
        case when publiceerbaar and publiceerbaar_vorig then
            kto_change(
                figuur_type, schaal,
                n_vorig, teller_vorig, s2_vorig, k_laag_vorig, k_hoog_vorig,
                n, teller, s2, k_laag, k_hoog
            )
        end as test
    from pairs
),

ranked as (
    select
        *,
        test.p as p,
        {{ bh_ranks('test.p', 'periode, kanaal, figuur_type, figuur, vergelijking', 'gemeentecode') }}
    from tested
)

select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    vergelijking,
    periode_vorig,
    figuur_type,
    figuur,
    volgorde,
    decimalen,
    n,
    n_vorig,
    verandering_publiceerbaar as publiceerbaar,
    -- why the change is not shown: the reason of the figure itself, else of the earlier one
    case when not verandering_publiceerbaar then coalesce(reden, reden_vorig) end as reden,
    -- the exact difference as an integer fraction, rounded like the figures themselves
    case when verandering_publiceerbaar then
        {{ round_half_away_scaled('teller * noemer_vorig - teller_vorig * noemer', 'noemer * noemer_vorig', 'decimalen') }}
    end as verschil_scaled,
    test.verschil as verschil_exact,
    test.ci_low,
    test.ci_high,
    p,
    {{ bh_qvalue('p', 'periode, kanaal, figuur_type, figuur, vergelijking', 'gemeentecode') }} as q
from ranked
