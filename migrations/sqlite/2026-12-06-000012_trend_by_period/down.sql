CREATE TABLE trend_days_by_unit (
    unit TEXT NOT NULL,
    day BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, day, combo)
) WITHOUT ROWID;
INSERT INTO trend_days_by_unit (unit, day, combo, patients)
    SELECT unit, day, combo, patients FROM trend_days;
DROP TABLE trend_days;
ALTER TABLE trend_days_by_unit RENAME TO trend_days;

CREATE TABLE trend_months_by_unit (
    unit TEXT NOT NULL,
    month BIGINT NOT NULL,
    combo TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, month, combo)
) WITHOUT ROWID;
INSERT INTO trend_months_by_unit (unit, month, combo, patients)
    SELECT unit, month, combo, patients FROM trend_months;
DROP TABLE trend_months;
ALTER TABLE trend_months_by_unit RENAME TO trend_months;
