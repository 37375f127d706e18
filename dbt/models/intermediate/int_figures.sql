-- Every figure of every cell as the marts publish it: suppression (n below
-- KTO_MIN_RESPONDENTS: value, exact value and interval NULL, n kept), the value rounded half
-- away from zero from the exact integers, the benchmark, significance, and publiceerbaar.
--
-- publiceerbaar adds complementary suppression: when, for a figure, a year is published and
-- exactly one of its quarters with n > 0 is suppressed, the year and the other quarters would
-- give that quarter away (the year's sums are the quarters' sums). The published quarter
-- with the smallest n (the earliest on a tie) is then marked not publiceerbaar as well.
{%- set threshold = min_respondents() %}

with figures as (
    select
        f.*,
        f.n < {{ threshold }} as onderdrukt
    from {{ ref('int_cell_figures') }} as f
),

quarters as (
    select
        q.gemeentecode, q.kanaal, q.jaar, q.kwartaal, q.figuur_type, q.figuur,
        q.onderdrukt,
        q.n,
        y.onderdrukt as jaar_onderdrukt,
        count(*) filter (where q.onderdrukt and q.n > 0) over year_figure as onderdrukte_kwartalen,
        row_number() over (
            partition by q.gemeentecode, q.kanaal, q.jaar, q.figuur_type, q.figuur, q.onderdrukt
            order by q.n, q.kwartaal
        ) as rang_binnen_status
    from figures as q
    inner join figures as y
        on q.gemeentecode = y.gemeentecode
        and q.kanaal = y.kanaal
        and q.jaar = y.jaar
        and y.kwartaal is null
        and q.figuur_type = y.figuur_type
        and q.figuur = y.figuur
    where q.kwartaal is not null
    window year_figure as (partition by q.gemeentecode, q.kanaal, q.jaar, q.figuur_type, q.figuur)
),

complementary as (
    select gemeentecode, kanaal, jaar, kwartaal, figuur_type, figuur
    from quarters
    where not jaar_onderdrukt
        and onderdrukte_kwartalen = 1
        and not onderdrukt
        and rang_binnen_status = 1
)

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
    f.respons,
    f.n,
    f.decimalen,
    f.onderdrukt,
    case when not f.onderdrukt then {{ round_half_away_scaled('f.teller', 'f.noemer', 'f.decimalen') }} end
        as waarde_scaled,
    case when not f.onderdrukt then f.exact end as exact,
    case when not f.onderdrukt then f.ci_low end as ci_low,
    case when not f.onderdrukt then f.ci_high end as ci_high,
    b.bm_scaled,
    b.bm_exact,
    coalesce(b.bm_method, '{{ benchmark_method() }}') as bm_method,
    not f.onderdrukt and c.figuur is null as publiceerbaar,
    case
        when not f.onderdrukt and b.bm_exact is not null and f.ci_low is not null
            then b.bm_exact < f.ci_low or b.bm_exact > f.ci_high
    end as significant
from figures as f
left join {{ ref('int_benchmarks') }} as b
    on f.kanaal = b.kanaal
    and f.periode = b.periode
    and f.figuur_type = b.figuur_type
    and f.figuur = b.figuur
left join complementary as c
    on f.gemeentecode = c.gemeentecode
    and f.kanaal = c.kanaal
    and f.jaar = c.jaar
    and f.kwartaal = c.kwartaal
    and f.figuur_type = c.figuur_type
    and f.figuur = c.figuur
