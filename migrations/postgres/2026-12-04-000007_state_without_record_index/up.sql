-- The current state's `record_id` index moved a patient's entry from the old record's place
-- (anywhere in time) to the end on every replacement: a second page written at random per
-- record, most of the ingest rate's decay as the patients grew to millions (see
-- docs/performance.md, "The `record_id` index is most of it"). The work list now pages in
-- primary-key order, and re-validation finds a state by its key.
DROP INDEX current_state_record;
