"""Completeness by unit and domain, as a quality analyst would compute it with DuckDB.

Usage: analyst_duckdb.py CODESETS_DIR OUT.csv RECORDS.ndjson [MORE.ndjson ...]

Reads the NDJSON extract(s), keeps each patient's newest record per (source, patient_id,
unit), checks race and ethnicity codes against the CDC Race & Ethnicity code set and the
preferred language against the IANA language subtags (the code lists in data/codesets/),
and writes one row per unit and domain: patients, counts per status, and the rate
(complete + declined) / patients. That is three domains and value-set membership, not
real-dq's 70 rules: the peers do less work than real-dq does.
"""

import sys

import duckdb

codesets, out, *inputs = sys.argv[1:]
con = duckdb.connect()  # in memory, every core

# The valid codes, from the repository's own code lists.
con.execute(f"""
    CREATE TABLE valid AS
    SELECT kind AS domain, code FROM read_csv('{codesets}/cdcrec_concepts.csv', header = true)
    WHERE NOT abstract
    UNION ALL
    SELECT 'language', lower(Subtag)
    FROM read_json('{codesets}/iana-language-subtag-registry.json', format = 'array')
    WHERE Type = 'language'
""")

# The records: only the fields the report needs, typed; the newest per patient and unit.
coded = "STRUCT(codes STRUCT(code VARCHAR)[], null_flavor VARCHAR)"
con.execute(f"""
    CREATE TABLE current AS
    SELECT row_number() OVER () AS id, * FROM read_json({inputs!r},
        format = 'newline_delimited', columns = {{
            source: 'VARCHAR', patient_id: 'VARCHAR', unit: 'VARCHAR',
            recorded_at: 'TIMESTAMPTZ', race: '{coded}', ethnicity: '{coded}',
            language: 'STRUCT(preferred VARCHAR, null_flavor VARCHAR)'}})
    QUALIFY row_number() OVER (PARTITION BY source, patient_id, unit
                               ORDER BY recorded_at DESC) = 1
""")

# Every code given, one row each, and whether it is in its value set.
con.execute("""
    CREATE TABLE checked AS
    WITH given AS (
        SELECT id, 'race' AS domain, unnest(race.codes).code AS code FROM current
        UNION ALL
        SELECT id, 'ethnicity', unnest(ethnicity.codes).code FROM current
        UNION ALL
        SELECT id, 'language', lower(split_part(language.preferred, '-', 1))
        FROM current WHERE language.preferred IS NOT NULL)
    SELECT id, domain, bool_and(valid.code IS NOT NULL) AS all_valid
    FROM given LEFT JOIN valid USING (domain, code)
    GROUP BY id, domain
""")


def status(domain):
    """A domain's status: a null flavor, nothing given, or codes all in the set or not."""
    return f"""CASE
        WHEN {domain}.null_flavor = 'ASKU' THEN 'declined'
        WHEN {domain}.null_flavor = 'NASK' THEN 'not_asked'
        WHEN {domain}.null_flavor IS NOT NULL THEN 'unknown'
        WHEN {domain}_checked.all_valid IS NULL THEN 'missing'
        WHEN {domain}_checked.all_valid THEN 'complete'
        ELSE 'invalid' END"""


con.execute(f"""
    COPY (
        WITH statuses AS (
            SELECT unit, {status('race')} AS race, {status('ethnicity')} AS ethnicity,
                   {status('language')} AS language
            FROM current
            LEFT JOIN checked race_checked
                ON race_checked.id = current.id AND race_checked.domain = 'race'
            LEFT JOIN checked ethnicity_checked
                ON ethnicity_checked.id = current.id AND ethnicity_checked.domain = 'ethnicity'
            LEFT JOIN checked language_checked
                ON language_checked.id = current.id AND language_checked.domain = 'language'),
        long AS (UNPIVOT statuses ON race, ethnicity, language INTO NAME domain VALUE status)
        SELECT unit, domain, count(*) AS patients,
               count(*) FILTER (status = 'complete') AS complete,
               count(*) FILTER (status = 'declined') AS declined,
               count(*) FILTER (status = 'unknown') AS unknown,
               count(*) FILTER (status = 'not_asked') AS not_asked,
               count(*) FILTER (status = 'missing') AS missing,
               count(*) FILTER (status = 'invalid') AS invalid,
               (complete + declined) / patients AS rate
        FROM long GROUP BY unit, domain ORDER BY unit, domain
    ) TO '{out}' (HEADER)
""")
