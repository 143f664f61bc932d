-- The provincial-direct system (省直): units of provincial organs and enterprises under
-- the province, wherever in Henan they are, kept by the provincial-direct office. The
-- flag is copied onto the rows scoped by unit (titles, nominations) so that scope stays
-- an equality on the row, as the region columns are.
ALTER TABLE units ADD COLUMN provincial_direct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE titles ADD COLUMN provincial_direct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nominations ADD COLUMN provincial_direct BIGINT NOT NULL DEFAULT 0;
CREATE INDEX units_provincial_direct ON units (provincial_direct, id);
