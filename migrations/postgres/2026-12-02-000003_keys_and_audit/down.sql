DROP TABLE audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
DROP TABLE api_keys;
