-- The one publication step: int_figures with everything a factsheet may not show set to
-- NULL. The public marts (marts.kto_*) read only this model; what they publish is what the
-- factsheets, the snapshot and the Parquet files show (docs/metrics.md, "Disclosure
-- control").
--
-- A hidden figure (int_disclosure: suppressed, or withheld by complementary suppression)
-- loses its value, exact value, interval, significance and direction; its n stays.
--
-- The BM of the channel and period (docs/contract/metrics.md) can rest on withheld values: the mean of
-- the municipalities' exact values includes a quarter withheld only to protect another one,
-- and the pooled BM includes suppressed cells. Its exact value would then give their sum
-- away (BM x count minus the published values), so bm_exact is published only for a BM that
-- rests on published values alone. The rounded BM is shown unless the hidden part weighs a
-- third or more of it: gemeenten, at least three values per hidden value; respondenten, at
-- least three responses per hidden response. Rounding to 0.1 then leaves a hidden mean
-- uncertain by at least 0.15 either way (the BM's 0.05 times three), more than a printed digit.
-- Nor is it shown where its window, with the years, leaves a hidden member one whole count at
-- most (bm_venster_sluit: one response of a small share can be more than the window).
-- The size-class BM (int_group_benchmarks, with KTO_SIZE_CLASSES) follows the same rules
-- and is shown only over at least size_class_min_gemeenten() municipalities (macro
-- group_bm_publiek, as the comparison groups' BMs in int_public_group_benchmarks).
--
-- Every number a factsheet prints is rounded here (macros/rounding.sql), never by the
-- factsheet: the interval bounds with one decimal more than the figure (a BM just outside
-- does not look inside), and, for a significant figure whose rounded value equals its
-- rounded BM, both with the fewest extra decimals (1..3) that print them apart
-- (verfijnd_decimalen; the BM only when its exact value is public, else the value against
-- the rounded BM).
{{ config(materialized='incremental', pre_hook="{{ delete_years_to_build() }}") }}
{%- set max_extra = 3 %}
with figures as (
    select
        f.*,
        k.grootteklasse,
        k.grootteklasse_gemeenten,
        b.bm_scaled as bm_klasse_scaled,
        b.bm_exact as bm_klasse_exact,
        b.bm_aantal_gemeenten as bm_klasse_aantal_gemeenten,
        b.bm_verborgen_aantal as bm_klasse_verborgen_aantal,
        b.bm_n as bm_klasse_n,
        b.bm_verborgen_n as bm_klasse_verborgen_n,
        b.bm_venster_sluit as bm_klasse_venster_sluit
    from {{ ref('int_figures') }} as f
    left join {{ ref('int_size_classes') }} as k
        on f.gemeentecode = k.gemeentecode
    left join {{ ref('int_group_benchmarks') }} as b
        on b.indeling = 'grootteklasse'
        and k.grootteklasse = b.groep
        and f.kanaal = b.kanaal
        and f.periode = b.periode
        and f.figuur_type = b.figuur_type
        and f.figuur = b.figuur
    where {{ in_years_to_build('f.jaar') }}
),

judged as (
    select
        *,
        {{ bm_publiek('bm_') }} as bm_publiek,
        -- the size-class BM (docs/metrics.md, "Size-class benchmark"): the same rule, and
        -- only over enough municipalities that the others' mean is not one municipality's
        {{ group_bm_publiek('bm_klasse_') }} as bm_klasse_publiek
    from figures
),

refined as (
    select
        *,
        case
            when publiceerbaar and bm_publiek and richting in ('hoger', 'lager')
                and waarde_scaled = bm_scaled
                then case
                {%- for extra in range(1, max_extra) %}
                    when {{ double_half_away_scaled('exact', 'decimalen + ' ~ extra) }}
                        <> case when bm_verborgen_n = 0 and bm_exact is not null
                            then {{ double_half_away_scaled('bm_exact', 'decimalen + ' ~ extra) }}
                            else bm_scaled * {{ 10 ** extra }} end
                        then decimalen + {{ extra }}
                {%- endfor %}
                    else decimalen + {{ max_extra }}
                end
        end as verfijnd_decimalen
    from judged
)

select
    gemeentecode,
    gemeente,
    kanaal,
    periode,
    jaar,
    kwartaal,
    figuur_type,
    figuur,
    volgorde,
    respons,
    n,
    decimalen,
    drempel,
    publiceerbaar,
    case when publiceerbaar then waarde_scaled end as waarde_scaled,
    case when publiceerbaar then exact end as exact,
    case when publiceerbaar then ci_low end as ci_low,
    case when publiceerbaar then ci_high end as ci_high,
    case when publiceerbaar then
        {{ decimal_from_scaled(double_half_away_scaled('ci_low', 'decimalen + 1'), 'decimalen + 1') }}
    end as ci_low_afgerond,
    case when publiceerbaar then
        {{ decimal_from_scaled(double_half_away_scaled('ci_high', 'decimalen + 1'), 'decimalen + 1') }}
    end as ci_high_afgerond,
    verfijnd_decimalen,
    {{ decimal_from_scaled(double_half_away_scaled('exact', 'verfijnd_decimalen'), 'verfijnd_decimalen') }}
        as waarde_verfijnd,
    case when bm_verborgen_n = 0 then
        {{ decimal_from_scaled(double_half_away_scaled('bm_exact', 'verfijnd_decimalen'), 'verfijnd_decimalen') }}
    end as bm_verfijnd,
    case when bm_publiek then bm_scaled end as bm_scaled,
    case when bm_publiek and bm_verborgen_n = 0 then bm_exact end as bm_exact,
    bm_method,
    case when publiceerbaar and bm_publiek then significant end as significant,
    case when publiceerbaar and bm_publiek then richting end as richting,
    grootteklasse,
    grootteklasse_gemeenten,
    case when bm_klasse_publiek then bm_klasse_scaled end as bm_klasse_scaled,
    case when bm_klasse_publiek and bm_klasse_verborgen_n = 0 then bm_klasse_exact end
        as bm_klasse_exact,
    case when kwartaal is null then 'jaar' else 'kwartaal' end as soort,
    -- Why a value is NULL (NULL when it is shown): n below the threshold, or withheld by
    -- complementary suppression or the disclosure audit (ledger.withheld_figures).
    case
        when publiceerbaar then null
        when onderdrukt then 'onder_drempel'
        else 'afgeschermd'
    end as reden,
    -- Why the BM or its exact value is NULL (NULL when both are shown; products have no BM):
    -- hidden by the BM rule above, or there is none (no value at or above the threshold
    -- went into it).
    case
        when figuur_type = 'product' then null
        when bm_scaled is null then 'onder_drempel'
        when bm_publiek and bm_verborgen_n = 0 and bm_exact is not null then null
        else 'bm_afgeschermd'
    end as bm_reden,
    -- The same for the size-class BM; NULL as well without a size class (no KTO_SIZE_CLASSES,
    -- or a municipality the file does not list).
    case
        when figuur_type = 'product' or grootteklasse is null then null
        else {{ group_bm_reden('bm_klasse_') }}
    end as bm_klasse_reden
from refined
