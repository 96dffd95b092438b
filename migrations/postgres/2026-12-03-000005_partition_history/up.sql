-- History range-partitioned by month of `recorded_at` (PostgreSQL only): retention drops
-- whole partitions instead of deleting rows one by one, and each month's indexes stay the
-- size of a month. Partitions are created as records arrive, by
-- `realdq_history_partitions` (called by the write path before its transaction), and
-- dropped by `realdq_purge_history`. See docs/deployment.md, "Retention".
--
-- A partitioned table's unique keys include the partition key: the primary key becomes
-- (recorded_at, id); look-ups by ID alone use `records_id`.
ALTER TABLE records RENAME TO records_unpartitioned;
ALTER TABLE records_unpartitioned RENAME CONSTRAINT records_pkey TO records_unpartitioned_pkey;
ALTER INDEX records_content RENAME TO records_unpartitioned_content;

CREATE TABLE records (
    id TEXT NOT NULL,                      -- UUID v7 (time-ordered)
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,           -- microseconds since the Unix epoch, UTC
    content_hash BYTEA NOT NULL,           -- first 16 bytes of the canonical record's SHA-256
    body BYTEA NOT NULL,                   -- canonical record JSON, compressed
    result BYTEA NOT NULL,                 -- validation result JSON, compressed
    status TEXT NOT NULL,
    profile TEXT NOT NULL,                 -- name@version it was validated with
    received_at BIGINT NOT NULL,
    PRIMARY KEY (recorded_at, id)
) PARTITION BY RANGE (recorded_at);
-- Compressed already: PostgreSQL's own compression would only spend time.
ALTER TABLE records ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE records ALTER COLUMN result SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX records_content ON records (recorded_at, content_hash);
CREATE INDEX records_id ON records (id);

-- The partition of each month among `instants` (microseconds since the epoch), created if
-- missing; how many were created. Concurrent callers serialise on an advisory lock only
-- when one is missing.
CREATE FUNCTION realdq_history_partitions(instants BIGINT[]) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    month TIMESTAMP;
    name TEXT;
    created INTEGER := 0;
BEGIN
    FOR month IN
        SELECT DISTINCT date_trunc('month', to_timestamp(i / 1000000.0) AT TIME ZONE 'UTC')
        FROM unnest(instants) AS i
    LOOP
        name := 'records_' || to_char(month, 'YYYY_MM');
        IF to_regclass(name) IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext('realdq_history_partitions'));
            IF to_regclass(name) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF records FOR VALUES FROM (%s) TO (%s)',
                    name,
                    (extract(epoch FROM month AT TIME ZONE 'UTC') * 1000000)::BIGINT,
                    (extract(epoch FROM (month + interval '1 month') AT TIME ZONE 'UTC')
                        * 1000000)::BIGINT);
                created := created + 1;
            END IF;
        END IF;
    END LOOP;
    RETURN created;
END $$;

-- Removes the history recorded before `before` that is no longer a current state; how many
-- rows. Months wholly before `before` are dropped as partitions (their rows that are still
-- current are kept aside and put back first); the month `before` falls in loses its rows
-- one by one.
CREATE FUNCTION realdq_purge_history(before BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    part RECORD;
    whole BIGINT := 0;
    kept BIGINT;
    removed BIGINT;
    cut BIGINT := (extract(epoch FROM date_trunc('month', to_timestamp(before / 1000000.0)
        AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000000)::BIGINT;
BEGIN
    CREATE TEMP TABLE realdq_kept ON COMMIT DROP AS
        SELECT r.* FROM current_state s
        JOIN records r ON r.recorded_at = s.recorded_at AND r.id = s.record_id
        WHERE s.recorded_at < cut;
    GET DIAGNOSTICS kept = ROW_COUNT;
    FOR part IN
        SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'records'::regclass
          AND c.relname ~ '^records_[0-9]{4}_[0-9]{2}$'
          AND (extract(epoch FROM (to_date(substr(c.relname, 9), 'YYYY_MM')::TIMESTAMP
                   + interval '1 month') AT TIME ZONE 'UTC') * 1000000)::BIGINT <= cut
    LOOP
        EXECUTE format('SELECT count(*) FROM %I', part.name) INTO removed;
        whole := whole + removed;
        EXECUTE format('DROP TABLE %I', part.name);
    END LOOP;
    PERFORM realdq_history_partitions(ARRAY(SELECT recorded_at FROM realdq_kept));
    INSERT INTO records SELECT * FROM realdq_kept;
    DELETE FROM records r
    WHERE r.recorded_at >= cut AND r.recorded_at < before
      AND NOT EXISTS (SELECT 1 FROM current_state s WHERE s.record_id = r.id);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN whole - kept + removed;
END $$;

SELECT realdq_history_partitions(ARRAY(SELECT DISTINCT recorded_at FROM records_unpartitioned));
INSERT INTO records (id, source, patient_id, unit, recorded_at, content_hash, body, result,
                     status, profile, received_at)
    SELECT id, source, patient_id, unit, recorded_at, content_hash, body, result, status,
           profile, received_at
    FROM records_unpartitioned;
DROP TABLE records_unpartitioned;
