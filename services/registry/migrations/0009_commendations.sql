-- The province's commendations (通报表扬) of a unit's pairings, recorded here by the
-- supervision service so that VerifyTitle shows them; supervision holds the full
-- record. One per unit and document: recording it again replaces it.
CREATE TABLE unit_commendations (
    unit_id          TEXT NOT NULL REFERENCES units (id),
    document_number  TEXT NOT NULL,
    -- "commendations/{id}" of the supervision service
    name             TEXT NOT NULL,
    title            TEXT NOT NULL,
    commended_on     TEXT NOT NULL,
    pairing          TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    recorded_at      BIGINT NOT NULL,
    PRIMARY KEY (unit_id, document_number)
);
