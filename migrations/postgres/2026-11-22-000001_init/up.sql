-- Every record ever accepted (history), with the result it was validated to.
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,          -- UUID v7 (time-ordered)
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,           -- microseconds since the Unix epoch, UTC
    content_hash TEXT NOT NULL,            -- SHA-256 of the canonical record: idempotency
    body TEXT NOT NULL,                    -- canonical record JSON
    result TEXT NOT NULL,                  -- validation result JSON
    status TEXT NOT NULL,
    profile TEXT NOT NULL,                 -- name@version it was validated with
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX records_identity_content ON records (source, patient_id, unit, content_hash);

-- The current state of each (source, patient_id, unit): the record with the newest recorded_at.
CREATE TABLE current_state (
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    record_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    real_complete BOOLEAN NOT NULL,
    PRIMARY KEY (source, patient_id, unit)
);
CREATE UNIQUE INDEX current_state_record ON current_state (record_id);
CREATE INDEX current_state_unit ON current_state (unit, recorded_at);

-- Domain statuses of the current records (one row per domain): the completeness report.
CREATE TABLE current_domains (
    record_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    domain TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (record_id, domain)
);
CREATE INDEX current_domains_unit ON current_domains (unit, recorded_at);

-- Rules that fired on the current records (once per record and rule): top rules, work lists.
CREATE TABLE current_findings (
    record_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (record_id, rule)
);
CREATE INDEX current_findings_rule ON current_findings (rule, record_id);
CREATE INDEX current_findings_unit ON current_findings (unit, recorded_at);
