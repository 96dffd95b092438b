-- The profile (name@version) each current record was validated with, so reports can show
-- what `real-dq revalidate` would change, and the optional PHEC domains' statuses
-- (sogi, disability, sdoh) as `domain:status` pairs, only those the profile requires.
ALTER TABLE current_state ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE current_state ADD COLUMN optional_domains TEXT NOT NULL DEFAULT '';
UPDATE current_state SET profile = (SELECT records.profile FROM records WHERE records.id = current_state.record_id);
DROP INDEX current_state_report;
CREATE INDEX current_state_report ON current_state (
    unit, real_complete, race, ethnicity, language, interpreter, caregivers,
    caregiver_language, optional_domains, profile, recorded_at
);
