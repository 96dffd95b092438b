CREATE TABLE current_findings (
    rule TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (rule, unit, recorded_at, record_id)
);
INSERT INTO current_findings
    SELECT rule, unit, recorded_at, record_id
    FROM current_state, unnest(string_to_array(rules, ' ')) AS rule
    WHERE rule <> '';
