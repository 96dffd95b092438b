-- The distribution of answers (`GET /v1/reports/distribution`): each current state keeps
-- what its patient's race, ethnicity and language answers were (`answers`, space-separated,
-- see `pipeline::answers`: `*`, then `race:2106-3`, `race:2131-1`, `race:multiple`,
-- `ethnicity:2135-2`, `language:es`, or a domain's status such as `race:declined`), and
-- `answer_counts` counts them by unit, kept up to date in the writing transaction as
-- `rule_counts` is. States stored before this migration have none (`''`):
-- `real-dq revalidate` fills them in.
ALTER TABLE current_state ADD COLUMN answers TEXT NOT NULL DEFAULT '';

CREATE TABLE answer_counts (
    unit TEXT NOT NULL,
    answer TEXT NOT NULL,
    patients BIGINT NOT NULL,
    PRIMARY KEY (unit, answer)
);
