DROP TABLE current_findings;
DROP TABLE current_state;
DROP TABLE records;
