-- The rules fired on each current record are kept on its current state only
-- (`current_state.rules`), no longer also as rows of `current_findings`. That table was
-- keyed by rule and unit, so a chunk of records wrote to a page per (rule, unit) pair, and
-- with a few hundred units those pages outgrew the cache: every commit rewrote thousands of
-- scattered pages. The report's rule counts are kept in `rule_counts`; the work list's rule
-- filter and the report with a window read `current_state.rules`.
DROP TABLE current_findings;
