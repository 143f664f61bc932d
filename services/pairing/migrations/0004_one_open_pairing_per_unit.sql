-- One-to-one on both sides across campaigns: a non-public unit has at most one open
-- (proposed or active) pairing at a time, as a helper does, unless the province's
-- exception waived the rule for that pairing (its unit_slot is then NULL).
DROP INDEX pairings_one_per_unit;
CREATE UNIQUE INDEX pairings_one_per_unit ON pairings (unit_slot)
    WHERE state IN ('proposed', 'active') AND unit_slot IS NOT NULL;
