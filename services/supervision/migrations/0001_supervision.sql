-- Supervision schema. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Ids are application-made UUIDv7 text; instants BIGINT milliseconds; dates
-- YYYY-MM-DD text; flags BIGINT. Units and pairings live in the registry and the
-- pairing service and are referenced by id only. request_ids and audit_records are
-- the shared tables (crates/runtime/migrations).

CREATE TABLE inspections (
    id                   TEXT PRIMARY KEY,
    -- roving, open_visit, covert_visit, research_visit
    kind                 TEXT NOT NULL,
    -- "regions/{code}", "units/{id}" or "pairings/{id}"
    target               TEXT NOT NULL,
    target_display_name  TEXT NOT NULL,
    -- Where the target lies: its county-level region (a city's own code for a city
    -- target) and city; the unit and its pairing's helper unit, if any; whether it
    -- is provincial-direct. Reads are scoped on these.
    target_region        TEXT NOT NULL,
    target_city          TEXT NOT NULL,
    target_unit          TEXT,
    target_helper_unit   TEXT,
    target_direct        BIGINT NOT NULL,
    -- JSON list of names
    inspectors           TEXT NOT NULL,
    planned_start        TEXT NOT NULL,
    planned_end          TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    -- planned, done, cancelled
    state                TEXT NOT NULL,
    -- The planning office: its key ("410400", "provincial-direct"), its region and
    -- its city (empty for the province and the provincial-direct office). A planned
    -- covert visit is read only through these.
    planning_office      TEXT NOT NULL,
    planning_region      TEXT NOT NULL,
    planning_city        TEXT NOT NULL,
    -- JSON of the visit and its findings, once recorded.
    visit                TEXT,
    planned_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    cancel_reason        TEXT,
    version              BIGINT NOT NULL
);
CREATE INDEX inspections_target_city ON inspections (target_city, id);
CREATE INDEX inspections_target_region ON inspections (target_region, id);
CREATE INDEX inspections_planning_city ON inspections (planning_city, id);
CREATE INDEX inspections_planning_region ON inspections (planning_region, id);
CREATE INDEX inspections_target_unit ON inspections (target_unit, id);
CREATE INDEX inspections_target_helper_unit ON inspections (target_helper_unit, id);
