-- The audit trail as hash chains (crates/runtime/src/audit_chain.rs). Every record is
-- a link of one of 16 chains: its position (seq) in the chain, the hash of the record
-- before it (prev_hash) and its own hash over all of its fields, so that an edited,
-- deleted or reordered record no longer links. A change appends to one chain, chosen by
-- the resource of its first record; several chains let changes to different resources
-- commit side by side on PostgreSQL instead of queueing behind one head.
-- Records written before this migration are chained by the service at its next start
-- (chain 0, in the order they were written).
ALTER TABLE audit_records ADD COLUMN chain BIGINT;
ALTER TABLE audit_records ADD COLUMN seq BIGINT;
ALTER TABLE audit_records ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_records ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_records_chain_seq ON audit_records (chain, seq);

-- Each chain's last link: locked by the change that appends to it, just before it
-- commits, so appends to one chain are serial and never interleave.
CREATE TABLE audit_chain_heads (
    chain BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_chain_heads (chain, seq, hash) VALUES
    (0, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (2, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (3, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (4, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (5, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (6, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (7, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (8, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (9, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (10, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (11, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (12, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (13, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (14, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (15, 0, '0000000000000000000000000000000000000000000000000000000000000000');
