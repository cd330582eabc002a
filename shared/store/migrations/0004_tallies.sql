-- 0004_tallies.sql: nightshift store schema version 4 (D1 and the SQLite file).
-- Generated from MIGRATIONS in shared/store/sql.ts: edit there, never here.

CREATE TABLE IF NOT EXISTS tallies (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_version (version, name) VALUES (4, 'tallies');
