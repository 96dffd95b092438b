-- Completeness over time (`GET /v1/reports/trend`, store/trend.rs): each day's and each
-- month's net change in patients by unit and combination of statuses ("combo", coded as in
-- store/trend.rs: `1` or `0` for REaL complete, the first letter of each core domain's
-- status, then the optional domains' `domain:status` pairs). The state as of any day is
-- the current counts minus the changes since: a trend reads a few rows per unit, combo
-- and period, never the history. Kept up to date in the writing transaction.
--
-- `current_state.versions` is each key's timeline (when each of its versions took effect,
-- and its statuses), so that a record posted late with an older `recorded_at` changes the
-- past days it belongs to: between the version before it and the one after. Empty for
-- the states of a store older than this migration: their one known version is the
-- current state.
ALTER TABLE current_state ADD COLUMN versions BLOB NOT NULL DEFAULT x'';

CREATE TABLE trend_days (
    unit TEXT NOT NULL,
    day BIGINT NOT NULL,                   -- days since 1970-01-01 (UTC) of recorded_at
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,              -- net change on that day
    PRIMARY KEY (unit, day, combo)
) WITHOUT ROWID;

CREATE TABLE trend_months (
    unit TEXT NOT NULL,
    month BIGINT NOT NULL,                 -- months since 1970-01 (UTC) of recorded_at
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,              -- net change in that month
    PRIMARY KEY (unit, month, combo)
) WITHOUT ROWID;

-- A store from before: each current state counted from its own day.
CREATE TEMP TABLE trend_seed AS
    SELECT unit,
           (recorded_at - (((recorded_at % 86400000000) + 86400000000) % 86400000000))
               / 86400000000 AS day,
           (CASE WHEN real_complete THEN '1' ELSE '0' END) || substr(race, 1, 1)
               || substr(ethnicity, 1, 1) || substr(language, 1, 1)
               || substr(interpreter, 1, 1) || substr(caregivers, 1, 1)
               || substr(caregiver_language, 1, 1)
               || (CASE WHEN optional_domains = '' THEN '' ELSE ' ' || optional_domains END)
               AS combo
    FROM current_state;
INSERT INTO trend_days (unit, day, combo, patients)
    SELECT unit, day, combo, count(*) FROM trend_seed GROUP BY unit, day, combo;
INSERT INTO trend_months (unit, month, combo, patients)
    SELECT unit,
           (CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) - 1970) * 12
               + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1 AS month,
           combo, count(*)
    FROM trend_seed GROUP BY 1, 2, 3;
DROP TABLE trend_seed;
