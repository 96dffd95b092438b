-- A compact store that stays fast as it grows; see the SQLite migration of the same name
-- and docs/performance.md, "What a record costs on disk".
DROP INDEX records_content;
ALTER TABLE records
    ALTER COLUMN content_hash TYPE BYTEA USING substring(decode(content_hash, 'hex') FROM 1 FOR 16),
    ALTER COLUMN body TYPE BYTEA USING convert_to(body, 'UTF8'),
    ALTER COLUMN result TYPE BYTEA USING convert_to(result, 'UTF8');
-- Compressed already: PostgreSQL's own compression would only spend time.
ALTER TABLE records ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE records ALTER COLUMN result SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX records_content ON records (recorded_at, content_hash);

DROP INDEX current_state_report;

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
);
INSERT INTO report_counts
    SELECT unit, real_complete, race, ethnicity, language, interpreter, caregivers,
           caregiver_language, optional_domains, profile, count(*)
    FROM current_state
    GROUP BY unit, real_complete, race, ethnicity, language, interpreter, caregivers,
             caregiver_language, optional_domains, profile;

CREATE TABLE rule_counts (
    unit TEXT NOT NULL,
    rule TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, rule)
);
INSERT INTO rule_counts
    SELECT unit, rule, count(*) FROM current_findings GROUP BY unit, rule;
