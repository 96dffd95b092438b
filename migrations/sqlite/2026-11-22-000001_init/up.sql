-- Every record ever accepted (history), with the result it was validated to.
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,          -- UUID v7 (time-ordered)
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,           -- microseconds since the Unix epoch, UTC
    content_hash TEXT NOT NULL,            -- SHA-256 of the canonical record (identity included)
    body TEXT NOT NULL,                    -- canonical record JSON
    result TEXT NOT NULL,                  -- validation result JSON
    status TEXT NOT NULL,
    profile TEXT NOT NULL,                 -- name@version it was validated with
    received_at BIGINT NOT NULL
);
-- Idempotency: the canonical record names its source, patient and unit, so its hash alone
-- identifies "the same record for the same patient in the same unit".
CREATE UNIQUE INDEX records_content ON records (content_hash);

-- The current state of each (source, patient_id, unit): the record with the newest recorded_at.
CREATE TABLE current_state (
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    record_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    real_complete BOOLEAN NOT NULL,
    -- Domain statuses (complete, declined, unknown, not_asked, missing, invalid).
    race TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    language TEXT NOT NULL,
    interpreter TEXT NOT NULL,
    caregivers TEXT NOT NULL,
    caregiver_language TEXT NOT NULL,
    rules TEXT NOT NULL,                   -- the rules fired, space-separated (see current_findings)
    PRIMARY KEY (source, patient_id, unit)
) WITHOUT ROWID;
CREATE UNIQUE INDEX current_state_record ON current_state (record_id);
-- The completeness report scans this covering index in group order, never the rows.
CREATE INDEX current_state_report ON current_state (
    unit, real_complete, race, ethnicity, language, interpreter, caregivers,
    caregiver_language, recorded_at
);

-- Rules that fired on the current records (once per record and rule): top rules by unit,
-- work lists by rule. Keyed for those reads; a replaced record's rows are deleted by their
-- full key, which `current_state.rules` gives.
CREATE TABLE current_findings (
    rule TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (rule, unit, recorded_at, record_id)
) WITHOUT ROWID;
