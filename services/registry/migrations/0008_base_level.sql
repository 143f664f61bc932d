-- Base-level units (基层单位) as their office records them; the province's rules fix a minimum share.
ALTER TABLE units ADD COLUMN base_level BIGINT NOT NULL DEFAULT 0;
