// The store on Cloudflare Workers: D1 (the `DB` binding), running the same statements as the
// SQLite file (sql.ts). D1 is one SQLite database behind one writer, so every single statement is
// atomic, and `batch` runs its statements as one transaction.
//
// Compare-and-set is the same one-statement upsert / versioned UPDATE as on Node. `put` sends it
// in one batch with the read of the current record: one round trip, and a failed put reports the
// record that made it fail. Expired records count as absent until `sweep` deletes them in bounded
// batches (one D1 query must stay short: the database serves one query at a time).
//
// Migrations: applied at first use, not by a separate `wrangler d1 migrations apply` step, so a
// plain `wrangler deploy` (which provisions the database) is all a deployment needs. At first use
// per isolate and binding, one batch reads `schema_version`; each pending migration then runs as
// one batch (atomic) that also records itself in wrangler's `d1_migrations` table, so running
// `wrangler d1 migrations apply` later finds it applied. The reverse holds too: the migration
// files record their version in `schema_version`, so a database migrated by wrangler is seen as
// current here. If two isolates migrate at once, the loser's batch fails and rolls back whole,
// and it goes on when it finds the version already reached. Should the tables vanish under a warm
// isolate (only tests do that, with `reset()`), the "no such table" error re-runs the migrations
// once and retries the statement, which had not run.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types";
import {
  checkIndexEntry,
  checkLedgerKey,
  checkTallies,
  type LedgerEntry,
  type PutResult,
  type StoreBackend,
} from "./backend.ts";
import {
  appendParams,
  indexedFromRow,
  ledgerEntryFromRow,
  ledgerQuery,
  listedFromRow,
  listIndexParams,
  listQuery,
  pendingMigrations,
  putParams,
  recordFromRow,
  SQL,
  SWEEP_BATCH,
  talliesQuery,
  tallyFromRow,
} from "./sql.ts";

export interface D1BackendOptions {
  /** Rows deleted per sweep statement. Default SWEEP_BATCH. */
  sweepBatch?: number;
}

// wrangler's own bookkeeping table, created exactly as wrangler creates it.
const D1_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;
const RECORD_D1_MIGRATION = "INSERT OR IGNORE INTO d1_migrations (name) VALUES (?1)";

async function schemaVersion(db: D1Database): Promise<number> {
  const [, read] = await db.batch<{ version: number }>([
    db.prepare(SQL.schemaVersionTable),
    db.prepare(SQL.schemaVersion),
  ]);
  return Number(read?.results[0]?.version ?? 0);
}

/** Brings the database's schema up to date; returns the schema version it is at. */
export async function migrateD1(db: D1Database): Promise<number> {
  let current = await schemaVersion(db);
  for (const migration of pendingMigrations(current)) {
    try {
      await db.batch([
        ...migration.statements.map((statement) => db.prepare(statement)),
        db.prepare(D1_MIGRATIONS_TABLE),
        db.prepare(RECORD_D1_MIGRATION).bind(migration.file),
      ]);
    } catch (error) {
      // Another isolate may have applied it at the same moment; only then is this failure fine.
      if ((await schemaVersion(db)) < migration.version) throw error;
    }
    current = migration.version;
  }
  return current;
}

// Per binding, for the life of the isolate: one schema check, not one per request.
const ready = new WeakMap<D1Database, Promise<number>>();

function ensureSchema(db: D1Database): Promise<number> {
  let pending = ready.get(db);
  if (!pending) {
    pending = migrateD1(db);
    ready.set(db, pending);
    // A failed check is retried by the next call rather than cached.
    pending.catch(() => ready.delete(db));
  }
  return pending;
}

const isMissingTable = (error: unknown) => error instanceof Error && /no such table/i.test(error.message);

export function d1Backend(db: D1Database, options: D1BackendOptions = {}): StoreBackend {
  const sweepBatch = options.sweepBatch ?? SWEEP_BATCH;
  const prepare = (sql: string, params: unknown[]): D1PreparedStatement => db.prepare(sql).bind(...params);

  async function withSchema<T>(run: () => Promise<T>): Promise<T> {
    await ensureSchema(db);
    try {
      return await run();
    } catch (error) {
      if (!isMissingTable(error)) throw error;
      ready.delete(db);
      await ensureSchema(db);
      return run();
    }
  }

  return {
    kind: "d1",
    get: (namespace, key, now) =>
      withSchema(async () => {
        const row = await prepare(SQL.get, [namespace, key, now.getTime()]).first();
        return row ? recordFromRow(row) : undefined;
      }),
    put: (namespace, key, record, condition, now) =>
      withSchema(async (): Promise<PutResult> => {
        checkIndexEntry(record.index);
        const params = putParams(namespace, key, record, now, condition.expectedVersion);
        const write = condition.expectedVersion === null ? SQL.insertIfAbsent : SQL.updateAtVersion;
        const [written, read] = await db.batch<Record<string, unknown>>([
          prepare(write, params),
          prepare(SQL.get, [namespace, key, now.getTime()]),
        ]);
        const version = written?.results[0]?.version;
        if (version !== undefined) return { ok: true, version: Number(version) };
        const current = read?.results[0];
        return { ok: false, current: current ? recordFromRow(current) : undefined };
      }),
    delete: (namespace, key, expectedVersion, now) =>
      withSchema(async () => {
        const result = await prepare(SQL.deleteAtVersion, [
          namespace,
          key,
          now.getTime(),
          expectedVersion,
        ]).run();
        return result.meta.changes > 0;
      }),
    list: (namespace, options, now) =>
      withSchema(async () => {
        const { sql, params } = listQuery(namespace, options, now);
        return (await prepare(sql, params).all()).results.map(listedFromRow);
      }),
    listIndex: (namespace, index, query, now) =>
      withSchema(async () =>
        (await prepare(SQL.listIndex, listIndexParams(namespace, index, query, now)).all()).results.map(
          indexedFromRow,
        ),
      ),
    increment: (counter) =>
      withSchema(async () => Number(await prepare(SQL.increment, [counter]).first("value"))),
    addTallies: (increments) =>
      withSchema(async () => {
        checkTallies(increments);
        if (increments.length === 0) return;
        // A batch is one transaction and one round trip: all added, or none.
        await db.batch(increments.map(({ name, by }) => prepare(SQL.addTally, [name, by])));
      }),
    listTallies: (prefix) =>
      withSchema(async () => {
        const { sql, params } = talliesQuery(prefix);
        return (await prepare(sql, params).all()).results.map(tallyFromRow);
      }),
    append: (entry) =>
      withSchema(async (): Promise<LedgerEntry> => {
        checkLedgerKey(entry.key);
        if (entry.key === undefined) {
          const seq = await prepare(SQL.append, appendParams(entry)).first("seq");
          return { ...entry, detail: structuredClone(entry.detail), seq: Number(seq) };
        }
        // One round trip, one transaction: the entry stored under the key, this one or an earlier.
        const [, stored] = await db.batch<Record<string, unknown>>([
          prepare(SQL.append, appendParams(entry)),
          prepare(SQL.entryByKey, [entry.key]),
        ]);
        return ledgerEntryFromRow(stored!.results[0]!);
      }),
    query: (q) =>
      withSchema(async () => {
        const { sql, params } = ledgerQuery(q);
        return (await prepare(sql, params).all()).results.map(ledgerEntryFromRow);
      }),
    sweep: (now) =>
      withSchema(async () => {
        let removed = 0;
        for (;;) {
          const changes = (await prepare(SQL.sweepBatch, [now.getTime(), sweepBatch]).run()).meta.changes;
          removed += changes;
          if (changes < sweepBatch) return removed;
        }
      }),
    // The binding belongs to the runtime: nothing to close.
    async close() {},
  };
}
