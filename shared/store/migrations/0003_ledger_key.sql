-- 0003_ledger_key.sql: nightshift store schema version 3 (D1 and the SQLite file).
-- Generated from MIGRATIONS in shared/store/sql.ts: edit there, never here.

ALTER TABLE ledger ADD COLUMN entry_key TEXT;

CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_key ON ledger (entry_key) WHERE entry_key IS NOT NULL;

INSERT OR IGNORE INTO schema_version (version, name) VALUES (3, 'ledger_key');
