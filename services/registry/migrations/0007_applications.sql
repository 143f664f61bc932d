-- Units' applications to join, submitted by platforms on their behalf; the office of
-- the unit's region decides. `unit_record` is the unit as it will be registered (the
-- checked record, as JSON), `unit_id` its id once registered.
CREATE TABLE applications (
    id             TEXT PRIMARY KEY,
    display_name   TEXT NOT NULL,
    credit_code    TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    city_code      TEXT NOT NULL,
    unit_record    TEXT NOT NULL,
    platform       TEXT NOT NULL,
    state          TEXT NOT NULL,
    decline_reason TEXT,
    unit_id        TEXT,
    decided_by     TEXT,
    created_at     BIGINT NOT NULL,
    decided_at     BIGINT
);

-- One pending application per credit code.
CREATE UNIQUE INDEX applications_one_pending ON applications (credit_code)
    WHERE state = 'pending';

CREATE INDEX applications_region ON applications (region_code, id);
