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

{#- A BM may be shown in the public marts unless the hidden part weighs a third or more of it,
    or its window closes a hidden member (docs/metrics.md, "Disclosure control"); prefix: the
    columns' prefix (bm_, bm_klasse_, bm_groep_). -#}
{% macro bm_publiek(prefix='bm_') -%}
    case
        when {{ prefix }}scaled is null then false
        when {{ prefix }}verborgen_n = 0 then true
        -- its window with the years closes a hidden member (bm_window_ctes below)
        when {{ prefix }}venster_sluit then false
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

{#- Whether a rounded BM's window closes one of its hidden members (docs/metrics.md, "A
    rounded BM whose window closes a hidden member"): CTEs ending in one named
    ``bm_windows`` (the BM's keys and ``venster_sluit``), for bm_publiek.

    The rounded BM holds the sum of its members (gemeenten: of their values; respondenten:
    of their sums) to a window of one printed digit times the members. A hidden member is
    also held by its year (a year's sum is its quarters'). Where the window and the year
    together leave a hidden member's sum at most one whole multiple of its granule (one
    response of a percentage), while the year alone leaves it more, the window is what gives
    it away: the rounded BM is not shown. That is what the disclosure audit would find (its
    linear program has these rows and more); it happens where one response is more than the
    window, as with the small shares of the themes. Known members (shown, or released before
    with the same data) are points, every other hidden member ranges over what its year
    leaves it.

    figures: every figure of the BMs' cells (not products) with verborgen and vrijgegeven
    (int_disclosure); benchmarks: the BMs with bm_scaled and bm_method; keys: the BM's
    grouping columns. -#}
{% macro bm_window_ctes(figures, benchmarks, keys, method, threshold) -%}
{%- set k = keys | join(', ') %}
bm_bounds as (
    -- each sum (exact x n) on its own: known a point, hidden its domain
    select
        {{ k }}, gemeentecode, jaar, kwartaal, n, decimalen,
        case when decimalen = 0 then 100.0 when figuur = 'Hostmanship' then 1.0 / 60 else 1.0 end
            as korrel,
        verborgen and not vrijgegeven and n > 0 as onbekend,
        case
            when n = 0 then 0.0
            when verborgen and not vrijgegeven then {{ domain_bound('min') }} * n
            else cast(teller as double) * n / cast(noemer as double)
        end as lo,
        case
            when n = 0 then 0.0
            when verborgen and not vrijgegeven then {{ domain_bound('max') }} * n
            else cast(teller as double) * n / cast(noemer as double)
        end as hi
    from {{ figures }}
),

bm_years as (
    select
        *,
        sum(case when kwartaal is not null then lo end) over jaar_relatie as kwartalen_lo,
        sum(case when kwartaal is not null then hi end) over jaar_relatie as kwartalen_hi,
        max(case when kwartaal is null then lo end) over jaar_relatie as jaar_lo,
        max(case when kwartaal is null then hi end) over jaar_relatie as jaar_hi
    from bm_bounds
    window jaar_relatie as (partition by gemeentecode, kanaal, jaar, figuur_type, figuur)
),

bm_members as (
    -- what the year leaves each member: a quarter is the year minus the other quarters, a
    -- year the sum of its quarters
    select
        *,
        case
            when jaar_lo is null or kwartalen_lo is null then lo
            when kwartaal is null then greatest(lo, kwartalen_lo)
            else greatest(lo, jaar_lo - (kwartalen_hi - hi))
        end as jaar_min,
        case
            when jaar_lo is null or kwartalen_lo is null then hi
            when kwartaal is null then least(hi, kwartalen_hi)
            else least(hi, jaar_hi - (kwartalen_lo - lo))
        end as jaar_max
    from bm_years
    -- the members of the BM's relation (audit.py: gemeenten at or above the threshold)
    where {% if method == 'gemeenten' %}n >= {{ threshold }}{% else %}n > 0{% endif %}
),

bm_totals as (
    -- per BM, in the unit its window is in (gemeenten: values; respondenten: sums)
    {%- set unit = '/ n' if method == 'gemeenten' else '' %}
    select
        {{ k }},
        {% if method == 'gemeenten' %}count(*){% else %}sum(n){% endif %} as gewicht,
        coalesce(sum(case when not onbekend then lo {{ unit }} end), 0.0) as bekend,
        coalesce(sum(case when onbekend then jaar_min {{ unit }} end), 0.0) as onbekend_min,
        coalesce(sum(case when onbekend then jaar_max {{ unit }} end), 0.0) as onbekend_max
    from bm_members
    group by {{ k }}
),

bm_member_windows as (
    {%- set member_unit = '/ m.n' if method == 'gemeenten' else '' %}
    select
        m.*,
        -- the window on this member: the BM's, minus the known members, minus what the other
        -- hidden members can be; then within what its year leaves it
        greatest(
            m.jaar_min,
            (t.gewicht * (cast(b.bm_scaled as double) - 0.5) / power(10, m.decimalen)
                - t.bekend - (t.onbekend_max - m.jaar_max {{ member_unit }})){{ ' * m.n' if method == 'gemeenten' else '' }}
        ) as venster_min,
        least(
            m.jaar_max,
            (t.gewicht * (cast(b.bm_scaled as double) + 0.5) / power(10, m.decimalen)
                - t.bekend - (t.onbekend_min - m.jaar_min {{ member_unit }})){{ ' * m.n' if method == 'gemeenten' else '' }}
        ) as venster_max
    from bm_members as m
    inner join bm_totals as t using ({{ k }})
    inner join {{ benchmarks }} as b using ({{ k }})
    where m.onbekend and b.bm_scaled is not null
),

bm_windows as (
    select
        {{ k }},
        bool_or(
            {{ granules('venster_min', 'venster_max', 'korrel') }} < 2
            and {{ granules('jaar_min', 'jaar_max', 'korrel') }} >= 2
        ) as venster_sluit
    from bm_member_windows
    group by {{ k }}
)
{%- endmacro %}

{#- The whole multiples of ``step`` in [low, high], as the audit rounds a range inward to
    them (audit._inward: a millionth of a step of slack for the doubles). -#}
{% macro granules(low, high, step) -%}
    (floor({{ high }} / {{ step }} + 1e-6) - ceil({{ low }} / {{ step }} - 1e-6) + 1)
{%- endmacro %}

{#- The end of a figure's domain (``min`` or ``max``): a grade 1..10, a CES -100..100, a
    percentage 0..100 (as int_cell_figures clips the intervals). -#}
{% macro domain_bound(end) -%}
    {%- if end == 'min' -%}
    case figuur_type when 'ces' then -100.0 when 'stelling' then 0.0 when 'thema' then 0.0 else 1.0 end
    {%- else -%}
    case figuur_type when 'ces' then 100.0 when 'stelling' then 100.0 when 'thema' then 100.0 else 10.0 end
    {%- endif -%}
{%- endmacro %}
