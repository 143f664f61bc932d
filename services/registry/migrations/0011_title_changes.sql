-- The feed of title changes platforms follow (ListTitleChanges, WatchTitleChanges): one
-- row per change, numbered in commit order. A change names its title; what it says of
-- the title (credit code, tier, dates, document) is read from `titles`, whose fields
-- other than the state never change.
CREATE TABLE title_changes (
    seq          BIGINT PRIMARY KEY,
    -- awarded, revoked, expired, unit_deregistered
    kind         TEXT NOT NULL,
    title_id     TEXT NOT NULL REFERENCES titles (id),
    -- The first day the change holds (YYYY-MM-DD).
    effective_on TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
-- A title changes in each way at most once: a retried or concurrent sweep adds nothing.
CREATE UNIQUE INDEX title_changes_once ON title_changes (title_id, kind);

-- The feed's head: the last number given, and the last day whose expiries are recorded.
-- A change updates it just before its commit, so the row stays locked until then and
-- numbers commit in order: a reader that has seen change n has seen every change before.
CREATE TABLE title_change_head (
    id              BIGINT PRIMARY KEY,
    seq             BIGINT NOT NULL,
    expired_through TEXT NOT NULL
);
INSERT INTO title_change_head (id, seq, expired_through) VALUES (1, 0, '0001-01-01');

-- The expiry sweep reads titles by the end of their term.
CREATE INDEX titles_valid_until ON titles (valid_until);

-- Titles recorded before the feed existed: their awards, in the order they were
-- recorded, then their revocations and the deregistrations that ended them (their
-- expiries follow at the registry's first sweep).
INSERT INTO title_changes (seq, kind, title_id, effective_on, recorded_at)
SELECT ROW_NUMBER() OVER (ORDER BY created_at, id), 'awarded', id, awarded_on, created_at
FROM titles;

INSERT INTO title_changes (seq, kind, title_id, effective_on, recorded_at)
SELECT (SELECT COUNT(*) FROM titles) + ROW_NUMBER() OVER (ORDER BY created_at, id),
       'revoked', id, revoked_on, created_at
FROM titles
WHERE state = 'revoked' AND revoked_on IS NOT NULL;

INSERT INTO title_changes (seq, kind, title_id, effective_on, recorded_at)
SELECT (SELECT COALESCE(MAX(seq), 0) FROM title_changes) + ROW_NUMBER() OVER (ORDER BY t.created_at, t.id),
       'unit_deregistered', t.id, u.deregistered_on, u.updated_at
FROM titles t JOIN units u ON u.id = t.unit_id
WHERE u.state = 'deregistered' AND u.deregistered_on IS NOT NULL AND t.state = 'current'
  AND (t.valid_until IS NULL OR t.valid_until > u.deregistered_on);

UPDATE title_change_head SET seq = (SELECT COALESCE(MAX(seq), 0) FROM title_changes);
