-- Recommendation places (R8): an evaluation year's round, its rules and places, and
-- the holders' accepted lists. Portable SQL, as 0001.

CREATE TABLE recommendation_rounds (
    year                        BIGINT PRIMARY KEY,
    tier                        TEXT NOT NULL,
    display_name                TEXT NOT NULL,
    document_number             TEXT NOT NULL,
    agency_cap_percent          BIGINT NOT NULL,
    base_level_minimum_percent  BIGINT NOT NULL,
    -- JSON object: list segment ("410400", "provincial-direct", "province") ->
    -- {places, non_public_minimum, community_minimum}
    places                      TEXT NOT NULL,
    created_by                  TEXT NOT NULL,
    created_at                  BIGINT NOT NULL,
    -- 1 once the province has submitted its list of a national round: holders' lists
    -- take a conditional update of this row (closed = 0), so none changes after.
    closed                      BIGINT NOT NULL,
    version                     BIGINT NOT NULL
);

-- One accepted list per holder (and the province's, in a national round).
CREATE TABLE recommendation_lists (
    -- "{year}/{segment}"
    id           TEXT PRIMARY KEY,
    year         BIGINT NOT NULL REFERENCES recommendation_rounds (year),
    segment      TEXT NOT NULL,
    -- JSON list of the units as the registry described them when accepted.
    units        TEXT NOT NULL,
    -- JSON of the counts the rules were checked on.
    tally        TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX recommendation_lists_year ON recommendation_lists (year, segment);
