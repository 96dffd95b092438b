-- Going back loses the trend's changes: the earlier version cannot recount them.
DROP TABLE pending_rebuilds;
DROP TABLE trend_days;
DROP TABLE trend_months;
CREATE TABLE trend_days (
    unit TEXT NOT NULL,
    day BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (day, unit, combo)
) WITHOUT ROWID;
CREATE TABLE trend_months (
    unit TEXT NOT NULL,
    month BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (month, unit, combo)
) WITHOUT ROWID;
CREATE TABLE rule_counts_unit (
    unit TEXT NOT NULL,
    rule TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, rule)
) WITHOUT ROWID;
INSERT INTO rule_counts_unit SELECT unit, rule, sum(patients) FROM rule_counts GROUP BY unit, rule;
DROP TABLE rule_counts;
ALTER TABLE rule_counts_unit RENAME TO rule_counts;
CREATE TABLE report_counts_unit (
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
INSERT INTO report_counts_unit
    SELECT unit, real_complete, race, ethnicity, language, interpreter, caregivers,
           caregiver_language, optional_domains, profile, sum(patients)
    FROM report_counts
    GROUP BY unit, real_complete, race, ethnicity, language, interpreter, caregivers,
             caregiver_language, optional_domains, profile;
DROP TABLE report_counts;
ALTER TABLE report_counts_unit RENAME TO report_counts;
ALTER TABLE current_state DROP COLUMN reported_by;
