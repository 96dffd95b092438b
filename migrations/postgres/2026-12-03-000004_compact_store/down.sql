-- Back to text hashes and bodies. Compressed bodies and results cannot be decompressed in
-- SQL: run this only on a store written before compression (or restore a backup).
DROP TABLE rule_counts;
DROP TABLE report_counts;
CREATE INDEX current_state_report ON current_state (
    unit, real_complete, race, ethnicity, language, interpreter, caregivers,
    caregiver_language, optional_domains, profile, recorded_at
);
DROP INDEX records_content;
ALTER TABLE records
    ALTER COLUMN content_hash TYPE TEXT USING encode(content_hash, 'hex'),
    ALTER COLUMN body TYPE TEXT USING convert_from(body, 'UTF8'),
    ALTER COLUMN result TYPE TEXT USING convert_from(result, 'UTF8');
CREATE UNIQUE INDEX records_content ON records (content_hash);
