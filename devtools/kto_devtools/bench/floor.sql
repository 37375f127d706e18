-- The floor: marts.kto_cel's figures straight from the landing files, in one DuckDB script.
--
-- What a hand-written query must do at the least to get the same numbers as the pipeline:
-- read every export, keep the rows whose identity is usable, keep the latest version of each
-- response (file modification time, then file name), count each completed response in its
-- year and quarter, and compute per gemeente x kanaal x periode the counts, totaaloordeel and
-- CES with their benchmark (method gemeenten). Rounding is half away from zero, from the
-- integer sums (docs/contract/metrics.md); the BM is a DOUBLE mean of the exact values, rounded the same way.
--
-- It reads the UTF-8 CSV and JSON of a plain landing folder (one2ten/*.csv,
-- openforms/*.csv and *.json, inviter/*.csv; no XLSX, no Windows-1252), all three present.
-- Parameters, set by the caller before it runs:
--   SET VARIABLE landing = '/path/to/landing';  SET VARIABLE min_n = 10;
-- Result: table floor_cel, one row per cell, with kto_cel's column names.

-- A grade: 1..10, written 8 or 8,0; anything else (Weet niet, N.v.t., 11, 8,5) is no answer.
CREATE OR REPLACE TEMP MACRO grade(x) AS
    CASE WHEN regexp_full_match(trim(x), '(10|[1-9])(,0)?')
        THEN CAST(regexp_extract(trim(x), '^(10|[1-9])', 1) AS INTEGER) END;

-- t / n rounded half away from zero to d decimals, times 10^d, in integers.
CREATE OR REPLACE TEMP MACRO round_scaled(t, n, d) AS
    sign(t) * ((2 * abs(CAST(t AS HUGEINT)) * CAST(10 ** d AS HUGEINT) + n) // (2 * n));

-- The same for a DOUBLE (the BM): half away from zero.
CREATE OR REPLACE TEMP MACRO round_double(x, d) AS
    sign(x) * floor(abs(x) * 10 ** d + 0.5) / 10 ** d;

-- Free text is a review when it holds a letter or a digit (empty or only punctuation is none).
CREATE OR REPLACE TEMP MACRO has_text(x) AS coalesce(regexp_matches(x, '[\p{L}\p{N}]'), false);

CREATE OR REPLACE TEMP TABLE file_times AS
SELECT filename, last_modified
FROM read_blob([getvariable('landing') || '/one2ten/*.csv',
                getvariable('landing') || '/openforms/*.csv',
                getvariable('landing') || '/openforms/*.json',
                getvariable('landing') || '/inviter/*.csv']);

-- One2Ten (balie, telefoon): usable identity, latest version per (kanaal, Respondentnummer).
CREATE OR REPLACE TEMP TABLE one2ten AS
WITH rows AS (
    SELECT
        filename,
        TRY_CAST(trim("Respondentnummer") AS BIGINT) AS respondentnummer,
        trim("Gemeentecode") AS gemeentecode,
        lower(trim("Kanaal")) AS kanaal,
        try_strptime(trim("Startdatum"), '%d-%m-%Y %H:%M') AS startdatum,
        try_strptime(trim("Einddatum"), '%d-%m-%Y %H:%M') AS einddatum,
        nullif(trim("Einddatum"), '') IS NULL AS zonder_einddatum,
        lower(trim("Status")) AS status,
        grade("Totaaloordeel") AS totaaloordeel,
        "Toelichting totaaloordeel" AS toelichting,
        lower(trim("Moeite")) AS moeite,
        lower(trim("Verbetertip")) AS verbetertip
    FROM read_csv(getvariable('landing') || '/one2ten/*.csv', delim = ';', quote = '"',
                  escape = '"', header = true, all_varchar = true, union_by_name = true,
                  filename = true)
)
SELECT rows.*
FROM rows JOIN file_times USING (filename)
WHERE respondentnummer IS NOT NULL
  AND regexp_full_match(gemeentecode, 'GM[0-9]{4}')
  AND kanaal IN ('balie', 'telefoon')
  AND startdatum IS NOT NULL
  AND (einddatum IS NOT NULL OR zonder_einddatum)
  AND status IN ('voltooid', 'onvolledig')
  AND NOT (status = 'voltooid' AND einddatum IS NULL)
QUALIFY row_number() OVER (
    PARTITION BY kanaal, respondentnummer ORDER BY last_modified DESC, filename DESC) = 1;

-- Open Formulieren (digitaal): the survey form only, latest version per respondentId.
CREATE OR REPLACE TEMP TABLE openforms AS
WITH rows AS (
    SELECT filename, "Formuliernaam" AS formuliernaam, "Inzendingdatum" AS inzendingdatum,
           "respondentId" AS respondent_id, gemeentecode, totaaloordeel, toelichting, moeite,
           verbetertip
    FROM read_csv(getvariable('landing') || '/openforms/*.csv', delim = ',', quote = '"',
                  escape = '"', header = true, all_varchar = true, union_by_name = true,
                  filename = true)
    UNION ALL BY NAME
    SELECT filename, "Formuliernaam" AS formuliernaam, "Inzendingdatum" AS inzendingdatum,
           "respondentId" AS respondent_id, gemeentecode, totaaloordeel, toelichting, moeite,
           verbetertip
    FROM read_json(getvariable('landing') || '/openforms/*.json', format = 'array',
                   columns = {"Formuliernaam": 'VARCHAR', "Inzendingdatum": 'VARCHAR',
                              "respondentId": 'VARCHAR', gemeentecode: 'VARCHAR',
                              totaaloordeel: 'VARCHAR', toelichting: 'VARCHAR',
                              moeite: 'VARCHAR', verbetertip: 'VARCHAR'},
                   filename = true)
),
parsed AS (
    SELECT
        filename,
        trim(formuliernaam) AS formuliernaam,
        lower(trim(respondent_id)) AS respondent_id,
        trim(gemeentecode) AS gemeentecode,
        try_strptime(trim(inzendingdatum), '%Y-%m-%d %H:%M:%S') AS einddatum,
        grade(totaaloordeel) AS totaaloordeel,
        toelichting,
        lower(trim(moeite)) AS moeite,
        lower(trim(verbetertip)) AS verbetertip
    FROM rows
)
SELECT parsed.*
FROM parsed JOIN file_times USING (filename)
WHERE formuliernaam = 'KTO digitale dienstverlening'
  AND regexp_full_match(respondent_id,
                        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
  AND regexp_full_match(gemeentecode, 'GM[0-9]{4}')
  AND einddatum IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY respondent_id ORDER BY last_modified DESC, filename DESC) = 1;

-- Every counted response, once in its year and once in its quarter.
CREATE OR REPLACE TEMP TABLE responses AS
WITH counted AS (
    SELECT gemeentecode, kanaal, einddatum, totaaloordeel, has_text(toelichting) AS review,
           verbetertip = 'ja' AS tip,
           CASE WHEN moeite IN ('weinig moeite', 'geen moeite') THEN 1
                WHEN moeite IN ('veel moeite', 'heel veel moeite') THEN -1
                WHEN moeite = 'neutraal' THEN 0 END AS moeite_richting
    FROM one2ten
    WHERE status = 'voltooid' AND einddatum IS NOT NULL
    UNION ALL
    SELECT gemeentecode, 'digitaal', einddatum, totaaloordeel, has_text(toelichting),
           verbetertip = 'ja',
           CASE WHEN moeite IN ('weinigmoeite', 'geenmoeite') THEN 1
                WHEN moeite IN ('veelmoeite', 'heelveelmoeite') THEN -1
                WHEN moeite = 'neutraal' THEN 0 END
    FROM openforms
)
SELECT counted.* EXCLUDE (einddatum), periode
FROM counted,
     unnest([CAST(year(einddatum) AS VARCHAR),
             year(einddatum) || '-Q' || quarter(einddatum)]) AS p(periode);

-- Inviter log: each invitation once (its latest version decides its status), per period.
CREATE OR REPLACE TEMP TABLE invitations AS
WITH rows AS (
    SELECT
        filename,
        trim("Gemeentecode") AS gemeentecode,
        lower(trim("Kanaal")) AS kanaal,
        try_strptime(trim("Verzonden op"), '%d-%m-%Y %H:%M') AS verzonden_op,
        "E-mailadres" AS adres,
        lower(trim("Status")) AS status
    FROM read_csv(getvariable('landing') || '/inviter/*.csv', delim = ';', quote = '"',
                  escape = '"', header = true, all_varchar = true, union_by_name = true,
                  filename = true)
),
latest AS (
    SELECT rows.*
    FROM rows JOIN file_times USING (filename)
    WHERE regexp_full_match(gemeentecode, 'GM[0-9]{4}')
      AND kanaal IN ('balie', 'telefoon')
      AND verzonden_op IS NOT NULL
      AND status IN ('verzonden', 'bounce')
    QUALIFY row_number() OVER (
        PARTITION BY gemeentecode, kanaal, verzonden_op, adres
        ORDER BY last_modified DESC, filename DESC) = 1
)
SELECT gemeentecode, kanaal, periode, count_if(status = 'verzonden') AS uitnodigingen
FROM latest,
     unnest([CAST(year(verzonden_op) AS VARCHAR),
             year(verzonden_op) || '-Q' || quarter(verzonden_op)]) AS p(periode)
GROUP BY ALL;

-- Per cell: counts and each figure as an integer fraction (teller / n).
CREATE OR REPLACE TEMP TABLE cell_sums AS
SELECT
    gemeentecode, kanaal, periode,
    count(*) AS respons,
    count_if(review) AS reviews,
    count_if(tip) AS verbetertips,
    sum(totaaloordeel) AS totaal_teller,
    count(totaaloordeel) AS totaal_n,
    100 * sum(moeite_richting) AS ces_teller,
    count(moeite_richting) AS ces_n
FROM responses
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE cell_figures AS
SELECT
    *,
    CASE WHEN totaal_n >= getvariable('min_n') THEN totaal_teller / totaal_n END
        AS totaaloordeel_exact,
    CASE WHEN totaal_n >= getvariable('min_n')
        THEN CAST(round_scaled(totaal_teller, totaal_n, 1) AS DECIMAL(4, 0)) / 10 END
        AS totaaloordeel,
    CASE WHEN ces_n >= getvariable('min_n') THEN ces_teller / ces_n END AS ces_exact,
    CASE WHEN ces_n >= getvariable('min_n')
        THEN CAST(round_scaled(ces_teller, ces_n, 0) AS INTEGER) END AS ces
FROM cell_sums;

-- BM (gemeenten): per kanaal and periode, the mean of the unsuppressed exact values.
CREATE OR REPLACE TEMP TABLE benchmarks AS
SELECT kanaal, periode,
       round_double(avg(totaaloordeel_exact), 1) AS totaaloordeel_bm,
       CAST(round_double(avg(ces_exact), 0) AS INTEGER) AS ces_bm
FROM cell_figures
GROUP BY ALL;

CREATE OR REPLACE TABLE floor_cel AS
SELECT
    c.gemeentecode, c.kanaal, c.periode,
    c.respons, c.reviews, c.verbetertips,
    i.uitnodigingen,
    c.totaaloordeel, c.totaaloordeel_exact, c.totaal_n AS totaaloordeel_n,
    CAST(b.totaaloordeel_bm AS DECIMAL(3, 1)) AS totaaloordeel_bm,
    c.ces, c.ces_exact, c.ces_n, b.ces_bm
FROM cell_figures AS c
JOIN benchmarks AS b USING (kanaal, periode)
LEFT JOIN invitations AS i USING (gemeentecode, kanaal, periode)
ORDER BY c.gemeentecode, c.kanaal, c.periode;
