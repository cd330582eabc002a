-- 0001_initial.sql: nightshift store schema version 1 (D1 and the SQLite file).
-- Generated from MIGRATIONS in shared/store/sql.ts: edit there, never here.

CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS records (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL, -- JSON text, stored byte for byte
  version INTEGER NOT NULL, -- 1 on first write, +1 on every write, also over an expired row
  expires_at INTEGER, -- epoch ms, NULL = never. Expired rows count as absent until swept
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS records_expires_at ON records (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: a seq is never handed out twice
  at INTEGER NOT NULL, -- epoch ms, from the caller's clock
  operation_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL -- JSON text
);

CREATE INDEX IF NOT EXISTS ledger_target ON ledger (target);

CREATE INDEX IF NOT EXISTS ledger_operation_id ON ledger (operation_id);

CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at);

INSERT OR IGNORE INTO schema_version (version, name) VALUES (1, 'initial');
