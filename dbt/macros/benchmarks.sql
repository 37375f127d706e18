{#- The benchmark's aggregates over one group of cells' figures (one channel, period and
    figure; nationally, or within one size class): the same method for both, so a class BM
    is the national BM restricted to the class's municipalities (docs/metrics.md,
    "Benchmark"). Expects the columns teller, noemer, n, decimalen and verborgen. -#}
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
    (docs/metrics.md, "Disclosure control"); prefix: the columns' prefix (bm_ or bm_klasse_). -#}
{% macro bm_publiek(prefix='bm_') -%}
    case
        when {{ prefix }}scaled is null then false
        when {{ prefix }}verborgen_n = 0 then true
        when bm_method = 'gemeenten'
            then {{ prefix }}aantal_gemeenten >= 3 * {{ prefix }}verborgen_aantal
        else {{ prefix }}n >= 3 * {{ prefix }}verborgen_n
    end
{%- endmacro %}
