{#- The benchmark's aggregates over one group of cells' figures (one channel, period and
    figure; nationally, or within one group: a size class, a comparison group): the same
    method for all, so a group BM is the national BM restricted to the group's municipalities
    (docs/metrics.md, "Benchmark"). Expects the columns teller, noemer, n, decimalen and
    verborgen. -#}
{% macro benchmark_aggregates(method, threshold) -%}
{%- if method == 'gemeenten' %}
    kto_mean_of_ratios_scaled(
        list({'teller': teller, 'noemer': noemer}) filter (where n >= {{ threshold }}),
        any_value(decimalen)
    ) as bm_scaled,
    kto_mean_of_ratios(
        list({'teller': teller, 'noemer': noemer}) filter (where n >= {{ threshold }})
    ) as bm_exact,
    cast(count(*) filter (where n >= {{ threshold }}) as integer) as bm_aantal_gemeenten,
    cast(count(*) filter (where n >= {{ threshold }} and verborgen) as integer)
        as bm_verborgen_aantal,
    cast(coalesce(sum(n) filter (where n >= {{ threshold }}), 0) as integer) as bm_n,
    cast(coalesce(sum(n) filter (where n >= {{ threshold }} and verborgen), 0) as integer)
        as bm_verborgen_n,
{%- else %}
    case when sum(n) >= {{ threshold }} then
        {{ round_half_away_scaled('sum(teller)', 'sum(noemer)', 'any_value(decimalen)') }}
    end as bm_scaled,
    case when sum(n) >= {{ threshold }} then
        cast(sum(teller) as double) / cast(sum(noemer) as double)
    end as bm_exact,
    cast(count(*) filter (where n > 0) as integer) as bm_aantal_gemeenten,
    cast(count(*) filter (where n > 0 and verborgen) as integer) as bm_verborgen_aantal,
    cast(coalesce(sum(n), 0) as integer) as bm_n,
    cast(coalesce(sum(n) filter (where verborgen), 0) as integer) as bm_verborgen_n,
{%- endif %}
    {{ sql_string(method) }} as bm_method
{%- endmacro %}

{#- A BM may be shown in the public marts unless the hidden part weighs a third or more of it
    (docs/metrics.md, "Disclosure control"); prefix: the columns' prefix (bm_, bm_klasse_,
    bm_groep_). -#}
{% macro bm_publiek(prefix='bm_') -%}
    case
        when {{ prefix }}scaled is null then false
        when {{ prefix }}verborgen_n = 0 then true
        when bm_method = 'gemeenten'
            then {{ prefix }}aantal_gemeenten >= 3 * {{ prefix }}verborgen_aantal
        else {{ prefix }}n >= 3 * {{ prefix }}verborgen_n
    end
{%- endmacro %}

{#- A group BM (size class, comparison group) may be shown: the rule above on its own counts,
    and only over at least size_class_min_gemeenten() municipalities, so that the others'
    mean is not one municipality's (docs/metrics.md, "Size-class benchmark"). -#}
{% macro group_bm_publiek(prefix) -%}
    coalesce(
        {{ bm_publiek(prefix) }}
        and {{ prefix }}aantal_gemeenten >= {{ size_class_min_gemeenten() }},
        false
    )
{%- endmacro %}

{#- Why a group BM or its exact value is NULL, NULL when both are shown (as bm_reden):
    hidden by the rules above, or there is none. -#}
{% macro group_bm_reden(prefix) -%}
    case
        when {{ prefix }}scaled is null then 'onder_drempel'
        when {{ prefix }}publiek and {{ prefix }}verborgen_n = 0 and {{ prefix }}exact is not null
            then null
        else 'bm_afgeschermd'
    end
{%- endmacro %}
