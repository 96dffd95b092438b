-- Breakdowns beyond unit (`group_by=unit|source|reported_by` on the completeness report and
-- the trend, `reported_by=` on the drill-down). Each current state keeps who reported its
-- patient's race and ethnicity (`reported_by`: `self`, `caregiver`, `staff_observed`,
-- `unknown`, `mixed` when the two differ, `not_recorded` when neither says; `''` for a
-- state stored before this migration, until `real-dq revalidate`), and the kept counts are
-- keyed by source and reporter as well as by unit: the report and the trend of any of the
-- three read the same rows, and a write still adds one row per group it changes.
ALTER TABLE current_state ADD COLUMN reported_by TEXT NOT NULL DEFAULT '';

CREATE TABLE report_counts_grouped (
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    reported_by TEXT NOT NULL,
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
    PRIMARY KEY (unit, source, reported_by, real_complete, race, ethnicity, language,
                 interpreter, caregivers, caregiver_language, optional_domains, profile)
) WITHOUT ROWID;
INSERT INTO report_counts_grouped (unit, source, reported_by, real_complete, race,
        ethnicity, language, interpreter, caregivers, caregiver_language, optional_domains,
        profile, patients)
    SELECT unit, source, reported_by, real_complete, race, ethnicity, language, interpreter,
           caregivers, caregiver_language, optional_domains, profile, count(*)
    FROM current_state
    GROUP BY unit, source, reported_by, real_complete, race, ethnicity, language,
             interpreter, caregivers, caregiver_language, optional_domains, profile;
DROP TABLE report_counts;
ALTER TABLE report_counts_grouped RENAME TO report_counts;

CREATE TABLE rule_counts_grouped (
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    rule TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, source, reported_by, rule)
) WITHOUT ROWID;
-- `rules` is space-separated rule IDs (upper-case letters, digits and underscores).
INSERT INTO rule_counts_grouped (unit, source, reported_by, rule, patients)
    SELECT s.unit, s.source, s.reported_by, r.value, count(*)
    FROM current_state AS s,
         json_each('["' || replace(s.rules, ' ', '","') || '"]') AS r
    WHERE s.rules <> ''
    GROUP BY s.unit, s.source, s.reported_by, r.value;
DROP TABLE rule_counts;
ALTER TABLE rule_counts_grouped RENAME TO rule_counts;

-- The trend's changes by source too. Past changes cannot be split by source here (each
-- key's timeline is a compact binary column): the tables start empty and the service
-- recounts them from the timelines when it starts (`store::trend::rebuild`), as a row of
-- `pending_rebuilds` asks.
DROP TABLE trend_days;
DROP TABLE trend_months;
CREATE TABLE trend_days (
    day BIGINT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (day, unit, source, combo)
) WITHOUT ROWID;
CREATE TABLE trend_months (
    month BIGINT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (month, unit, source, combo)
) WITHOUT ROWID;

CREATE TABLE pending_rebuilds (
    name TEXT NOT NULL PRIMARY KEY
);
INSERT INTO pending_rebuilds (name) SELECT 'trend' WHERE EXISTS (SELECT 1 FROM current_state);
