-- 0002_record_index.sql: nightshift store schema version 2 (D1 and the SQLite file).
-- Generated from MIGRATIONS in shared/store/sql.ts: edit there, never here.

ALTER TABLE records ADD COLUMN idx TEXT;

ALTER TABLE records ADD COLUMN idx_score INTEGER;

UPDATE records SET idx = 'active',
  idx_score = CAST(strftime('%s', json_extract(value, '$.createdAt')) AS INTEGER) * 1000
    + CAST(substr(json_extract(value, '$.createdAt'), 21, 3) AS INTEGER)
WHERE namespace = 'op' AND json_extract(value, '$.status') IN ('pending', 'running', 'waiting');

CREATE INDEX IF NOT EXISTS records_idx ON records (namespace, idx, idx_score, key, value, version, expires_at)
WHERE idx IS NOT NULL;

INSERT OR IGNORE INTO schema_version (version, name) VALUES (2, 'record_index');
