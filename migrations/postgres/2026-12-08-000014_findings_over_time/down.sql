DELETE FROM pending_rebuilds WHERE name = 'findings';
DROP TABLE finding_months;
DROP TABLE finding_days;
