-- Back to one history table.
DROP FUNCTION realdq_purge_history(BIGINT);
ALTER TABLE records RENAME TO records_partitioned;
ALTER INDEX records_content RENAME TO records_partitioned_content;
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    content_hash BYTEA NOT NULL,
    body BYTEA NOT NULL,
    result BYTEA NOT NULL,
    status TEXT NOT NULL,
    profile TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
ALTER TABLE records ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE records ALTER COLUMN result SET STORAGE EXTERNAL;
INSERT INTO records SELECT id, source, patient_id, unit, recorded_at, content_hash, body,
                           result, status, profile, received_at
    FROM records_partitioned;
DROP TABLE records_partitioned;
DROP FUNCTION realdq_history_partitions(BIGINT[]);
CREATE UNIQUE INDEX records_content ON records (recorded_at, content_hash);
