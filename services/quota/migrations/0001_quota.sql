-- Quota schema. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Ids are application-made UUIDv7 text; instants are BIGINT milliseconds since the
-- epoch; flags are BIGINT. Units and pairings live in the registry and the pairing
-- service: they are referenced here by id only. request_ids and audit_records are the
-- shared tables (crates/runtime/migrations).

-- Every version of an allocation table (a period such as 2021-2023).
CREATE TABLE allocation_versions (
    -- "{period}/{version}"
    id            TEXT PRIMARY KEY,
    period        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    -- draft, confirmed, superseded, discarded
    state         TEXT NOT NULL,
    -- import, reallocation
    source        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    -- JSON list of {tier, column, declared, sum}
    discrepancies TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_by  TEXT,
    confirmed_at  BIGINT,
    -- The etag: bumped on every change of the row.
    row_version   BIGINT NOT NULL
);
CREATE UNIQUE INDEX allocation_versions_number ON allocation_versions (period, version);
-- At most one version in force and one draft per period, whatever races.
CREATE UNIQUE INDEX allocation_versions_in_force ON allocation_versions (period)
    WHERE state = 'confirmed';
CREATE UNIQUE INDEX allocation_versions_draft ON allocation_versions (period)
    WHERE state = 'draft';

-- A version's rows: one per holder ("provincial-direct" or a city's code) and tier.
CREATE TABLE allocation_rows (
    version_id TEXT NOT NULL REFERENCES allocation_versions (id),
    holder     TEXT NOT NULL,
    tier       TEXT NOT NULL,
    quota      BIGINT NOT NULL,
    PRIMARY KEY (version_id, holder, tier)
);

-- The places of the version in force, and how many are taken. Designations take a
-- place by a conditional UPDATE of this row (used < quota): that, not a count before
-- the write, is what holds under concurrent calls.
CREATE TABLE quota_places (
    period TEXT NOT NULL,
    holder TEXT NOT NULL,
    tier   TEXT NOT NULL,
    quota  BIGINT NOT NULL,
    used   BIGINT NOT NULL,
    PRIMARY KEY (period, holder, tier),
    CHECK (used >= 0 AND used <= quota)
);

CREATE TABLE designations (
    id                     TEXT PRIMARY KEY,
    period                 TEXT NOT NULL,
    holder                 TEXT NOT NULL,
    tier                   TEXT NOT NULL,
    unit_id                TEXT NOT NULL,
    unit_display_name      TEXT NOT NULL,
    unit_region            TEXT NOT NULL,
    unit_city              TEXT NOT NULL,
    unit_provincial_direct BIGINT NOT NULL,
    credit_code            TEXT NOT NULL,
    -- "pairings/{id}"
    pairing                TEXT NOT NULL,
    -- active, withdrawn
    state                  TEXT NOT NULL,
    designated_by          TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    withdrawn_by           TEXT,
    withdrawn_at           BIGINT,
    withdraw_reason        TEXT,
    version                BIGINT NOT NULL
);
-- A unit holds at most one designation at a time.
CREATE UNIQUE INDEX designations_one_per_unit ON designations (unit_id) WHERE state = 'active';
CREATE INDEX designations_holder ON designations (period, holder, id);
CREATE INDEX designations_unit_city ON designations (unit_city, id);
CREATE INDEX designations_unit_region ON designations (unit_region, id);
