-- Alerts (`GET /v1/alerts`, src/alerts/): the unit and domain pairs whose completeness is
-- below their warn or fail threshold, and the webhook events still to deliver.
--
-- `alert_state` holds one row per pair below a threshold, as last judged by the alert
-- watcher: a pair back at `pass` has no row. Every change is a conditional write (the
-- level it replaces is in its WHERE clause), so that two watchers (two instances on one
-- database) never announce the same crossing twice.
CREATE TABLE alert_state (
    unit TEXT NOT NULL,
    domain TEXT NOT NULL,                  -- a report domain, or real_complete
    level TEXT NOT NULL,                   -- warn or fail
    since BIGINT NOT NULL,                 -- when the pair went below warn (microseconds)
    level_since BIGINT NOT NULL,           -- when it reached this level (microseconds)
    PRIMARY KEY (unit, domain)
);

-- The webhook's outbox: an event is written in the transaction that changes the state it
-- announces, and deleted once the receiver answered 2xx; delivered oldest first.
CREATE TABLE alert_events (
    id TEXT NOT NULL PRIMARY KEY,          -- UUID v7: ordered by creation
    created_at BIGINT NOT NULL,
    event TEXT NOT NULL,                   -- the JSON body sent (counts only, no PHI)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL
);
