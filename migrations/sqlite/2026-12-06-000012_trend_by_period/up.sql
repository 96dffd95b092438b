-- The trend's changes keyed by period first: a trend reads the periods from its first one
-- on, for every unit, and with the unit first that range was a scan of the whole table
-- (2.5 million day rows at 20 million records). Period first, it is a range; and a write,
-- whose records mostly share recent days, touches neighbouring rows.
CREATE TABLE trend_days_by_day (
    unit TEXT NOT NULL,
    day BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (day, unit, combo)
) WITHOUT ROWID;
INSERT INTO trend_days_by_day (unit, day, combo, patients)
    SELECT unit, day, combo, patients FROM trend_days;
DROP TABLE trend_days;
ALTER TABLE trend_days_by_day RENAME TO trend_days;

CREATE TABLE trend_months_by_month (
    unit TEXT NOT NULL,
    month BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (month, unit, combo)
) WITHOUT ROWID;
INSERT INTO trend_months_by_month (unit, month, combo, patients)
    SELECT unit, month, combo, patients FROM trend_months;
DROP TABLE trend_months;
ALTER TABLE trend_months_by_month RENAME TO trend_months;
