// The SQL both SQL backends run: the SQLite file on Node (sqlite.node.ts) and D1 on Workers
// (d1.workers.ts). D1 is SQLite, so one schema and one set of statements serve both; only the
// drivers differ. Runtime-neutral: no driver is imported here.
//
// Schema migrations: MIGRATIONS below is the source. Each one is also written out as
// shared/store/migrations/NNNN_name.sql (wrangler.toml's `migrations_dir`), so
// `wrangler d1 migrations apply` and the backends' own apply-at-open run the same text;
// sql.node.test.ts fails when the files and this list disagree, and rewrites the files when run
// with NIGHTSHIFT_WRITE_MIGRATIONS=1. Every migration records itself in `schema_version` with
// its last statement, whoever applies it. Rules for a new migration: append, never edit an applied
// one; no BEGIN/COMMIT (D1 refuses them; each backend wraps a migration in its own transaction);
// no `;` inside a statement (the file is the statements joined by `;`).
//
// Conventions: timestamps are INTEGER epoch milliseconds, always passed in by the caller (the
// store never reads a clock); a record is live while `expires_at IS NULL OR expires_at > now`,
// exactly as in memory.ts. Parameters are numbered (?1, ?2...), which node:sqlite and D1 both bind
// positionally.
import {
  type IndexedRecord,
  type IndexQuery,
  LEDGER_DEFAULT_LIMIT,
  LEDGER_MAX_LIMIT,
  type LedgerEntry,
  type LedgerEntryInput,
  type LedgerQuery,
  type RecordInput,
  type Tally,
  type VersionedRecord,
} from "./backend.ts";

export interface Migration {
  version: number;
  name: string;
  /** File name under shared/store/migrations/, as wrangler records it in `d1_migrations`. */
  file: string;
  statements: readonly string[];
}

const SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL
)`;

// 0001 uses IF NOT EXISTS / OR IGNORE throughout, so applying it twice (once by wrangler, once by
// a backend that had not seen wrangler's bookkeeping) is harmless.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    file: "0001_initial.sql",
    statements: [
      SCHEMA_VERSION_TABLE,
      `CREATE TABLE IF NOT EXISTS records (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL, -- JSON text, stored byte for byte
  version INTEGER NOT NULL, -- 1 on first write, +1 on every write, also over an expired row
  expires_at INTEGER, -- epoch ms, NULL = never. Expired rows count as absent until swept
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID`,
      `CREATE INDEX IF NOT EXISTS records_expires_at ON records (expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: a seq is never handed out twice
  at INTEGER NOT NULL, -- epoch ms, from the caller's clock
  operation_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL -- JSON text
)`,
      // seq is the rowid, which every index already ends with: these serve "by target, in order".
      `CREATE INDEX IF NOT EXISTS ledger_target ON ledger (target)`,
      `CREATE INDEX IF NOT EXISTS ledger_operation_id ON ledger (operation_id)`,
      `CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at)`,
      `INSERT OR IGNORE INTO schema_version (version, name) VALUES (1, 'initial')`,
    ],
  },
  {
    // A record's entry in a named, scored index (backend.ts IndexEntry) lives in its own row, so
    // it is written and removed in the same statement as the record: idx is the index name (NULL:
    // in no index), idx_score its score there.
    version: 2,
    name: "record_index",
    file: "0002_record_index.sql",
    statements: [
      "ALTER TABLE records ADD COLUMN idx TEXT",
      "ALTER TABLE records ADD COLUMN idx_score INTEGER",
      // Unfinished operations written before this version enter the "active" index, scored by
      // creation time in epoch ms, exactly as store.ts indexes them from now on.
      `UPDATE records SET idx = 'active',
  idx_score = CAST(strftime('%s', json_extract(value, '$.createdAt')) AS INTEGER) * 1000
    + CAST(substr(json_extract(value, '$.createdAt'), 21, 3) AS INTEGER)
WHERE namespace = 'op' AND json_extract(value, '$.status') IN ('pending', 'running', 'waiting')`,
      // Covering (it carries the columns a listing returns) and partial (indexed rows only): a
      // listing reads the index's own pages, never the table's, so finished rows cost it nothing.
      `CREATE INDEX IF NOT EXISTS records_idx ON records (namespace, idx, idx_score, key, value, version, expires_at)
WHERE idx IS NOT NULL`,
      `INSERT OR IGNORE INTO schema_version (version, name) VALUES (2, 'record_index')`,
    ],
  },
  {
    // An entry's idempotency key (backend.ts LedgerEntryInput.key): unique where given, so an
    // append repeated after a crash stores nothing. Entries without one (all before this) are NULL.
    version: 3,
    name: "ledger_key",
    file: "0003_ledger_key.sql",
    statements: [
      "ALTER TABLE ledger ADD COLUMN entry_key TEXT",
      "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_key ON ledger (entry_key) WHERE entry_key IS NOT NULL",
      `INSERT OR IGNORE INTO schema_version (version, name) VALUES (3, 'ledger_key')`,
    ],
  },
  {
    // Tallies (backend.ts addTallies): additive totals listed by name prefix, the metrics' durable
    // counters. Apart from `counters`, whose values are fencing tokens.
    version: 4,
    name: "tallies",
    file: "0004_tallies.sql",
    statements: [
      `CREATE TABLE IF NOT EXISTS tallies (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID`,
      `INSERT OR IGNORE INTO schema_version (version, name) VALUES (4, 'tallies')`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The migrations a database at `current` still needs; refuses a database newer than this code. */
export function pendingMigrations(current: number): readonly Migration[] {
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `store schema version ${current} is newer than this nightshift knows (${SCHEMA_VERSION}): upgrade nightshift`,
    );
  }
  return MIGRATIONS.filter((m) => m.version > current);
}

/** The exact text of a migration's .sql file. */
export function migrationFileText(m: Migration): string {
  return [
    `-- ${m.file}: nightshift store schema version ${m.version} (D1 and the SQLite file).`,
    "-- Generated from MIGRATIONS in shared/store/sql.ts: edit there, never here.",
    "",
    m.statements.map((s) => `${s};`).join("\n\n"),
    "",
  ].join("\n");
}

/** Bounded so one sweep never holds the write lock (SQLite) or one D1 query for long. */
export const SWEEP_BATCH = 500;

const LIVE = "(expires_at IS NULL OR expires_at > ?3)";

export const SQL = {
  // Creates the version table if needed, so reading the version works on an empty database.
  schemaVersionTable: SCHEMA_VERSION_TABLE,
  schemaVersion: "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version",

  /** ?1 namespace, ?2 key, ?3 now */
  get: `SELECT value, version, expires_at FROM records WHERE namespace = ?1 AND key = ?2 AND ${LIVE}`,

  /**
   * Claim: insert, or overwrite a row that has expired. One statement, so it is atomic on its own:
   * a live row fails the DO UPDATE's WHERE and nothing changes (no row RETURNed). The expired row
   * is updated in place rather than deleted and re-inserted, which is how its version keeps
   * counting up. ?1 namespace, ?2 key, ?3 now, ?4 value, ?5 expires_at, ?6 idx, ?7 idx_score
   */
  insertIfAbsent: `INSERT INTO records (namespace, key, value, version, expires_at, idx, idx_score)
VALUES (?1, ?2, ?4, 1, ?5, ?6, ?7)
ON CONFLICT (namespace, key) DO UPDATE SET
  value = excluded.value, version = records.version + 1, expires_at = excluded.expires_at,
  idx = excluded.idx, idx_score = excluded.idx_score
WHERE records.expires_at IS NOT NULL AND records.expires_at <= ?3
RETURNING version`,

  /** Compare-and-set on a live row. As insertIfAbsent, with ?8 the expected version. */
  updateAtVersion: `UPDATE records SET value = ?4, version = version + 1, expires_at = ?5, idx = ?6, idx_score = ?7
WHERE namespace = ?1 AND key = ?2 AND version = ?8 AND ${LIVE}
RETURNING version`,

  /** ?1 namespace, ?2 key, ?3 now, ?4 expected version */
  deleteAtVersion: `DELETE FROM records WHERE namespace = ?1 AND key = ?2 AND version = ?4 AND ${LIVE}`,

  /** ?1 namespace, ?2 prefix (lower bound), ?3 now, ?4 limit (-1 = none) */
  list: `SELECT key, value, version, expires_at FROM records
WHERE namespace = ?1 AND key >= ?2 AND ${LIVE}
ORDER BY key LIMIT ?4`,
  /** As `list`, with ?5 the exclusive upper bound from prefixUpperBound. */
  listBounded: `SELECT key, value, version, expires_at FROM records
WHERE namespace = ?1 AND key >= ?2 AND key < ?5 AND ${LIVE}
ORDER BY key LIMIT ?4`,

  /**
   * One index's live members, by score then key, served by records_idx alone.
   * ?1 namespace, ?2 index name, ?3 now, ?4 limit (-1 = none), ?5 highest score (inclusive)
   */
  listIndex: `SELECT key, value, version, expires_at, idx_score FROM records
WHERE namespace = ?1 AND idx = ?2 AND idx_score <= ?5 AND ${LIVE}
ORDER BY idx_score, key LIMIT ?4`,

  /** One statement: atomic across connections and processes. ?1 counter name */
  increment: `INSERT INTO counters (name, value) VALUES (?1, 1)
ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
RETURNING value`,

  /** One statement per increment; the backends run a call's statements in one transaction. ?1 name, ?2 by */
  addTally: `INSERT INTO tallies (name, value) VALUES (?1, ?2)
ON CONFLICT (name) DO UPDATE SET value = tallies.value + excluded.value`,
  /** ?1 prefix (lower bound) */
  listTallies: "SELECT name, value FROM tallies WHERE name >= ?1 ORDER BY name",
  /** As `listTallies`, with ?2 the exclusive upper bound from prefixUpperBound. */
  listTalliesBounded: "SELECT name, value FROM tallies WHERE name >= ?1 AND name < ?2 ORDER BY name",

  /**
   * One statement: the key's check and the insert are atomic across connections and processes. A
   * key already stored inserts nothing and returns no row (then `entryByKey` reads the one stored).
   * ?1 at, ?2 operation_id, ?3 target, ?4 kind, ?5 detail, ?6 entry_key (NULL: none)
   */
  append: `INSERT INTO ledger (at, operation_id, target, kind, detail, entry_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (entry_key) WHERE entry_key IS NOT NULL DO NOTHING
RETURNING seq`,

  /** ?1 entry_key */
  entryByKey: `SELECT seq, at, operation_id, target, kind, detail, entry_key FROM ledger WHERE entry_key = ?1`,

  /** Deletes at most ?2 expired rows (DELETE ... LIMIT is a compile-time option, so a subquery). ?1 now */
  sweepBatch: `DELETE FROM records WHERE (namespace, key) IN (
  SELECT namespace, key FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2
)`,
} as const;

/** The arguments of `insertIfAbsent` / `updateAtVersion`, in parameter order. */
export function putParams(
  namespace: string,
  key: string,
  record: RecordInput,
  now: Date,
  expectedVersion: number | null,
): Array<string | number | null> {
  const params: Array<string | number | null> = [
    namespace,
    key,
    now.getTime(),
    record.value,
    record.expiresAt,
    record.index?.name ?? null,
    record.index?.score ?? null,
  ];
  if (expectedVersion !== null) params.push(expectedVersion);
  return params;
}

/**
 * The smallest string above every string that starts with `prefix`, in SQLite's BINARY order
 * (UTF-8 bytes, i.e. code point order), or undefined when there is none (empty prefix, or only
 * U+10FFFF). Lets `list` scan an index range instead of filtering the whole namespace.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0 && points.at(-1) === 0x10ffff) points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  // Skip the surrogate range: those are not characters and never appear in stored UTF-8.
  points.push(last === 0xd7ff ? 0xe000 : last + 1);
  return String.fromCodePoint(...points);
}

/** The statement and arguments of a `list` call. */
export function listQuery(
  namespace: string,
  options: { prefix?: string; limit?: number },
  now: Date,
): { sql: string; params: Array<string | number> } {
  const prefix = options.prefix ?? "";
  const limit = options.limit === undefined ? -1 : Math.max(0, options.limit);
  const upper = prefixUpperBound(prefix);
  const params: Array<string | number> = [namespace, prefix, now.getTime(), limit];
  if (upper === undefined) return { sql: SQL.list, params };
  params.push(upper);
  return { sql: SQL.listBounded, params };
}

/** The statement and arguments of a `listTallies` call. */
export function talliesQuery(prefix: string): { sql: string; params: string[] } {
  const upper = prefixUpperBound(prefix);
  return upper === undefined
    ? { sql: SQL.listTallies, params: [prefix] }
    : { sql: SQL.listTalliesBounded, params: [prefix, upper] };
}

export function tallyFromRow(row: Row): Tally {
  return { name: String(row.name), value: Number(row.value) };
}

/** The statement arguments of a `listIndex` call. */
export function listIndexParams(
  namespace: string,
  index: string,
  query: IndexQuery,
  now: Date,
): Array<string | number> {
  const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
  return [namespace, index, now.getTime(), limit, query.upTo ?? Number.MAX_VALUE];
}

/** The ledger query for the filters given, so each filter can use its index. */
export function ledgerQuery(q: LedgerQuery): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const add = (condition: string, value: string | number) => {
    params.push(value);
    where.push(condition.replace("?", `?${params.length}`));
  };
  if (q.target !== undefined) add("target = ?", q.target);
  if (q.operationId !== undefined) add("operation_id = ?", q.operationId);
  if (q.from !== undefined) add("at >= ?", q.from.getTime());
  if (q.to !== undefined) add("at < ?", q.to.getTime());
  if (q.afterSeq !== undefined) add("seq > ?", q.afterSeq);
  if (q.beforeSeq !== undefined) add("seq < ?", q.beforeSeq);
  const limit = Math.max(0, Math.min(q.limit ?? LEDGER_DEFAULT_LIMIT, LEDGER_MAX_LIMIT));
  params.push(limit);
  const sql = `SELECT seq, at, operation_id, target, kind, detail, entry_key FROM ledger${
    where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
  } ORDER BY seq${q.newestFirst ? " DESC" : ""} LIMIT ?${params.length}`;
  return { sql, params };
}

// Rows as the drivers return them (column name -> value).
type Row = Record<string, unknown>;

export function recordFromRow(row: Row): VersionedRecord {
  return {
    value: String(row.value),
    version: Number(row.version),
    expiresAt: row.expires_at === null || row.expires_at === undefined ? null : Number(row.expires_at),
  };
}

export function listedFromRow(row: Row): VersionedRecord & { key: string } {
  return { key: String(row.key), ...recordFromRow(row) };
}

export function indexedFromRow(row: Row): IndexedRecord {
  return { ...listedFromRow(row), score: Number(row.idx_score) };
}

export function ledgerEntryFromRow(row: Row): LedgerEntry {
  return {
    seq: Number(row.seq),
    at: new Date(Number(row.at)),
    operationId: String(row.operation_id),
    target: String(row.target),
    kind: String(row.kind),
    detail: JSON.parse(String(row.detail)) as Record<string, unknown>,
    ...(row.entry_key === null || row.entry_key === undefined ? {} : { key: String(row.entry_key) }),
  };
}

/** The arguments of `append`, in parameter order. */
export function appendParams(entry: LedgerEntryInput): Array<string | number | null> {
  return [
    entry.at.getTime(),
    entry.operationId,
    entry.target,
    entry.kind,
    JSON.stringify(entry.detail),
    entry.key ?? null,
  ];
}
