-- Consequences (R10): the province's commendations of pairings (通报表扬) and
-- admonishment talks (约谈) with heads of units, each followed up by a rectification
-- task. The office_* columns are the office that acts (its key, region and city, as
-- rules::Planner makes them); the target_* columns say where the unit lies, as on
-- inspections, so one reach rule scopes every read.

CREATE TABLE commendations (
    id                   TEXT PRIMARY KEY,
    pairing              TEXT NOT NULL,
    document_number      TEXT NOT NULL,
    title                TEXT NOT NULL,
    commended_on         TEXT NOT NULL,
    -- "units/{id}" or "offices/{code}"
    helper               TEXT NOT NULL,
    target_display_name  TEXT NOT NULL,
    target_region        TEXT NOT NULL,
    target_city          TEXT NOT NULL,
    target_unit          TEXT NOT NULL,
    target_helper_unit   TEXT,
    target_direct        BIGINT NOT NULL,
    office_key           TEXT NOT NULL,
    office_region        TEXT NOT NULL,
    office_city          TEXT NOT NULL,
    commended_by         TEXT NOT NULL,
    created_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX commendations_document ON commendations (pairing, document_number);
CREATE INDEX commendations_target_city ON commendations (target_city, id);
CREATE INDEX commendations_target_region ON commendations (target_region, id);
CREATE INDEX commendations_target_unit ON commendations (target_unit, id);

CREATE TABLE admonishment_talks (
    id                   TEXT PRIMARY KEY,
    head                 TEXT NOT NULL,
    reason               TEXT NOT NULL,
    -- "inspections/{id}/findings/{n}" or ''
    finding              TEXT NOT NULL,
    scheduled_on         TEXT NOT NULL,
    place                TEXT NOT NULL,
    -- scheduled, held, cancelled
    state                TEXT NOT NULL,
    -- JSON of the record, once held
    record               TEXT,
    follow_up_task       TEXT,
    cancel_reason        TEXT,
    target_display_name  TEXT NOT NULL,
    target_region        TEXT NOT NULL,
    target_city          TEXT NOT NULL,
    target_unit          TEXT NOT NULL,
    target_helper_unit   TEXT,
    target_direct        BIGINT NOT NULL,
    office_key           TEXT NOT NULL,
    office_region        TEXT NOT NULL,
    office_city          TEXT NOT NULL,
    scheduled_by         TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    version              BIGINT NOT NULL
);
CREATE INDEX admonishment_talks_office_city ON admonishment_talks (office_city, id);
CREATE INDEX admonishment_talks_office_region ON admonishment_talks (office_region, id);
CREATE INDEX admonishment_talks_target_city ON admonishment_talks (target_city, id);
CREATE INDEX admonishment_talks_target_region ON admonishment_talks (target_region, id);
CREATE INDEX admonishment_talks_target_unit ON admonishment_talks (target_unit, id);

-- A task now comes from a finding or from a talk: inspection_id and finding_index
-- become optional and talk_id joins them (rebuilt, as SQLite cannot drop NOT NULL).
CREATE TABLE rectification_tasks_v3 (
    id                  TEXT PRIMARY KEY,
    inspection_id       TEXT REFERENCES inspections (id),
    finding_index       BIGINT,
    talk_id             TEXT REFERENCES admonishment_talks (id),
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
    state               TEXT NOT NULL,
    history             TEXT NOT NULL,
    opened_by           TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL,
    CHECK ((inspection_id IS NULL) = (finding_index IS NULL)),
    CHECK ((inspection_id IS NULL) <> (talk_id IS NULL))
);
INSERT INTO rectification_tasks_v3 (id, inspection_id, finding_index, talk_id, description,
    responsible_person, due_date, follow_up_office, follow_up_region, follow_up_city,
    escalated_to, target, target_display_name, target_region, target_city, target_unit,
    target_helper_unit, target_direct, state, history, opened_by, created_at, version)
SELECT id, inspection_id, finding_index, NULL, description, responsible_person, due_date,
    follow_up_office, follow_up_region, follow_up_city, escalated_to, target,
    target_display_name, target_region, target_city, target_unit, target_helper_unit,
    target_direct, state, history, opened_by, created_at, version
FROM rectification_tasks;
DROP TABLE rectification_tasks;
ALTER TABLE rectification_tasks_v3 RENAME TO rectification_tasks;
CREATE INDEX rectification_tasks_queue ON rectification_tasks (escalated_to, state, due_date);
CREATE INDEX rectification_tasks_follow_up_city ON rectification_tasks (follow_up_city, id);
CREATE INDEX rectification_tasks_follow_up_region ON rectification_tasks (follow_up_region, id);
CREATE INDEX rectification_tasks_target_city ON rectification_tasks (target_city, id);
CREATE INDEX rectification_tasks_target_region ON rectification_tasks (target_region, id);
CREATE INDEX rectification_tasks_target_unit ON rectification_tasks (target_unit, id);
CREATE INDEX rectification_tasks_target_helper_unit ON rectification_tasks (target_helper_unit, id);
CREATE INDEX rectification_tasks_talk ON rectification_tasks (talk_id);
