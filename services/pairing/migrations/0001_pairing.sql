-- Pairing schema. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Ids are application-made UUIDv7 text; instants are BIGINT milliseconds since the
-- epoch; calendar dates are TEXT 'YYYY-MM-DD' (China Standard Time); flags are BIGINT.
-- Units and campaigns live in the registry: they are referenced here by id only.
-- request_ids and audit_records are the shared tables (crates/runtime/migrations).

-- The province's waivers of the one-to-one rule, each for one helper and one unit.
CREATE TABLE pairing_exceptions (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    helper      TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    used_by     TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX pairing_exceptions_pair ON pairing_exceptions (campaign_id, helper, unit_id);

CREATE TABLE pairings (
    id                  TEXT PRIMARY KEY,
    campaign_id         TEXT NOT NULL,
    office_region       TEXT NOT NULL,
    office_city         TEXT NOT NULL,
    helper_kind         TEXT NOT NULL,
    -- "offices/{code}" or "units/{id}"
    helper              TEXT NOT NULL,
    -- the helper's unit id when the helper is a unit (unit users read by it)
    helper_unit_id      TEXT,
    helper_display_name TEXT NOT NULL,
    unit_id             TEXT NOT NULL,
    unit_display_name   TEXT NOT NULL,
    unit_region         TEXT NOT NULL,
    unit_city           TEXT NOT NULL,
    state               TEXT NOT NULL,
    -- The helper's and the unit's places under the one-to-one rule: the helper name and
    -- the unit id, or NULL where the province's exception waived that rule for this
    -- pairing (an exception waives only the rule that was in the way).
    helper_slot         TEXT,
    unit_slot           TEXT,
    exception_id        TEXT REFERENCES pairing_exceptions (id),
    brand_name          TEXT,
    brand_description   TEXT,
    version             BIGINT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
-- One-to-one: a helper holds at most one open (proposed or active) pairing, and a unit
-- at most one per campaign, except where the province waived the rule. These indexes,
-- not a check before the write, are what holds under concurrent calls.
CREATE UNIQUE INDEX pairings_one_per_helper ON pairings (helper_slot)
    WHERE state IN ('proposed', 'active') AND helper_slot IS NOT NULL;
CREATE UNIQUE INDEX pairings_one_per_unit ON pairings (campaign_id, unit_slot)
    WHERE state IN ('proposed', 'active') AND unit_slot IS NOT NULL;
CREATE INDEX pairings_unit_city ON pairings (unit_city, id);
CREATE INDEX pairings_unit_region ON pairings (unit_region, id);
CREATE INDEX pairings_unit ON pairings (unit_id);
CREATE INDEX pairings_helper_unit ON pairings (helper_unit_id);
CREATE INDEX pairings_list ON pairings (campaign_id, office_region, state);

-- Every state change of a pairing, oldest first.
CREATE TABLE pairing_events (
    pairing_id TEXT NOT NULL REFERENCES pairings (id),
    seq        BIGINT NOT NULL,
    state      TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (pairing_id, seq)
);

-- Versions of the work plan; the highest is current. The key makes two authors
-- submitting on the same base version conflict instead of overwriting each other.
CREATE TABLE work_plans (
    pairing_id      TEXT NOT NULL REFERENCES pairings (id),
    version         BIGINT NOT NULL,
    summary         TEXT NOT NULL,
    milestones_json TEXT NOT NULL,
    author          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (pairing_id, version)
);

CREATE TABLE activities (
    id          TEXT PRIMARY KEY,
    pairing_id  TEXT NOT NULL REFERENCES pairings (id),
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT,
    description TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX activities_pairing ON activities (pairing_id, id);

CREATE TABLE ledger_entries (
    id                TEXT PRIMARY KEY,
    pairing_id        TEXT NOT NULL REFERENCES pairings (id),
    entry_date        TEXT NOT NULL,
    category          TEXT NOT NULL,
    description       TEXT NOT NULL,
    participants_json TEXT NOT NULL,
    evidence_json     TEXT NOT NULL,
    activity_id       TEXT REFERENCES activities (id),
    author            TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX ledger_entries_pairing ON ledger_entries (pairing_id, id);

-- One list per office and campaign. Creating or dissolving a pairing updates its
-- list's row on the condition that the list is open, so a report and a change racing
-- each other cannot both win.
CREATE TABLE pairing_lists (
    campaign_id   TEXT NOT NULL,
    office_region TEXT NOT NULL,
    office_city   TEXT NOT NULL,
    state         TEXT NOT NULL,
    deadline      TEXT,
    reported_at   BIGINT,
    late          BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, office_region)
);
CREATE INDEX pairing_lists_city ON pairing_lists (campaign_id, office_city, office_region);

CREATE TABLE pairing_list_events (
    campaign_id   TEXT NOT NULL,
    office_region TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    state         TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    late          BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, office_region, seq)
);
