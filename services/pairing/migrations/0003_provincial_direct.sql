-- The provincial-direct system (省直): whether the unit helped is a provincial-direct
-- unit, which the provincial-direct office reads wherever it is. Lists and pairings that
-- office arranges carry `provincial-direct` as their office (region and city columns).
ALTER TABLE pairings ADD COLUMN unit_provincial_direct BIGINT NOT NULL DEFAULT 0;
CREATE INDEX pairings_provincial_direct ON pairings (unit_provincial_direct, id);
