-- Progress reports count active units and the reserve pool by region (CountUnitsByRegion):
-- both from an index alone, not a scan of the table.
CREATE INDEX units_state_region ON units (state, region_code);
CREATE INDEX units_pool_region ON units (state, region_code) WHERE pool_reason IS NOT NULL;
