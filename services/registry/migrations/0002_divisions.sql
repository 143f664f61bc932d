-- The GB/T 2260 division table the registry judges regions by, seeded at start-up from
-- the table compiled into the binary, so reports and ad-hoc SQL can join region names.
CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT
);
