-- Back to text hashes and bodies. Compressed bodies and results cannot be decompressed in
-- SQL: run this only on a store written before compression (or restore a backup).
DROP TABLE rule_counts;
DROP TABLE report_counts;
CREATE INDEX current_state_report ON current_state (
    unit, real_complete, race, ethnicity, language, interpreter, caregivers,
    caregiver_language, optional_domains, profile, recorded_at
);
CREATE TABLE records_text (
    id TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    result TEXT NOT NULL,
    status TEXT NOT NULL,
    profile TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
INSERT INTO records_text
    SELECT id, source, patient_id, unit, recorded_at, lower(hex(content_hash)),
           CAST(body AS TEXT), CAST(result AS TEXT), status, profile, received_at
    FROM records;
DROP TABLE records;
ALTER TABLE records_text RENAME TO records;
CREATE UNIQUE INDEX records_content ON records (content_hash);
