CREATE UNIQUE INDEX current_state_record ON current_state (record_id);
