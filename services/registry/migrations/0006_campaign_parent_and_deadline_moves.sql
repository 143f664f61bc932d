-- A city's campaign can belong to a provincial campaign, whose pairing-list deadline it
-- carries (copied, and moved with it in the same transaction); organisers move their
-- deadlines with a reason, each move a row here (and an audit record).
ALTER TABLE campaigns ADD COLUMN parent_id TEXT REFERENCES campaigns (id);

CREATE INDEX campaigns_parent ON campaigns (parent_id);

CREATE TABLE campaign_deadline_moves (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    deadline    TEXT NOT NULL,
    moved_from  TEXT,
    moved_to    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    moved_by    TEXT NOT NULL,
    moved_at    BIGINT NOT NULL
);

CREATE INDEX campaign_deadline_moves_campaign ON campaign_deadline_moves (campaign_id, moved_at);
