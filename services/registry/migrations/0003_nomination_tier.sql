-- The title a nomination cultivates its unit for (one of the campaign's target tiers).
-- Nominations made before this column existed have none.
ALTER TABLE nominations ADD COLUMN target_tier TEXT;
