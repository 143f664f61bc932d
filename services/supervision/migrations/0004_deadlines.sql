-- The deadline monitor's items, numbered in the order scans found them (seq is the
-- stream cursor; a scan takes max + 1 under the unique index, so two scans racing
-- cannot hand out one number twice). key says what is late, once:
-- "{kind}:{campaign}:{subject}". The office_* columns are the late office (or the
-- task's follow-up office) and the target_* columns where it lies, as on the other
-- tables, so one reach rule scopes every read.
CREATE TABLE deadline_items (
    key                  TEXT PRIMARY KEY,
    seq                  BIGINT NOT NULL,
    -- nominations_short, pairing_list_unreported, task_overdue
    kind                 TEXT NOT NULL,
    campaign             TEXT NOT NULL,
    subject              TEXT NOT NULL,
    subject_display_name TEXT NOT NULL,
    due_date             TEXT NOT NULL,
    nominated            BIGINT NOT NULL,
    required             BIGINT NOT NULL,
    office_key           TEXT NOT NULL,
    office_region        TEXT NOT NULL,
    office_city          TEXT NOT NULL,
    target_region        TEXT NOT NULL,
    target_city          TEXT NOT NULL,
    target_unit          TEXT,
    target_helper_unit   TEXT,
    target_direct        BIGINT NOT NULL,
    found_at             BIGINT NOT NULL,
    resolved_at          BIGINT
);
CREATE UNIQUE INDEX deadline_items_seq ON deadline_items (seq);
CREATE INDEX deadline_items_open ON deadline_items (resolved_at, kind);
