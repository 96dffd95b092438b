DROP TABLE trend_months;
DROP TABLE trend_days;
ALTER TABLE current_state DROP COLUMN versions;
