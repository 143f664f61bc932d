-- One database per service (docs/OPERATIONS.md, "PostgreSQL"). The postgres image
-- runs this as POSTGRES_USER (wenming) on the FIRST start of an empty data volume
-- only; later additions need a manual `createdb` (see compose.yaml) or a fresh
-- volume (`docker compose down -v`, which deletes all data).
--
-- Pattern for services as they land (the gateway has no database):
--   CREATE DATABASE wenming_<service>;

CREATE DATABASE wenming_registry;
CREATE DATABASE wenming_pairing;
CREATE DATABASE wenming_quota;
CREATE DATABASE wenming_supervision;
