DROP TABLE answer_counts;
ALTER TABLE current_state DROP COLUMN answers;
