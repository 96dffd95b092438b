DROP INDEX current_state_report;
CREATE INDEX current_state_report ON current_state (
    unit, real_complete, race, ethnicity, language, interpreter, caregivers,
    caregiver_language, recorded_at
);
ALTER TABLE current_state DROP COLUMN optional_domains;
ALTER TABLE current_state DROP COLUMN profile;
