-- Findings over time (`GET /v1/reports/diff`, store/findings.rs): per unit and rule, each
-- day's and each month's net change in patients with the finding (`net`), and the
-- findings open now by the day they started (`open_now`). Kept up to date in the
-- writing transaction from each key's timeline, which now keeps each version's rules too.
-- A store from before is counted when the service starts (`pending_rebuilds`): its
-- timelines know the rules of their current versions only, so its findings count from
-- the day of each patient's current record.
CREATE TABLE finding_days (
    day BIGINT NOT NULL,
    unit TEXT NOT NULL,
    rule TEXT NOT NULL,
    net BIGINT NOT NULL,
    open_now BIGINT NOT NULL,
    PRIMARY KEY (day, unit, rule)
) WITHOUT ROWID;
CREATE TABLE finding_months (
    month BIGINT NOT NULL,
    unit TEXT NOT NULL,
    rule TEXT NOT NULL,
    net BIGINT NOT NULL,
    open_now BIGINT NOT NULL,
    PRIMARY KEY (month, unit, rule)
) WITHOUT ROWID;
INSERT INTO pending_rebuilds (name)
    SELECT 'findings' WHERE EXISTS (SELECT 1 FROM current_state)
    ON CONFLICT (name) DO NOTHING;
