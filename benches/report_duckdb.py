"""The baseline `real-dq report` is measured against: what an analyst could do with DuckDB.

Reads an NDJSON extract of canonical records, keeps each (source, patient_id, unit)'s
newest record (first one on a tie), and counts per unit how many patients have each REaL
domain present. It judges nothing (no code sets, no rules, no statuses): it is a lower
bound on the work the real report does, not the same report.

    pip install duckdb
    /usr/bin/time -v python3 benches/report_duckdb.py /tmp/1m.ndjson
"""

import sys

import duckdb

QUERY = """
WITH lines AS (
    SELECT row_number() OVER () AS line, *
    FROM read_ndjson(?, format = 'newline_delimited', ignore_errors = true,
                     maximum_object_size = 262144,
                     columns = {
                         source: 'VARCHAR', patient_id: 'VARCHAR', unit: 'VARCHAR',
                         recorded_at: 'TIMESTAMPTZ', birth_date: 'VARCHAR',
                         race: 'JSON', ethnicity: 'JSON', language: 'JSON',
                         caregivers: 'JSON'
                     })
),
current AS (
    SELECT * FROM lines
    QUALIFY row_number() OVER (
        PARTITION BY source, patient_id, unit ORDER BY recorded_at DESC, line
    ) = 1
)
SELECT unit,
       count(*) AS patients,
       count(*) FILTER (WHERE json_array_length(race -> 'codes') > 0
                           OR race ->> 'null_flavor' = 'ASKU') AS race,
       count(*) FILTER (WHERE json_array_length(ethnicity -> 'codes') > 0
                           OR ethnicity ->> 'null_flavor' = 'ASKU') AS ethnicity,
       count(*) FILTER (WHERE language ->> 'preferred' IS NOT NULL) AS language,
       count(*) FILTER (WHERE language ->> 'interpreter_needed' IS NOT NULL) AS interpreter,
       count(*) FILTER (WHERE json_array_length(caregivers) > 0) AS caregivers
FROM current
GROUP BY unit
ORDER BY unit
"""


def main() -> None:
    path = sys.argv[1]
    connection = duckdb.connect()
    for row in connection.execute(QUERY, [path]).fetchall():
        print(",".join(str(value) for value in row))


if __name__ == "__main__":
    main()
