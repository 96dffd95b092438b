CREATE TABLE current_findings (
    rule TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (rule, unit, recorded_at, record_id)
) WITHOUT ROWID;
INSERT INTO current_findings
    WITH RECURSIVE split(rule, rest, unit, recorded_at, record_id) AS (
        SELECT '', rules || ' ', unit, recorded_at, record_id FROM current_state
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1),
               unit, recorded_at, record_id
        FROM split WHERE rest <> ''
    )
    SELECT rule, unit, recorded_at, record_id FROM split WHERE rule <> '';
