-- A compact store that stays fast as it grows (see docs/performance.md, "What a record
-- costs on disk"):
-- * content hashes are 16 binary bytes (the first half of SHA-256), not 64 hex characters;
-- * bodies and results are zstd frames against a trained dictionary (rows from before stay
--   plain JSON, which the reader recognises by its leading `{`);
-- * the idempotency index is keyed by (recorded_at, content_hash): an identical record has
--   the same recorded_at, and a feed arrives roughly in recorded_at order, so inserts go to
--   the index's end instead of a random place in it (a random hash first made every chunk
--   rewrite pages all over a growing index);
-- * the completeness report reads per-unit counts kept up to date in the writing
--   transaction, not the current states: its cost follows units, not patients.
CREATE TABLE records_compact (
    id TEXT PRIMARY KEY NOT NULL,          -- UUID v7 (time-ordered)
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,           -- microseconds since the Unix epoch, UTC
    content_hash BLOB NOT NULL,            -- first 16 bytes of the canonical record's SHA-256
    body BLOB NOT NULL,                    -- canonical record JSON, compressed
    result BLOB NOT NULL,                  -- validation result JSON, compressed
    status TEXT NOT NULL,
    profile TEXT NOT NULL,                 -- name@version it was validated with
    received_at BIGINT NOT NULL
);
INSERT INTO records_compact
    SELECT id, source, patient_id, unit, recorded_at, substr(unhex(content_hash), 1, 16),
           CAST(body AS BLOB), CAST(result AS BLOB), status, profile, received_at
    FROM records ORDER BY id;
DROP TABLE records;
ALTER TABLE records_compact RENAME TO records;
CREATE UNIQUE INDEX records_content ON records (recorded_at, content_hash);

DROP INDEX current_state_report;

-- Patients by unit and combination of statuses: what the completeness report adds up.
CREATE TABLE report_counts (
    unit TEXT NOT NULL,
    real_complete BOOLEAN NOT NULL,
    race TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    language TEXT NOT NULL,
    interpreter TEXT NOT NULL,
    caregivers TEXT NOT NULL,
    caregiver_language TEXT NOT NULL,
    optional_domains TEXT NOT NULL,
    profile TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, real_complete, race, ethnicity, language, interpreter, caregivers,
                 caregiver_language, optional_domains, profile)
) WITHOUT ROWID;
INSERT INTO report_counts
    SELECT unit, real_complete, race, ethnicity, language, interpreter, caregivers,
           caregiver_language, optional_domains, profile, count(*)
    FROM current_state
    GROUP BY unit, real_complete, race, ethnicity, language, interpreter, caregivers,
             caregiver_language, optional_domains, profile;

-- Current patients by unit and rule fired: the report's top rules.
CREATE TABLE rule_counts (
    unit TEXT NOT NULL,
    rule TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, rule)
) WITHOUT ROWID;
INSERT INTO rule_counts
    SELECT unit, rule, count(*) FROM current_findings GROUP BY unit, rule;
