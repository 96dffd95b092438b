-- API keys: only the SHA-256 of a key is stored, never the key.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,          -- UUID v7
    name TEXT NOT NULL UNIQUE,             -- who holds it; stays reserved after revocation
    role TEXT NOT NULL,                    -- ingest, feedback, report, admin
    units TEXT NOT NULL,                   -- JSON array of units; [] = every unit
    key_hash TEXT NOT NULL UNIQUE,         -- hex SHA-256 of the key
    created_at BIGINT NOT NULL,            -- microseconds since the Unix epoch, UTC
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);

-- Append-only audit log: who did what, when, to how many records (record UUIDs only,
-- never patient ids, birth dates or bodies). Keyed by time, so that a row costs a write
-- transaction one more index entry (one B-tree on SQLite) and time ranges are index scans.
CREATE TABLE audit_log (
    at BIGINT NOT NULL,                    -- microseconds since the Unix epoch, UTC
    id TEXT NOT NULL,                      -- UUID v7
    key_name TEXT,                         -- NULL: no key, or an unknown one
    role TEXT,
    action TEXT NOT NULL,                  -- FHIR AuditEvent action: C R U D E
    route TEXT NOT NULL,                   -- `POST /v1/records`, `MLLP`, `CLI purge`
    status INTEGER NOT NULL,               -- HTTP status (or its equivalent)
    units TEXT NOT NULL,                   -- units touched, space-separated
    record_count BIGINT NOT NULL,
    record_ids TEXT NOT NULL,              -- record UUIDs, space-separated
    peer TEXT,                             -- the client's address
    target TEXT,                           -- what a key change acted on: the key's name
    PRIMARY KEY (at, id)
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
