-- Registry schema. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Ids are application-made UUIDv7 text; instants are BIGINT milliseconds since the
-- epoch; calendar dates are TEXT 'YYYY-MM-DD' (China Standard Time); flags are BIGINT.
-- request_ids and audit_records are the shared tables (crates/runtime/migrations).

CREATE TABLE units (
    id                      TEXT PRIMARY KEY,
    display_name            TEXT NOT NULL,
    credit_code             TEXT NOT NULL,
    region_code             TEXT NOT NULL,
    city_code               TEXT NOT NULL,
    kind                    TEXT NOT NULL,
    scale                   TEXT,
    nature                  TEXT NOT NULL,
    employees               BIGINT NOT NULL,
    main_business           TEXT NOT NULL,
    annual_revenue_10k_yuan BIGINT NOT NULL,
    party_organisation_type TEXT,
    party_members           BIGINT NOT NULL,
    party_instructor        TEXT NOT NULL,
    party_service_centre    TEXT NOT NULL,
    officer_name            TEXT NOT NULL,
    officer_phone           TEXT NOT NULL,
    state                   TEXT NOT NULL,
    deregistration_reason   TEXT,
    pool_reason             TEXT,
    pool_target_tier        TEXT,
    pool_added_by           TEXT,
    pool_added_at           BIGINT,
    version                 BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
-- One unit per credit code, whatever its state.
CREATE UNIQUE INDEX units_credit_code ON units (credit_code);
CREATE INDEX units_region ON units (region_code, id);
CREATE INDEX units_city ON units (city_code, id);

CREATE TABLE campaigns (
    id                    TEXT PRIMARY KEY,
    display_name          TEXT NOT NULL,
    organising_region     TEXT NOT NULL,
    document_number       TEXT NOT NULL,
    nomination_deadline   TEXT NOT NULL,
    pairing_list_deadline TEXT,
    batch_min             BIGINT NOT NULL,
    batch_max             BIGINT NOT NULL,
    target_tiers          TEXT NOT NULL,
    created_by            TEXT NOT NULL,
    created_at            BIGINT NOT NULL
);

CREATE TABLE nominations (
    id                TEXT PRIMARY KEY,
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id),
    unit_id           TEXT NOT NULL REFERENCES units (id),
    unit_display_name TEXT NOT NULL,
    county_code       TEXT NOT NULL,
    city_code         TEXT NOT NULL,
    status            TEXT NOT NULL,
    version           BIGINT NOT NULL,
    submitted_at      BIGINT NOT NULL
);
-- A unit is nominated at most once per campaign unless the city returned it.
CREATE UNIQUE INDEX nominations_active_unit ON nominations (campaign_id, unit_id)
    WHERE status <> 'returned';
CREATE INDEX nominations_campaign ON nominations (campaign_id, county_code);
CREATE INDEX nominations_unit ON nominations (unit_id);

-- Every state change of a nomination, oldest first.
CREATE TABLE nomination_events (
    nomination_id TEXT NOT NULL REFERENCES nominations (id),
    seq           BIGINT NOT NULL,
    status        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (nomination_id, seq)
);

-- Active (submitted or accepted) nominations per county and campaign. Updated with a
-- conditional UPDATE so that concurrent submissions cannot exceed the batch limit.
CREATE TABLE nomination_batches (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    county_code TEXT NOT NULL,
    active      BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, county_code)
);

CREATE TABLE titles (
    id                TEXT PRIMARY KEY,
    unit_id           TEXT NOT NULL REFERENCES units (id),
    credit_code       TEXT NOT NULL,
    region_code       TEXT NOT NULL,
    city_code         TEXT NOT NULL,
    tier              TEXT NOT NULL,
    awarded_on        TEXT NOT NULL,
    valid_until       TEXT,
    document_number   TEXT NOT NULL,
    state             TEXT NOT NULL,
    revoked_on        TEXT,
    revocation_reason TEXT,
    awarded_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
-- At most one current title per unit and tier.
CREATE UNIQUE INDEX titles_current ON titles (unit_id, tier) WHERE state = 'current';
-- VerifyTitle reads by credit code only.
CREATE INDEX titles_credit_code ON titles (credit_code);
