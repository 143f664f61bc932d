-- The title a pairing cultivates its unit for (one of the campaign's target tiers), so
-- that quota fulfilment per tier can be derived. Pairings made before it have none.
ALTER TABLE pairings ADD COLUMN target_tier TEXT;
