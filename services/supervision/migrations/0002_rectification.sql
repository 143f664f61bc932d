-- Rectification tasks opened from findings (责任到人、具体到事). The target columns
-- are the inspection's, copied so that reads are scoped on the task row alone;
-- escalated_to is the office above the follow-up office, whose queue an overdue task
-- is in.
CREATE TABLE rectification_tasks (
    id                  TEXT PRIMARY KEY,
    inspection_id       TEXT NOT NULL REFERENCES inspections (id),
    -- 1-based
    finding_index       BIGINT NOT NULL,
    description         TEXT NOT NULL,
    responsible_person  TEXT NOT NULL,
    due_date            TEXT NOT NULL,
    follow_up_office    TEXT NOT NULL,
    follow_up_region    TEXT NOT NULL,
    follow_up_city      TEXT NOT NULL,
    escalated_to        TEXT NOT NULL,
    target              TEXT NOT NULL,
    target_display_name TEXT NOT NULL,
    target_region       TEXT NOT NULL,
    target_city         TEXT NOT NULL,
    target_unit         TEXT,
    target_helper_unit  TEXT,
    target_direct       BIGINT NOT NULL,
    -- open, closed
    state               TEXT NOT NULL,
    -- JSON list of {kind, note, evidence, actor, at}
    history             TEXT NOT NULL,
    opened_by           TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL
);
CREATE INDEX rectification_tasks_queue ON rectification_tasks (escalated_to, state, due_date);
CREATE INDEX rectification_tasks_follow_up_city ON rectification_tasks (follow_up_city, id);
CREATE INDEX rectification_tasks_follow_up_region ON rectification_tasks (follow_up_region, id);
CREATE INDEX rectification_tasks_target_city ON rectification_tasks (target_city, id);
CREATE INDEX rectification_tasks_target_region ON rectification_tasks (target_region, id);
CREATE INDEX rectification_tasks_target_unit ON rectification_tasks (target_unit, id);
CREATE INDEX rectification_tasks_target_helper_unit ON rectification_tasks (target_helper_unit, id);
