-- The record of the last complete build of the models built by year (macros/by_year.sql):
-- each year's fingerprint and the build key they were built under. Built after all of
-- them (the depends_on lines below): a build that stops before, or fails in one of them,
-- leaves the previous record, and the next build redoes the same years.
-- depends_on: {{ ref('int_response_answers') }}
-- depends_on: {{ ref('int_response_periods') }}
-- depends_on: {{ ref('int_cells') }}
-- depends_on: {{ ref('int_cell_figures') }}
-- depends_on: {{ ref('int_disclosure') }}
-- depends_on: {{ ref('int_benchmarks') }}
-- depends_on: {{ ref('int_figures') }}
-- depends_on: {{ ref('int_public_figures') }}
-- depends_on: {{ ref('kto_tip') }}
select
    jaar,
    fingerprint,
    -- read when the model runs, not when dbt parses it (a new key must not cost a parse)
    {{ sql_string(dbt_build_key() if execute else '') }} as build_key
from {{ ref('int_year_fingerprints') }}
