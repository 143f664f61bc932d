-- Tables every service keeps in its own database, defined once. Applied by the shared
-- migrator (tracked in _wenming_shared_migrations, apart from each service's own
-- history) before the service's migrations. IF NOT EXISTS: databases made before these
-- tables moved here already have them.

-- Idempotency keys of creating calls: a retried request_id returns the first result.
-- Purged after the retention in docs/ARCHITECTURE.md ("Idempotency").
CREATE TABLE IF NOT EXISTS request_ids (
    subject     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    operation   TEXT NOT NULL,
    resource    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (subject, request_id)
);
CREATE INDEX IF NOT EXISTS request_ids_created ON request_ids (created_at);

-- Audit records, written in the transaction of each change.
CREATE TABLE IF NOT EXISTS audit_records (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    subject     TEXT NOT NULL,
    action      TEXT NOT NULL,
    resource    TEXT NOT NULL,
    request_id  TEXT,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX IF NOT EXISTS audit_records_resource ON audit_records (resource, at);
