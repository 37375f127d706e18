-- One row per year (and one, jaar NULL, for the responses that count in no year): a
-- fingerprint of everything of that year the models built by year read (macros/by_year.sql).
-- A response is hashed whole, as staged and as int_responses has it, in the year it
-- counts in: a new version that moves it to another year changes both years. The name of a
-- municipality (int_responses.gemeente) may come from another year's response: it is part
-- of the hash, so a new name changes every year that shows it.
--
-- The fingerprint is the count and the sum of 64-bit row hashes: the same rows give the
-- same fingerprint in any order; a changed row changes it but for a 2^-64 chance.
with response_rows as (
    select
        cast(year(r.voltooid_op) as integer) as jaar,
        hash('response', r, o, f) as rij_hash
    from {{ ref('int_responses') }} as r
    left join {{ ref('stg_one2ten__responses') }} as o on r.response_id = o.response_id
    left join {{ ref('stg_openforms__submissions') }} as f on r.response_id = f.response_id
),

invitation_rows as (
    select cast(year(i.verzonden_op) as integer) as jaar, hash('invitation', i) as rij_hash
    from {{ ref('stg_inviter__invitations') }} as i
),

-- What was released of the year, and what the disclosure audit withheld (macros/ledger.sql):
-- both change which figures int_disclosure hides. Distinct values, not versions, so a
-- publication that repeats the year unchanged does not make it rebuild.
released_rows as (
    select jaar, hash('released', gemeentecode, kanaal, periode, figuur_type, figuur, n, fingerprint,
        getoond) as rij_hash
    from {{ released_figures() }}
    union all
    select jaar, hash('withheld', gemeentecode, kanaal, periode, figuur_type, figuur, n, fingerprint)
    from {{ audit_withheld() }}
),

hashed as (
    select * from response_rows
    union all
    select * from invitation_rows
    union all
    select * from released_rows
)

select
    jaar,
    cast(count(*) as varchar) || ':' || cast(sum(cast(rij_hash as hugeint)) as varchar) as fingerprint
from hashed
group by jaar
